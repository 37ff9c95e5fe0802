"""Grant rounds (公开征集, open calls): set-up, then open (the budget is reserved from the
foundation's available funds), review, and close (what is left of the reservation is void).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import select

from ledger.books import now
from ledger.core.errors import InvalidInput, NotFound
from ledger.core.grants import (
    ApplicationNotInState,
    ApplicationStatus,
    Criterion,
    Majority,
    OverCommitted,
    RoundStatus,
    check_criteria,
    check_round_transition,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor, Role
from ledger.db import grants as db
from ledger.db.models import (
    ApplicationRow,
    CriterionRow,
    ReviewerRow,
    RoundRow,
    UserRoleRow,
    UserRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.foundation import availability_in, reservation_of
from ledger.recording import audit, text


class RoundNotFound(NotFound):
    code = "round-not-found"
    title = "No such grant round"


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    title: str
    description: str
    eligibility: str
    budget: Money
    opens_on: date
    closes_on: date
    quorum: int
    majority: Majority
    assembly_required: bool
    status: RoundStatus
    criteria: tuple[Criterion, ...]
    reviewers: tuple[str, ...]  # usernames of the board members who review
    committed: Money  # grants approved in the round
    reserved: Money  # what the round still reserves of the foundation's funds


def round_row(session: Session, round_id: int, *, lock: bool = False) -> RoundRow:
    row = session.get(RoundRow, round_id, with_for_update=lock)
    if row is None:
        raise RoundNotFound(f"there is no grant round #{round_id}", field="round_id")
    return row


def criteria_of(session: Session, round_id: int) -> list[tuple[int, Criterion]]:
    return [(r.id, Criterion(r.name, r.weight)) for r in session.scalars(
        select(CriterionRow).where(CriterionRow.round_id == round_id)
        .order_by(CriterionRow.position))]


def reviewers_of(session: Session, round_id: int) -> dict[int, str]:
    """The round's reviewers: user id -> username."""
    return {user_id: name for user_id, name in session.execute(
        select(UserRow.id, UserRow.username).join(ReviewerRow, ReviewerRow.user_id == UserRow.id)
        .where(ReviewerRow.round_id == round_id).order_by(UserRow.username))}


def round_in(session: Session, row: RoundRow) -> Round:
    committed = db.committed_by_round(session).get(row.id, 0)
    return Round(id=row.id, title=row.title, description=row.description,
                 eligibility=row.eligibility, budget=from_minor(row.budget),
                 opens_on=row.opens_on, closes_on=row.closes_on, quorum=row.quorum,
                 majority=Majority(row.majority), assembly_required=row.assembly_required,
                 status=RoundStatus(row.status),
                 criteria=tuple(c for _, c in criteria_of(session, row.id)),
                 reviewers=tuple(reviewers_of(session, row.id).values()),
                 committed=from_minor(committed),
                 reserved=from_minor(reservation_of(row, committed)))


def _board_members(session: Session, usernames: Sequence[str]) -> list[int]:
    names = [u.strip() for u in usernames]
    if len(set(names)) != len(names):
        raise InvalidInput("each reviewer is named once", field="reviewers")
    found = {name: user_id for name, user_id in session.execute(
        select(UserRow.username, UserRow.id).join(UserRoleRow, UserRoleRow.user_id == UserRow.id)
        .where(UserRow.username.in_(names), UserRow.disabled.is_(False),
               UserRoleRow.role == Role.BOARD_MEMBER.value))}
    missing = [n for n in names if n not in found]
    if missing:
        raise InvalidInput(f"not active board members: {', '.join(missing)}",
                           field="reviewers")
    return [found[n] for n in names]


