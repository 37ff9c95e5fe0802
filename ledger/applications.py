"""Applications to a grant round: the project, the need it meets, the amount requested with
its budget breakdown and proposed tranche schedule, and supporting documents.

Attachments are PDF, PNG or JPEG, recognised by their content (not their name), at most
5 MB each and 10 per application.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import func, select

from ledger.books import now, today
from ledger.core.errors import InvalidInput, NotFound
from ledger.core.grants import (
    ApplicationNotInState,
    ApplicationStatus,
    BudgetLine,
    RoundNotInState,
    RoundStatus,
    Tranche,
    check_budget,
    check_schedule,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db.models import (
    MAX_ATTACHMENT_BYTES,
    ApplicationRow,
    AttachmentRow,
    BudgetLineRow,
    ProposedTrancheRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.grantees import grantee_row
from ledger.recording import audit, text
from ledger.rounds import round_row

MAX_ATTACHMENTS = 10
#: Content types by the first bytes of the file.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
              (b"\xff\xd8\xff", "image/jpeg"))


class ApplicationNotFound(NotFound):
    code = "application-not-found"
    title = "No such application"


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"
    title = "No such attachment"


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    application_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    round_id: int
    grantee_id: int
    grantee: str
    title: str
    need: str
    requested: Money
    status: ApplicationStatus
    submitted_on: date
    budget: tuple[BudgetLine, ...]
    tranches: tuple[Tranche, ...]
    attachments: tuple[AttachmentInfo, ...]


def application_row(session: Session, application_id: int, *, lock: bool = False
                    ) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None:
        raise ApplicationNotFound(f"there is no application #{application_id}",
                                  field="application_id")
    return row


def _info(row: AttachmentRow) -> AttachmentInfo:
    return AttachmentInfo(id=row.id, application_id=row.application_id, filename=row.filename,
                          content_type=row.content_type, size=row.size, sha256=row.sha256,
                          uploaded_by=row.uploaded_by)


def tranches_of(session: Session, application_id: int) -> list[Tranche]:
    return [Tranche(r.number, r.due_on, from_minor(r.amount)) for r in session.scalars(
        select(ProposedTrancheRow).where(ProposedTrancheRow.application_id == application_id)
        .order_by(ProposedTrancheRow.number))]


def application_in(session: Session, row: ApplicationRow) -> Application:
    budget = tuple(BudgetLine(r.item, from_minor(r.amount)) for r in session.scalars(
        select(BudgetLineRow).where(BudgetLineRow.application_id == row.id)
        .order_by(BudgetLineRow.position)))
    files = tuple(_info(r) for r in session.scalars(
        select(AttachmentRow).where(AttachmentRow.application_id == row.id)
        .order_by(AttachmentRow.id)))
    return Application(id=row.id, round_id=row.round_id, grantee_id=row.grantee_id,
                       grantee=grantee_row(session, row.grantee_id).name_zh, title=row.title,
                       need=row.need, requested=from_minor(row.requested),
                       status=ApplicationStatus(row.status), submitted_on=row.submitted_on,
                       budget=budget, tranches=tuple(tranches_of(session, row.id)),
                       attachments=files)


def submit_application(uow: UnitOfWork, actor: Actor, *, round_id: int, grantee_id: int,
                       title: str, need: str, requested: Money, budget: Sequence[BudgetLine],
                       tranches: Sequence[Tranche], submitted_on: date | None = None
                       ) -> Application:
    """Take an application into an open round, within its application window."""
    fields = {"title": text(title, "title", 200), "need": text(need, "need", 5000)}
    check_budget(requested, budget)
    check_schedule(requested, tranches)
    day = submitted_on or today()

    def work(session: Session) -> Application:
        found = round_row(session, round_id)
        if found.status != RoundStatus.OPEN.value:
            raise RoundNotInState(f"round #{round_id} is {found.status}; it takes "
                                  f"applications only while open", field="round_id")
        if not found.opens_on <= day <= found.closes_on:
            raise InvalidInput(f"round #{round_id} takes applications from {found.opens_on} "
                               f"to {found.closes_on}, not on {day}", field="submitted_on")
        grantee_row(session, grantee_id)
        row = ApplicationRow(round_id=round_id, grantee_id=grantee_id,
                             requested=to_minor(requested), status="submitted",
                             submitted_on=day, created_at=now(), created_by=actor.username,
                             **fields)
        session.add(row)
        session.flush()
        session.add_all([BudgetLineRow(application_id=row.id, position=i,
                                       item=line.item.strip(), amount=to_minor(line.amount))
                         for i, line in enumerate(budget, 1)])
        session.add_all([ProposedTrancheRow(application_id=row.id, number=t.number,
                                            due_on=t.due_on, amount=to_minor(t.amount))
                         for t in tranches])
        session.flush()
        audit(session, actor, "application.submitted", "application", row.id,
              round_id=round_id, requested=str(requested.amount))
        return application_in(session, row)

    return uow.write(work)


def withdraw_application(uow: UnitOfWork, actor: Actor, application_id: int) -> Application:
    def work(session: Session) -> Application:
        row = application_row(session, application_id, lock=True)
        if row.status != ApplicationStatus.SUBMITTED.value:
            raise ApplicationNotInState(f"a {row.status} application cannot be withdrawn")
        row.status = ApplicationStatus.WITHDRAWN.value
        session.flush()
        audit(session, actor, "application.withdrawn", "application", row.id)
        return application_in(session, row)

    return uow.write(work)


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are, among those accepted."""
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def add_attachment(uow: UnitOfWork, actor: Actor, application_id: int, *, filename: str,
                   content: bytes) -> AttachmentInfo:
    name = text(filename.replace("\\", "/").rsplit("/", 1)[-1], "filename", 200)
    if not content:
        raise InvalidInput("the file is empty", field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(f"the file is {len(content):,} bytes; the limit is "
                           f"{MAX_ATTACHMENT_BYTES:,} (5 MB)", field="file")
    kind = sniff(content)
    if kind is None:
        raise InvalidInput("attach a PDF, PNG or JPEG file (recognised by its content)",
                           field="file")

    def work(session: Session) -> AttachmentInfo:
        row = application_row(session, application_id, lock=True)
        count = session.scalar(select(func.count()).where(
            AttachmentRow.application_id == row.id)) or 0
        if count >= MAX_ATTACHMENTS:
            raise InvalidInput(f"an application has at most {MAX_ATTACHMENTS} attachments",
                               field="file")
        found = AttachmentRow(application_id=row.id, filename=name, content_type=kind,
                              size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                              content=content, uploaded_at=now(), uploaded_by=actor.username)
        session.add(found)
        session.flush()
        audit(session, actor, "application.attached", "application", row.id,
              attachment_id=found.id, sha256=found.sha256, size=found.size)
        return _info(found)

    return uow.write(work)


def attachment(uow: UnitOfWork, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
    def work(session: Session) -> tuple[AttachmentInfo, bytes]:
        row = session.get(AttachmentRow, attachment_id)
        if row is None:
            raise AttachmentNotFound(f"there is no attachment #{attachment_id}")
        return _info(row), bytes(row.content)

    return uow.read(work)


def applications(uow: UnitOfWork, round_id: int | None = None) -> list[Application]:
    def work(session: Session) -> list[Application]:
        query = select(ApplicationRow).order_by(ApplicationRow.id)
        if round_id is not None:
            query = query.where(ApplicationRow.round_id == round_id)
        return [application_in(session, r) for r in session.scalars(query)]

    return uow.read(work)


def get_application(uow: UnitOfWork, application_id: int) -> Application:
    return uow.read(lambda session: application_in(session, application_row(session,
                                                                            application_id)))
