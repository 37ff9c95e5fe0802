"""An Idempotency-Key claim that outlives its lease: a retry takes the key over, and the late
request's completion is refused, so exactly one of the two writes (the crash harness's
concern: a single POST running longer than the lease while its client retries)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from moneyed import Money
from sqlalchemy import func, select

from ledger import books
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import IdempotencyKeyInUse
from ledger.db import idempotency as store
from ledger.db.models import EntryRow, IdempotencyKeyRow
from ledger.db.session import Session, UnitOfWork

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANSWER = store.StoredResponse(201, '{"seq": 1}', "/api/entries/1")


def _deposit() -> JournalEntry:
    amount = Money("350000.00", "CNY")
    return JournalEntry(entity="fund", effective_date=date(2026, 11, 23), memo="deposit",
                        actor="tests", postings=(Posting.debit("1002", amount),
                                                 Posting.credit("2209", amount)))


def _post_and_complete(uow: UnitOfWork, claimed: store.Claim) -> None:
    def work(session: Session) -> None:
        books.post(uow, _deposit())
        store.complete(session, claimed, ANSWER)

    uow.write(work)


def _entries(uow: UnitOfWork) -> int:
    return int(uow.read(lambda s: s.scalar(select(func.count()).select_from(EntryRow))) or 0)


def test_a_request_that_outlived_its_lease_writes_nothing(uow: UnitOfWork) -> None:
    late = store.claim(uow, "user:1", "k", "hash", START)
    assert isinstance(late, store.Claim)
    retry = store.claim(uow, "user:1", "k", "hash", START + store.LEASE + timedelta(seconds=1))
    assert isinstance(retry, store.Claim)

    with pytest.raises(IdempotencyKeyInUse, match="took the key over"):
        _post_and_complete(uow, late)
    assert _entries(uow) == 0
    store.release(uow, late)  # what the API does after a failure: the retry's claim stays

    _post_and_complete(uow, retry)
    assert _entries(uow) == 1
    replay = store.claim(uow, "user:1", "k", "hash", START + 2 * store.LEASE)
    assert replay == ANSWER


def test_a_claim_in_time_completes_and_its_release_frees_the_key(uow: UnitOfWork) -> None:
    claimed = store.claim(uow, "user:1", "k", "hash", START)
    assert isinstance(claimed, store.Claim)
    store.release(uow, claimed)
    assert uow.read(lambda s: s.scalar(select(func.count()).select_from(IdempotencyKeyRow))) == 0
    again = store.claim(uow, "user:1", "k", "hash", START)
    assert isinstance(again, store.Claim)
    _post_and_complete(uow, again)
    assert _entries(uow) == 1
