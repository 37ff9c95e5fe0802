"""The statement pack of an entity and period: the three statements with comparative figures,
the notes, the trial balance and (optionally) the general-ledger detail, all read from the
ledger in one snapshot. Reports (PDF, CSV, JSON) lay this out; they compute nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import select, tuple_

from ledger.core.balances import TrialBalance
from ledger.core.chart import Entity, EntityKind
from ledger.core.chart import entity as known_entity
from ledger.core.money import from_minor
from ledger.core.periods import Period, parse_period, year
from ledger.core.statements import (
    SpendingRatios,
    Statement,
    activities,
    cash_flows,
    financial_position,
    spending_ratios,
)
from ledger.db import balances as balances_db
from ledger.db import statements as db
from ledger.db.models import (
    AccountRow,
    CampaignRow,
    DepositRow,
    EntryRow,
    GranteeRow,
    GrantRow,
    MemberRow,
    PostingRow,
    ServiceRow,
    TrancheRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.periods import PeriodState, period_row, state_in


@dataclass(frozen=True, slots=True)
class DepositNote:
    """Deposits received in the period and their split, reconciled to the policy."""

    count: int
    received: Money
    operating: Money  # kept by the fund (30 %), less the shares of deposits reversed in it
    foundation: Money  # due to the foundation (70 %), likewise
    reversed: Money  # deposits reversed in the period (by the reversal's date)
    parts_add_up: bool  # operating + foundation = received, deposit by deposit


@dataclass(frozen=True, slots=True)
class ExposureLine:
    member: str
    credit_code: str
    outstanding: Money  # loans bridged and not yet ended, at the period's end
    advanced: Money  # of which the fund's money is out


@dataclass(frozen=True, slots=True)
class GrantLine:
    grant_id: int
    grantee: str
    committed_on: date
    approved: Money
    paid_in_period: Money
    paid_to_date: Money
    outstanding: Money
    status: str
    evaluation: str | None


@dataclass(frozen=True, slots=True)
class CampaignLine:
    campaign_id: int
    title: str
    community: str
    target: Money
    raised: Money  # subsidy and households' payments received, net of refunds
    households_paid: int
    households: int
    shortfall: Money
    shortfall_sources: str
    leftover_rule: str
    status: str


@dataclass(frozen=True, slots=True)
class LedgerLine:
    seq: int
    effective_date: date
    account: str
    memo: str
    debit: int
    credit: int


@dataclass(frozen=True, slots=True)
class Pack:
    entity: Entity
    period: Period
    previous: Period
    state: PeriodState
    statements: tuple[Statement, ...]
    trial_balance: TrialBalance
    ratios: SpendingRatios | None  # the foundation's charity spending ratios
    deposits: DepositNote | None  # the fund's deposits
    exposure: tuple[ExposureLine, ...]
    grants: tuple[GrantLine, ...]
    campaigns: tuple[CampaignLine, ...]

    def statement(self, key: str) -> Statement:
        return next(s for s in self.statements if s.key == key)


def pack_in(session: Session, entity: str, period: Period) -> Pack:
    found = known_entity(entity)
    now = db.period_figures(session, entity, period)
    before = db.period_figures(session, entity, period.previous())
    foundation = found.kind is EntityKind.FOUNDATION
    ratios = None
    if foundation:
        this_year = year(period.ends_on.year)
        to_date = db.period_figures(session, entity,
                                    type(period)(this_year.starts_on, period.ends_on))
        ratios = spending_ratios(to_date, db.period_figures(session, entity,
                                                            this_year.previous()))
    return Pack(
        entity=found, period=period, previous=period.previous(),
        state=state_in(session, entity, period, period_row(session, entity, period)),
        statements=(financial_position(now, before), activities(now, before),
                    cash_flows(now, before)),
        trial_balance=balances_db.trial_balance(session, entity, period.ends_on),
        ratios=ratios,
        deposits=None if foundation else deposit_note(session, period),
        exposure=() if foundation else _exposure(session, period),
        grants=grant_lines(session, period) if foundation else (),
        campaigns=_campaigns(session, period) if foundation else ())


def statement_pack(uow: UnitOfWork, entity: str, label: str) -> Pack:
    """Everything the statements of `entity` for period `label` show, from one snapshot."""
    period = parse_period(label)
    return uow.read(lambda session: pack_in(session, entity, period))


def deposit_note(session: Session, period: Period) -> DepositNote:
    """Deposits received in the period (all of them, also those reversed later), the ones
    reversed in it (by the reversal's date), and the split net of those reversals: what the
    period's books hold, never changed by what happens after it."""
    inside = EntryRow.effective_date.between(period.starts_on, period.ends_on)
    received = list(session.scalars(select(DepositRow).where(
        DepositRow.received_on.between(period.starts_on, period.ends_on))))
    reversed_ = list(session.scalars(select(DepositRow).join(
        EntryRow, EntryRow.seq == DepositRow.reversal_seq).where(inside)))
    return DepositNote(
        count=len(received), received=from_minor(sum(r.amount for r in received)),
        operating=from_minor(sum(r.operating for r in received)
                             - sum(r.operating for r in reversed_)),
        foundation=from_minor(sum(r.foundation for r in received)
                              - sum(r.foundation for r in reversed_)),
        reversed=from_minor(sum(r.amount for r in reversed_)),
        parts_add_up=all(r.operating + r.foundation == r.amount for r in received))


def _exposure(session: Session, period: Period) -> tuple[ExposureLine, ...]:
    """Each member's bridging services at the period's end: the loans bridged and not ended
    by then, and of them, the fund's advances paid by then and not yet repaid."""
    end = period.ends_on

    def dated(seq: int | None) -> date | None:
        return session.scalar(select(EntryRow.effective_date).where(EntryRow.seq == seq)) \
            if seq is not None else None

    found = []
    for member in session.scalars(select(MemberRow).order_by(MemberRow.id)):
        services = [s for s in session.scalars(select(ServiceRow).where(
            ServiceRow.member_id == member.id))
            if s.bridge_from <= end and (s.ended_on is None or s.ended_on > end)
            and s.status not in ("requested", "rejected")]
        if not services:
            continue
        advanced = 0
        for s in services:
            paid, repaid = dated(s.advance_entry_seq), dated(s.settle_entry_seq)
            if paid is not None and paid <= end and (repaid is None or repaid > end):
                advanced += s.loan_amount
        found.append(ExposureLine(
            member=member.name_zh, credit_code=member.credit_code,
            outstanding=from_minor(sum(s.loan_amount for s in services)),
            advanced=from_minor(advanced)))
    return tuple(found)


def grant_lines(session: Session, period: Period) -> tuple[GrantLine, ...]:
    from ledger.grants import grant_in

    found = []
    for row in session.scalars(select(GrantRow).where(GrantRow.committed_on <= period.ends_on)
                               .order_by(GrantRow.id)):
        grant = grant_in(session, row)
        paid = [t for t in session.scalars(select(TrancheRow).where(
            TrancheRow.grant_id == row.id, TrancheRow.paid_on.is_not(None)))]
        to_date = sum(t.amount for t in paid if t.paid_on <= period.ends_on)
        in_period = sum(t.amount for t in paid
                        if period.starts_on <= t.paid_on <= period.ends_on)
        grantee = session.get(GranteeRow, row.grantee_id)
        evaluated = [e for e in grant.evaluations if e.evaluated_on <= period.ends_on]
        ended = row.ended_on is not None and row.ended_on <= period.ends_on
        found.append(GrantLine(
            grant_id=row.id, grantee=grantee.name_zh if grantee else "",
            committed_on=row.committed_on,
            approved=from_minor(row.amount), paid_in_period=from_minor(in_period),
            paid_to_date=from_minor(to_date),
            # owed at the period's end: nothing once the grant ended by then (an early end
            # returned what was unpaid)
            outstanding=from_minor(0) if ended else from_minor(row.amount - to_date),
            status=row.status if ended else "active",
            evaluation=evaluated[-1].result.value if evaluated else None))
    return tuple(found)


def _campaigns(session: Session, period: Period) -> tuple[CampaignLine, ...]:
    """Each campaign set up by the period's end (or with money dated by then), with the money
    it held at that end: subsidy and payments received by then, less refunds made by then."""
    from ledger.db.models import (
        CampaignPaymentRow,
        CampaignRefundRow,
        HouseholdRow,
        ShortfallRow,
        SubsidyReceiptRow,
    )

    end = period.ends_on
    found = []
    for row in session.scalars(select(CampaignRow).order_by(CampaignRow.id)):
        subsidy = sum(session.scalars(select(SubsidyReceiptRow.amount).where(
            SubsidyReceiptRow.campaign_id == row.id, SubsidyReceiptRow.received_on <= end)))
        payments = list(session.scalars(select(CampaignPaymentRow).where(
            CampaignPaymentRow.campaign_id == row.id, CampaignPaymentRow.paid_on <= end)))
        if row.created_at.date() > end and not subsidy and not payments:
            continue  # set up later, and no money of it is dated by then
        refunds = list(session.scalars(select(CampaignRefundRow).where(
            CampaignRefundRow.campaign_id == row.id, CampaignRefundRow.refunded_on <= end)))
        refunded = {r.payment_id: 0 for r in refunds}
        for refund in refunds:
            refunded[refund.payment_id] = refunded.get(refund.payment_id, 0) + refund.amount
        paid: dict[int, int] = {}
        for payment in payments:
            paid[payment.household_id] = (paid.get(payment.household_id, 0) + payment.amount
                                          - refunded.get(payment.id, 0))
        roll = list(session.scalars(select(HouseholdRow).where(
            HouseholdRow.campaign_id == row.id)))
        asked = [h for h in roll if h.status == "asked"]
        shortfall = sum(h.share for h in roll if h.status != "asked")
        sources = sorted(set(session.scalars(select(ShortfallRow.source).where(
            ShortfallRow.campaign_id == row.id))))
        found.append(CampaignLine(
            campaign_id=row.id, title=row.title, community=row.community,
            target=from_minor(row.cost),
            raised=from_minor(subsidy + sum(p.amount for p in payments)
                              - sum(r.amount for r in refunds)),
            households_paid=sum(1 for h in asked if paid.get(h.id, 0) >= h.share > 0),
            households=len(roll), shortfall=from_minor(shortfall),
            shortfall_sources=", ".join(sources), leftover_rule=row.leftover_rule,
            status=row.status))
    return tuple(found)


def ledger_lines(uow: UnitOfWork, entity: str, label: str, *, batch: int = 2000
                 ) -> Iterator[list[LedgerLine]]:
    """The general-ledger detail of the period (the appendix), by account then date, in
    batches, so that a large period never sits in memory at once."""
    period = parse_period(label)
    known_entity(entity)
    after: tuple[str, date, int, int] = ("", date.min, 0, 0)
    while True:
        def work(session: Session, after: tuple[str, date, int, int] = after
                 ) -> list[LedgerLine]:
            code, day, seq, line = after
            rows = session.execute(
                select(AccountRow.code, PostingRow.effective_date, PostingRow.entry_seq,
                       PostingRow.line, EntryRow.memo, PostingRow.debit, PostingRow.credit)
                .join(AccountRow, AccountRow.id == PostingRow.account_id)
                .join(EntryRow, EntryRow.seq == PostingRow.entry_seq)
                .where(AccountRow.entity == entity,
                       PostingRow.effective_date.between(period.starts_on, period.ends_on))
                .where(tuple_(AccountRow.code, PostingRow.effective_date, PostingRow.entry_seq,
                              PostingRow.line) > tuple_(code, day, seq, line))
                .order_by(AccountRow.code, PostingRow.effective_date, PostingRow.entry_seq,
                          PostingRow.line)
                .limit(batch)).all()
            return rows  # type: ignore[return-value]

        rows = uow.read(work)
        if not rows:
            return
        yield [LedgerLine(seq=r.entry_seq, effective_date=r.effective_date, account=r.code,
                          memo=r.memo, debit=int(r.debit), credit=int(r.credit)) for r in rows]
        last = rows[-1]
        after = (last.code, last.effective_date, last.entry_seq, last.line)
