"""Small helpers every use case shares: the audit record of a change, and text fields."""

from __future__ import annotations

from ledger.books import now
from ledger.core.audit import AuditEvent
from ledger.core.errors import InvalidInput
from ledger.core.staff import Actor
from ledger.db import audit as audit_db
from ledger.db.session import Session


def audit(session: Session, actor: Actor, action: str, object_type: str, object_id: object,
          **details: object) -> None:
    """Record who changed what, in the caller's transaction."""
    audit_db.record(session, AuditEvent(actor=actor, action=action, object_type=object_type,
                                        object_id=str(object_id), details=details), at=now())


def text(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    """A stripped text field within its length limit, or InvalidInput naming the field."""
    found = (value or "").strip()
    if (required and not found) or len(found) > limit:
        raise InvalidInput(f"{field} is {'1' if required else '0'} to {limit} characters",
                           field=field)
    return found
