"""A campaign's end: the contractor paid, leftovers handled by the campaign's rule, or the
campaign cancelled with every payer refunded exactly. Either way the money restricted to the
campaign ends at zero (the database refuses to close or cancel it otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money

from ledger.books import now, post
from ledger.campaigns import Campaign, _campaign, figures_in, get_row
from ledger.core.campaigns import (
    BANK,
    CASH,
    HOUSEHOLD_DONATIONS,
    SUBSIDY_INCOME,
    CampaignStatus,
    InvalidTransition,
    LeftoverRule,
    NotFunded,
    ShortfallUnassigned,
    campaign_release_entry,
    check_campaign_transition,
    contractor_entry,
    contractor_split,
    latest_first,
    money_account,
    overpaid_back,
    pro_rata,
    refund_entry,
)
from ledger.core.errors import InvalidInput
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db import balances as balances_db
from ledger.db import campaigns as db
from ledger.db.models import (
    CampaignRefundRow,
    CampaignRow,
    ContractorPaymentRow,
    HouseholdRow,
    LeftoverReleaseRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.expenses import InsufficientFunds
from ledger.recording import audit, text


@dataclass(frozen=True, slots=True)
class Refund:
    """Money given back to one payer: a household's payment or the subsidy."""

    payment_id: int | None
    subsidy_id: int | None
    whom: str
    amount: Money
    arrived_on: date  # when the money refunded came in: a refund is not dated before it


def _spendable(session: Session, code: str, on: date) -> Money:
    """What an asset account may pay out on `on` without going below zero then or on any
    later day with postings (money is not spent before it arrives)."""
    return from_minor(balances_db.lowest_from(session, "foundation", {code: 1}, on))


def pay_contractor(uow: UnitOfWork, actor: Actor, campaign_id: int, *, amount: Money,
                   paid_on: date, reference: str = "") -> Campaign:
    """Pay the contractor of a funded campaign: restricted money first (released as its
    purpose is met), then the foundation's match. Paid in full, the campaign moves on."""
    ref = text(reference, "reference", 100, required=False)

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        if row.status != CampaignStatus.FUNDED:
            raise NotFunded(f"campaign #{row.id} is {row.status}; the contractor is paid once "
                            f"it is funded", field="campaign_id")
        figures = figures_in(session, row)
        if amount > figures.to_pay:
            raise InvalidInput(f"the contractor is owed {figures.to_pay.amount} of the quoted "
                               f"{figures.cost.amount}", field="amount")
        restricted, _ = contractor_split(amount, restricted=figures.restricted,
                                         match_left=figures.match_left)
        bank = _spendable(session, BANK, paid_on)
        if amount > bank:
            raise InsufficientFunds(
                f"on {paid_on} and after, the foundation's bank account can pay {bank.amount},"
                f" less than {amount.amount}; bank the cash collected first (a voucher: "
                f"Dr 1002 / Cr 1001), or date the payment after the money arrived",
                field="amount")
        expense = post(uow, contractor_entry(campaign_id=row.id, amount=amount, on=paid_on,
                                             contractor=row.contractor,
                                             actor=actor.username), by=actor)
        release = post(uow, campaign_release_entry(
            campaign_id=row.id, amount=restricted, on=paid_on,
            reason=f"众筹维修 #{row.id} / repair paid", actor=actor.username),
            by=actor) if restricted.amount > 0 else None
        session.add(ContractorPaymentRow(
            campaign_id=row.id, amount=to_minor(amount), restricted=to_minor(restricted),
            paid_on=paid_on, reference=ref, entry_seq=expense.seq,
            release_entry_seq=release.seq if release else None, created_at=now(),
            created_by=actor.username))
        session.flush()
        audit(session, actor, "campaign.contractor_paid", "campaign", row.id,
              amount=str(amount.amount), restricted=str(restricted.amount))
        if figures.to_pay == amount:
            _move(session, actor, row, CampaignStatus.CONTRACTOR_PAID)
        return _campaign(session, row)

    return uow.write(work)


