"""Financial statements of a non-profit entity (民间非营利组织会计制度), computed from balances.

Everything here is pure: it takes the figures the database summed for a period (balances at its
start and end, movements inside it, and the cash entries' counterparts) and lays them out as
the statement of financial position (资产负债表), the statement of activities (业务活动表)
and the cash-flow statement (现金流量表, direct method), each with comparative figures. Amounts
are integer fen.

Income and expenses are never closed into net assets by entries, so net assets at a date are
the net-asset accounts plus every income and expense to that date: unrestricted = 3101 +
unrestricted income - expenses; restricted = 3102 + restricted income. Releases of restrictions
(Dr 3102 / Cr 3101) move money between the two columns; in the statement of activities they are
the "restricted released to unrestricted" line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .chart import Account, AccountType, Entity
from .periods import Period

CASH_CODES = ("1001", "1002")


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What the books hold for one entity and period, in fen, on each account's normal side
    (see `AccountBalance.net`); `cash` maps each account that was the counterpart of a cash
    movement to (cash in, cash out) through it."""

    entity: Entity
    period: Period
    chart: Mapping[str, Account]
    opening: Mapping[str, int]
    closing: Mapping[str, int]
    moved: Mapping[str, int]  # net movement inside the period, on the normal side
    cash: Mapping[str, tuple[int, int]]
    #: Restricted net assets released to unrestricted (less restorations): the 3101 side of
    #: entries moving 3101 and 3102 together. None: every movement of 3101 is a release.
    released: int | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a statement; `values` are the columns (fen), `previous` the comparative
    figures. `level` 0 is a heading or total, 1 a detail line."""

    key: str
    zh: str
    en: str
    values: tuple[int, ...]
    previous: tuple[int, ...]
    total: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    key: str
    zh: str
    en: str
    columns: tuple[tuple[str, str], ...]  # (zh, en) of each value column
    lines: tuple[Line, ...]
    checks: tuple[tuple[str, bool], ...] = field(default=())

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.key == key)


def _sum(values: Mapping[str, int], codes: Sequence[str]) -> int:
    return sum(values.get(code, 0) for code in codes)


def _codes(chart: Mapping[str, Account], *, types: Sequence[AccountType],
           prefix: str = "", restricted: bool | None = None) -> list[str]:
    return [a.code for a in chart.values() if a.type in types and a.code.startswith(prefix)
            and (restricted is None or a.restricted is restricted)]


_I, _E = AccountType.INCOME, AccountType.EXPENSE


# --- statement of financial position ----------------------------------------------------------
def _net_assets(chart: Mapping[str, Account], balances: Mapping[str, int]) -> tuple[int, int]:
    unrestricted = (balances.get("3101", 0)
                    + _sum(balances, _codes(chart, types=[_I], restricted=False))
                    - _sum(balances, _codes(chart, types=[_E])))
    restricted = balances.get("3102", 0) + _sum(balances, _codes(chart, types=[_I],
                                                                 restricted=True))
    return unrestricted, restricted


def _position_values(chart: Mapping[str, Account], b: Mapping[str, int]) -> dict[str, int]:
    unrestricted, restricted = _net_assets(chart, b)
    values = {
        "cash": _sum(b, CASH_CODES), "receivables": b.get("1122", 0),
        "payables": b.get("2209", 0), "grants_payable": b.get("220901", 0),
        "unrestricted": unrestricted, "restricted": restricted,
    }
    values["assets"] = values["cash"] + values["receivables"]
    values["liabilities"] = values["payables"] + values["grants_payable"]
    values["net_assets"] = unrestricted + restricted
    values["liabilities_and_net_assets"] = values["liabilities"] + values["net_assets"]
    return values


POSITION_LINES = (
    ("cash", "货币资金", "Cash and bank deposits", False),
    ("receivables", "其他应收款", "Other receivables", False),
    ("assets", "资产合计", "Total assets", True),
    ("payables", "其他应付款", "Other payables", False),
    ("grants_payable", "应付资助款", "Grants payable", False),
    ("liabilities", "负债合计", "Total liabilities", True),
    ("unrestricted", "非限定性净资产", "Unrestricted net assets", False),
    ("restricted", "限定性净资产", "Restricted net assets", False),
    ("net_assets", "净资产合计", "Total net assets", True),
    ("liabilities_and_net_assets", "负债和净资产总计", "Total liabilities and net assets", True),
)


def financial_position(now: PeriodFigures, before: PeriodFigures) -> Statement:
    """资产负债表 at the end of the period, beside the end of the previous period."""
    current = _position_values(now.chart, now.closing)
    previous = _position_values(before.chart, before.closing)
    lines = tuple(Line(key, zh, en, (current[key],), (previous[key],), total)
                  for key, zh, en, total in POSITION_LINES)
    return Statement("position", "资产负债表", "Statement of financial position",
                     (("期末数", "End of period"),), lines,
                     checks=(("assets = liabilities + net assets",
                              current["assets"] == current["liabilities_and_net_assets"]),))


# --- statement of activities ------------------------------------------------------------------
INCOME_LINES = (
    ("donations", "捐赠收入", "Donations", "41"),
    ("dues", "会费收入", "Membership dues (operating share of deposits)", "42"),
    ("government_grants", "政府补助收入", "Government grants", "45"),
    ("other_income", "其他收入", "Other income", "49"),
)
EXPENSE_LINES = (
    ("programme", "业务活动成本", "Programme service costs", "5101"),
    ("administrative", "管理费用", "Administrative expenses", "5201"),
    ("fundraising", "筹资费用", "Fundraising expenses", "5301"),
    ("other_expenses", "其他费用", "Other expenses", "5401"),
)


def _activity_values(f: PeriodFigures) -> dict[str, tuple[int, int]]:
    """(unrestricted, restricted) per line of the statement of activities."""
    values: dict[str, tuple[int, int]] = {}
    for key, _, _, prefix in INCOME_LINES:
        values[key] = (_sum(f.moved, _codes(f.chart, types=[_I], prefix=prefix,
                                            restricted=False)),
                       _sum(f.moved, _codes(f.chart, types=[_I], prefix=prefix,
                                            restricted=True)))
    values["income"] = (sum(values[k][0] for k, *_ in INCOME_LINES),
                        sum(values[k][1] for k, *_ in INCOME_LINES))
    for key, _, _, code in EXPENSE_LINES:
        values[key] = (f.moved.get(code, 0), 0)
    values["expenses"] = (sum(values[k][0] for k, *_ in EXPENSE_LINES), 0)
    released = f.moved.get("3101", 0) if f.released is None else f.released
    values["released"] = (released, -released)
    # net assets moved directly: opening balances, prior-period adjustments
    values["direct"] = (f.moved.get("3101", 0) - released, f.moved.get("3102", 0) + released)
    values["change"] = (values["income"][0] - values["expenses"][0] + sum(
                            v[0] for v in (values["released"], values["direct"])),
                        values["income"][1] + values["released"][1] + values["direct"][1])
    return values


def activities(now: PeriodFigures, before: PeriodFigures) -> Statement:
    """业务活动表: unrestricted, restricted and total columns, with the previous period."""
    current, previous = _activity_values(now), _activity_values(before)
    layout = [*((k, zh, en, False) for k, zh, en, _ in INCOME_LINES),
              ("income", "收入合计", "Total income", True),
              *((k, zh, en, False) for k, zh, en, _ in EXPENSE_LINES),
              ("expenses", "费用合计", "Total expenses", True),
              ("released", "限定性净资产转为非限定性净资产",
               "Net assets released from restriction", False),
              ("direct", "直接计入净资产的变动（期初余额、以前期间调整）",
               "Changes recorded directly in net assets (opening balances, adjustments)",
               False),
              ("change", "净资产变动额", "Change in net assets", True)]

    def three(pair: tuple[int, int]) -> tuple[int, int, int]:
        return pair[0], pair[1], pair[0] + pair[1]

    lines = tuple(Line(key, zh, en, three(current[key]), three(previous[key]), total)
                  for key, zh, en, total in layout)
    start = sum(_net_assets(now.chart, now.opening))
    end = sum(_net_assets(now.chart, now.closing))
    return Statement("activities", "业务活动表", "Statement of activities",
                     (("非限定性", "Unrestricted"), ("限定性", "Restricted"), ("合计", "Total")),
                     lines, checks=(("change in net assets = net assets at the end - at the "
                                     "start", sum(current["change"]) == end - start),))


# --- cash flows (direct method) ---------------------------------------------------------------
CASH_IN = (
    ("donations_received", "接受捐赠收到的现金", "Cash received from donations", ("41",)),
    ("dues_received", "收取会费收到的现金", "Cash received as membership dues", ("42",)),
    ("grants_received", "收到的政府补助", "Cash received as government grants", ("45",)),
    ("bridging_repaid", "收回过桥垫款收到的现金", "Bridging advances repaid", ("1122",)),
    ("other_in", "收到的其他与业务活动有关的现金", "Other cash received", ()),
)
CASH_OUT = (
    ("programme_paid", "业务活动成本及资助款支付的现金",
     "Cash paid for programmes and grants", ("5101", "220901")),
    ("bridging_advanced", "支付过桥垫款的现金", "Bridging advances paid", ("1122",)),
    ("administrative_paid", "支付的管理费用", "Cash paid for administration", ("5201",)),
    ("other_out", "支付的其他与业务活动有关的现金", "Other cash paid", ()),
)
#: Income accounts report cash net of refunds (a refund reduces the receipt); others gross.
_NETTED = ("41", "42", "45")


def _matches(code: str, prefixes: Sequence[str]) -> bool:
    return any(code == p or (len(p) == 2 and code.startswith(p)) for p in prefixes)


def _cash_values(f: PeriodFigures) -> dict[str, int]:
    values = {key: 0 for key, *_ in (*CASH_IN, *CASH_OUT)}
    for code, (cash_in, cash_out) in f.cash.items():
        if _matches(code, _NETTED):
            line = next(k for k, _, _, p in CASH_IN if _matches(code, p))
            values[line] += cash_in - cash_out
            continue
        incoming = next((k for k, _, _, p in CASH_IN if _matches(code, p)), "other_in")
        outgoing = next((k for k, _, _, p in CASH_OUT if _matches(code, p)), "other_out")
        values[incoming] += cash_in
        values[outgoing] += cash_out
    values["inflows"] = sum(values[k] for k, *_ in CASH_IN)
    values["outflows"] = sum(values[k] for k, *_ in CASH_OUT)
    values["operating"] = values["inflows"] - values["outflows"]
    values["investing"] = values["financing"] = 0
    values["net"] = values["operating"]
    values["opening_cash"] = _sum(f.opening, CASH_CODES)
    values["closing_cash"] = _sum(f.closing, CASH_CODES)
    return values


def cash_flows(now: PeriodFigures, before: PeriodFigures) -> Statement:
    """现金流量表 (direct method): every cash movement by what it paid for or came from."""
    current, previous = _cash_values(now), _cash_values(before)
    layout = [*((k, zh, en, False) for k, zh, en, _ in CASH_IN),
              ("inflows", "现金流入小计", "Cash inflows", True),
              *((k, zh, en, False) for k, zh, en, _ in CASH_OUT),
              ("outflows", "现金流出小计", "Cash outflows", True),
              ("operating", "业务活动产生的现金流量净额", "Net cash from operating activities",
               True),
              ("investing", "投资活动产生的现金流量净额", "Net cash from investing activities",
               True),
              ("financing", "筹资活动产生的现金流量净额", "Net cash from financing activities",
               True),
              ("net", "现金及现金等价物净增加额", "Net increase in cash", True),
              ("opening_cash", "期初现金余额", "Cash at the start of the period", False),
              ("closing_cash", "期末现金余额", "Cash at the end of the period", True)]
    lines = tuple(Line(key, zh, en, (current[key],), (previous[key],), total)
                  for key, zh, en, total in layout)
    return Statement("cash_flows", "现金流量表", "Cash-flow statement",
                     (("本期金额", "This period"),), lines,
                     checks=(("cash at the start + net increase = cash at the end",
                              current["opening_cash"] + current["net"]
                              == current["closing_cash"]),))


# --- charity spending ratios ------------------------------------------------------------------
#: The rule of the Charity Law's implementing measures (2016) for foundations with public
#: fundraising status: charitable spending at least 70 % of the previous year's income;
#: administrative costs at most 10 % of the year's spending.
MIN_CHARITABLE_SHARE = Decimal("0.70")
MAX_ADMIN_SHARE = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class SpendingRatios:
    charitable_spending: int  # programme costs of the year (to the period's end)
    previous_year_income: int
    total_spending: int
    administrative: int

    @property
    def charitable_ratio(self) -> Decimal | None:
        if self.previous_year_income <= 0:
            return None
        return (Decimal(self.charitable_spending) / self.previous_year_income).quantize(
            Decimal("0.0001"))

    @property
    def admin_ratio(self) -> Decimal | None:
        if self.total_spending <= 0:
            return None
        return (Decimal(self.administrative) / self.total_spending).quantize(Decimal("0.0001"))

    @property
    def charitable_ok(self) -> bool | None:
        ratio = self.charitable_ratio
        return None if ratio is None else ratio >= MIN_CHARITABLE_SHARE

    @property
    def admin_ok(self) -> bool | None:
        ratio = self.admin_ratio
        return None if ratio is None else ratio <= MAX_ADMIN_SHARE


def spending_ratios(year_to_date: PeriodFigures, previous_year: PeriodFigures
                    ) -> SpendingRatios:
    chart = year_to_date.chart
    expenses = _codes(chart, types=[_E])
    return SpendingRatios(
        charitable_spending=year_to_date.moved.get("5101", 0),
        previous_year_income=_sum(previous_year.moved, _codes(chart, types=[_I])),
        total_spending=_sum(year_to_date.moved, expenses),
        administrative=year_to_date.moved.get("5201", 0))