def create_round(uow: UnitOfWork, actor: Actor, *, title: str, description: str,
                 eligibility: str, budget: Money, opens_on: date, closes_on: date, quorum: int,
                 majority: Majority, criteria: Sequence[Criterion], reviewers: Sequence[str],
                 assembly_required: bool = False) -> Round:
    """A round in draft: nothing is reserved until it opens."""
    fields = {"title": text(title, "title", 200),
              "description": text(description, "description", 5000),
              "eligibility": text(eligibility, "eligibility", 5000)}
    if opens_on > closes_on:
        raise InvalidInput("the application window closes before it opens", field="closes_on")
    check_criteria(criteria)
    if not 1 <= quorum <= len(reviewers):
        raise InvalidInput(f"the quorum is 1 to the number of reviewers ({len(reviewers)})",
                           field="quorum")

    def work(session: Session) -> Round:
        user_ids = _board_members(session, reviewers)
        row = RoundRow(budget=to_minor(budget), opens_on=opens_on, closes_on=closes_on,
                       quorum=quorum, majority=Majority(majority).value,
                       assembly_required=assembly_required, status=RoundStatus.DRAFT.value,
                       created_at=now(), created_by=actor.username, **fields)
        session.add(row)
        session.flush()
        session.add_all([CriterionRow(round_id=row.id, position=i, name=c.name.strip(),
                                      weight=c.weight) for i, c in enumerate(criteria, 1)])
        session.add_all([ReviewerRow(round_id=row.id, user_id=u) for u in user_ids])
        session.flush()
        audit(session, actor, "round.created", "round", row.id, budget=str(budget.amount))
        return round_in(session, row)

    return uow.write(work)


def open_round(uow: UnitOfWork, actor: Actor, round_id: int) -> Round:
    """The open call starts: its budget is reserved, if the foundation has it available
    (money given for this round counts towards it)."""

    def work(session: Session) -> Round:
        row = round_row(session, round_id, lock=True)
        check_round_transition(RoundStatus(row.status), RoundStatus.OPEN)
        before = availability_in(session).available
        row.status = RoundStatus.OPEN.value
        session.flush()
        after = availability_in(session)
        if after.available.amount < 0:
            needed = before - after.available
            raise OverCommitted(f"the foundation has {before.amount} available; this round "
                                f"needs {needed.amount} more of it", field="budget")
        audit(session, actor, "round.opened", "round", row.id,
              reserved=str(from_minor(row.budget).amount))
        return round_in(session, row)

    return uow.write(work)


def start_review(uow: UnitOfWork, actor: Actor, round_id: int) -> Round:
    """Applications close; the board reviews."""
    return _move(uow, actor, round_id, RoundStatus.REVIEW)


def close_round(uow: UnitOfWork, actor: Actor, round_id: int) -> Round:
    """Every application decided: what the round did not commit returns to available funds."""

    def check(session: Session, row: RoundRow) -> None:
        pending = session.scalar(select(ApplicationRow.id).where(
            ApplicationRow.round_id == row.id,
            ApplicationRow.status == ApplicationStatus.SUBMITTED.value).limit(1))
        if pending is not None:
            raise ApplicationNotInState(f"application #{pending} is still undecided; "
                                        f"resolve or withdraw every application first")

    return _move(uow, actor, round_id, RoundStatus.CLOSED, check)


def cancel_round(uow: UnitOfWork, actor: Actor, round_id: int) -> Round:
    """A round in draft or open call is called off: its reservation is void and the
    applications it took are withdrawn (each with its audit record)."""

    def withdraw_all(session: Session, row: RoundRow) -> None:
        for application in session.scalars(select(ApplicationRow).where(
                ApplicationRow.round_id == row.id,
                ApplicationRow.status == ApplicationStatus.SUBMITTED.value)):
            application.status = ApplicationStatus.WITHDRAWN.value
            audit(session, actor, "application.withdrawn", "application", application.id,
                  reason="round cancelled")
        session.flush()

    return _move(uow, actor, round_id, RoundStatus.CANCELLED, withdraw_all)


def _move(uow: UnitOfWork, actor: Actor, round_id: int, status: RoundStatus,
          before: Callable[[Session, RoundRow], None] | None = None) -> Round:
    """Move a round to `status`, after `before` (a check, or what goes with the move)."""

    def work(session: Session) -> Round:
        row = round_row(session, round_id, lock=True)
        check_round_transition(RoundStatus(row.status), status)
        if before is not None:
            before(session, row)
        released = reservation_of(row, db.committed_by_round(session).get(row.id, 0))
        row.status = status.value
        session.flush()
        audit(session, actor, f"round.{status.value}", "round", row.id,
              **({"reservation_void": str(from_minor(released).amount)}
                 if status in (RoundStatus.CLOSED, RoundStatus.CANCELLED) else {}))
        return round_in(session, row)

    return uow.write(work)


def rounds(uow: UnitOfWork) -> list[Round]:
    return uow.read(lambda session: [
        round_in(session, r) for r in session.scalars(select(RoundRow).order_by(RoundRow.id))])


def get_round(uow: UnitOfWork, round_id: int) -> Round:
    return uow.read(lambda session: round_in(session, round_row(session, round_id)))
