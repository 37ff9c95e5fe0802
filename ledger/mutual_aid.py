"""Use cases of the chamber's mutual-aid fund: members, the split policy, deposits (split
30/70 and posted), transfers to the foundation, reversals, and each member's service cap.

Every change writes an audit record and its journal entries in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from moneyed import Money

from ledger.books import now, post, reverse_entry, today
from ledger.core.credit_code import normalise
from ledger.core.entries import PostedEntry
from ledger.core.errors import (
    AlreadyExists,
    AlreadyReversed,
    Conflict,
    InvalidInput,
    NotFound,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.mutual_aid import (
    BANK,
    FOUNDATION,
    FOUNDATION_BANK,
    FUND,
    MemberStatus,
    PaymentMethod,
    RemainderRule,
    SplitPolicy,
    check_policy,
    deposit_entry,
    transfer_entries,
    transfer_return_entries,
)
from ledger.core.staff import Actor
from ledger.db import balances as balances_db
from ledger.db import journal as journal_db
from ledger.db import mutual_aid as db
from ledger.db.models import DepositRow, MemberRow, SplitPolicyRow, TransferRow
from ledger.db.session import Session, UnitOfWork
from ledger.expenses import InsufficientFunds, refuse_overspending
from ledger.foundation import availability_in
from ledger.recording import audit, text


class MemberNotFound(NotFound):
    code = "member-not-found"
    title = "No such member enterprise"


class DepositNotFound(NotFound):
    code = "deposit-not-found"
    title = "No such deposit"


class MemberNotActive(Conflict):
    """Deposits are recorded only for active members."""

    code = "member-not-active"
    title = "The member is not active"


class NothingToTransfer(Conflict):
    code = "nothing-to-transfer"
    title = "No deposit share is waiting to be transferred"


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name_zh: str
    name_en: str | None
    credit_code: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    joined_on: date
    status: MemberStatus


@dataclass(frozen=True, slots=True)
class Deposit:
    id: int
    member_id: int
    amount: Money
    operating: Money
    foundation: Money
    received_on: date
    method: PaymentMethod
    reference: str
    policy_version: int
    entry_seq: int
    transfer_id: int | None
    reversal_seq: int | None
    reversal_reason: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Transfer:
    id: int
    made_on: date
    amount: Money
    fund_entry_seq: int
    foundation_entry_seq: int
    deposit_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Entitlement:
    """A member's deposits still in force and the bridging service they entitle it to."""

    member_id: int
    deposits: Money
    cap: Money


def _member(row: MemberRow) -> Member:
    return Member(id=row.id, name_zh=row.name_zh, name_en=row.name_en,
                  credit_code=row.credit_code, legal_representative=row.legal_representative,
                  contact_name=row.contact_name, contact_phone=row.contact_phone,
                  joined_on=row.joined_on, status=MemberStatus(row.status))


def _deposit(row: DepositRow) -> Deposit:
    return Deposit(id=row.id, member_id=row.member_id, amount=from_minor(row.amount),
                   operating=from_minor(row.operating), foundation=from_minor(row.foundation),
                   received_on=row.received_on, method=PaymentMethod(row.method),
                   reference=row.reference, policy_version=row.policy_version,
                   entry_seq=row.entry_seq, transfer_id=row.transfer_id,
                   reversal_seq=row.reversal_seq, reversal_reason=row.reversal_reason,
                   created_at=row.created_at, created_by=row.created_by)




def member_row(session: Session, member_id: int) -> MemberRow:
    row = session.get(MemberRow, member_id)
    if row is None:
        raise MemberNotFound(f"there is no member enterprise #{member_id}", field="member_id")
    return row


# --- members ----------------------------------------------------------------------------------
def register_member(uow: UnitOfWork, actor: Actor, *, name_zh: str, credit_code: str,
                    legal_representative: str, contact_name: str, contact_phone: str,
                    joined_on: date, name_en: str | None = None) -> Member:
    code = normalise(credit_code)
    fields = {
        "name_zh": text(name_zh, "name_zh", 200),
        "name_en": text(name_en or "", "name_en", 200, required=False) or None,
        "legal_representative": text(legal_representative, "legal_representative", 100),
        "contact_name": text(contact_name, "contact_name", 100),
        "contact_phone": text(contact_phone, "contact_phone", 40),
    }

    def work(session: Session) -> Member:
        if session.scalar(db.member_by_code(code)) is not None:
            raise AlreadyExists(f"a member with credit code {code} is registered already",
                                field="credit_code")
        row = MemberRow(credit_code=code, joined_on=joined_on, status="active",
                        created_at=now(), **fields)
        session.add(row)
        session.flush()
        audit(session, actor, "member.registered", "member", row.id, credit_code=code)
        return _member(row)

    return uow.write(work)


