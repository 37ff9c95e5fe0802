"""Idempotency keys: claim before the work, complete in the same transaction as the work.

A claim is a short transaction of its own, so a second request with the same key sees it
(409 while it is being processed). The completion, with the response to replay, is written in
the use case's transaction: the key is completed if and only if the work committed. A claim
whose process died is taken over once its lease has run out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.core.errors import IdempotencyKeyInUse, IdempotencyKeyReused

from .models import IdempotencyKeyRow
from .session import UnitOfWork

LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str
    location: str | None


def claim(uow: UnitOfWork, scope: str, key: str, request_hash: str, now: datetime
          ) -> StoredResponse | None:
    """Claim the key for this request, or return the response to replay; raise on conflict."""

    def work(session: Session) -> StoredResponse | None:
        row = session.scalar(
            select(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key)
            .with_for_update()
        )
        if row is None:
            session.add(IdempotencyKeyRow(
                scope=scope, key=key, request_hash=request_hash, state="processing",
                locked_until=now + LEASE, created_at=now))
            session.flush()
            return None
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was first used for a different request; "
                f"use a new key for a new request", field="Idempotency-Key")
        if row.state == "completed":
            return StoredResponse(row.response_status or 0, row.response_body or "",
                                  row.response_location)
        if row.locked_until > now:
            raise IdempotencyKeyInUse(
                f"a request with Idempotency-Key {key!r} is still being processed; "
                f"retry after it finishes", field="Idempotency-Key")
        row.locked_until = now + LEASE  # the first claimant died: take its place
        return None

    for _ in range(2):  # a concurrent first claim may win the insert race; then look again
        try:
            return uow.write(work, lock_ledger=False)
        except IntegrityError:
            continue
    raise IdempotencyKeyInUse(f"Idempotency-Key {key!r} is being claimed concurrently")


def complete(session: Session, scope: str, key: str, response: StoredResponse) -> None:
    """Record the response in the caller's (the use case's) transaction."""
    session.execute(
        update(IdempotencyKeyRow)
        .where(IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key,
               IdempotencyKeyRow.state == "processing")
        .values(state="completed", response_status=response.status, response_body=response.body,
                response_location=response.location)
    )


def release(uow: UnitOfWork, scope: str, key: str) -> None:
    """Forget a claim whose work failed, so the client may retry with the same key."""
    uow.write(lambda session: session.execute(
        delete(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key,
            IdempotencyKeyRow.state == "processing")), lock_ledger=False)
