"""The audit trail: who did what to which object, when and from where, hash-chained.

    hash(n) = SHA-256( canonical(record n) || hash(n-1) ),  record 1 links to GENESIS

like the journal (see `chain.py`), so `flask --app api ledger verify` checks both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .chain import utc_stamp
from .staff import Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """Something that happened, before the audit log numbers and chains it."""

    actor: Actor
    action: str
    object_type: str | None = None
    object_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord(AuditEvent):
    seq: int
    at: datetime
    prev_hash: str
    hash: str


def canonical(event: AuditEvent, *, seq: int, at: datetime) -> bytes:
    body = {
        "seq": seq,
        "at": utc_stamp(at),
        "user_id": event.actor.user_id,
        "username": event.actor.username,
        "role": event.actor.role.value if event.actor.role else None,
        "address": event.actor.address,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "details": event.details,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link(event: AuditEvent, *, seq: int, at: datetime, prev_hash: str) -> str:
    digest = hashlib.sha256(canonical(event, seq=seq, at=at))
    digest.update(prev_hash.encode("ascii"))
    return digest.hexdigest()
