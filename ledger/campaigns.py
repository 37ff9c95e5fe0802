"""Repair campaigns (众筹): set-up, the household roll, the shortfall and the subsidy.

A campaign's cost is covered by a subsidy (e.g. from the subdistrict), the foundation's match
and the households' gap, split into exact shares over the roll (see `ledger.core.campaigns`).
Money received for a campaign is restricted to it in the foundation's book; the foundation's
match is held out of its available funds while the campaign runs.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from moneyed import Money
from sqlalchemy import delete, select

from ledger.books import now, post
from ledger.core.campaigns import (
    HOLDING,
    BadFile,
    CampaignStatus,
    Figures,
    HouseholdStatus,
    HouseKey,
    InvalidTransition,
    LeftoverRule,
    MissRule,
    RollLine,
    RowProblem,
    ShareSummary,
    Source,
    check_campaign_transition,
    parse_roll,
    share_summary,
    shares,
    shortfall_topups,
    subsidy_entry,
)
from ledger.core.errors import InvalidInput, NotFound
from ledger.core.grants import OverCommitted
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db import campaigns as db
from ledger.db.models import CampaignImportRow, CampaignRow, HouseholdRow, ShortfallRow
from ledger.db.models import SubsidyReceiptRow as SubsidyRow
from ledger.db.session import Session, UnitOfWork
from ledger.foundation import availability_in
from ledger.recording import audit, text
from ledger.spreadsheets import table_of

#: A campaign that ended asks nobody to pay.
ENDED = (CampaignStatus.CLOSED, CampaignStatus.CANCELLED)


class CampaignNotFound(NotFound):
    code = "campaign-not-found"
    title = "No such campaign"


class HouseholdNotFound(NotFound):
    code = "household-not-found"
    title = "No such household on the campaign's roll"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    community: str
    buildings: str
    title: str
    repair: str
    contractor: str
    cost: Money
    subsidy: Money  # as set up; `figures.subsidy` adds shortfall assigned to it
    subsidy_from: str
    match: Money
    deadline: date
    miss_rule: MissRule
    shortfall_source: Source | None
    leftover_rule: LeftoverRule
    status: CampaignStatus
    created_at: datetime
    created_by: str
    figures: Figures
    households: int  # on the roll
    asked: int  # asked to pay
    paid_up: int  # asked households that paid their whole share

    @property
    def gap(self) -> Money:
        return self.cost - self.subsidy - self.match


@dataclass(frozen=True, slots=True)
class Household:
    id: int
    position: int
    key: HouseKey
    contact: str
    phone: str
    share: Money
    paid: Money  # net of refunds
    status: HouseholdStatus
    reason: str | None
    asking: bool = True  # the campaign still asks for money (it has not ended)

    @property
    def owed(self) -> Money:
        """What an asked household still owes (zero once paid, if not asked, or once the
        campaign ended)."""
        if self.status is not HouseholdStatus.ASKED or not self.asking:
            return self.share - self.share
        return max(self.share - self.paid, self.share - self.share)


@dataclass(frozen=True, slots=True)
class RollImport:
    """A roll file read: the households and their shares, or its problems."""

    households: tuple[RollLine, ...]
    shares: tuple[Money, ...]
    summary: ShareSummary | None
    problems: tuple[RowProblem, ...]
    written: bool


# --- reading ----------------------------------------------------------------------------------
def figures_in(session: Session, row: CampaignRow) -> Figures:
    return db.figures_of(row, db.sums(session, [row.id]).get(row.id, db.Sums()))


def _campaign(session: Session, row: CampaignRow, sums: db.Sums | None = None) -> Campaign:
    if sums is None:
        sums = db.sums(session, [row.id]).get(row.id, db.Sums())
    roll = db.roll(session, row.id)
    paid = db.paid_by_household(session, row.id) if roll else {}
    asked = [h for h in roll if h.status == HouseholdStatus.ASKED]
    return Campaign(
        id=row.id, community=row.community, buildings=row.buildings, title=row.title,
        repair=row.repair, contractor=row.contractor, cost=from_minor(row.cost),
        subsidy=from_minor(row.subsidy), subsidy_from=row.subsidy_from,
        match=from_minor(row.match), deadline=row.deadline, miss_rule=MissRule(row.miss_rule),
        shortfall_source=Source(row.shortfall_source) if row.shortfall_source else None,
        leftover_rule=LeftoverRule(row.leftover_rule), status=CampaignStatus(row.status),
        created_at=row.created_at, created_by=row.created_by, figures=db.figures_of(row, sums),
        households=len(roll), asked=len(asked),
        paid_up=sum(1 for h in asked if paid.get(h.id, 0) >= h.share))


def get_row(session: Session, campaign_id: int) -> CampaignRow:
    row = session.get(CampaignRow, campaign_id)
    if row is None:
        raise CampaignNotFound(f"there is no campaign #{campaign_id}", field="campaign_id")
    return row


def campaign(uow: UnitOfWork, campaign_id: int) -> Campaign:
    return uow.read(lambda session: _campaign(session, get_row(session, campaign_id)))


def campaigns_in(session: Session) -> list[Campaign]:
    sums = db.sums(session)
    return [_campaign(session, row, sums.get(row.id, db.Sums()))
            for row in session.scalars(select(CampaignRow).order_by(CampaignRow.id))]


def campaigns(uow: UnitOfWork) -> list[Campaign]:
    return uow.read(campaigns_in)


def _household(row: HouseholdRow, paid: int, *, asking: bool = True) -> Household:
    return Household(id=row.id, position=row.position,
                     key=HouseKey(row.building, row.unit, row.room), contact=row.contact,
                     phone=row.phone, share=from_minor(row.share), paid=from_minor(paid),
                     status=HouseholdStatus(row.status), reason=row.reason, asking=asking)


def households(uow: UnitOfWork, campaign_id: int, *, unpaid: bool = False,
               building: str | None = None) -> list[Household]:
    """The roll in order; `unpaid`: only households asked to pay that still owe (the
    door-to-door list)."""

    def work(session: Session) -> list[Household]:
        row = get_row(session, campaign_id)
        asking = row.status not in ENDED  # an ended campaign asks nobody to pay
        paid = db.paid_by_household(session, campaign_id)
        found = [_household(r, paid.get(r.id, 0), asking=asking)
                 for r in db.roll(session, campaign_id)
                 if building is None or r.building == building]
        return [h for h in found if h.owed.amount > 0] if unpaid else found

    return uow.read(work)


def door_to_door(uow: UnitOfWork, campaign_id: int) -> dict[str, list[Household]]:
    """Households that still owe, by building, in roll order: the volunteers' list."""
    found: dict[str, list[Household]] = defaultdict(list)
    for household in households(uow, campaign_id, unpaid=True):
        found[household.key.building].append(household)
    return dict(found)


