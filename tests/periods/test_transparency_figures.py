"""The public figures of a year (ledger.transparency, issue 8) tie to the books, on SQLite and
on PostgreSQL: income by source adds up to the foundation's income accounts, the 30/70 split
to the deposits, the flow chart balances at every node, the months add up to the year, and
nothing names a household or an anonymous donor."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from ledger import transparency as public
from ledger.core.grants import IncomeSource, Restriction
from ledger.core.money import from_minor
from ledger.core.periods import year
from ledger.db import statements as statements_db

from .helpers import Books, fen, yuan

YEAR = 2026
SECRET_DONOR = "隐名捐赠人王某某"


@pytest.fixture
def books(bk: Books) -> Books:
    """A year of both books: two deposits and the transfer of the 70 %, income from four
    sources (one donor anonymous), a grant with its first tranche paid, a repair campaign
    with a subsidy, its five households paid and the contractor paid, and an
    administrative expense of the foundation."""
    from ledger import foundation

    member = bk.member()
    bk.deposit(member.id, "350000.00", date(YEAR, 1, 10))
    bk.deposit(member.id, "100000.00", date(YEAR, 2, 10))
    bk.transfer(date(YEAR, 2, 20))
    bk.income("200000.00", date(YEAR, 3, 1), source=IncomeSource.WELFARE_LOTTERY)
    bk.income("50000.00", date(YEAR, 3, 2), source=IncomeSource.ENTERPRISE)
    foundation.record_income(bk.uow, bk.fm, source=IncomeSource.INDIVIDUAL, donor=SECRET_DONOR,
                             anonymous=True, amount=yuan("888.00"), received_on=date(YEAR, 3, 3),
                             restriction=Restriction.NONE, purpose=None, reference="ANON-1")
    grant = bk.grant("80000.00", "50000.00", "30000.00", committed_on=date(YEAR, 4, 15))
    bk.tranche(grant.id, 1, date(YEAR, 5, 2))
    campaign = bk.campaign("1000.00", "900.00", 5)
    bk.subsidy(campaign.id, "900.00", date(YEAR, 6, 1))
    for household in bk.roll(campaign.id):
        bk.pay(campaign.id, household, date(YEAR, 6, 3))
    bk.contractor(campaign.id, "500.00", date(YEAR, 6, 20))
    bk.manual("foundation", date(YEAR, 7, 1), ("5201", "debit", "1200.00"),
              ("1002", "credit", "1200.00"))
    return bk


def test_income_by_source_ties_to_the_income_accounts(books: Books) -> None:
    found = public.overview(books.uow, YEAR)
    by_key = {a.key: a.amount for a in found.income}
    assert by_key["mutual_aid_fund"] == yuan("315000.00")  # 70 % of 450,000
    assert by_key["welfare_lottery"] == yuan("200000.00")
    assert by_key["enterprise"] == yuan("50000.00")
    assert by_key["individual"] == yuan("888.00")
    assert by_key["repair_subsidies"] == yuan("900.00")
    shares = [h.share for h in books.roll(1)]
    assert by_key["crowdfunding"] == sum(shares, yuan("0.00"))
    moved = books.uow.read(lambda s: statements_db.movements(s, "foundation", year(YEAR)))
    income_accounts = sum(v for k, v in moved.items() if k.startswith("4"))
    assert found.income_total == from_minor(income_accounts)


def test_the_split_and_spending(books: Books) -> None:
    found = public.overview(books.uow, YEAR)
    d = found.deposits
    assert (d.count, d.received) == (2, yuan("450000.00"))
    assert (d.operating, d.foundation) == (yuan("135000.00"), yuan("315000.00"))
    assert d.operating + d.foundation == d.received
    assert d.transferred == yuan("315000.00")
    spent = {a.key: a.amount for a in found.spending}
    assert spent == {"grants": yuan("50000.00"), "repairs": yuan("500.00"),
                     "administration": yuan("1200.00"), "other_costs": yuan("0.00")}
    assert found.admin_share is not None
    assert 0 < found.admin_share < 1
    assert found.available.amount > 0
    assert found.years == (YEAR,)


def test_the_flow_chart_balances_at_every_node(books: Books) -> None:
    found = public.overview(books.uow, YEAR)
    into: dict[str, int] = defaultdict(int)
    out: dict[str, int] = defaultdict(int)
    for flow in found.flows:
        assert flow.amount.amount > 0
        into[flow.target] += fen(str(flow.amount.amount))
        out[flow.source] += fen(str(flow.amount.amount))
    assert into["foundation"] == out["foundation"]
    assert out["deposits"] == fen("450000.00")
    kept = next(f.amount for f in found.flows if f.target == "kept")
    assert kept == found.income_total - found.spending_total


def test_the_months_add_up_to_the_year(books: Books) -> None:
    found = public.overview(books.uow, YEAR)
    assert [m.label for m in found.months] == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    fund = books.uow.read(lambda s: statements_db.movements(s, "fund", year(YEAR)))
    foundation = books.uow.read(lambda s: statements_db.movements(s, "foundation", year(YEAR)))
    income = sum(v for k, v in (*fund.items(), *foundation.items())
                 if k.startswith("4") and k != "410103")
    spending = sum(v for k, v in (*fund.items(), *foundation.items()) if k.startswith("5"))
    assert sum((m.income for m in found.months), yuan("0.00")) == from_minor(income)
    assert sum((m.spending for m in found.months), yuan("0.00")) == from_minor(spending)
    assert found.months[0].income == yuan("105000.00")  # January: 30 % of 350,000


def test_grants_campaigns_and_donations_name_nobody_private(books: Books) -> None:
    grants = public.grants(books.uow, YEAR)
    assert [(g.approved, g.paid, g.outstanding, g.resolved_on) for g in grants] == [
        (yuan("80000.00"), yuan("50000.00"), yuan("30000.00"), date(YEAR, 4, 15))]
    assert grants[0].title == "长者食堂 elderly canteen"
    campaign, = public.campaigns(books.uow)
    assert (campaign.households, campaign.asked, campaign.paid) == (5, 5, 5)
    assert [(b.building, b.households, b.paid) for b in campaign.buildings] == [("1", 5, 5)]
    assert campaign.subsidy_received == yuan("900.00")
    assert campaign.contractor_paid == yuan("500.00")
    donations = public.donations(books.uow, YEAR)
    assert [d.donor for d in donations if d.amount == yuan("888.00")] == [
        "匿名 / Anonymous"]
    everything = repr((public.overview(books.uow, YEAR), grants, campaign, donations))
    assert SECRET_DONOR not in everything
    for household in books.roll(campaign.id):
        assert household.contact not in everything
        assert household.phone not in everything