def _move(session: Session, actor: Actor, row: CampaignRow, status: CampaignStatus,
          **details: object) -> None:
    check_campaign_transition(CampaignStatus(row.status), status)
    row.status = status.value
    session.flush()
    audit(session, actor, f"campaign.{status.value}", "campaign", row.id, **details)


def _contributions(session: Session, campaign_id: int) -> list[Refund]:
    """Every payer's net contribution, subsidy first, then payments in order."""
    returned = db.returned_by_subsidy(session, campaign_id)
    refunded = db.refunded_by_payment(session, campaign_id)
    found = [Refund(None, s.id, s.payer, from_minor(s.amount - returned.get(s.id, 0)),
                    s.received_on) for s in db.subsidies(session, campaign_id)]
    for payment in db.payments(session, campaign_id):
        household = session.get(HouseholdRow, payment.household_id)
        assert household is not None
        found.append(Refund(payment.id, None,
                            f"{household.building}-{household.unit}-{household.room}",
                            from_minor(payment.amount - refunded.get(payment.id, 0)),
                            payment.paid_on))
    return [c for c in found if c.amount.amount > 0]


def _refund(session: Session, uow: UnitOfWork, actor: Actor, row: CampaignRow, refunds:
            list[Refund], *, on: date, reason: str) -> None:
    """Post the refunds: none dated before its money arrived, none overdrawing an account.
    A cash payer is refunded in cash while cash in hand allows, else from the bank."""
    refunds = [r for r in refunds if r.amount.amount > 0]
    late = [r for r in refunds if r.arrived_on > on]
    if late:
        raise InvalidInput(f"the refund to {late[0].whom} is dated {on}, before its money "
                           f"arrived ({late[0].arrived_on})", field="on")
    methods = {p.id: p.method for p in db.payments(session, row.id)}
    left = {code: _spendable(session, code, on) for code in (CASH, BANK)}
    for refund in refunds:
        wanted = BANK if refund.subsidy_id else money_account(methods[refund.payment_id])
        paid_from = wanted if left[wanted] >= refund.amount else BANK
        if left[paid_from] < refund.amount:
            raise InsufficientFunds(
                f"on {on} and after, the foundation cannot pay {refund.amount.amount} back to "
                f"{refund.whom} ({left[paid_from].amount} left in "
                f"{'cash' if paid_from == CASH else 'the bank'})", field="on")
        left[paid_from] -= refund.amount
        posted = post(uow, refund_entry(
            campaign_id=row.id, amount=refund.amount, on=on,
            income_account=SUBSIDY_INCOME if refund.subsidy_id else HOUSEHOLD_DONATIONS,
            paid_from=paid_from, whom=refund.whom, reason=reason, actor=actor.username),
            by=actor)
        session.add(CampaignRefundRow(
            campaign_id=row.id, payment_id=refund.payment_id, subsidy_id=refund.subsidy_id,
            amount=to_minor(refund.amount), refunded_on=on, reason=reason,
            entry_seq=posted.seq, created_at=now(), created_by=actor.username))
    session.flush()


def _overpaid(session: Session, row: CampaignRow, leftover: Money) -> list[Refund]:
    """Refunds of what households paid beyond their shares (see `overpaid_back`), taken from
    each household's latest payments first."""
    refunded = db.refunded_by_payment(session, row.id)
    by_household: dict[int, list[tuple[int, Money, date]]] = {}
    for payment in db.payments(session, row.id):
        net = from_minor(payment.amount - refunded.get(payment.id, 0))
        by_household.setdefault(payment.household_id, []).append((payment.id, net,
                                                                   payment.paid_on))
    over = []
    for household in db.roll(session, row.id):
        paid = by_household.get(household.id, [])
        excess = sum((m for _, m, _ in paid), from_minor(0)) - from_minor(household.share)
        if excess.amount > 0:
            over.append((household, paid, excess))
    if not over:
        return []
    found = []
    backs = overpaid_back(leftover, [excess for _, _, excess in over])
    for (household, paid, _), back in zip(over, backs, strict=True):
        whom = f"{household.building}-{household.unit}-{household.room}"
        parts = latest_first(back, [m for _, m, _ in paid])
        found += [Refund(pid, None, whom, part, on)
                  for (pid, _, on), part in zip(paid, parts, strict=True) if part.amount > 0]
    return found


