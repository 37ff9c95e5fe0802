"""What the public transparency pages and open data show: where every yuan came from and
went, for one calendar year, read from one snapshot of the books.

Nothing here names a person: households appear only as counts by building, donors who asked
to be anonymous as "匿名 / Anonymous", grantees and contractors are organisations. Income by
source ties to the books by construction: the foundation's government grants and donations
are the movements of their accounts, of which the income records say how much came from each
source; the rest of government grants is repair subsidies, the rest of donations is residents'
crowdfunding (both received for campaigns).

`head` is the journal's last entry number: any posting changes it, so callers cache a view
by (year, head)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from moneyed import Money
from sqlalchemy import func, select

from ledger.campaigns import Campaign, campaigns_in
from ledger.core.campaigns import CampaignStatus, HouseholdStatus
from ledger.core.grants import GOVERNMENT_SOURCES, IncomeSource, Restriction
from ledger.core.money import from_minor
from ledger.core.periods import month, year
from ledger.db import campaigns as campaigns_db
from ledger.db import journal as journal_db
from ledger.db import statements as statements_db
from ledger.db.models import AccountDayTotalRow as DayTotal
from ledger.db.models import (
    AccountRow,
    ApplicationRow,
    ClawbackRow,
    ContractorPaymentRow,
    EntryRow,
    GrantRow,
    IncomeRow,
    ShortfallRow,
    TrancheRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.foundation import ANONYMOUS, availability_in
from ledger.statements import GrantLine, deposit_note, grant_lines

FUND, FOUNDATION = "fund", "foundation"
#: The foundation's income accounts: government grants and donations (each unrestricted and
#: restricted), the mutual-aid fund's 70 %, other income.
GOVERNMENT = ("450101", "450102")
DONATIONS = ("410101", "410102")
FROM_FUND = "410103"
OTHER_INCOME = "490101"
ADMIN, FUNDRAISING, OTHER_COSTS = "5201", "5301", "5401"
INCOME_PREFIX, EXPENSE_PREFIX = "4", "5"

#: Keys and names of the foundation's sources of income, in the order shown.
SOURCES: dict[str, tuple[str, str]] = {
    "mutual_aid_fund": ("商会互助资金转入", "From the mutual-aid fund (70 %)"),
    IncomeSource.WELFARE_LOTTERY.value: ("福彩公益金", "Welfare lottery funds"),
    IncomeSource.FISCAL.value: ("财政资金", "Fiscal funds"),
    "repair_subsidies": ("维修补助（街道）", "Repair subsidies (subdistrict)"),
    IncomeSource.ENTERPRISE.value: ("企业捐赠", "Enterprise donations"),
    IncomeSource.SOCIAL_ORGANISATION.value: ("社会组织专项资金", "Social organisation funds"),
    IncomeSource.INDIVIDUAL.value: ("个人捐赠", "Individual donations"),
    "crowdfunding": ("居民众筹", "Residents' crowdfunding"),
    "other": ("其他收入", "Other income"),
}
#: Nodes of the flow chart beyond the sources.
NODES: dict[str, tuple[str, str]] = {
    "deposits": ("互助资金保证金", "Mutual-aid deposits"),
    "operating": ("互助资金运作经费（30%）", "Fund operating costs (30 %)"),
    "foundation_share": ("应转基金会（70%）", "Due to the foundation (70 %)"),
    "foundation": ("社区发展基金会", "Community development foundation"),
    "grants": ("公益创投资助", "Venture-philanthropy grants"),
    "repairs": ("小区维修", "Community repairs"),
    "administration": ("管理费用", "Administration"),
    "other_costs": ("其他支出", "Other spending"),
    "kept": ("结余（留存基金会）", "Kept by the foundation"),
    "earlier": ("以前年度结余", "From earlier years"),
}


@dataclass(frozen=True, slots=True)
class Amount:
    """A named figure: `key` is stable (open data), `zh` / `en` are what people read."""

    key: str
    zh: str
    en: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Flow:
    source: str  # node keys (SOURCES or NODES)
    target: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # "2026-01"
    income: Money  # income recognised in the month (both entities, without the transfer)
    spending: Money  # expenses recognised in the month (both entities)


@dataclass(frozen=True, slots=True)
class Deposits:
    count: int
    received: Money
    operating: Money  # kept by the fund
    foundation: Money  # due to the foundation
    reversed: Money
    transferred: Money  # actually transferred to the foundation in the year


@dataclass(frozen=True, slots=True)
class Building:
    building: str
    households: int  # on the roll
    asked: int  # asked to pay (not vacant, unreachable or exempt)
    paid: int  # asked and paid their whole share


@dataclass(frozen=True, slots=True)
class PublicCampaign:
    id: int
    title: str
    community: str
    repair: str
    contractor: str
    status: str
    deadline: date
    target: Money  # the quoted cost
    subsidy_from: str
    subsidy_received: Money
    crowdfunded: Money  # households' payments net of refunds
    match: Money  # the foundation's pledge
    households: int
    asked: int
    paid: int
    buildings: tuple[Building, ...]
    shortfall: Money
    shortfall_covered_by: tuple[str, ...]  # sources: subsidy, foundation, households
    contractor_paid: Money
    leftover_rule: str
    leftover_released: Money


@dataclass(frozen=True, slots=True)
class PublicGrant:
    id: int
    title: str
    grantee: str  # an organisation
    resolved_on: date  # the board's resolution committing it
    approved: Money
    paid: Money  # to date
    outstanding: Money
    status: str
    evaluation: str | None  # the latest acceptance evaluation's result


@dataclass(frozen=True, slots=True)
class Donation:
    received_on: date
    source: str
    donor: str  # "匿名 / Anonymous" for a donor who asked
    amount: Money
    restricted: bool
    purpose: str | None


@dataclass(frozen=True, slots=True)
class Overview:
    year: int
    years: tuple[int, ...]  # years with entries, latest first
    head: int
    deposits: Deposits
    income: tuple[Amount, ...]  # the foundation's income by source in the year
    spending: tuple[Amount, ...]  # what the foundation paid out and spent in the year
    admin_share: Decimal | None  # administrative costs / total spending, the year's
    charitable_ratio: Decimal | None  # charitable spending / previous year's income
    available: Money  # the foundation's money free to commit, now
    flows: tuple[Flow, ...]
    months: tuple[Month, ...]

    @property
    def income_total(self) -> Money:
        return sum((a.amount for a in self.income), from_minor(0))

    @property
    def spending_total(self) -> Money:
        return sum((a.amount for a in self.spending), from_minor(0))


def head(uow: UnitOfWork) -> int:
    """The journal's last entry number: the version of everything here."""
    return uow.read(lambda session: journal_db.head(session)[0])


