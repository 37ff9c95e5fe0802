"""ledger.core.statements: the statements of a non-profit entity from PeriodFigures built by
hand from entries (no database): every line of a small set of books worked out by hand, the
spending ratios and their limits, and a property: for any balanced entries over the
foundation's chart, the three statements' own checks hold and agree with sums by hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.chart import AccountType, Side, chart_of
from ledger.core.chart import entity as known_entity
from ledger.core.periods import Period, month, year
from ledger.core.statements import (
    CASH_CODES,
    PeriodFigures,
    SpendingRatios,
    Statement,
    activities,
    cash_flows,
    financial_position,
    spending_ratios,
)

CHART = chart_of("foundation")
NET_ASSETS = ("3101", "3102")
#: Every account of the foundation but the net-asset ones (moved only by releases here).
ACCOUNTS = tuple(code for code in CHART if code not in NET_ASSETS)


@dataclass(frozen=True)
class Entry:
    on: date
    lines: tuple[tuple[str, int, int], ...]  # (account, debit, credit) in fen


def entry(on: date, *lines: tuple[str, int, int]) -> Entry:
    found = Entry(on, tuple(lines))
    assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
    return found


def figures(entries: Sequence[Entry], period: Period, entity: str = "foundation"
            ) -> PeriodFigures:
    """What ledger.db.statements sums, summed here by hand from the entries."""
    chart = chart_of(entity)
    opening: dict[str, int] = defaultdict(int)
    closing: dict[str, int] = defaultdict(int)
    moved: dict[str, int] = defaultdict(int)
    cash: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    released = 0  # the 3101 side of entries that move 3101 and 3102 together
    for e in entries:
        inside = period.starts_on <= e.on <= period.ends_on
        moves_cash = any(code in CASH_CODES for code, _, _ in e.lines)
        if inside and {code for code, _, _ in e.lines} >= set(NET_ASSETS):
            released += sum(credit - debit for code, debit, credit in e.lines if code == "3101")
        for code, debit, credit in e.lines:
            value = debit - credit if chart[code].normal_side is Side.DEBIT else credit - debit
            if e.on < period.starts_on:
                opening[code] += value
            if e.on <= period.ends_on:
                closing[code] += value
            if inside:
                moved[code] += value
                if moves_cash and code not in CASH_CODES:
                    cash[code][0] += credit
                    cash[code][1] += debit
    return PeriodFigures(entity=known_entity(entity), period=period, chart=chart,
                         opening=dict(opening), closing=dict(closing), moved=dict(moved),
                         cash={code: (i, o) for code, (i, o) in cash.items()},
                         released=released)


def three(entries: Sequence[Entry], period: Period) -> tuple[Statement, Statement, Statement]:
    now, before = figures(entries, period), figures(entries, period.previous())
    return (financial_position(now, before), activities(now, before), cash_flows(now, before))


def values(statement: Statement) -> dict[str, tuple[int, ...]]:
    return {line.key: line.values for line in statement.lines}


# --- a small set of books by hand -------------------------------------------------------------
BOOKS = (
    entry(date(2025, 12, 20), ("1002", 100_000, 0), ("450101", 0, 100_000)),  # last year
    entry(date(2026, 1, 5), ("1002", 50_000, 0), ("410102", 0, 50_000)),  # restricted gift
    entry(date(2026, 1, 6), ("1001", 3_000, 0), ("410101", 0, 3_000)),  # cash donation
    entry(date(2026, 1, 7), ("410101", 500, 0), ("1001", 0, 500)),  # part refunded
    entry(date(2026, 1, 10), ("3102", 20_000, 0), ("3101", 0, 20_000)),  # released
    entry(date(2026, 1, 12), ("5101", 30_000, 0), ("220901", 0, 30_000)),  # grant committed
    entry(date(2026, 1, 15), ("220901", 10_000, 0), ("1002", 0, 10_000)),  # a tranche
    entry(date(2026, 1, 20), ("5201", 1_200, 0), ("1002", 0, 1_200)),  # administration
    entry(date(2026, 1, 21), ("1122", 4_000, 0), ("1002", 0, 4_000)),  # advanced
    entry(date(2026, 1, 25), ("5301", 300, 0), ("2209", 0, 300)),  # fundraising, unpaid
    entry(date(2026, 1, 26), ("1002", 2_000, 0), ("1001", 0, 2_000)),  # cash banked
    entry(date(2026, 1, 28), ("1002", 700, 0), ("490101", 0, 700)),  # other income
    entry(date(2026, 2, 3), ("1002", 9_999, 0), ("450102", 0, 9_999)),  # next month
)


def test_a_month_of_books_by_hand() -> None:
    position, acts, cash = three(BOOKS, month(2026, 1))
    assert values(position) == {
        "cash": (138_000,), "receivables": (4_000,), "assets": (142_000,),
        "payables": (300,), "grants_payable": (20_000,), "liabilities": (20_300,),
        "unrestricted": (91_700,), "restricted": (30_000,), "net_assets": (121_700,),
        "liabilities_and_net_assets": (142_000,)}
    assert {line.key: line.previous for line in position.lines}["cash"] == (100_000,)
    assert values(acts) == {
        "donations": (2_500, 50_000, 52_500), "dues": (0, 0, 0),
        "government_grants": (0, 0, 0), "other_income": (700, 0, 700),
        "income": (3_200, 50_000, 53_200), "programme": (30_000, 0, 30_000),
        "administrative": (1_200, 0, 1_200), "fundraising": (300, 0, 300),
        "other_expenses": (0, 0, 0), "expenses": (31_500, 0, 31_500),
        "released": (20_000, -20_000, 0), "direct": (0, 0, 0),
        "change": (-8_300, 30_000, 21_700)}
    assert values(cash) == {
        "donations_received": (52_500,), "dues_received": (0,), "grants_received": (0,),
        "bridging_repaid": (0,), "other_in": (700,), "inflows": (53_200,),
        "programme_paid": (10_000,), "bridging_advanced": (4_000,),
        "administrative_paid": (1_200,), "other_out": (0,), "outflows": (15_200,),
        "operating": (38_000,), "investing": (0,), "financing": (0,), "net": (38_000,),
        "opening_cash": (100_000,), "closing_cash": (138_000,)}
    for statement in (position, acts, cash):
        assert all(ok for _, ok in statement.checks), statement.checks


def test_comparatives_are_the_previous_periods_own_figures() -> None:
    for period in (month(2026, 2), year(2026), month(2026, 1)):
        now = three(BOOKS, period)
        before = three(BOOKS, period.previous())
        for this, that in zip(now, before, strict=True):
            assert {line.key: line.previous for line in this.lines} == values(that)


# --- spending ratios --------------------------------------------------------------------------
@pytest.mark.parametrize(("ratios", "charitable", "charitable_ok", "admin", "admin_ok"), [
    (SpendingRatios(70, 100, 100, 10), Decimal("0.7000"), True, Decimal("0.1000"), True),
    (SpendingRatios(6_999, 10_000, 10_000, 1_001), Decimal("0.6999"), False,
     Decimal("0.1001"), False),
    (SpendingRatios(200, 100, 250, 0), Decimal("2.0000"), True, Decimal("0.0000"), True),
    (SpendingRatios(1, 3, 3, 1), Decimal("0.3333"), False, Decimal("0.3333"), False),
    (SpendingRatios(2, 3, 3, 2), Decimal("0.6667"), False, Decimal("0.6667"), False),
    (SpendingRatios(100, 0, 0, 0), None, None, None, None),  # no income last year
    (SpendingRatios(100, -50, 100, 5), None, None, Decimal("0.0500"), True),  # refunds
])
def test_spending_ratios(ratios: SpendingRatios, charitable: Decimal | None,
                         charitable_ok: bool | None, admin: Decimal | None,
                         admin_ok: bool | None) -> None:
    assert (ratios.charitable_ratio, ratios.charitable_ok, ratios.admin_ratio,
            ratios.admin_ok) == (charitable, charitable_ok, admin, admin_ok)


def test_spending_ratios_from_figures() -> None:
    this_year = figures(BOOKS, Period(date(2026, 1, 1), date(2026, 2, 28)))
    last_year = figures(BOOKS, year(2025))
    found = spending_ratios(this_year, last_year)
    # programme 30,000 of last year's income 100,000; administration 1,200 of 31,500 spent
    assert found == SpendingRatios(charitable_spending=30_000, previous_year_income=100_000,
                                   total_spending=31_500, administrative=1_200)
    assert (found.charitable_ratio, found.admin_ratio) == (Decimal("0.3000"),
                                                           Decimal("0.0381"))
    none = spending_ratios(figures(BOOKS, year(2025)), figures(BOOKS, year(2024)))
    assert (none.previous_year_income, none.charitable_ratio, none.charitable_ok) == (
        0, None, None)
    assert (none.total_spending, none.admin_ratio) == (0, None)


# --- the property -----------------------------------------------------------------------------
START, END = date(2025, 11, 1), date(2026, 4, 30)
amounts = st.integers(min_value=1, max_value=10_000_000)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    on = START + timedelta(days=draw(st.integers(0, (END - START).days)))
    if draw(st.integers(0, 5)) == 0:  # a release of a restriction, or its restoration
        amount = draw(amounts)
        first, second = draw(st.permutations(NET_ASSETS))
        return entry(on, (first, amount, 0), (second, 0, amount))
    debits = draw(st.lists(st.tuples(st.sampled_from(ACCOUNTS), amounts), min_size=1,
                           max_size=3))
    total = sum(a for _, a in debits)
    count = draw(st.integers(1, min(3, total)))
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=count - 1,
                               max_size=count - 1))) if count > 1 else []
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    credits = [(draw(st.sampled_from(ACCOUNTS)), part) for part in parts]
    return entry(on, *((code, a, 0) for code, a in debits),
                 *((code, 0, a) for code, a in credits))


def net_assets(balances: dict[str, int]) -> int:
    """By hand: net-asset accounts, plus income, less expenses (normal sides)."""
    return sum(value * (-1 if CHART[code].type is AccountType.EXPENSE else 1)
               for code, value in balances.items()
               if CHART[code].type not in (AccountType.ASSET, AccountType.LIABILITY))


@given(st.lists(entries(), max_size=25), st.sampled_from([month(2026, 2), month(2026, 3),
                                                          year(2026), month(2025, 12)]))
@settings(max_examples=50, deadline=None)
def test_the_statements_always_tie(books: list[Entry], period: Period) -> None:
    now = figures(books, period)
    position, acts, cash = three(books, period)
    for statement in (position, acts, cash):
        assert all(ok for _, ok in statement.checks), (statement.key, statement.checks)
    line = {s.key: {x.key: x for x in s.lines} for s in (position, acts, cash)}
    # assets = liabilities + net assets, each summed by hand from the balances
    assets = sum(v for c, v in now.closing.items() if CHART[c].type is AccountType.ASSET)
    liabilities = sum(v for c, v in now.closing.items()
                      if CHART[c].type is AccountType.LIABILITY)
    assert line["position"]["assets"].values == (assets,)
    assert line["position"]["liabilities"].values == (liabilities,)
    assert line["position"]["net_assets"].values == (net_assets(now.closing),)
    assert assets == liabilities + net_assets(now.closing)
    # the change in net assets, both columns against the balance sheet
    change = line["activities"]["change"].values
    assert change[2] == net_assets(now.closing) - net_assets(now.opening)
    assert change[0] == (line["position"]["unrestricted"].values[0]
                         - line["position"]["unrestricted"].previous[0])
    assert change[1] == (line["position"]["restricted"].values[0]
                         - line["position"]["restricted"].previous[0])
    released = sum(credit - debit for e in books if e.on in period
                   for code, debit, credit in e.lines if code == "3101")
    assert line["activities"]["released"].values == (released, -released, 0)
    # cash: the net flow is the change in cash and bank; inflows less outflows
    in_cash = sum(v for c, v in now.closing.items() if c in CASH_CODES)
    before_cash = sum(v for c, v in now.opening.items() if c in CASH_CODES)
    assert line["cash_flows"]["net"].values == (in_cash - before_cash,)
    assert line["cash_flows"]["closing_cash"].values == line["position"]["cash"].values
    assert (line["cash_flows"]["inflows"].values[0] - line["cash_flows"]["outflows"].values[0]
            == line["cash_flows"]["net"].values[0])


def test_an_opening_balance_in_the_period_keeps_the_activities_check() -> None:
    books = (entry(date(2026, 1, 1), ("1002", 540_000_000, 0), ("3101", 0, 540_000_000)),
             entry(date(2026, 1, 15), ("1002", 100_000, 0), ("450101", 0, 100_000)))
    position, acts, cash = three(books, month(2026, 1))
    assert all(ok for _, ok in position.checks)
    assert all(ok for _, ok in cash.checks)
    assert acts.line("released").values == (0, 0, 0)  # nothing was restricted
    assert all(ok for _, ok in acts.checks), acts.checks