def close_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int, *, on: date,
                   disclosure: str = "") -> Campaign:
    """Close a campaign whose contractor is paid: the shortfall must be assigned. What a
    household paid beyond its share goes back to it; any other leftover restricted money is
    refunded pro rata to everyone who paid it in, or released to the foundation with a
    disclosure, by the campaign's rule."""
    note = text(disclosure, "disclosure", 2000, required=False)

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        check_campaign_transition(CampaignStatus(row.status), CampaignStatus.CLOSED)
        figures = figures_in(session, row)
        if figures.unassigned.amount > 0:
            raise ShortfallUnassigned(f"{figures.unassigned.amount} of shortfall is not "
                                      f"assigned to a source", field="shortfall")
        leftover = figures.restricted
        back = _overpaid(session, row, leftover)
        _refund(session, uow, actor, row, back,
                on=on, reason="多缴退还 / paid beyond the share, refunded")
        leftover -= sum((r.amount for r in back), leftover - leftover)
        if leftover.amount > 0 and LeftoverRule(row.leftover_rule) is LeftoverRule.REFUND:
            payers = _contributions(session, row.id)
            parts = pro_rata(leftover, [p.amount for p in payers])
            _refund(session, uow, actor, row,
                    [Refund(p.payment_id, p.subsidy_id, p.whom, part, p.arrived_on)
                     for p, part in zip(payers, parts, strict=True)],
                    on=on, reason="余款按比例退还 / leftover refunded pro rata")
        elif leftover.amount > 0:
            if not note:
                raise InvalidInput("leftover money given to the foundation is disclosed: say "
                                   "how much and what it will be used for", field="disclosure")
            posted = post(uow, campaign_release_entry(
                campaign_id=row.id, amount=leftover, on=on,
                reason=f"众筹余款转基金会 #{row.id} / leftover to the foundation",
                actor=actor.username), by=actor)
            session.add(LeftoverReleaseRow(campaign_id=row.id, amount=to_minor(leftover),
                                           released_on=on, disclosure=note,
                                           entry_seq=posted.seq, created_at=now(),
                                           created_by=actor.username))
            session.flush()
        _move(session, actor, row, CampaignStatus.CLOSED, leftover=str(leftover.amount),
              leftover_rule=row.leftover_rule)
        return _campaign(session, row)

    return uow.write(work)


def cancel_campaign(uow: UnitOfWork, actor: Actor, campaign_id: int, *, on: date,
                    reason: str) -> Campaign:
    """Cancel a campaign before the contractor is paid (e.g. all-or-nothing and the target
    missed): every payment and the subsidy go back, each exactly what it paid in."""
    why = text(reason, "reason", 300)

    def work(session: Session) -> Campaign:
        row = get_row(session, campaign_id)
        check_campaign_transition(CampaignStatus(row.status), CampaignStatus.CANCELLED)
        spent = figures_in(session, row).spent
        if spent.amount > 0:
            raise InvalidTransition(f"{spent.amount} was paid to the contractor already; the "
                                    f"campaign is completed, not cancelled", field="campaign_id")
        _refund(session, uow, actor, row, _contributions(session, row.id), on=on,
                reason=f"众筹取消 / campaign cancelled: {why}")
        _move(session, actor, row, CampaignStatus.CANCELLED, reason=why)
        return _campaign(session, row)

    return uow.write(work)
