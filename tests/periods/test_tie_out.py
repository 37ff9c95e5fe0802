"""The statements of real books tie out, on SQLite and on PostgreSQL: a year of both entities'
books is recorded through the use cases (see `build_year`) and every line of the statement of
financial position, the statement of activities and the cash-flow statement is checked
against figures worked out by hand, against the trial balance, against each other (the change
in net assets, the change in cash), against the previous period's own statements (the
comparative figures) and month by month against the year. Amounts are in fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger import books, foundation
from ledger.core.periods import PeriodStatus, month, parse_period, year
from ledger.core.statements import Statement, activities, cash_flows, financial_position
from ledger.db import statements as statements_db
from ledger.db.journal import EntryFilter
from ledger.db.session import Session
from ledger.statements import Pack, statement_pack

from .helpers import Books, Year, build_year, fen

UNRESTRICTED_INCOME = ("410101", "410103", "420101", "450101", "490101")
RESTRICTED_INCOME = ("410102", "450102")
EXPENSES = ("5101", "5201", "5301", "5401")


@pytest.fixture
def books_of_a_year(bk: Books) -> Year:
    return build_year(bk)


def values(statement: Statement) -> dict[str, tuple[int, ...]]:
    return {line.key: line.values for line in statement.lines}


def previous(statement: Statement) -> dict[str, tuple[int, ...]]:
    return {line.key: line.previous for line in statement.lines}


def one(**lines: str) -> dict[str, tuple[int, ...]]:
    """Lines of a one-column statement, from amounts in yuan."""
    return {key: (fen(amount),) for key, amount in lines.items()}


def position(**lines: str) -> dict[str, tuple[int, ...]]:
    found = {key: (0,) for key in ("cash", "receivables", "assets", "payables",
                                   "grants_payable", "liabilities", "unrestricted",
                                   "restricted", "net_assets", "liabilities_and_net_assets")}
    return found | one(**lines)


def flows(**lines: str) -> dict[str, tuple[int, ...]]:
    found = {key: (0,) for key in (
        "donations_received", "dues_received", "grants_received", "bridging_repaid",
        "other_in", "inflows", "programme_paid", "bridging_advanced", "administrative_paid",
        "other_out", "outflows", "operating", "investing", "financing", "net", "opening_cash",
        "closing_cash")}
    return found | one(**lines)


def activity(**lines: tuple[str, str]) -> dict[str, tuple[int, ...]]:
    """Lines of the statement of activities from (unrestricted, restricted) in yuan; the
    total column is their sum."""
    found = {key: (0, 0, 0) for key in (
        "donations", "dues", "government_grants", "other_income", "income", "programme",
        "administrative", "fundraising", "other_expenses", "expenses", "released", "direct",
        "change")}
    for key, (unrestricted, restricted) in lines.items():
        found[key] = (fen(unrestricted), fen(restricted), fen(unrestricted) + fen(restricted))
    return found


def from_trial_balance(pack: Pack) -> dict[str, tuple[int, ...]]:
    """The statement of financial position summed by hand from the pack's trial balance."""
    net = {line.account.code: line.debits - line.credits for line in pack.trial_balance.lines}
    assert pack.trial_balance.balanced
    assert pack.trial_balance.as_of == pack.period.ends_on

    def total(codes: tuple[str, ...]) -> int:
        return sum(net.get(code, 0) for code in codes)

    cash, receivables = total(("1001", "1002")), total(("1122",))
    payables, grants_payable = -total(("2209",)), -total(("220901",))
    unrestricted = -total(("3101",)) - total(UNRESTRICTED_INCOME) - total(EXPENSES)
    restricted = -total(("3102",)) - total(RESTRICTED_INCOME)
    return {"cash": (cash,), "receivables": (receivables,), "assets": (cash + receivables,),
            "payables": (payables,), "grants_payable": (grants_payable,),
            "liabilities": (payables + grants_payable,), "unrestricted": (unrestricted,),
            "restricted": (restricted,), "net_assets": (unrestricted + restricted,),
            "liabilities_and_net_assets": (payables + grants_payable + unrestricted
                                           + restricted,)}


def checks_hold(pack: Pack) -> None:
    for statement in pack.statements:
        assert statement.checks, statement.key
        assert all(ok for _, ok in statement.checks), (statement.key, statement.checks)


def ties_together(pack: Pack) -> None:
    """The three statements agree with each other: assets = liabilities + net assets; the
    change in net assets is the change on the balance sheet; the net cash flow is the change
    in cash and bank, which is the balance sheet's cash."""
    checks_hold(pack)
    where = pack.statement("position").line
    assert where("assets").values == where("liabilities_and_net_assets").values
    change = pack.statement("activities").line("change")
    assert change.values[2] == where("net_assets").values[0] - where("net_assets").previous[0]
    assert change.values[0] == (where("unrestricted").values[0]
                                - where("unrestricted").previous[0])
    assert change.values[1] == where("restricted").values[0] - where("restricted").previous[0]
    cash = pack.statement("cash_flows").line
    assert cash("net").values[0] == where("cash").values[0] - where("cash").previous[0]
    assert cash("closing_cash").values == where("cash").values
    assert cash("opening_cash").values == where("cash").previous