# --- set-up -----------------------------------------------------------------------------------
def create_campaign(uow: UnitOfWork, actor: Actor, *, community: str, buildings: str,
                    title: str, repair: str, contractor: str, cost: Money, subsidy: Money,
                    subsidy_from: str, match: Money, deadline: date, miss_rule: MissRule,
                    shortfall_source: Source | None = None,
                    leftover_rule: LeftoverRule = LeftoverRule.REFUND) -> Campaign:
    """A draft campaign. The households' gap is what the subsidy and the match leave."""
    miss_rule, leftover_rule = MissRule(miss_rule), LeftoverRule(leftover_rule)
    source = Source(shortfall_source) if shortfall_source else None
    values = {"community": text(community, "community", 100),
              "buildings": text(buildings, "buildings", 300),
              "title": text(title, "title", 200), "repair": text(repair, "repair", 2000),
              "contractor": text(contractor, "contractor", 200),
              "subsidy_from": text(subsidy_from, "subsidy_from", 200,
                                   required=subsidy.amount > 0)}
    if cost.amount <= 0:
        raise InvalidInput("the quoted cost is more than zero", field="cost")
    for name, amount in (("subsidy", subsidy), ("match", match)):
        if amount.amount < 0:
            raise InvalidInput(f"the {name} is zero or more", field=name)
    if subsidy + match >= cost:
        raise InvalidInput("the subsidy and the match leave nothing for the households to "
                           "crowdfund; the gap must be more than zero", field="cost")
    if miss_rule is MissRule.KEEP_RAISED and source is None:
        raise InvalidInput("keep-what-is-raised names the source that covers the shortfall",
                           field="shortfall_source")

    def work(session: Session) -> Campaign:
        row = CampaignRow(**values, cost=to_minor(cost), subsidy=to_minor(subsidy),
                          match=to_minor(match), deadline=deadline, miss_rule=miss_rule.value,
                          shortfall_source=source.value if source else None,
                          leftover_rule=leftover_rule.value,
                          status=CampaignStatus.DRAFT.value, created_at=now(),
                          created_by=actor.username)
        session.add(row)
        session.flush()
        audit(session, actor, "campaign.created", "campaign", row.id, cost=str(cost.amount),
              subsidy=str(subsidy.amount), match=str(match.amount))
        return _campaign(session, row)

    return uow.write(work)