# --- reading ----------------------------------------------------------------------------------
def years_in(session: Session) -> tuple[int, ...]:
    first = session.scalar(select(func.min(EntryRow.effective_date)))
    last = session.scalar(select(func.max(EntryRow.effective_date)))
    if first is None or last is None:
        return ()
    return tuple(range(last.year, first.year - 1, -1))


def _sum(session: Session, column: object, *where: object) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def _income(session: Session, moved: dict[str, int], start: date, end: date
            ) -> tuple[Amount, ...]:
    by_source: dict[str, int] = defaultdict(int)
    for source, amount in session.execute(
            select(IncomeRow.source, func.sum(IncomeRow.amount))
            .where(IncomeRow.received_on.between(start, end)).group_by(IncomeRow.source)):
        by_source[source] = int(amount)
    government = sum(moved.get(c, 0) for c in GOVERNMENT)
    donations = sum(moved.get(c, 0) for c in DONATIONS)
    recorded_government = sum(by_source[s.value] for s in GOVERNMENT_SOURCES)
    recorded_donations = sum(v for k, v in by_source.items()
                             if k not in {s.value for s in GOVERNMENT_SOURCES})
    figures = {
        "mutual_aid_fund": moved.get(FROM_FUND, 0),
        **{s.value: by_source[s.value] for s in IncomeSource},
        "repair_subsidies": government - recorded_government,
        "crowdfunding": donations - recorded_donations,
        "other": sum(v for k, v in moved.items() if k.startswith(INCOME_PREFIX)
                     and k not in (*GOVERNMENT, *DONATIONS, FROM_FUND)),
    }
    return tuple(Amount(key, *SOURCES[key], from_minor(figures[key])) for key in SOURCES)


