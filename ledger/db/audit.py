"""Writing audit records into their chain, reading and filtering them, counting failures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.core.audit import AuditEvent, AuditRecord, link
from ledger.core.chain import GENESIS
from ledger.core.staff import Actor, Role

from .models import AuditRow

UTC8 = ZoneInfo("Asia/Shanghai")  # dates in filters are dates in Zhejiang


def head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def record(session: Session, event: AuditEvent, *, at: datetime) -> AuditRecord:
    """Append one record in the caller's transaction (so it commits with what it records)."""
    seq, prev_hash = head(session)
    seq += 1
    digest = link(event, seq=seq, at=at, prev_hash=prev_hash)
    session.add(AuditRow(
        seq=seq, at=at, user_id=event.actor.user_id, username=event.actor.username,
        role=event.actor.role.value if event.actor.role else None, address=event.actor.address,
        action=event.action, object_type=event.object_type, object_id=event.object_id,
        details=json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        prev_hash=prev_hash, hash=digest))
    session.flush()
    return AuditRecord(actor=event.actor, action=event.action, object_type=event.object_type,
                       object_id=event.object_id, details=event.details, seq=seq, at=at,
                       prev_hash=prev_hash, hash=digest)


def to_record(row: AuditRow) -> AuditRecord:
    actor = Actor(user_id=row.user_id, username=row.username,
                  role=Role(row.role) if row.role else None, address=row.address)
    return AuditRecord(actor=actor, action=row.action, object_type=row.object_type,
                       object_id=row.object_id, details=json.loads(row.details), seq=row.seq,
                       at=row.at, prev_hash=row.prev_hash, hash=row.hash)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def find(session: Session, where: AuditFilter, *, before: int | None = None, limit: int = 50
         ) -> list[AuditRecord]:
    """Newest first; `before` is a keyset cursor (records with a smaller number)."""
    query = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditRow.seq < before)
    if where.username:
        query = query.where(AuditRow.username == where.username)
    if where.action:
        query = query.where(AuditRow.action.startswith(where.action, autoescape=True))
    if where.object_type:
        query = query.where(AuditRow.object_type == where.object_type)
    if where.object_id:
        query = query.where(AuditRow.object_id == where.object_id)
    if where.date_from:
        query = query.where(AuditRow.at >= datetime.combine(where.date_from, time.min, UTC8))
    if where.date_to:
        query = query.where(
            AuditRow.at < datetime.combine(where.date_to + timedelta(days=1), time.min, UTC8))
    return [to_record(row) for row in session.scalars(query)]


def failed_logins(session: Session, *, username: str | None = None,
                  address: str | None = None, since: datetime) -> tuple[int, datetime | None]:
    """Failed logins since a moment for an account (counted from its last successful login)
    or from an address (a success does not reset that), with the oldest one's time."""
    if username is not None:
        column, value = AuditRow.object_id, username
        last_success = session.scalar(select(func.max(AuditRow.at)).where(
            AuditRow.action == "login.succeeded", column == value, AuditRow.at >= since))
        since = max(since, last_success) if last_success else since
    else:
        column, value = AuditRow.address, address
    count, oldest = session.execute(select(func.count(), func.min(AuditRow.at)).where(
        AuditRow.action == "login.failed", column == value, AuditRow.at >= since)).one()
    return int(count), oldest