def set_member_status(uow: UnitOfWork, actor: Actor, member_id: int, status: MemberStatus
                      ) -> Member:
    def work(session: Session) -> Member:
        row = member_row(session, member_id)
        before, row.status = row.status, MemberStatus(status).value
        session.flush()
        audit(session, actor, "member.status_set", "member", row.id, before=before,
               after=row.status)
        return _member(row)

    return uow.write(work)


def members(uow: UnitOfWork) -> list[Member]:
    return uow.read(lambda session: [_member(r) for r in session.scalars(db.members())])


def member(uow: UnitOfWork, member_id: int) -> Member:
    return uow.read(lambda session: _member(member_row(session, member_id)))


# --- the split policy -------------------------------------------------------------------------
def policies(uow: UnitOfWork) -> list[SplitPolicy]:
    return uow.read(lambda session: [db.to_policy(r) for r in db.policies(session)])


def set_policy(uow: UnitOfWork, actor: Actor, *, effective_from: date, operating_share: Decimal,
               remainder_rule: RemainderRule, service_amount: Money, per_deposit: Money
               ) -> SplitPolicy:
    """Add a policy version in force from a date; earlier versions stay as they were."""
    check_policy(operating_share, service_amount, per_deposit)

    def work(session: Session) -> SplitPolicy:
        latest = db.policies(session)[-1]
        if effective_from <= latest.effective_from:
            raise Conflict(f"a new version must take effect after the latest one "
                           f"({latest.effective_from})", field="effective_from")
        last_deposit = db.latest_received_on(session)
        if last_deposit is not None and effective_from <= last_deposit:
            raise Conflict(f"deposits up to {last_deposit} are recorded under the current "
                           f"version; a new one takes effect after that day",
                           field="effective_from")
        row = SplitPolicyRow(
            version=db.next_policy_version(session), effective_from=effective_from,
            operating_share_bp=int(operating_share * 10_000),
            remainder_rule=RemainderRule(remainder_rule).value,
            service_amount=to_minor(service_amount), per_deposit=to_minor(per_deposit),
            created_at=now(), created_by=actor.username)
        session.add(row)
        session.flush()
        audit(session, actor, "policy.versioned", "policy", row.version,
               operating_share=str(operating_share), remainder_rule=row.remainder_rule)
        return db.to_policy(row)

    return uow.write(work)


# --- deposits ---------------------------------------------------------------------------------
def record_deposit(uow: UnitOfWork, actor: Actor, *, member_id: int, amount: Money,
                   received_on: date, method: PaymentMethod, reference: str) -> Deposit:
    """Record a deposit: split it by the policy in force that day and post it, atomically."""
    ref = text(reference, "reference", 100)
    if amount.amount <= 0:
        raise InvalidInput("a deposit is a positive amount", field="amount")

    def work(session: Session) -> Deposit:
        payer = member_row(session, member_id)
        if payer.status != MemberStatus.ACTIVE:
            raise MemberNotActive(
                f"{payer.name_zh} is {payer.status}; deposits are recorded only for "
                f"active members", field="member_id")
        policy_row = db.policy_on(session, received_on)
        if policy_row is None:
            raise InvalidInput(f"no split policy is in force on {received_on}",
                               field="received_on")
        operating, foundation = db.to_policy(policy_row).split(amount)
        # Writers hold the books' lock, so the next id is ours; it names the entry's source.
        deposit_id = db.next_id(session, DepositRow)
        posted = post(uow, deposit_entry(
            deposit_id=deposit_id, member=payer.name_zh, amount=amount,
            operating=operating, foundation=foundation, received_on=received_on,
            actor=actor.username), by=actor)
        row = DepositRow(id=deposit_id, member_id=member_id, amount=to_minor(amount),
                         operating=to_minor(operating), foundation=to_minor(foundation),
                         received_on=received_on, method=PaymentMethod(method).value,
                         reference=ref, policy_version=policy_row.version,
                         entry_seq=posted.seq, created_at=now(), created_by=actor.username)
        session.add(row)
        session.flush()
        audit(session, actor, "deposit.recorded", "deposit", row.id, member_id=member_id,
               amount=str(amount.amount), operating=str(operating.amount),
               foundation=str(foundation.amount), policy_version=policy_row.version)
        return _deposit(row)

    return uow.write(work)