def _spending(session: Session, moved: dict[str, int], start: date, end: date
              ) -> tuple[Amount, ...]:
    grants = (_sum(session, TrancheRow.amount, TrancheRow.paid_on.between(start, end))
              - _sum(session, ClawbackRow.amount, ClawbackRow.returned_on.between(start, end)))
    repairs = _sum(session, ContractorPaymentRow.amount,
                   ContractorPaymentRow.paid_on.between(start, end))
    figures = {"grants": grants, "repairs": repairs, "administration": moved.get(ADMIN, 0),
               "other_costs": moved.get(FUNDRAISING, 0) + moved.get(OTHER_COSTS, 0)}
    return tuple(Amount(key, *NODES[key], from_minor(value)) for key, value in figures.items())


def _flows(deposits: Deposits, income: tuple[Amount, ...], spending: tuple[Amount, ...]
           ) -> tuple[Flow, ...]:
    """deposits -> operating (30 %) / due to the foundation (70 %); each source of income ->
    foundation; foundation -> each use, and what is left is kept (or, if the year spent more,
    came from earlier years). The fund's 70 % reaches the foundation when it is transferred,
    which may be in a later year: it flows in as the "mutual-aid fund" source, so what flows
    into the foundation is exactly its income of the year."""
    zero = from_minor(0)
    flows = [Flow("deposits", "operating", deposits.operating),
             Flow("deposits", "foundation_share", deposits.foundation)]
    flows += [Flow(a.key, "foundation", a.amount) for a in income if a.amount > zero]
    flows += [Flow("foundation", a.key, a.amount) for a in spending if a.amount > zero]
    came_in = sum((a.amount for a in income), zero)
    left = came_in - sum((a.amount for a in spending), zero)
    if left > zero:
        flows.append(Flow("foundation", "kept", left))
    elif left < zero:
        flows.append(Flow("earlier", "foundation", -left))
    return tuple(f for f in flows if f.amount > zero)


def _months(session: Session, the_year: int) -> tuple[Month, ...]:
    """Income and spending of both entities by month (the fund's transfer to the foundation
    is not income of the two together, so it is left out)."""
    period = year(the_year)
    rows = session.execute(  # the daily totals: one row per account and day, not per posting
        select(DayTotal.effective_date, AccountRow.code, func.sum(DayTotal.debit),
               func.sum(DayTotal.credit))
        .join(AccountRow, AccountRow.id == DayTotal.account_id)
        .where(DayTotal.effective_date.between(period.starts_on, period.ends_on),
               DayTotal.currency == "CNY")
        .group_by(DayTotal.effective_date, AccountRow.code))
    income: dict[int, int] = defaultdict(int)
    spending: dict[int, int] = defaultdict(int)
    for day, code, debits, credits in rows:
        if code.startswith(INCOME_PREFIX) and code != FROM_FUND:
            income[day.month] += int(credits) - int(debits)
        elif code.startswith(EXPENSE_PREFIX):
            spending[day.month] += int(debits) - int(credits)
    return tuple(Month(month(the_year, m).label, from_minor(income[m]), from_minor(spending[m]))
                 for m in range(1, 13))


def overview_in(session: Session, the_year: int) -> Overview:
    period = year(the_year)
    start, end = period.starts_on, period.ends_on
    note = deposit_note(session, period)
    moved = statements_db.movements(session, FOUNDATION, period)
    deposits = Deposits(count=note.count, received=note.received, operating=note.operating,
                        foundation=note.foundation, reversed=note.reversed,
                        transferred=from_minor(moved.get(FROM_FUND, 0)))
    income = _income(session, moved, start, end)
    spending = _spending(session, moved, start, end)
    total = sum(v for k, v in moved.items() if k.startswith(EXPENSE_PREFIX))
    before = statements_db.movements(session, FOUNDATION, period.previous())
    previous_income = sum(v for k, v in before.items() if k.startswith(INCOME_PREFIX))
    admin_share = (Decimal(moved.get(ADMIN, 0)) / total).quantize(Decimal("0.0001")) \
        if total > 0 else None
    charitable = (Decimal(moved.get("5101", 0)) / previous_income).quantize(Decimal("0.0001")) \
        if previous_income > 0 else None
    return Overview(year=the_year, years=years_in(session),
                    head=journal_db.head(session)[0], deposits=deposits, income=income,
                    spending=spending, admin_share=admin_share, charitable_ratio=charitable,
                    available=availability_in(session).available,
                    flows=_flows(deposits, income, spending), months=_months(session, the_year))


