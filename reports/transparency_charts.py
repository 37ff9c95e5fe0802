"""Charts of the public overview (issue 8), as inline SVG made by matplotlib: where the year's
money came from and went (Sankey-style: bands drawn with `fill_between` between stacked node
bars) and the monthly trend of income and spending.

Made for a phone 360 px wide: a figure is WIDTH points wide and the page shows it at 100 % of
its column, so one point is about one CSS pixel there (and more on a wider screen). Text is
drawn as paths in Noto Sans CJK SC, as in reports/charts.py, so Chinese never turns into boxes
and no font is loaded. Heights of bars and bands are plotted from integer fen; every written
amount is formatted from the integers.

The SVG is rewritten for the pages' Content-Security-Policy, which allows no inline style:
style attributes become presentation attributes and the style sheet goes; `width`/`height`
go too (it scales with its viewBox); ids are prefixed so that two charts can share a page."""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import matplotlib
import numpy as np
from defusedxml.ElementTree import fromstring
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ledger.core.money import to_minor
from ledger.transparency import NODES, SOURCES, Flow, Month

from .charts import _STYLED, FONTS
from .statement_data import grouped

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
WIDTH = 328.0  # points: the page's column at 360 px (1 rem of padding each side)
FONT = 12.0
LINE = FONT * 1.25
STYLE = {
    "svg.fonttype": "path",
    "svg.hashsalt": "huzhu-transparency",  # the same figures give the same SVG
    "font.family": FONTS,
    "font.size": FONT,
}
INK, MUTED = "#1a1a1a", "#4d4d4d"

# --- the flow chart ---------------------------------------------------------------------------
MIDDLE = ("operating", "foundation_share", "foundation")
RIGHT = ("grants", "repairs", "administration", "other_costs", "kept")
LEFT = ("deposits", *SOURCES, "earlier")
ORDER = {key: n for n, key in enumerate((*LEFT, *MIDDLE, *RIGHT))}
COLOURS = {
    "deposits": "#0b4f6c", "operating": "#4f6d7a", "foundation": "#1f4e79",
    "foundation_share": "#33658a", "mutual_aid_fund": "#33658a",
    "welfare_lottery": "#9c4a00", "fiscal": "#7a5c00", "repair_subsidies": "#8d3f1f",
    "enterprise": "#2e6b30", "social_organisation": "#5e3f8a", "individual": "#a3154f",
    "crowdfunding": "#00695c", "other": "#555555", "earlier": "#666666",
    "grants": "#2e7d32", "repairs": "#b35c00", "administration": "#5f6b73",
    "other_costs": "#7b5ea7", "kept": "#0b4f6c",
}
BAR = 8.0  # width of a node's bar
FLOWS_HEIGHT = 240.0  # points the biggest column's money takes
THINNEST = 1.5  # a band is at least this thick, however small its amount
GAP = 6.0  # between the slots of a column
MARGIN = 4.0
#: (x of the bar's left edge, x of the label's anchor, its alignment, its widest line)
COLUMNS = ((0.0, BAR + 4, "left", 104.0),
           (WIDTH / 2 - BAR / 2, WIDTH / 2, "center", 84.0),
           (WIDTH - BAR, WIDTH - BAR - 4, "right", 104.0))
_MEASURE = TextToPath()


@dataclass(slots=True)
class Node:
    key: str
    column: int
    lines: tuple[str, ...]
    fen: int
    into: float = 0.0  # thickness of the bands in
    out: float = 0.0  # and out
    top: float = 0.0  # where its bar starts (points from the top)

    @property
    def height(self) -> float:
        return max(self.into, self.out)

    @property
    def label_height(self) -> float:
        return LINE * len(self.lines) + 4

    @property
    def slot(self) -> float:
        """Room in its column: the middle column's labels sit above their bars (bands pass
        on both sides), the others' beside them."""
        if self.column == 1:
            return self.label_height + self.height
        return max(self.height, self.label_height)


def width_of(text: str, size: float = FONT) -> float:
    """How wide `text` is drawn, in points (measured with the charts' fonts)."""
    found = _MEASURE.get_text_width_height_descent(
        text, FontProperties(family=FONTS, size=size), ismath=False)
    return float(found[0])


#: Pieces a line may break between: a CJK character with the brackets and punctuation that
#: stick to it, a word (up to a hyphen), spaces.
_PIECES = re.compile(r"[（「『(]?[\u3400-\u9fff][）」』，。、：；！？%％)]*\s*"
                     r"|[（「『(]?[^\s\u3400-\u9fff（「『]+?(?:-|(?=[\s\u3400-\u9fff（「『]|$))\s*"
                     r"|\s+")
#: Pieces that never start a line.
_CLOSING = re.compile(r"[%％)）」』，。、：；！？.,]+\s*")


