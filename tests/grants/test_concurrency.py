"""Simultaneous resolutions and votes on PostgreSQL: a passed resolution re-checks the round's
budget under the books' write lock, so racing resolutions can never over-commit it, and a
member's second vote cast at the same moment as the first never lands.

Each thread has its own UnitOfWork on an engine wide enough for all of them at once; a
barrier releases them together."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TypeVar

import pytest
from sqlalchemy import Engine, event, text

from ledger import foundation, reviews, rounds
from ledger import grants as grants_uc
from ledger.core.errors import AlreadyExists
from ledger.core.grants import AlreadyVoted, Choice, Majority, OverCommitted
from ledger.db.session import UnitOfWork, make_engine

from .helpers import Programme, funds, posted, s, yuan

T = TypeVar("T")
THREADS = 20
BUDGET, EACH, FIT = "1200000.00", "100000.00", 12  # 12 of the 20 fit
RACES = 3  # each race on a database of its own


def race(db_url: str, work: Callable[[UnitOfWork, int], T], *,
         watch: Callable[[UnitOfWork], None] | None = None) -> list[T | Exception]:
    """Run work(uow, n) for n in 0..THREADS-1 at once, each thread on its own connection;
    while they run, call `watch` over and over. What each returned or raised, in order."""
    wide = make_engine(db_url, pool_size=THREADS + 2, max_overflow=0)
    barrier = threading.Barrier(THREADS + 1, timeout=30)
    done = threading.Event()

    def run(n: int) -> T | Exception:
        uow = UnitOfWork(wide)
        barrier.wait()
        try:
            return work(uow, n)
        except (OverCommitted, AlreadyVoted, AlreadyExists) as error:
            return error

    def watcher() -> int:
        uow, seen = UnitOfWork(wide), 0
        barrier.wait()
        while watch is not None and not done.is_set():
            watch(uow)
            seen += 1
            time.sleep(0.02)  # look often, but leave the CPUs to the racers
        return seen

    try:
        with ThreadPoolExecutor(THREADS + 1) as pool:
            watching = pool.submit(watcher)
            futures = [pool.submit(run, n) for n in range(THREADS)]
            try:
                results = [f.result(timeout=120) for f in futures]  # re-raises anything else
            finally:
                done.set()
            assert watch is None or watching.result(timeout=60) > 0, "the watcher saw nothing"
    finally:
        wide.dispose()
    return results


def count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


@pytest.mark.parametrize("attempt", range(RACES))
def test_simultaneous_resolutions_never_over_commit_the_round(
        pg_only: None, db_url: str, prog: Programme, attempt: int) -> None:
    """20 applications voted through, resolved at once (in a different order each attempt)
    against a round whose budget takes 12 of them."""
    uow, fm = prog.uow, prog.fm
    prog.income("2000000.00")
    grantee = prog.grantee().id
    found = prog.round(BUDGET, quorum=1, majority=Majority.SIMPLE,
                       reviewers=("board1", "board2"))
    applications = [prog.apply(found.id, EACH, grantee_id=grantee).id for _ in range(THREADS)]
    rounds.start_review(uow, fm, found.id)
    for application in applications:
        prog.pass_votes(application, ("board1",))
    random.Random(attempt).shuffle(applications)
    assert prog.funds() == funds("2000000.00", "0.00", BUDGET, "0.00", "800000.00")

    def watch(reader: UnitOfWork) -> None:
        seen = rounds.get_round(reader, found.id)
        assert seen.committed <= yuan(BUDGET), seen
        assert seen.committed + seen.reserved == yuan(BUDGET), seen
        # one snapshot: the commitments never count twice (and reservations never vanish)
        assert foundation.funds(reader).available == yuan("800000.00")

    results = race(db_url, lambda worker, n: reviews.resolve(
        worker, prog.board(("board1", "board2")[n % 2]), applications[n],
        on=date(2026, 3, 15)), watch=watch)

    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"Resolution": FIT, "OverCommitted": THREADS - FIT}, results
    passed = [r for r in results if isinstance(r, reviews.Resolution)]
    assert all(r.passed and r.grant_id is not None for r in passed)
    # the commitments add up to the budget exactly, in the round and in the books
    made = grants_uc.grants(uow, found.id)
    assert sorted(g.id for g in made) == sorted(r.grant_id or 0 for r in passed)
    assert sum((g.amount for g in made), yuan("0.00")) == yuan(BUDGET)
    for grant in made:
        seq = count(prog.engine, "SELECT commit_entry_seq FROM grants WHERE id = :id",
                    id=grant.id)
        assert posted(uow, seq) == [("5101", "debit", EACH), ("220901", "credit", EACH)]
    ended = rounds.get_round(uow, found.id)
    assert (ended.committed, ended.reserved) == (yuan(BUDGET), yuan("0.00"))
    assert prog.trial_balance() == {"1002": ("2000000.00", "0.00"),
                                    "450101": ("0.00", "2000000.00"),
                                    "5101": (BUDGET, "0.00"), "220901": ("0.00", BUDGET)}
    assert prog.funds() == funds("2000000.00", BUDGET, "0.00", "0.00", "800000.00")
    # the refused ones wrote nothing: still undecided, no resolution
    with prog.engine.connect() as conn:
        statuses = Counter(status for (status,) in conn.execute(text(
            "SELECT status FROM applications WHERE round_id = :r"), {"r": found.id}))
    assert statuses == {"approved": FIT, "submitted": THREADS - FIT}
    assert count(prog.engine, "SELECT count(*) FROM resolutions") == FIT
    assert count(prog.engine, "SELECT count(*) FROM grants") == FIT


def test_simultaneous_duplicate_declarations_and_votes_land_once(
        pg_only: None, db_url: str, prog: Programme) -> None:
    prog.income("1000000.00")
    found = prog.round("100000.00", quorum=1, majority=Majority.SIMPLE,
                       reviewers=("board1", "board2"))
    application = prog.apply(found.id, "100000.00").id
    rounds.start_review(prog.uow, prog.fm, found.id)
    board1 = prog.board("board1")

    declared = race(db_url, lambda worker, n: reviews.declare(
        worker, board1, application, conflicted=False))
    assert Counter(type(r).__name__ for r in declared) == {
        "Declaration": 1, "AlreadyExists": THREADS - 1}, declared

    choices = (Choice.FOR, Choice.AGAINST)
    voted = race(db_url, lambda worker, n: reviews.vote(worker, board1, application,
                                                        choices[n % 2]))
    landed = [r for r in voted if isinstance(r, Choice)]
    assert len(landed) == 1, voted
    assert Counter(type(r).__name__ for r in voted)["AlreadyVoted"] == THREADS - 1
    state = reviews.review(prog.uow, application)
    assert state.votes == (("board1", landed[0]),)
    assert (state.tally.cast, len(state.declarations)) == (1, 1)
    actions = Counter(r.action for r in grants_uc.history(prog.uow, "application",
                                                          application))
    assert (actions["application.declared"], actions["application.voted"]) == (1, 1)


def test_available_funds_are_read_in_one_snapshot(pg_only: None, db_url: str,
                                                   prog: Programme) -> None:
    """A reader of the funds pauses after its first statement (the commitments by round)
    while a resolution commits a grant; what it reports must still be one moment's figures
    (available is 800,000.00 before and after the commitment)."""
    prog.income("2000000.00")
    found = prog.round(BUDGET, quorum=1, majority=Majority.SIMPLE, reviewers=("board1",))
    application = prog.apply(found.id, EACH).id
    rounds.start_review(prog.uow, prog.fm, found.id)
    prog.pass_votes(application, ("board1",))
    before = prog.funds()
    assert before == funds("2000000.00", "0.00", BUDGET, "0.00", "800000.00")

    go, written = threading.Event(), threading.Event()

    def pause(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM grants" in statement and not go.is_set():
            go.set()
            assert written.wait(timeout=30), "the resolution did not commit"

    def writer() -> reviews.Resolution:
        assert go.wait(timeout=30)
        try:
            return prog.resolve(application)
        finally:
            written.set()

    reader = make_engine(db_url)
    event.listen(reader, "after_cursor_execute", pause)
    try:
        with ThreadPoolExecutor(1) as pool:
            resolving = pool.submit(writer)
            seen = foundation.funds(UnitOfWork(reader))
            assert resolving.result(timeout=60).passed
    finally:
        reader.dispose()
    after = prog.funds()
    assert after == funds("2000000.00", EACH, "1100000.00", "0.00", "800000.00")
    assert s(seen.available) == "800000.00", seen