def overview(uow: UnitOfWork, the_year: int) -> Overview:
    """The year's figures (see the module's doc)."""
    year(the_year)  # a year the books can hold, or InvalidInput
    return uow.read(lambda session: overview_in(session, the_year))


# --- grants, campaigns, donations -------------------------------------------------------------
def _grant(line: GrantLine, title: str) -> PublicGrant:
    return PublicGrant(id=line.grant_id, title=title, grantee=line.grantee,
                       resolved_on=line.committed_on, approved=line.approved,
                       paid=line.paid_to_date, outstanding=line.outstanding, status=line.status,
                       evaluation=line.evaluation)


def grants_in(session: Session, the_year: int) -> tuple[PublicGrant, ...]:
    """Every grant committed by the end of the year, as it stood then."""
    titles = dict(session.execute(select(GrantRow.id, ApplicationRow.title).join(
        ApplicationRow, ApplicationRow.id == GrantRow.application_id)).all())
    return tuple(_grant(line, titles.get(line.grant_id, ""))
                 for line in grant_lines(session, year(the_year)))


def grants(uow: UnitOfWork, the_year: int) -> tuple[PublicGrant, ...]:
    year(the_year)
    return uow.read(lambda session: grants_in(session, the_year))


def _buildings(session: Session, campaign_id: int) -> tuple[Building, ...]:
    paid = campaigns_db.paid_by_household(session, campaign_id)
    found: dict[str, list[int]] = {}
    for row in campaigns_db.roll(session, campaign_id):
        counts = found.setdefault(row.building, [0, 0, 0])
        counts[0] += 1
        if row.status == HouseholdStatus.ASKED:
            counts[1] += 1
            counts[2] += paid.get(row.id, 0) >= row.share
    return tuple(Building(b, *counts) for b, counts in found.items())


def _campaign(session: Session, found: Campaign) -> PublicCampaign:
    figures = found.figures
    covered_by = tuple(sorted(set(session.scalars(select(ShortfallRow.source).where(
        ShortfallRow.campaign_id == found.id)))))
    return PublicCampaign(
        id=found.id, title=found.title, community=found.community, repair=found.repair,
        contractor=found.contractor, status=found.status.value, deadline=found.deadline,
        target=found.cost, subsidy_from=found.subsidy_from,
        subsidy_received=figures.subsidy_received, crowdfunded=figures.households_paid,
        match=figures.match, households=found.households, asked=found.asked,
        paid=found.paid_up, buildings=_buildings(session, found.id),
        shortfall=figures.shortfall,
        shortfall_covered_by=covered_by,
        contractor_paid=figures.spent, leftover_rule=found.leftover_rule.value,
        leftover_released=figures.leftover_released)


def campaigns_public_in(session: Session) -> tuple[PublicCampaign, ...]:
    """Every campaign but drafts, as it stands now."""
    return tuple(_campaign(session, c) for c in campaigns_in(session)
                 if c.status is not CampaignStatus.DRAFT)


def campaigns(uow: UnitOfWork) -> tuple[PublicCampaign, ...]:
    return uow.read(campaigns_public_in)


def donations_in(session: Session, the_year: int) -> tuple[Donation, ...]:
    """The foundation's recorded income of the year, donors as the public sees them."""
    period = year(the_year)
    rows = session.scalars(select(IncomeRow).where(
        IncomeRow.received_on.between(period.starts_on, period.ends_on))
        .order_by(IncomeRow.received_on, IncomeRow.id))
    return tuple(Donation(received_on=r.received_on, source=r.source,
                          donor=ANONYMOUS if r.anonymous else r.donor,
                          amount=from_minor(r.amount), restricted=r.restriction != Restriction.NONE,
                          purpose=r.purpose) for r in rows)


def donations(uow: UnitOfWork, the_year: int) -> tuple[Donation, ...]:
    year(the_year)
    return uow.read(lambda session: donations_in(session, the_year))
