"""Idempotency keys: claim before the work, complete in the same transaction as the work.

A claim is a short transaction of its own, so a second request with the same key sees it
(409 while it is being processed). The completion, with the response to replay, is written in
the use case's transaction: the key is completed if and only if the work committed. A claim
whose process died is taken over once its lease has run out; the completion and the release
then match only the claim that holds the key now, so a request that outlived its lease
writes nothing (its transaction is refused) while the one that took over goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select, update
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


@dataclass(frozen=True, slots=True)
class Claim:
    """This request's hold on a key: the end of the lease it set, which names the claim."""

    scope: str
    key: str
    lease: datetime


def claim(uow: UnitOfWork, scope: str, key: str, request_hash: str, now: datetime
          ) -> StoredResponse | Claim:
    """Claim the key for this request, or return the response to replay; raise on conflict."""
    lease = now + LEASE

    def work(session: Session) -> StoredResponse | Claim:
        row = session.scalar(
            select(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key)
            .with_for_update()
        )
        if row is None:
            session.add(IdempotencyKeyRow(
                scope=scope, key=key, request_hash=request_hash, state="processing",
                locked_until=lease, created_at=now))
            session.flush()
            return Claim(scope, key, lease)
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
        row.locked_until = lease  # the first claimant died (or is late): take its place
        return Claim(scope, key, lease)

    for _ in range(2):  # a concurrent first claim may win the insert race; then look again
        try:
            return uow.write(work, lock_ledger=False)
        except IntegrityError:
            continue
    raise IdempotencyKeyInUse(f"Idempotency-Key {key!r} is being claimed concurrently")


def _held(claimed: Claim) -> ColumnElement[bool]:
    return and_(IdempotencyKeyRow.scope == claimed.scope, IdempotencyKeyRow.key == claimed.key,
                IdempotencyKeyRow.state == "processing",
                IdempotencyKeyRow.locked_until == claimed.lease)


def complete(session: Session, claimed: Claim, response: StoredResponse) -> None:
    """Record the response in the caller's (the use case's) transaction. If the claim ran
    out and another request took the key over, refuse, so the caller's work rolls back."""
    done = session.execute(
        update(IdempotencyKeyRow).where(_held(claimed))
        .values(state="completed", response_status=response.status, response_body=response.body,
                response_location=response.location)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise IdempotencyKeyInUse(
            f"this request took longer than its {LEASE.seconds} s hold on Idempotency-Key "
            f"{claimed.key!r} and a retry took the key over; nothing was written by this one",
            field="Idempotency-Key")


def release(uow: UnitOfWork, claimed: Claim) -> None:
    """Forget a claim whose work failed, so the client may retry with the same key (unless
    another request has taken the key over meanwhile: its claim stays)."""
    uow.write(lambda session: session.execute(
        delete(IdempotencyKeyRow).where(_held(claimed))), lock_ledger=False)
