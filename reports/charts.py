"""Charts of the statement pack, as SVG made by matplotlib: where the money came from (income
by kind) and where it went (expenses by kind and cash paid out by kind), this period beside
the previous one.

Text is drawn as paths (svg.fonttype = path) in Noto Sans CJK SC (Debian's fonts-noto-cjk),
so the SVG needs no font wherever it is shown and Chinese never turns into boxes. matplotlib
is used through its object-oriented API (no pyplot, no global figure state). Bar lengths are
plotted from integer fen; the labels beside them are the exact amounts, formatted from the
integers, never from floats.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ledger.core.statements import CASH_OUT, EXPENSE_LINES, INCOME_LINES, Statement
from ledger.statements import Pack

from .statement_data import grouped

FONTS = ["Noto Sans CJK SC", "DejaVu Sans"]
THIS, BEFORE = "#1f4e79", "#9dbbd6"
STYLE = {
    "svg.fonttype": "path",  # glyphs as paths: no font needed to show the SVG
    "svg.hashsalt": "huzhu-statements",  # stable ids: the same figures give the same SVG
    "font.family": FONTS,
    "font.size": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.bottom": False,
}
MM = 1 / 25.4  # inches per millimetre
#: rcParams are global: one chart at a time is drawn with them (a threaded server may render
#: two packs at once, and rc_context restores the old values on the way out).
_STYLED = threading.Lock()


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    svg: str


def _label(pack: Pack, lang: str, which: str) -> str:
    period = pack.period if which == "now" else pack.previous
    return f"{'本期' if lang == 'zh' else 'This period'} {period.label}" if which == "now" \
        else f"{'上期' if lang == 'zh' else 'Previous period'} {period.label}"


def _bars(ax: Axes, names: Sequence[str], now: Sequence[int], before: Sequence[int],
          *, labels: tuple[str, str], empty: str) -> None:
    """Horizontal bars, this period above the previous one, each with its exact amount."""
    if not any(now) and not any(before):
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes,
                color="#555")
        ax.set_axis_off()
        return
    height = 0.38
    rows = range(len(names))
    current = ax.barh([r - height / 2 for r in rows], list(now), height=height, color=THIS,
                      label=labels[0])
    previous = ax.barh([r + height / 2 for r in rows], list(before), height=height,
                       color=BEFORE, label=labels[1])
    ax.bar_label(current, labels=[grouped(v) for v in now], padding=2, fontsize=6.5)
    ax.bar_label(previous, labels=[grouped(v) for v in before], padding=2, fontsize=6.5,
                 color="#444")
    ax.set_yticks(list(rows), [textwrap.fill(name, 30 if name.isascii() else 16)
                               for name in names])
    ax.invert_yaxis()
    ax.xaxis.set_visible(False)
    ax.tick_params(axis="y", length=0)
    low_end, high_end = min(0, *now, *before), max(0, *now, *before)
    span = (high_end - low_end) or 1
    # room for the amounts written beside the bars
    ax.set_xlim(low_end - (0.3 * span if low_end < 0 else 0), high_end + 0.32 * span)
    ax.axvline(0, color="#333", linewidth=0.6)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.0), ncols=2, fontsize=6.5,
              frameon=False, borderaxespad=0.3)


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, transparent=True)
    return out.getvalue()


def _chart(key: str, title: str, empty: str, pack: Pack, lang: str, statement: Statement,
           keys: Sequence[str], column: int) -> Chart:
    """One bar chart of these lines of a statement, kinds with nothing in either period
    left out."""
    lines = [line for line in (statement.line(k) for k in keys)
             if line.values[column] or line.previous[column]]
    names = [line.zh if lang == "zh" else line.en for line in lines]
    with _STYLED, matplotlib.rc_context(STYLE):
        height = 18 + 11 * max(len(lines), 1)
        figure = Figure(figsize=(170 * MM, height * MM))
        figure.subplots_adjust(left=0.3, right=0.98, top=1 - 1 / height, bottom=8 / height)
        _bars(figure.add_subplot(), names, [line.values[column] for line in lines],
              [line.previous[column] for line in lines],
              labels=(_label(pack, lang, "now"), _label(pack, lang, "before")), empty=empty)
        return Chart(key, title, _svg(figure))


def pack_charts(pack: Pack, lang: str) -> tuple[Chart, ...]:
    """Where the money came from (income by kind, total column of the statement of
    activities) and where it went (expenses by kind; cash paid out by kind, from the
    cash-flow statement), this period beside the previous one."""
    zh = lang == "zh"
    activities, flows = pack.statement("activities"), pack.statement("cash_flows")
    return (
        _chart("income",
               "资金来源：收入构成" if zh else "Where the money came from: income by kind",
               "本期与上期均无收入" if zh else "No income in either period", pack, lang,
               activities, [k for k, *_ in INCOME_LINES], 2),
        _chart("expenses",
               "资金去向：费用构成" if zh else "Where the money went: expenses by kind",
               "本期与上期均无费用" if zh else "No expenses in either period", pack, lang,
               activities, [k for k, *_ in EXPENSE_LINES], 2),
        _chart("outflows", "资金去向：现金流出构成" if zh
               else "Where the money went: cash paid out by kind",
               "本期与上期均无现金流出" if zh else "No cash paid out in either period", pack,
               lang, flows, [k for k, *_ in CASH_OUT], 0),
    )