def wrap(text: str, widest: float) -> list[str]:
    """Lines of at most `widest` points (a longer word keeps its own line), broken at spaces,
    after hyphens or between CJK characters, never before closing punctuation."""
    lines, line = [], ""
    for piece in _PIECES.findall(text):
        if (line and width_of((line + piece).rstrip()) > widest
                and not _CLOSING.fullmatch(piece)):
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def name_of(key: str, lang: str) -> str:
    zh, en = SOURCES.get(key) or NODES[key]
    return zh if lang == "zh" else en


def column_of(key: str) -> int:
    return 1 if key in MIDDLE else 2 if key in RIGHT else 0


def _nodes(flows: Sequence[tuple[str, str, int]], lang: str) -> dict[str, Node]:
    """The chart's nodes with their labels (name and amount) and the money through them."""
    into: dict[str, int] = defaultdict(int)
    out: dict[str, int] = defaultdict(int)
    for source, target, fen in flows:
        out[source] += fen
        into[target] += fen
    nodes = {}
    for key in sorted({*into, *out}, key=lambda k: ORDER.get(k, len(ORDER))):
        column = column_of(key)
        fen = max(into[key], out[key])
        lines = (*wrap(name_of(key, lang), COLUMNS[column][3]), grouped(fen))
        nodes[key] = Node(key, column, lines, fen)
    return nodes


def _layout(nodes: dict[str, Node], flows: Sequence[tuple[str, str, int]]
            ) -> tuple[float, float]:
    """Band thicknesses and each node's place; the figure's height and points per fen."""
    totals = [sum(n.fen for n in nodes.values() if n.column == c) for c in range(3)]
    scale = FLOWS_HEIGHT / max(max(totals), 1)
    for source, target, fen in flows:
        thickness = max(fen * scale, THINNEST)
        nodes[source].out += thickness
        nodes[target].into += thickness
    heights = [sum(n.slot + GAP for n in nodes.values() if n.column == c) - GAP
               for c in range(3)]
    tallest = max(heights)
    for column in range(3):
        y = MARGIN + (tallest - heights[column]) / 2
        for node in (n for n in nodes.values() if n.column == column):
            node.top = y + (node.label_height if column == 1 else
                            (node.slot - node.height) / 2)
            y += node.slot + GAP
    return tallest + 2 * MARGIN, scale


def _band(ax: Axes, x: tuple[float, float], top: tuple[float, float], thickness: float,
          colour: str) -> None:
    """A band from (x[0], top[0]) to (x[1], top[1]), `thickness` high, an S-curve."""
    xs = np.linspace(x[0], x[1], 32)
    ease = (1 - np.cos(np.linspace(0, math.pi, 32))) / 2
    upper = top[0] + (top[1] - top[0]) * ease
    ax.fill_between(xs, upper, upper + thickness, color=colour, alpha=0.38, linewidth=0)


def _bands(ax: Axes, nodes: dict[str, Node], flows: Sequence[tuple[str, str, int]],
           scale: float) -> None:
    """Each flow as a band: stacked in the order of the nodes at both ends."""
    leaving = {k: n.top + (n.height - n.out) / 2 for k, n in nodes.items()}
    arriving = {k: n.top + (n.height - n.into) / 2 for k, n in nodes.items()}
    for source, target, fen in sorted(flows, key=lambda f: (ORDER.get(f[0], 99),
                                                            ORDER.get(f[1], 99))):
        thickness = max(fen * scale, THINNEST)
        start = COLUMNS[nodes[source].column][0] + BAR
        end = COLUMNS[nodes[target].column][0]
        colour = COLOURS.get(target if nodes[source].key == "foundation" else source, MUTED)
        _band(ax, (start, end), (leaving[source], arriving[target]), thickness, colour)
        leaving[source] += thickness
        arriving[target] += thickness


def _node(ax: Axes, node: Node) -> None:
    left, anchor, align, _ = COLUMNS[node.column]
    ax.add_patch(Rectangle((left, node.top), BAR, node.height, linewidth=0,
                           color=COLOURS.get(node.key, MUTED)))
    above = node.column == 1
    ax.text(anchor, node.top - 2 if above else node.top + node.height / 2,
            "\n".join(node.lines), ha=align, va="bottom" if above else "center",
            multialignment=align, color=INK, linespacing=1.25, fontsize=FONT,
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.88})


def flow_chart(flows: Iterable[Flow], lang: str, *, prefix: str, label: str, empty: str
               ) -> str:
    """The year's flows: deposits -> operating / foundation, sources -> foundation ->
    grants / repairs / administration / kept, as inline SVG."""
    found = [(f.source, f.target, to_minor(f.amount)) for f in flows if f.amount.amount > 0]
    with _STYLED, matplotlib.rc_context(STYLE):
        if not found:
            return inline_svg(_empty(empty), prefix, label)
        nodes = _nodes(found, lang)
        height, scale = _layout(nodes, found)
        figure = Figure(figsize=(WIDTH / 72, height / 72))
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        _bands(ax, nodes, found, scale)
        for node in nodes.values():
            _node(ax, node)
        return inline_svg(_svg(figure), prefix, label)