def test_the_foundations_year(bk: Books, books_of_a_year: Year) -> None:
    pack = statement_pack(bk.uow, "foundation", "2026")
    assert (pack.period, pack.previous, pack.state.status) == (year(2026), year(2025),
                                                               PeriodStatus.OPEN)
    assert [s.key for s in pack.statements] == ["position", "activities", "cash_flows"]
    ties_together(pack)

    # --- 资产负债表: cash 1002 802,850.00 + 1001 150.00 (the household that paid cash) --------
    balances = bk.balances("foundation", date(2026, 12, 31))
    assert (balances["1001"], balances["1002"]) == (fen("150.00"), fen("802850.00"))
    sheet = pack.statement("position")
    assert values(sheet) == position(
        cash="803000.00", assets="803000.00", grants_payable="60000.00",
        liabilities="60000.00", unrestricted="723000.00", restricted="20000.00",
        net_assets="743000.00", liabilities_and_net_assets="803000.00")
    assert previous(sheet) == position(
        cash="270000.00", assets="270000.00", unrestricted="270000.00",
        net_assets="270000.00", liabilities_and_net_assets="270000.00")
    assert values(sheet) == from_trial_balance(pack)

    # --- 业务活动表 ---------------------------------------------------------------------------
    # income: 245,000.00 from the fund + 300,000.00 fiscal (unrestricted); 50,000.00 + 600.00
    # restricted donations (the purpose, the households); 400.00 restricted subsidy
    # expenses: the grant 120,000.00 and the contractor 1,000.00; the voucher's 2,000.00
    # released: 30,000.00 by hand and 1,000.00 as the contractor was paid
    acts = pack.statement("activities")
    assert values(acts) == activity(
        donations=("245000.00", "50600.00"), government_grants=("300000.00", "400.00"),
        income=("545000.00", "51000.00"), programme=("121000.00", "0.00"),
        administrative=("2000.00", "0.00"), expenses=("123000.00", "0.00"),
        released=("31000.00", "-31000.00"), change=("453000.00", "20000.00"))
    assert previous(acts) == activity(
        donations=("70000.00", "0.00"), government_grants=("200000.00", "0.00"),
        income=("270000.00", "0.00"), change=("270000.00", "0.00"))
    # the released line is every release posted in the year (Dr 3102 / Cr 3101)
    by_hand = sum(r.amount.amount * (-1 if r.restored else 1)
                  for r in foundation.releases(bk.uow)
                  if r.released_on.year == 2026)
    assert by_hand == Decimal("30000.00")  # the campaign's release is its own record
    posted = books.find_entries(bk.uow, EntryFilter(
        entity="foundation", account="3101", date_from=date(2026, 1, 1),
        date_to=date(2026, 12, 31)), limit=100)
    released = sum(p.credit_minor - p.debit_minor for e in posted for p in e.postings
                   if p.account == "3101")
    assert len(posted) == 2
    assert acts.line("released").values == (released, -released, 0) == (fen("31000.00"),
                                                                         -fen("31000.00"), 0)

    # --- 现金流量表 ---------------------------------------------------------------------------
    cash = pack.statement("cash_flows")
    assert values(cash) == flows(
        donations_received="295600.00", grants_received="300400.00", inflows="596000.00",
        programme_paid="61000.00", administrative_paid="2000.00", outflows="63000.00",
        operating="533000.00", net="533000.00", opening_cash="270000.00",
        closing_cash="803000.00")
    assert previous(cash) == flows(
        donations_received="70000.00", grants_received="200000.00", inflows="270000.00",
        operating="270000.00", net="270000.00", closing_cash="270000.00")
    the_foundations_spending_ratios(bk)