def deposits(uow: UnitOfWork, member_id: int | None = None) -> list[Deposit]:
    return uow.read(lambda session: [_deposit(r) for r in session.scalars(db.deposits(member_id))])


def owed_deposits(uow: UnitOfWork) -> list[Deposit]:
    """Deposits whose foundation share is still owed: not transferred, not reversed."""
    return uow.read(lambda session: [_deposit(r) for r in session.scalars(db.untransferred(None))])


def deposit(uow: UnitOfWork, deposit_id: int) -> Deposit:
    def work(session: Session) -> Deposit:
        row = session.get(DepositRow, deposit_id)
        if row is None:
            raise DepositNotFound(f"there is no deposit #{deposit_id}")
        return _deposit(row)

    return uow.read(work)


@dataclass(frozen=True, slots=True)
class DepositRecord:
    """Everything a receipt shows about a deposit, read in one consistent snapshot."""

    deposit: Deposit
    member: Member
    policy: SplitPolicy
    entry: PostedEntry


def deposit_record(uow: UnitOfWork, deposit_id: int) -> DepositRecord:
    def work(session: Session) -> DepositRecord:
        row = session.get(DepositRow, deposit_id)
        if row is None:
            raise DepositNotFound(f"there is no deposit #{deposit_id}")
        policy = next(p for p in db.policies(session) if p.version == row.policy_version)
        return DepositRecord(deposit=_deposit(row), member=_member(member_row(session,
                                                                              row.member_id)),
                             policy=db.to_policy(policy),
                             entry=journal_db.get(session, row.entry_seq))

    return uow.read(work)


def reverse_deposit(uow: UnitOfWork, actor: Actor, deposit_id: int, *, reason: str,
                    on: date | None = None) -> Deposit:
    """Undo a deposit recorded by mistake, every part of it: its own entry and, if its share
    already went to the foundation, the foundation's income and the fund's payment."""
    why = text(reason, "reason", 500)
    day = on or today()

    def work(session: Session) -> Deposit:
        row = session.get(DepositRow, deposit_id, with_for_update=True)
        if row is None:
            raise DepositNotFound(f"there is no deposit #{deposit_id}")
        if row.reversal_seq is not None:
            raise AlreadyReversed(f"deposit #{deposit_id} was reversed already")
        earliest = row.received_on
        if row.transfer_id is not None:
            earliest = max(earliest, db.transfer_date(session, row.transfer_id))
        if day < earliest:
            raise InvalidInput(f"the reversal cannot be dated before {earliest} (the deposit "
                               f"or the transfer of its share)", field="effective_date")
        # the reversal first: the returns that follow are then part of a correction, which a
        # closing period accepts
        reversal = reverse_entry(uow, row.entry_seq, actor=actor.username, effective_date=day,
                                 memo=f"冲销互助资金 #{row.id} / reversal of deposit: {why}"[:500],
                                 by=actor, owned=True)
        if row.transfer_id is not None:
            for entry in transfer_return_entries(deposit_id=row.id,
                                                 amount=from_minor(row.foundation), on=day,
                                                 actor=actor.username):
                post(uow, entry, by=actor)
        _refuse_overspent_reversal(session, row, day)
        row.reversal_seq, row.reversal_reason = reversal.seq, why
        session.flush()
        audit(session, actor, "deposit.reversed", "deposit", row.id, reason=why,
               transferred=row.transfer_id is not None)
        return _deposit(row)

    return uow.write(work)


