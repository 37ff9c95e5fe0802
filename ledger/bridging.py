"""Bridging services (续贷过桥): the fund bridges a member's maturing bank loan until the bank
renews it. A service is requested, approved by a second person (never the requester), made
active (with or without an advance of the fund's money), then repaid or defaulted.

The cap: a member's outstanding services (approved or active, and defaulted ones, which are
never repaid) never exceed the service cap its deposits give. Approval re-checks the cap
inside the books' write lock, so concurrent approvals cannot push a member past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money

from ledger.books import now, post, today
from ledger.core.audit import AuditEvent
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.core.money import from_minor, to_minor
from ledger.core.mutual_aid import (
    OUTSTANDING,
    MemberStatus,
    ServiceStatus,
    advance_entry,
    check_transition,
    default_entry,
    repayment_entry,
)
from ledger.core.staff import Actor, check_four_eyes
from ledger.db import audit as audit_db
from ledger.db import mutual_aid as db
from ledger.db.models import ServiceRow
from ledger.db.session import Session, UnitOfWork
from ledger.expenses import refuse_overspending
from ledger.mutual_aid import MemberNotActive, entitlement_in, member_row


class ServiceNotFound(NotFound):
    code = "service-not-found"
    title = "No such bridging service"


class OverCap(Conflict):
    """Approving this would put the member's outstanding services above its cap."""

    code = "over-cap"
    title = "Above the member's service cap"


@dataclass(frozen=True, slots=True)
class Service:
    id: int
    member_id: int
    bank: str
    loan_amount: Money
    bridge_from: date
    bridge_to: date
    status: ServiceStatus
    requested_by: int
    approved_by: int | None
    advanced: bool
    ended_on: date | None


@dataclass(frozen=True, slots=True)
class Exposure:
    """A member's cap, what its outstanding services hold of it, and the fund's money out."""

    member_id: int
    cap: Money
    outstanding: Money
    available: Money
    advanced: Money


def _service(row: ServiceRow) -> Service:
    return Service(id=row.id, member_id=row.member_id, bank=row.bank,
                   loan_amount=from_minor(row.loan_amount), bridge_from=row.bridge_from,
                   bridge_to=row.bridge_to, status=ServiceStatus(row.status),
                   requested_by=row.requested_by, approved_by=row.approved_by,
                   advanced=row.advance_entry_seq is not None, ended_on=row.ended_on)


def _audit(session: Session, actor: Actor, action: str, row: ServiceRow, **details: object
           ) -> None:
    audit_db.record(session, AuditEvent(actor=actor, action=action, object_type="service",
                                        object_id=str(row.id),
                                        details={"member_id": row.member_id, **details}),
                    at=now())


def _row(session: Session, service_id: int) -> ServiceRow:
    row = session.get(ServiceRow, service_id, with_for_update=True)
    if row is None:
        raise ServiceNotFound(f"there is no bridging service #{service_id}")
    return row


def exposure_in(session: Session, member_id: int) -> Exposure:
    cap = entitlement_in(session, member_id).cap
    outstanding = from_minor(db.outstanding_total(session, member_id,
                                                  tuple(s.value for s in OUTSTANDING)))
    advanced = from_minor(sum(r.loan_amount for r in session.scalars(db.services(member_id))
                              if r.advance_entry_seq is not None and r.settle_entry_seq is None))
    return Exposure(member_id=member_id, cap=cap, outstanding=outstanding,
                    available=cap - outstanding, advanced=advanced)


def exposure(uow: UnitOfWork, member_id: int) -> Exposure:
    return uow.read(lambda session: exposure_in(session, member_id))