def read_roll(data: bytes) -> RollImport:
    """Preview a roll file (CSV or Excel) without a campaign: households, shares, problems."""
    preview = parse_roll(table_of(data))
    return RollImport(households=preview.rows, shares=(), summary=None,  # type: ignore[arg-type]
                      problems=preview.problems, written=False)


def import_roll(uow: UnitOfWork, actor: Actor, campaign_id: int, data: bytes, *,
                filename: str = "roll.csv", commit: bool = True) -> RollImport:
    """Read a roll file; with `commit` and no problems, make it the draft campaign's roll
    (replacing any earlier one) with each household's share. A file with problems writes
    nothing: the preview lists them, a commit raises BadFile."""
    preview = parse_roll(table_of(data))
    lines: tuple[RollLine, ...] = preview.rows  # type: ignore[assignment]
    name = text(filename, "filename", 200)

    def work(session: Session) -> RollImport:
        row = get_row(session, campaign_id)
        gap = from_minor(row.cost - row.subsidy - row.match)
        found = tuple(shares(gap, len(lines))) if lines else ()
        summary = share_summary(gap, len(lines)) if lines else None
        if not commit or preview.problems:
            if commit:
                raise BadFile(preview.problems)
            return RollImport(lines, found, summary, preview.problems, written=False)
        if row.status != CampaignStatus.DRAFT:
            raise InvalidTransition(f"campaign #{row.id} is {row.status}; the roll is imported "
                                    f"while it is a draft", field="campaign_id")
        if session.scalar(select(ShortfallRow.id).where(ShortfallRow.campaign_id == row.id)
                          .limit(1)) is not None:
            raise InvalidInput("shortfall was assigned on the present roll; the roll is kept",
                               field="file")
        session.execute(delete(HouseholdRow).where(HouseholdRow.campaign_id == row.id))
        session.add_all(HouseholdRow(campaign_id=row.id, position=i, building=line.key.building,
                                     unit=line.key.unit, room=line.key.room,
                                     contact=line.contact, phone=line.phone,
                                     share=to_minor(share), status=HouseholdStatus.ASKED.value)
                        for i, (line, share) in enumerate(zip(lines, found, strict=True),
                                                          start=1))
        session.add(CampaignImportRow(
            campaign_id=row.id, kind="roll", filename=name,
            sha256=hashlib.sha256(data).hexdigest(),
            report=json.dumps({"households": len(lines), "gap": str(gap.amount)}),
            created_at=now(), created_by=actor.username))
        session.flush()
        audit(session, actor, "campaign.roll_imported", "campaign", row.id,
              households=len(lines), filename=name)
        return RollImport(lines, found, summary, (), written=True)

    return uow.write(work)


def open_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int) -> Campaign:
    """Start asking the households to pay. The foundation's match must be available."""

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        check_campaign_transition(CampaignStatus(row.status), CampaignStatus.OPEN)
        if not db.roll(session, row.id):
            raise InvalidInput("import the household roll before opening the campaign",
                               field="roll")
        available = availability_in(session).available
        match = figures_in(session, row).match  # with shortfall it took on while a draft
        if match.amount > 0 and match > available:  # no match asks nothing of the foundation
            raise OverCommitted(f"the foundation has {available.amount} available, less than "
                                f"its match of {match.amount}", field="match")
        row.status = CampaignStatus.OPEN.value
        session.flush()
        audit(session, actor, "campaign.opened", "campaign", row.id)
        advance(session, actor, row)
        return _campaign(session, row)

    return uow.write(work)


def advance(session: Session, actor: Actor, row: CampaignRow) -> None:
    """An open campaign whose money covers the cost is funded."""
    if row.status == CampaignStatus.OPEN and figures_in(session, row).covered:
        row.status = CampaignStatus.FUNDED.value
        session.flush()
        audit(session, actor, "campaign.funded", "campaign", row.id)