def _refuse_overspent_reversal(session: Session, row: DepositRow, day: date) -> None:
    """With the reversal's entries posted (not yet committed): refuse if giving the deposit
    back leaves the fund's bank short on its date or any later day, or, when its share went
    to the foundation, the foundation's bank short or its available funds below zero (the
    share is committed to grants or reserved). The money has to come back first."""
    amount = from_minor(row.amount).amount
    if balances_db.lowest_from(session, FUND, {BANK: 1}, day) < 0:
        raise InsufficientFunds(
            f"the fund's bank cannot give back deposit #{row.id} ({amount}) from {day} on: "
            f"the money was paid out since", field="effective_date")
    if row.transfer_id is None:
        return
    share = from_minor(row.foundation).amount
    if balances_db.lowest_from(session, FOUNDATION, {FOUNDATION_BANK: 1}, day) < 0:
        raise InsufficientFunds(
            f"the foundation's bank cannot return the {share} share of deposit #{row.id} from "
            f"{day} on", field="effective_date")
    if availability_in(session).available.amount < 0:
        raise InsufficientFunds(
            f"the foundation's available funds cannot return the {share} share of deposit "
            f"#{row.id}: it is committed to grants or reserved", field="effective_date")


# --- transfers to the foundation --------------------------------------------------------------
def transfer_to_foundation(uow: UnitOfWork, actor: Actor, *, made_on: date,
                           deposit_ids: list[int] | None = None) -> Transfer:
    """Pay the foundation the shares of these deposits (default: every one still owed) in one
    transfer: the fund's payable falls, the foundation books the income."""

    def work(session: Session) -> Transfer:
        rows = list(session.scalars(db.untransferred(deposit_ids).with_for_update()))
        if deposit_ids is not None and len(rows) != len(set(deposit_ids)):
            missing = sorted(set(deposit_ids) - {r.id for r in rows})
            raise Conflict(f"deposits {missing} do not exist, were reversed or were "
                           f"transferred already", field="deposit_ids")
        if not rows:
            raise NothingToTransfer("no deposit share is waiting to be transferred")
        latest = max(r.received_on for r in rows)
        if made_on < latest:
            raise InvalidInput(f"the transfer cannot be dated before the deposits it pays "
                               f"(the latest was received on {latest})", field="made_on")
        total = from_minor(sum(r.foundation for r in rows))
        refuse_overspending(session, total, on=made_on, operating=False)
        transfer_id = db.next_id(session, TransferRow)  # ours: writers hold the books' lock
        fund_entry, foundation_entry = transfer_entries(
            transfer_id=transfer_id, amount=total, made_on=made_on, actor=actor.username)
        fund_posted = post(uow, fund_entry, by=actor)
        foundation_posted = post(uow, foundation_entry, by=actor)
        row = TransferRow(id=transfer_id, made_on=made_on, amount=to_minor(total),
                          fund_entry_seq=fund_posted.seq,
                          foundation_entry_seq=foundation_posted.seq, created_at=now(),
                          created_by=actor.username)
        session.add(row)
        session.flush()
        for deposit_row in rows:
            deposit_row.transfer_id = row.id
        session.flush()
        audit(session, actor, "transfer.made", "transfer", row.id, amount=str(total.amount),
               deposits=[r.id for r in rows])
        return Transfer(id=row.id, made_on=made_on, amount=total,
                        fund_entry_seq=fund_posted.seq,
                        foundation_entry_seq=foundation_posted.seq,
                        deposit_ids=tuple(r.id for r in rows))

    return uow.write(work)


def transfers(uow: UnitOfWork) -> list[Transfer]:
    def work(session: Session) -> list[Transfer]:
        covered = db.deposit_ids_by_transfer(session)
        return [Transfer(id=row.id, made_on=row.made_on, amount=from_minor(row.amount),
                         fund_entry_seq=row.fund_entry_seq,
                         foundation_entry_seq=row.foundation_entry_seq,
                         deposit_ids=tuple(covered.get(row.id, ())))
                for row in session.scalars(db.transfers())]

    return uow.read(work)


# --- entitlement ------------------------------------------------------------------------------
def entitlement(uow: UnitOfWork, member_id: int) -> Entitlement:
    """The member's deposits in force and its service cap: each deposit counts under the
    policy version it was recorded with."""
    return uow.read(lambda session: entitlement_in(session, member_id))


def entitlement_in(session: Session, member_id: int) -> Entitlement:
    member_row(session, member_id)
    by_version = {p.version: db.to_policy(p) for p in db.policies(session)}
    total, cap = 0, 0
    for row in session.scalars(db.deposits(member_id)):
        if row.reversal_seq is None:
            total += row.amount
            cap += to_minor(by_version[row.policy_version].cap(from_minor(row.amount)))
    return Entitlement(member_id=member_id, deposits=from_minor(total), cap=from_minor(cap))