def request_service(uow: UnitOfWork, actor: Actor, *, member_id: int, bank: str,
                    loan_amount: Money, bridge_from: date, bridge_to: date) -> Service:
    name = bank.strip()
    if not name or len(name) > 100:
        raise InvalidInput("bank is 1 to 100 characters", field="bank")
    if bridge_from > bridge_to:
        raise InvalidInput("the bridge ends before it starts", field="bridge_to")
    if actor.user_id is None:
        raise InvalidInput("a service is requested by a staff account")

    def work(session: Session) -> Service:
        member = member_row(session, member_id)
        if member.status != MemberStatus.ACTIVE:
            raise MemberNotActive(f"{member.name_zh} is {member.status}", field="member_id")
        row = ServiceRow(member_id=member_id, bank=name, loan_amount=to_minor(loan_amount),
                         bridge_from=bridge_from, bridge_to=bridge_to, status="requested",
                         requested_by=actor.user_id, requested_at=now())
        session.add(row)
        session.flush()
        _audit(session, actor, "service.requested", row, amount=str(loan_amount.amount))
        return _service(row)

    return uow.write(work)


def approve_service(uow: UnitOfWork, actor: Actor, service_id: int) -> Service:
    """A second person approves; the member's cap must still hold the service."""

    def work(session: Session) -> Service:
        row = _row(session, service_id)
        check_transition(ServiceStatus(row.status), ServiceStatus.APPROVED)
        check_four_eyes(submitted_by=row.requested_by, approver=actor)
        room = exposure_in(session, row.member_id).available
        if from_minor(row.loan_amount) > room:
            raise OverCap(f"the member's cap leaves {room.amount} free, less than the "
                          f"{from_minor(row.loan_amount).amount} of this service")
        row.status, row.approved_by, row.approved_at = "approved", actor.user_id, now()
        session.flush()
        _audit(session, actor, "service.approved", row)
        return _service(row)

    return uow.write(work)


def reject_service(uow: UnitOfWork, actor: Actor, service_id: int) -> Service:
    def work(session: Session) -> Service:
        row = _row(session, service_id)
        check_transition(ServiceStatus(row.status), ServiceStatus.REJECTED)
        check_four_eyes(submitted_by=row.requested_by, approver=actor)
        row.status, row.ended_on = "rejected", today()
        session.flush()
        _audit(session, actor, "service.rejected", row)
        return _service(row)

    return uow.write(work)


def activate_service(uow: UnitOfWork, actor: Actor, service_id: int, *, advance: bool,
                     on: date) -> Service:
    """The bridge starts; with `advance`, the fund pays the loan amount out of its bank."""

    def work(session: Session) -> Service:
        row = _row(session, service_id)
        check_transition(ServiceStatus(row.status), ServiceStatus.ACTIVE)
        if advance:
            amount = from_minor(row.loan_amount)
            refuse_overspending(session, amount, on=on, operating=False)
            member = member_row(session, row.member_id)
            posted = post(uow, advance_entry(service_id=row.id, member=member.name_zh,
                                             amount=amount, on=on, actor=actor.username),
                          by=actor)
            row.advance_entry_seq = posted.seq
        row.status = "active"
        session.flush()
        _audit(session, actor, "service.activated", row, advance=advance)
        return _service(row)

    return uow.write(work)


def end_service(uow: UnitOfWork, actor: Actor, service_id: int, *, status: ServiceStatus,
                on: date) -> Service:
    """Repaid: an advance comes back to the bank. Defaulted: it is written off."""

    def work(session: Session) -> Service:
        row = _row(session, service_id)
        check_transition(ServiceStatus(row.status), ServiceStatus(status))
        if row.advance_entry_seq is not None:
            member = member_row(session, row.member_id)
            build = repayment_entry if status is ServiceStatus.REPAID else default_entry
            posted = post(uow, build(service_id=row.id, member=member.name_zh,
                                     amount=from_minor(row.loan_amount), on=on,
                                     actor=actor.username), by=actor)
            row.settle_entry_seq = posted.seq
        row.status, row.ended_on = ServiceStatus(status).value, on
        session.flush()
        _audit(session, actor, f"service.{row.status}", row)
        return _service(row)

    return uow.write(work)


def services(uow: UnitOfWork, member_id: int | None = None) -> list[Service]:
    return uow.read(lambda session: [_service(r) for r in session.scalars(db.services(member_id))])


def service(uow: UnitOfWork, service_id: int) -> Service:
    def work(session: Session) -> Service:
        row = session.get(ServiceRow, service_id)
        if row is None:
            raise ServiceNotFound(f"there is no bridging service #{service_id}")
        return _service(row)

    return uow.read(work)
