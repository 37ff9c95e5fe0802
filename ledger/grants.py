"""Grants (资助): a passed resolution commits the amount (expense and grant payable posted),
tranches are paid against the schedule, the final one only after a passed acceptance
evaluation (验收评估); an early end returns the unpaid commitment and a grantee can pay money
back (clawback), both by posted entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import select

from ledger.applications import tranches_of
from ledger.books import now, post
from ledger.core.audit import AuditRecord
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.core.grants import (
    BANK,
    FOUNDATION,
    BeyondSchedule,
    EvaluationRequired,
    EvaluationResult,
    GrantStatus,
    clawback_entry,
    commitment_entry,
    tranche_entry,
    unspent_entry,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db import audit as audit_db
from ledger.db import balances as balances_db
from ledger.db import grants as db
from ledger.db.models import (
    ApplicationRow,
    ClawbackRow,
    EvaluationRow,
    GranteeRow,
    GrantRow,
    IncomeRow,
    TrancheRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.expenses import InsufficientFunds
from ledger.foundation import release_in, restore_in
from ledger.recording import audit, text


class GrantNotFound(NotFound):
    code = "grant-not-found"
    title = "No such grant"


class GrantEnded(Conflict):
    code = "grant-ended"
    title = "The grant has ended"


@dataclass(frozen=True, slots=True)
class TrancheState:
    number: int
    due_on: date
    amount: Money
    final: bool
    paid_on: date | None
    entry_seq: int | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    id: int
    evaluated_on: date
    evaluators: str
    result: EvaluationResult
    notes: str
    created_by: str


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    application_id: int
    round_id: int
    grantee_id: int
    grantee: str
    title: str
    amount: Money
    status: GrantStatus
    committed_on: date
    ended_on: date | None
    paid: Money
    unspent_returned: Money  # the commitment left unpaid when the grant ended early
    clawed_back: Money
    tranches: tuple[TrancheState, ...]
    evaluations: tuple[Evaluation, ...]

    @property
    def evaluation_passed(self) -> bool:
        """Whether the latest acceptance evaluation passed."""
        return bool(self.evaluations) and self.evaluations[-1].result is EvaluationResult.PASSED


def grant_row(session: Session, grant_id: int, *, lock: bool = False) -> GrantRow:
    row = session.get(GrantRow, grant_id, with_for_update=lock)
    if row is None:
        raise GrantNotFound(f"there is no grant #{grant_id}", field="grant_id")
    return row


def _tranches(session: Session, grant_id: int) -> list[TrancheRow]:
    return list(session.scalars(select(TrancheRow).where(TrancheRow.grant_id == grant_id)
                                .order_by(TrancheRow.number)))


def _evaluations(session: Session, grant_id: int) -> list[EvaluationRow]:
    return list(session.scalars(select(EvaluationRow).where(EvaluationRow.grant_id == grant_id)
                                .order_by(EvaluationRow.evaluated_on, EvaluationRow.id)))


def grant_in(session: Session, row: GrantRow) -> Grant:
    tranches = _tranches(session, row.id)
    paid = sum(t.amount for t in tranches if t.entry_seq is not None)
    application = session.get(ApplicationRow, row.application_id)
    grantee = session.get(GranteeRow, row.grantee_id)
    assert application is not None
    assert grantee is not None
    unspent = row.amount - paid if row.unspent_entry_seq is not None else 0
    return Grant(
        id=row.id, application_id=row.application_id, round_id=row.round_id,
        grantee_id=row.grantee_id, grantee=grantee.name_zh, title=application.title,
        amount=from_minor(row.amount), status=GrantStatus(row.status),
        committed_on=row.committed_on, ended_on=row.ended_on, paid=from_minor(paid),
        unspent_returned=from_minor(unspent),
        clawed_back=from_minor(db.clawed_back_total(session, row.id)),
        tranches=tuple(TrancheState(t.number, t.due_on, from_minor(t.amount), t.final,
                                    t.paid_on, t.entry_seq) for t in tranches),
        evaluations=tuple(Evaluation(e.id, e.evaluated_on, e.evaluators,
                                     EvaluationResult(e.result), e.notes, e.created_by)
                          for e in _evaluations(session, row.id)))


def commit_in(session: Session, uow: UnitOfWork, actor: Actor, application: ApplicationRow, *,
              on: date) -> GrantRow:
    """Commit a passed application (in the resolution's transaction): post the expense and
    the payable, copy the schedule, and release money restricted to the round."""
    grantee = session.get(GranteeRow, application.grantee_id)
    assert grantee is not None  # foreign key
    amount = from_minor(application.requested)
    grant_id = db.next_id(session, GrantRow)
    posted = post(uow, commitment_entry(grant_id=grant_id, amount=amount, on=on,
                                        grantee=grantee.name_zh, actor=actor.username),
                  by=actor)
    row = GrantRow(id=grant_id, application_id=application.id, round_id=application.round_id,
                   grantee_id=application.grantee_id, amount=application.requested,
                   status=GrantStatus.ACTIVE.value, commit_entry_seq=posted.seq,
                   committed_on=on, created_at=now(), created_by=actor.username)
    session.add(row)
    session.flush()
    schedule = tranches_of(session, application.id)
    session.add_all([TrancheRow(grant_id=grant_id, number=t.number, due_on=t.due_on,
                                amount=to_minor(t.amount), final=t.number == len(schedule))
                     for t in schedule])
    session.flush()
    _release_round_money(session, uow, actor, row, on=on)
    audit(session, actor, "grant.committed", "grant", grant_id,
          application_id=application.id, amount=str(amount.amount))
    return row


def _release_round_money(session: Session, uow: UnitOfWork, actor: Actor, grant: GrantRow, *,
                         on: date) -> None:
    """Money given for the round is spent on this grant: its restriction is met (oldest
    income first)."""
    left = grant.amount
    released = db.released_by_income(session)
    for income in session.scalars(select(IncomeRow).where(IncomeRow.round_id == grant.round_id)
                                  .order_by(IncomeRow.id)):
        take = min(left, income.amount - released.get(income.id, 0))
        if take <= 0 or income.received_on > on:
            continue
        release_in(session, uow, actor, income, amount=from_minor(take), on=on,
                   reason=f"grant #{grant.id}", grant_id=grant.id)
        left -= take
        if not left:
            return


def _restore_round_money(session: Session, uow: UnitOfWork, actor: Actor, grant: GrantRow, *,
                         amount: int, on: date, why: str) -> None:
    """Money of the round this grant released comes back: restricted to the round again
    (newest income first), up to what the grant released."""
    left = amount
    for income_id, released in sorted(db.released_for_grant(session, grant.id).items(),
                                      reverse=True):
        take = min(left, released)
        if take <= 0:
            continue
        income = session.get(IncomeRow, income_id)
        assert income is not None  # foreign key
        restore_in(session, uow, actor, income, amount=from_minor(take), on=on,
                   reason=f"grant #{grant.id}: {why}", grant_id=grant.id)
        left -= take
        if not left:
            return


def _active(session: Session, grant_id: int) -> GrantRow:
    row = grant_row(session, grant_id, lock=True)
    if row.status != GrantStatus.ACTIVE.value:
        raise GrantEnded(f"grant #{grant_id} is {row.status}")
    return row


def _not_before(session: Session, row: GrantRow, on: date) -> None:
    """A grant's money moves in date order: nothing before its commitment or last payment."""
    paid = [t.paid_on for t in _tranches(session, row.id) if t.paid_on is not None]
    latest = max([row.committed_on, *paid])
    if on < latest:
        raise InvalidInput(f"grant #{row.id} last moved on {latest}; this cannot be dated "
                           f"before it", field="on")


def _grantee_name(session: Session, row: GrantRow) -> str:
    grantee = session.get(GranteeRow, row.grantee_id)
    assert grantee is not None
    return grantee.name_zh


def pay_tranche(uow: UnitOfWork, actor: Actor, grant_id: int, *, number: int, on: date,
                amount: Money | None = None) -> Grant:
    """Pay the next tranche of the schedule, for exactly its amount; the final tranche only
    after a passed acceptance evaluation."""

    def work(session: Session) -> Grant:
        row = _active(session, grant_id)
        schedule = _tranches(session, grant_id)
        tranche = next((t for t in schedule if t.number == number), None)
        if tranche is None:
            raise BeyondSchedule(f"grant #{grant_id} has tranches 1 to {len(schedule)}; there "
                                 f"is no tranche {number}", field="number")
        if tranche.entry_seq is not None:
            raise BeyondSchedule(f"tranche {number} was paid on {tranche.paid_on}",
                                 field="number")
        unpaid_before = [t.number for t in schedule
                         if t.number < number and t.entry_seq is None]
        if unpaid_before:
            raise BeyondSchedule(f"pay tranche {unpaid_before[0]} first", field="number")
        scheduled = from_minor(tranche.amount)
        if amount is not None and amount != scheduled:
            raise BeyondSchedule(f"tranche {number} is {scheduled.amount}, not "
                                 f"{amount.amount}", field="amount")
        _not_before(session, row, on)
        if tranche.final:
            latest = _evaluations(session, grant_id)
            if not latest or latest[-1].result != EvaluationResult.PASSED.value:
                raise EvaluationRequired(
                    "the final tranche is paid after the project passes its acceptance "
                    "evaluation" + (" (the latest one failed)" if latest else ""),
                    field="number")
        room = from_minor(balances_db.lowest_from(session, FOUNDATION, {BANK: 1}, on))
        if scheduled > room:
            raise InsufficientFunds(f"from {on} on, the foundation's bank balance is at most "
                                    f"{room.amount} on some day, less than {scheduled.amount}",
                                    field="on")
        posted = post(uow, tranche_entry(grant_id=grant_id, number=number, amount=scheduled,
                                         on=on, grantee=_grantee_name(session, row),
                                         actor=actor.username), by=actor)
        tranche.paid_on, tranche.entry_seq = on, posted.seq
        session.flush()
        audit(session, actor, "grant.tranche_paid", "grant", grant_id, number=number,
              amount=str(scheduled.amount))
        if all(t.entry_seq is not None for t in schedule):
            row.status, row.ended_on = GrantStatus.COMPLETED.value, on
            session.flush()
            audit(session, actor, "grant.completed", "grant", grant_id)
        return grant_in(session, row)

    return uow.write(work)


def evaluate(uow: UnitOfWork, actor: Actor, grant_id: int, *, evaluated_on: date,
             evaluators: str, result: EvaluationResult, notes: str = "") -> Grant:
    """Record an acceptance evaluation; the latest one decides the final tranche."""
    who = text(evaluators, "evaluators", 300)
    why = text(notes, "notes", 5000, required=False)

    def work(session: Session) -> Grant:
        row = _active(session, grant_id)
        if evaluated_on < row.committed_on:
            raise InvalidInput("an evaluation comes after the commitment",
                               field="evaluated_on")
        latest = _evaluations(session, grant_id)
        if latest and evaluated_on < latest[-1].evaluated_on:
            raise InvalidInput(f"the latest evaluation is of {latest[-1].evaluated_on}; a new "
                               f"one cannot be dated before it", field="evaluated_on")
        session.add(EvaluationRow(grant_id=grant_id, evaluated_on=evaluated_on, evaluators=who,
                                  result=EvaluationResult(result).value, notes=why,
                                  created_at=now(), created_by=actor.username))
        session.flush()
        audit(session, actor, f"grant.evaluation_{EvaluationResult(result).value}", "grant",
              grant_id, evaluated_on=evaluated_on.isoformat())
        return grant_in(session, row)

    return uow.write(work)


def close_grant(uow: UnitOfWork, actor: Actor, grant_id: int, *, on: date, reason: str
                ) -> Grant:
    """End a grant early: the commitment not yet paid returns to available funds."""
    why = text(reason, "reason", 300)

    def work(session: Session) -> Grant:
        row = _active(session, grant_id)
        _not_before(session, row, on)
        unpaid = row.amount - db.paid_total(session, grant_id)
        posted = post(uow, unspent_entry(grant_id=grant_id, amount=from_minor(unpaid), on=on,
                                         grantee=_grantee_name(session, row),
                                         actor=actor.username), by=actor)
        row.unspent_entry_seq = posted.seq
        row.status, row.ended_on = GrantStatus.CLOSED.value, on
        session.flush()
        _restore_round_money(session, uow, actor, row, amount=unpaid, on=on, why=why)
        audit(session, actor, "grant.closed", "grant", grant_id, reason=why,
              returned=str(from_minor(unpaid).amount))
        return grant_in(session, row)

    return uow.write(work)


def claw_back(uow: UnitOfWork, actor: Actor, grant_id: int, *, amount: Money, on: date,
              reason: str) -> Grant:
    """The grantee pays back grant money (unspent, or not to be kept): it returns to
    available funds."""
    why = text(reason, "reason", 300)

    def work(session: Session) -> Grant:
        row = grant_row(session, grant_id, lock=True)
        _not_before(session, row, on)
        paid = db.paid_total(session, grant_id) - db.clawed_back_total(session, grant_id)
        if amount > from_minor(paid):
            raise Conflict(f"grant #{grant_id} has paid out {from_minor(paid).amount} not yet "
                           f"returned, less than {amount.amount}", field="amount")
        posted = post(uow, clawback_entry(grant_id=grant_id, amount=amount, on=on,
                                          grantee=_grantee_name(session, row),
                                          actor=actor.username), by=actor)
        session.add(ClawbackRow(grant_id=grant_id, amount=to_minor(amount), returned_on=on,
                                reason=why, entry_seq=posted.seq, created_at=now(),
                                created_by=actor.username))
        session.flush()
        _restore_round_money(session, uow, actor, row, amount=to_minor(amount), on=on, why=why)
        audit(session, actor, "grant.clawed_back", "grant", grant_id,
              amount=str(amount.amount), reason=why)
        return grant_in(session, row)

    return uow.write(work)


def grants(uow: UnitOfWork, round_id: int | None = None) -> list[Grant]:
    def work(session: Session) -> list[Grant]:
        query = select(GrantRow).order_by(GrantRow.id)
        if round_id is not None:
            query = query.where(GrantRow.round_id == round_id)
        return [grant_in(session, r) for r in session.scalars(query)]

    return uow.read(work)


def get_grant(uow: UnitOfWork, grant_id: int) -> Grant:
    return uow.read(lambda session: grant_in(session, grant_row(session, grant_id)))


def history(uow: UnitOfWork, object_type: str, object_id: int) -> list[AuditRecord]:
    """Every change of a round, application or grant, oldest first."""
    where = audit_db.AuditFilter(object_type=object_type, object_id=str(object_id))
    return uow.read(lambda session: list(reversed(audit_db.find(session, where, limit=1000))))