# --- the monthly trend ------------------------------------------------------------------------
INCOME, SPENDING = "#1f4e79", "#c25e00"
TREND_HEIGHT = 236.0


def trend_chart(months: Sequence[Month], lang: str, *, prefix: str, label: str,
                names: tuple[str, str, str], empty: str) -> str:
    """Income and spending of each month (both entities) as grouped bars; `names` are the
    legend's two entries and the axis's title."""
    income = [to_minor(m.income) for m in months]
    spending = [to_minor(m.spending) for m in months]
    with _STYLED, matplotlib.rc_context(STYLE):
        if not any(income) and not any(spending):
            return inline_svg(_empty(empty), prefix, label)
        figure = Figure(figsize=(WIDTH / 72, TREND_HEIGHT / 72))
        figure.subplots_adjust(left=58 / WIDTH, right=1 - 6 / WIDTH, top=1 - 34 / TREND_HEIGHT,
                               bottom=40 / TREND_HEIGHT)
        ax = figure.add_subplot()
        rows = np.arange(len(months))
        ax.bar(rows - 0.21, income, width=0.4, color=INCOME, label=names[0])
        ax.bar(rows + 0.21, spending, width=0.4, color=SPENDING, label=names[1])
        _trend_axes(ax, [m.label[-2:].lstrip("0") for m in months], names[2])
        return inline_svg(_svg(figure), prefix, label)


def _trend_axes(ax: Axes, ticks: list[str], title: str) -> None:
    ax.set_xticks(range(len(ticks)), ticks, fontsize=FONT - 1)
    ax.set_xlim(-0.6, len(ticks) - 0.4)
    ax.set_xlabel(title, fontsize=FONT - 1, color=MUTED, labelpad=2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda fen, _: f"{round(fen / 100):,}"))
    ax.tick_params(axis="y", labelsize=FONT - 1.5, length=0, colors=INK)
    ax.tick_params(axis="x", length=0, colors=INK)
    ax.grid(axis="y", color="#c4ccd2", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.axhline(0, color="#333333", linewidth=0.8)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower left", bbox_to_anchor=(-0.18, 1.0), ncols=2, frameon=False,
              fontsize=FONT, handlelength=1.2, borderaxespad=0.4, columnspacing=1.2)


# --- SVG --------------------------------------------------------------------------------------
def _empty(text: str) -> str:
    figure = Figure(figsize=(WIDTH / 72, 60 / 72))
    figure.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, fontsize=FONT)
    return _svg(figure)


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, transparent=True)
    return out.getvalue()


_URL = re.compile(r"url\(#([^)]+)\)")


def inline_svg(svg: str, prefix: str, label: str) -> str:
    """matplotlib's SVG for inline use under a CSP without inline style: no style attributes
    or elements (presentation attributes instead), no size (it scales with its viewBox), only
    the ids something refers to, prefixed; `role="img"` named `label`."""
    root = fromstring(svg)
    used = {m for value in _attribute_values(root) for m in _URL.findall(value)}
    used |= {v[1:] for v in _hrefs(root) if v.startswith("#")}
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}style"):
                parent.remove(child)
    for element in root.iter():
        _restyle(element)
        _rename(element, prefix, used)
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.attrib.update({"role": "img", "aria-label": label, "focusable": "false",
                        "class": "chart-svg", "stroke-linejoin": "round",
                        "stroke-linecap": "butt"})
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def _attribute_values(root: ET.Element) -> Iterable[str]:
    return (value for element in root.iter() for value in element.attrib.values())


def _hrefs(root: ET.Element) -> Iterable[str]:
    for element in root.iter():
        for name in (f"{{{XLINK_NS}}}href", "href"):
            if name in element.attrib:
                yield element.attrib[name]


_FINE = re.compile(r"(\.\d\d)\d+")


def _restyle(element: ET.Element) -> None:
    """Style declarations as presentation attributes; paths to 0.01 of their unit."""
    if "d" in element.attrib:
        element.attrib["d"] = _FINE.sub(r"\1", element.attrib["d"])
    style = element.attrib.pop("style", None)
    if not style:
        return
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            element.attrib[name.strip()] = value.strip()


def _rename(element: ET.Element, prefix: str, used: set[str]) -> None:
    found = element.attrib.pop("id", None)
    if found is not None and found in used:
        element.attrib["id"] = f"{prefix}-{found}"
    for name, value in element.attrib.items():
        if name in (f"{{{XLINK_NS}}}href", "href") and value.startswith("#"):
            element.attrib[name] = f"#{prefix}-{value[1:]}"
        elif "url(#" in value:
            element.attrib[name] = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value)
