"""Crash safety (issue 10, part 2): the CI subset of `python -m bench.crash`.

A handful of SIGKILLs of the importer (`flask --app api ledger import`) and of the service
(gunicorn) during bulk imports, on SQLite and PostgreSQL, each followed by the checker; then
every unit re-run with its key and the books compared with the expected book exactly. The same
checker catches broken variants, patched into the forked processes: an importer that commits
in pieces, keys that are not stored, and books altered behind the service's back.
"""

from __future__ import annotations

import importlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import text

from ledger.db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]
FAST = {"cli_sizes": (100, 500), "batch_sizes": (20, 100), "lease": 1.0}


@pytest.fixture
def crash(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
    return importlib.import_module("bench.crash")


@pytest.fixture
def make_harness(crash: ModuleType, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Harnesses on the test's database; their services are stopped afterwards, whatever
    happened."""
    made: list[Any] = []

    def make(url: str, **kwargs: Any) -> Any:
        made.append(crash.Harness(url, tmp_path, **kwargs))
        return made[-1]

    yield make
    for harness in made:
        harness.stop_service()


def _on(backend: str, wanted: str, request: pytest.FixtureRequest) -> str:
    """The test's database if it is `wanted`: a broken variant is shown on one database (the
    checker is the same on both), to keep the CI subset short."""
    if backend != wanted:
        pytest.skip(f"shown on {wanted}")
    return str(request.getfixturevalue("db_url"))


def _entries(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM journal_entries")) or 0)
    finally:
        engine.dispose()


# --- the broken variants (run in the forked importer or service) -------------------------------
def import_in_pieces() -> None:
    """An importer that commits every 100 entries in a transaction of its own (and says so
    on stderr, where the harness waits for it to aim the kill)."""
    import sys

    from ledger import bulk

    whole = bulk.import_entries

    def pieces(uow: Any, actor: Any, entries: Any, *, key: str, progress: Any = None,
               **_: Any) -> Any:
        entries = list(entries)
        done = []
        for i in range(0, len(entries), 100):
            done.append(whole(uow, actor, entries[i:i + 100], key=f"{key}#{i}",
                              progress=progress))
            print(f"piece {len(done)} committed", file=sys.stderr, flush=True)
        return bulk.Imported(key, done[0].first, done[-1].last, len(entries),
                             replayed=all(d.replayed for d in done))

    bulk.import_entries = pieces  # type: ignore[assignment]


def import_keys_forgotten() -> None:
    """An importer that does not keep the key: each run stores a new one."""
    from ledger import bulk

    whole = bulk.import_entries

    def forgetful(uow: Any, actor: Any, entries: Any, *, key: str, **kwargs: Any) -> Any:
        return whole(uow, actor, entries, key=uuid.uuid4().hex, **kwargs)

    bulk.import_entries = forgetful  # type: ignore[assignment]


def http_keys_forgotten() -> None:
    """A service whose Idempotency-Key claims find nothing stored: every request is new."""
    from ledger.db import idempotency

    idempotency.claim = (  # type: ignore[assignment]
        lambda uow, scope, key, request_hash, now: idempotency.Claim(scope, key, now))
    idempotency.complete = lambda *args, **kwargs: None  # type: ignore[assignment]


# --- the tests ---------------------------------------------------------------------------------
def test_kills_leave_the_books_whole(crash: ModuleType, db_url: str,
                                     make_harness: Callable[..., Any]) -> None:
    harness = make_harness(db_url, seed=11, options=crash.Options(**FAST))
    figures = harness.run(4)
    assert figures.failures == []
    assert figures.total == 4
    assert figures.survived == 4
    assert {kill.split("/")[0] for kill in figures.kills} == {"cli", "http"}
    assert figures.segments == 1
    assert figures.entries == len(harness.book.expected) > 0
    assert _entries(db_url) == figures.entries  # each entry once, counted apart from the checker
    assert all(unit.acked for unit in harness.book.units)


def test_an_import_in_pieces_is_caught(crash: ModuleType, backend: str,
                                       make_harness: Callable[..., Any],
                                       request: pytest.FixtureRequest) -> None:
    db_url = _on(backend, "sqlite", request)
    options = crash.Options(**{**FAST, "cli_sizes": (800, 1200)}, targets=("cli",),
                            points=("progress",), progress="piece 1 committed")
    harness = make_harness(db_url, seed=3, options=options, sabotage=import_in_pieces)
    figures = harness.run(6, stop_on_failure=True)
    assert any("(a partial write)" in failure for failure in figures.failures), figures.failures


@pytest.mark.parametrize(("via", "target", "sabotage", "database"), [
    ("cli", "cli", import_keys_forgotten, "sqlite"),
    ("entry", "http", http_keys_forgotten, "postgresql")])
def test_keys_not_stored_are_caught(crash: ModuleType, backend: str,
                                    make_harness: Callable[..., Any], via: str,
                                    target: str, sabotage: Any, database: str,
                                    request: pytest.FixtureRequest) -> None:
    db_url = _on(backend, database, request)
    harness = make_harness(db_url, seed=5, options=crash.Options(**FAST, targets=(target,)),
                           sabotage=sabotage)
    unit = harness.write(via)
    assert unit.acked
    figures = harness.run(1)
    assert any(f"{unit.entries[0]['source']['id']} is in the books 2 times" in failure
               for failure in figures.failures), figures.failures
    assert any("account totals differ" in failure for failure in figures.failures)


@pytest.mark.parametrize(("tamper", "database"), [
    ("delete a header", "sqlite"), ("alter an amount", "postgresql")])
def test_books_altered_behind_the_service_are_caught(
        crash: ModuleType, backend: str, make_harness: Callable[..., Any], tamper: str,
        database: str,
        request: pytest.FixtureRequest) -> None:
    db_url = _on(backend, database, request)
    harness = make_harness(db_url, seed=7, options=crash.Options(**FAST))
    harness.write("cli", 20)
    harness.check()
    assert harness.figures.failures == []
    change = ("DELETE FROM journal_entries WHERE seq = 20" if tamper == "delete a header" else
              "UPDATE postings SET debit = debit + 1 WHERE entry_seq = 7 AND line = 1")
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = OFF")
            for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f'DROP TRIGGER "{name}"')
            conn.execute(change)
        finally:
            conn.close()
    else:
        engine = make_engine(db_url)
        try:
            with engine.begin() as connection:
                for table in ("journal_entries", "postings"):
                    connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
                connection.exec_driver_sql(change)
        finally:
            engine.dispose()
    harness.check()
    failures = harness.figures.failures
    assert any("ledger verify exited 1" in f for f in failures), failures
    if tamper == "delete a header":
        assert any("postings without their entry" in f for f in failures), failures
        assert any("(a partial write)" in f for f in failures), failures
    else:
        assert any("entries unbalanced: [7]" in f for f in failures), failures
