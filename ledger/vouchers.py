"""Vouchers (记账凭证): a manual journal entry is prepared by one person (制单) and posted only
when another approves it (审核). The database refuses a voucher decided by its preparer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ledger.books import now, post
from ledger.core.audit import AuditEvent
from ledger.core.chart import chart_of
from ledger.core.entries import JournalEntry, SourceRef, check, draft_from_json, draft_to_json
from ledger.core.errors import AlreadyDecided, InvalidInput, VoucherNotFound
from ledger.core.staff import Actor, check_four_eyes
from ledger.db import audit as audit_db
from ledger.db.models import VoucherRow
from ledger.db.session import Session, UnitOfWork
from ledger.db.staff import select_vouchers, usernames


@dataclass(frozen=True, slots=True)
class Voucher:
    id: int
    entity: str
    status: str
    entry: JournalEntry
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    entry_seq: int | None


def _voucher(session: Session, row: VoucherRow) -> Voucher:
    names = usernames(session, [row.submitted_by, row.decided_by])
    return Voucher(id=row.id, entity=row.entity, status=row.status,
                   entry=draft_from_json(json.loads(row.entry)),
                   submitted_by=names[row.submitted_by], submitted_at=row.submitted_at,
                   decided_by=names.get(row.decided_by) if row.decided_by else None,
                   decided_at=row.decided_at, reason=row.reason, entry_seq=row.entry_seq)


def _audit(session: Session, actor: Actor, action: str, voucher_id: int, **details: object
           ) -> None:
    audit_db.record(session, AuditEvent(actor=actor, action=action, object_type="voucher",
                                        object_id=str(voucher_id), details=details), at=now())


def _open(session: Session, voucher_id: int) -> VoucherRow:
    row = session.get(VoucherRow, voucher_id, with_for_update=True)
    if row is None:
        raise VoucherNotFound(f"there is no voucher #{voucher_id}")
    if row.status != "submitted":
        raise AlreadyDecided(f"voucher #{voucher_id} is already {row.status}")
    return row


def submit(uow: UnitOfWork, actor: Actor, entry: JournalEntry) -> Voucher:
    """Record a prepared entry for review; it is checked now and posted on approval."""
    if actor.user_id is None:
        raise InvalidInput("a voucher is prepared by a staff account")
    check(entry, chart_of(entry.entity))

    def work(session: Session) -> Voucher:
        row = VoucherRow(entity=entry.entity, status="submitted",
                         entry=json.dumps(draft_to_json(entry), ensure_ascii=False),
                         submitted_by=actor.user_id, submitted_at=now())
        session.add(row)
        session.flush()
        _audit(session, actor, "voucher.submitted", row.id, entity=entry.entity)
        return _voucher(session, row)

    return uow.write(work)


def approve(uow: UnitOfWork, actor: Actor, voucher_id: int) -> Voucher:
    """Post the voucher's entry. Its preparer can never be its approver."""

    def work(session: Session) -> Voucher:
        row = _open(session, voucher_id)
        check_four_eyes(submitted_by=row.submitted_by, approver=actor)
        draft = draft_from_json(json.loads(row.entry))
        posted = post(uow, JournalEntry(
            entity=draft.entity, effective_date=draft.effective_date, memo=draft.memo,
            actor=actor.username, postings=draft.postings,
            source=SourceRef("voucher", str(row.id))), by=actor)
        row.status, row.decided_by, row.decided_at = "approved", actor.user_id, now()
        row.entry_seq = posted.seq
        session.flush()
        _audit(session, actor, "voucher.approved", row.id, entry_seq=posted.seq)
        return _voucher(session, row)

    return uow.write(work)


def reject(uow: UnitOfWork, actor: Actor, voucher_id: int, reason: str) -> Voucher:
    text = reason.strip()
    if not text or len(text) > 500:
        raise InvalidInput("give a reason of 1 to 500 characters", field="reason")

    def work(session: Session) -> Voucher:
        row = _open(session, voucher_id)
        check_four_eyes(submitted_by=row.submitted_by, approver=actor)
        row.status, row.decided_by, row.decided_at, row.reason = (
            "rejected", actor.user_id, now(), text)
        session.flush()
        _audit(session, actor, "voucher.rejected", row.id, reason=text)
        return _voucher(session, row)

    return uow.write(work)


def get(uow: UnitOfWork, voucher_id: int) -> Voucher:
    def work(session: Session) -> Voucher:
        row = session.get(VoucherRow, voucher_id)
        if row is None:
            raise VoucherNotFound(f"there is no voucher #{voucher_id}")
        return _voucher(session, row)

    return uow.read(work)


def find(uow: UnitOfWork, status: str | None = None, limit: int = 100) -> list[Voucher]:
    def work(session: Session) -> list[Voucher]:
        return [_voucher(session, row)
                for row in session.scalars(select_vouchers(status, limit))]

    return uow.read(work)
