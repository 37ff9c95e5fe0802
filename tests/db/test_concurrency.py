"""Writers at the same time: the chain stays one gapless sequence and nobody fails."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ledger import books
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import from_minor
from ledger.db.chain import verify
from ledger.db.session import UnitOfWork, make_engine


def _entry(thread: int, n: int) -> JournalEntry:
    amount = from_minor(100 * thread + n + 1)
    return JournalEntry(
        entity="fund" if thread % 2 else "foundation", effective_date=date(2026, 11, 1),
        memo=f"thread {thread} entry {n}", actor=f"writer-{thread}",
        postings=(Posting.debit("1002", amount),
                  Posting.credit("420101" if thread % 2 else "410101", amount)))


def run_writers(engine: Engine, threads: int, per_thread: int) -> list[int]:
    """`threads` threads, each with its own UnitOfWork, released together by a barrier."""
    barrier = threading.Barrier(threads, timeout=30)

    def writer(thread: int) -> list[int]:
        uow = UnitOfWork(engine)
        barrier.wait()
        return [books.post(uow, _entry(thread, n)).seq for n in range(per_thread)]

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(writer, t) for t in range(threads)]
        return [seq for f in futures for seq in f.result(timeout=60)]  # re-raises any error


def assert_gapless(engine: Engine, seqs: list[int], threads: int, per_thread: int) -> None:
    expected = threads * per_thread
    assert sorted(seqs) == list(range(1, expected + 1))
    uow = UnitOfWork(engine)
    report = uow.read(verify)
    assert (report.ok, report.checked, report.head_seq) == (True, expected, expected)
    stored = books.find_entries(uow, books.EntryFilter(), limit=500)
    assert [e.seq for e in stored] == list(range(1, expected + 1))
    assert sorted(e.memo for e in stored) == sorted(
        f"thread {t} entry {n}" for t in range(threads) for n in range(per_thread))
    # Each writer's own entries are in the order it posted them.
    for t in range(threads):
        mine = [e.memo for e in stored if e.actor == f"writer-{t}"]
        assert mine == [f"thread {t} entry {n}" for n in range(per_thread)]


def test_24_concurrent_writers_on_postgresql(pg_only: None, db_url: str, engine: Engine):
    wide = make_engine(db_url, pool_size=24, max_overflow=0)  # all 24 really at once
    try:
        seqs = run_writers(wide, threads=24, per_thread=3)
    finally:
        wide.dispose()
    assert_gapless(engine, seqs, 24, 3)
    fund = books.trial_balance(UnitOfWork(engine), "fund", date(2026, 11, 1))
    assert fund.totals() == {"CNY": (sum(100 * t + n + 1 for t in range(1, 24, 2)
                                         for n in range(3)),) * 2}


def test_concurrent_writers_on_sqlite(sqlite_only: None, engine: Engine):
    seqs = run_writers(engine, threads=4, per_thread=5)  # "database is locked" would raise
    assert_gapless(engine, seqs, 4, 5)


# --- a writer behind the service's back, racing the service's own write ---------------------
def race_to_add_postings(raw: Any) -> BaseException | None:
    """Connection A writes entry #3 (postings, header) and holds its transaction open; B adds
    a balanced pair of postings to #3 and commits after A. Returns what B got."""
    entry = raw.entry()
    pair = replace(entry, lines=[raw.line("fund", "1001", debit=7),
                                 raw.line("fund", "420101", credit=7)])
    b_inserted, a_committed = threading.Event(), threading.Event()

    def b() -> None:
        with raw.engine.begin() as conn:
            raw.insert_postings(conn, pair, first_line=3)
            b_inserted.set()
            assert a_committed.wait(10)

    with ThreadPoolExecutor(1) as pool, raw.engine.connect() as a:
        a.begin()
        raw.write(a, entry)
        outcome = pool.submit(b)
        b_inserted.wait(0.5)  # if B's insert waits for A, commit A anyway
        a.commit()
        a_committed.set()
        return outcome.exception(timeout=30)


def test_sqlite_serialises_a_concurrent_writer_adding_postings(sqlite_only: None, raw: Any,
                                                               post_some: Callable[..., Any]):
    post_some(2)
    error = race_to_add_postings(raw)
    assert isinstance(error, IntegrityError)
    assert "already posted" in str(error)
    assert raw.counts() == (3, 6)


def test_postgresql_refuses_a_concurrent_writer_adding_postings(pg_only: None, raw: Any,
                                                                post_some: Callable[..., Any]):
    post_some(2)
    error = race_to_add_postings(raw)
    assert isinstance(error, IntegrityError)
    assert raw.counts() == (3, 6)
