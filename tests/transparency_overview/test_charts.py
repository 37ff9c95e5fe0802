"""The overview's charts (reports/transparency_charts.py), without a database: SVG from
matplotlib that a page can inline under a CSP without inline style (no style attribute or
element), that scales (a viewBox, no width or height), whose ids are its own (prefixed, each
reference resolving) and that a screen reader names (role="img", aria-label); the same figures
draw the same SVG; labels wrap without a line starting with closing punctuation."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from ledger.transparency import Flow, Month
from reports import transparency_charts as charts

from ..periods.helpers import yuan

FLOWS = (Flow("deposits", "operating", yuan("135000.00")),
         Flow("deposits", "foundation", yuan("315000.00")),
         Flow("welfare_lottery", "foundation", yuan("200000.00")),
         Flow("individual", "foundation", yuan("0.01")),
         Flow("crowdfunding", "foundation", yuan("7000.00")),
         Flow("foundation", "grants", yuan("50000.00")),
         Flow("foundation", "repairs", yuan("67000.00")),
         Flow("foundation", "administration", yuan("1200.00")),
         Flow("foundation", "kept", yuan("403800.01")))
MONTHS = tuple(Month(f"2026-{m:02d}", yuan(f"{m * 1000}.00"), yuan(f"{(12 - m) * 700}.00"))
               for m in range(1, 13))
NAMES = ("收入", "支出", "月份")


def flows_svg(lang: str = "zh", flows: tuple[Flow, ...] = FLOWS) -> str:
    return charts.flow_chart(flows, lang, prefix=f"flows-{lang}", label="资金流向",
                             empty="本年没有资金往来")


def trend_svg(lang: str = "zh", months: tuple[Month, ...] = MONTHS) -> str:
    return charts.trend_chart(months, lang, prefix=f"trend-{lang}", label="每月收支",
                              names=NAMES, empty="本年没有收支")


def check_inline(svg: str, prefix: str, label: str) -> None:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "width" not in root.attrib
    assert "height" not in root.attrib
    assert re.fullmatch(r"0 0 328 [0-9.]+", root.attrib["viewBox"])
    assert (root.attrib["role"], root.attrib["aria-label"]) == ("img", label)
    ids = [e.attrib["id"] for e in root.iter() if "id" in e.attrib]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(prefix + "-") for i in ids)
    for element in root.iter():
        assert "style" not in element.attrib
        assert not element.tag.endswith(("}style", "}script", "}metadata"))
        for value in element.attrib.values():
            for target in re.findall(r"url\(#([^)]+)\)", value):
                assert target in ids
            if value.startswith("#") and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                assert value[1:] in ids, value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_charts_can_be_inlined_under_the_pages_csp(lang: str) -> None:
    check_inline(flows_svg(lang), f"flows-{lang}", "资金流向")
    check_inline(trend_svg(lang), f"trend-{lang}", "每月收支")


def test_the_same_figures_draw_the_same_svg() -> None:
    assert flows_svg() == flows_svg()
    assert trend_svg() == trend_svg()
    assert flows_svg("zh") != flows_svg("en")


def test_nothing_to_draw_says_so() -> None:
    check_inline(flows_svg(flows=()), "flows-zh", "资金流向")
    zero = tuple(Month(m.label, yuan("0.00"), yuan("0.00")) for m in MONTHS)
    check_inline(trend_svg(months=zero), "trend-zh", "每月收支")
    assert len(flows_svg(flows=())) < len(flows_svg()) / 4


def test_each_flow_is_a_band_and_each_node_a_bar() -> None:
    root = ET.fromstring(flows_svg())
    # fill_between draws each band as a path in <defs>, used once with its colour; the bars
    # are patches
    bands = [e for e in root.iter() if e.tag.endswith("}use")
             and e.attrib.get("fill-opacity") == "0.38"]
    assert len(bands) == len(FLOWS)
    nodes = {f.source for f in FLOWS} | {f.target for f in FLOWS}
    fills = [e.attrib.get("fill") for e in root.iter() if e.tag.endswith("}path")]
    for node in nodes:
        assert charts.COLOURS[node] in fills, node


@pytest.mark.parametrize(("text", "widest"), [
    ("结余（留存基金会）", 84.0), ("互助资金运作经费（30%）", 84.0),
    ("Fund operating costs (30 %)", 84.0), ("Venture-philanthropy grants", 60.0),
    ("Community development foundation", 104.0)])
def test_labels_wrap_at_their_width_never_before_closing_punctuation(text: str, widest: float
                                                                     ) -> None:
    lines = charts.wrap(text, widest)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[1:]:
        assert not re.match(r"[）)%％，。、]", line), lines
    for line in lines:
        assert charts.width_of(line) <= widest or " " not in line, lines