# --- households and shortfall -----------------------------------------------------------------
def mark_household(uow: UnitOfWork, actor: Actor, campaign_id: int, household_id: int, *,
                   status: HouseholdStatus, reason: str | None = None) -> Household:
    """Mark a household vacant, unreachable or exempt (with a reason), or asked again. Its
    share becomes shortfall, to be assigned to a source before the campaign closes."""
    status = HouseholdStatus(status)
    why = text(reason, "reason", 300, required=status is not HouseholdStatus.ASKED) or None

    def work(session: Session) -> Household:
        row = get_row(session, campaign_id)
        if row.status in ENDED:
            raise InvalidInput(f"campaign #{row.id} is {row.status}", field="campaign_id")
        household = session.get(HouseholdRow, household_id)
        if household is None or household.campaign_id != row.id:
            raise HouseholdNotFound(f"campaign #{row.id} has no household #{household_id}",
                                    field="household_id")
        paid = db.paid_by_household(session, row.id).get(household.id, 0)
        if status is not HouseholdStatus.ASKED and paid > 0:
            raise InvalidInput(f"household {household.building}-{household.unit}-"
                               f"{household.room} has paid; it stays asked", field="status")
        if status is HouseholdStatus.ASKED and household.status != status:
            unassigned = figures_in(session, row).unassigned
            if to_minor(unassigned) < household.share:
                raise InvalidInput("its share was assigned to a source already; it cannot be "
                                   "asked again", field="status")
        household.status, household.reason = status.value, why
        session.flush()
        audit(session, actor, "campaign.household_marked", "campaign", row.id,
              household_id=household.id, status=status.value, reason=why)
        return _household(household, paid)

    return uow.write(work)


def assign_shortfall(uow: UnitOfWork, actor: Actor, campaign_id: int, *,
                     source: Source | None = None, amount: Money | None = None,
                     note: str = "") -> Campaign:
    """Assign the shortfall (all of what is unassigned, by default) to a source: the subsidy
    (to be received), the foundation (from its available funds) or the households asked to
    pay (added to their shares by the shares' rule)."""
    remark = text(note, "note", 300, required=False)

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        if row.status in ENDED:
            raise InvalidInput(f"campaign #{row.id} is {row.status}", field="campaign_id")
        named = source or row.shortfall_source
        if named is None:
            raise InvalidInput("name the source that covers the shortfall: subsidy, foundation "
                               "or households", field="source")
        chosen = Source(named)
        unassigned = figures_in(session, row).unassigned
        found = unassigned if amount is None else amount
        if found.amount <= 0 or found > unassigned:
            raise InvalidInput(f"the unassigned shortfall is {unassigned.amount}; assign more "
                               f"than zero and at most that", field="amount")
        if chosen is Source.FOUNDATION and row.status in HOLDING:
            available = availability_in(session).available
            if found > available:
                raise OverCommitted(f"the foundation has {available.amount} available, less "
                                    f"than {found.amount}", field="amount")
        if chosen is Source.HOUSEHOLDS:
            asked = [h for h in db.roll(session, row.id) if h.status == HouseholdStatus.ASKED]
            for household, topup in zip(asked, shortfall_topups(found, len(asked)),
                                        strict=True):
                household.share += to_minor(topup)
        session.add(ShortfallRow(campaign_id=row.id, amount=to_minor(found),
                                 source=chosen.value, note=remark, created_at=now(),
                                 created_by=actor.username))
        session.flush()
        audit(session, actor, "campaign.shortfall_assigned", "campaign", row.id,
              source=chosen.value, amount=str(found.amount))
        advance(session, actor, row)
        return _campaign(session, row)

    return uow.write(work)


def receive_subsidy(uow: UnitOfWork, actor: Actor, campaign_id: int, *, amount: Money,
                    received_on: date, payer: str | None = None, reference: str = ""
                    ) -> Campaign:
    """Subsidy money arrives, restricted to the campaign."""
    ref = text(reference, "reference", 100, required=False)

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        if row.status not in (CampaignStatus.DRAFT, CampaignStatus.OPEN,
                              CampaignStatus.FUNDED):
            raise InvalidInput(f"campaign #{row.id} is {row.status}; subsidy is received "
                               f"before the contractor is paid", field="campaign_id")
        who = text(payer or row.subsidy_from, "payer", 200)
        posted = post(uow, subsidy_entry(campaign_id=row.id, amount=amount, on=received_on,
                                         payer=who, actor=actor.username), by=actor)
        session.add(SubsidyRow(campaign_id=row.id, payer=who, amount=to_minor(amount),
                               received_on=received_on, reference=ref, entry_seq=posted.seq,
                               created_at=now(), created_by=actor.username))
        session.flush()
        audit(session, actor, "campaign.subsidy_received", "campaign", row.id,
              amount=str(amount.amount))
        advance(session, actor, row)
        return _campaign(session, row)

    return uow.write(work)