def test_the_funds_year_its_months_and_the_comparatives(bk: Books, books_of_a_year: Year
                                                       ) -> None:
    pack = statement_pack(bk.uow, "fund", "2026")
    ties_together(pack)
    sheet = pack.statement("position")
    # cash 30,000 + 350,000 - 245,000 - 100,000 + 100,000 - 5,000 - 50,000; the second advance
    assert values(sheet) == position(
        cash="80000.00", receivables="50000.00", assets="130000.00", unrestricted="130000.00",
        net_assets="130000.00", liabilities_and_net_assets="130000.00")
    assert previous(sheet) == position(
        cash="30000.00", assets="30000.00", unrestricted="30000.00", net_assets="30000.00",
        liabilities_and_net_assets="30000.00")
    assert values(sheet) == from_trial_balance(pack)
    assert values(pack.statement("activities")) == activity(
        dues=("105000.00", "0.00"), income=("105000.00", "0.00"),
        administrative=("5000.00", "0.00"), expenses=("5000.00", "0.00"),
        change=("100000.00", "0.00"))
    # the deposit's 245,000.00 comes in as a payable and goes out to the foundation: both in
    # the other lines; the advances out and back by their own lines
    assert values(pack.statement("cash_flows")) == flows(
        dues_received="105000.00", bridging_repaid="100000.00", other_in="245000.00",
        inflows="450000.00", bridging_advanced="150000.00", administrative_paid="5000.00",
        other_out="245000.00", outflows="400000.00", operating="50000.00", net="50000.00",
        opening_cash="30000.00", closing_cash="80000.00")

    # --- February: the first advance is out; March: it is back ---------------------------------
    february = statement_pack(bk.uow, "fund", "2026-02")
    ties_together(february)
    assert (february.period, february.previous) == (month(2026, 2), month(2026, 1))
    assert values(february.statement("position")) == position(
        cash="35000.00", receivables="100000.00", assets="135000.00",
        unrestricted="135000.00", net_assets="135000.00",
        liabilities_and_net_assets="135000.00")
    assert values(february.statement("cash_flows")) == flows(
        bridging_advanced="100000.00", outflows="100000.00", operating="-100000.00",
        net="-100000.00", opening_cash="135000.00", closing_cash="35000.00")
    assert values(february.statement("activities")) == activity()
    march = statement_pack(bk.uow, "fund", "2026-03")
    assert values(march.statement("cash_flows")) == flows(
        bridging_repaid="100000.00", inflows="100000.00", operating="100000.00",
        net="100000.00", opening_cash="35000.00", closing_cash="135000.00")
    for entity in ("fund", "foundation"):
        comparatives_and_months_add_up_to_the_year(bk, entity)


def comparatives_and_months_add_up_to_the_year(bk: Books, entity: str) -> None:
    """The comparative figures are the previous period's own statement; the months' flows add
    up to the year's, each month opening where the one before closed."""
    def statements(label: str) -> dict[str, Statement]:
        period = parse_period(label)

        def work(session: Session) -> dict[str, Statement]:
            now = statements_db.period_figures(session, entity, period)
            before = statements_db.period_figures(session, entity, period.previous())
            return {s.key: s for s in (financial_position(now, before),
                                       activities(now, before), cash_flows(now, before))}

        return bk.uow.read(work)

    whole, last_year = statements("2026"), statements("2025")
    for key, statement in whole.items():
        assert all(ok for _, ok in statement.checks), (key, statement.checks)
        assert previous(statement) == values(last_year[key]), key

    months = [statements(f"2026-{n:02d}") for n in range(1, 13)]
    for before, after in zip([statements("2025-12"), *months], months, strict=False):
        for key in ("position", "activities", "cash_flows"):
            assert all(ok for _, ok in after[key].checks), (key, after[key].checks)
            assert previous(after[key]) == values(before[key]), key
        assert (after["cash_flows"].line("opening_cash").values
                == before["cash_flows"].line("closing_cash").values)
    for key in ("activities", "cash_flows"):
        for line in whole[key].lines:
            if line.key in ("opening_cash", "closing_cash"):
                continue
            summed = tuple(sum(column) for column in zip(
                *(m[key].line(line.key).values for m in months), strict=True))
            assert summed == line.values, (key, line.key)
    assert (months[0]["cash_flows"].line("opening_cash").values
            == whole["cash_flows"].line("opening_cash").values)
    assert values(months[-1]["position"]) == values(whole["position"])
    assert any(values(m["activities"]) != values(months[0]["activities"]) for m in months)


def the_foundations_spending_ratios(bk: Books) -> None:
    # the year: programme costs 121,000.00 of the previous year's income of 270,000.00;
    # administrative 2,000.00 of the year's spending of 123,000.00
    ratios = statement_pack(bk.uow, "foundation", "2026").ratios
    assert ratios is not None
    assert (ratios.charitable_spending, ratios.previous_year_income, ratios.total_spending,
            ratios.administrative) == (fen("121000.00"), fen("270000.00"), fen("123000.00"),
                                       fen("2000.00"))
    assert (ratios.charitable_ratio, ratios.admin_ratio) == (Decimal("0.4481"),
                                                             Decimal("0.0163"))
    assert (ratios.charitable_ok, ratios.admin_ok) == (False, True)
    # a month reports the year to its end: June holds the grant and the voucher, not the
    # campaign's contractor
    june = statement_pack(bk.uow, "foundation", "2026-06").ratios
    assert june is not None
    assert (june.charitable_spending, june.previous_year_income, june.total_spending,
            june.administrative) == (fen("120000.00"), fen("270000.00"), fen("122000.00"),
                                     fen("2000.00"))
    assert (june.charitable_ratio, june.admin_ratio) == (Decimal("0.4444"), Decimal("0.0164"))
    # 2025 had no previous year's income and no spending: no ratio, no verdict
    first = statement_pack(bk.uow, "foundation", "2025").ratios
    assert first is not None
    assert (first.previous_year_income, first.total_spending) == (0, 0)
    assert (first.charitable_ratio, first.charitable_ok, first.admin_ratio,
            first.admin_ok) == (None, None, None, None)
    # the fund reports no charity ratios
    assert statement_pack(bk.uow, "fund", "2026").ratios is None
