"""Bulk import on SQLite and PostgreSQL beside a raw `executemany` baseline, in the same run.

    python -m bench.bulk [--entries 100000] [--db sqlite|postgresql|both] [--pg URL]

For each database:
- **ours**: `ledger.bulk.import_entries`, the use case behind `flask --app api ledger import`
  and `POST /api/entries/batch`, posts `--entries` realistic entries (bench/books.py: deposits
  split 30/70, transfers, expenses, donations, grant tranches, campaign payments; about 2.45
  postings each) into fresh, migrated books in one transaction: every entry checked against
  the double-entry rules and its chart, numbered, hash-chained, inserted, the database's
  triggers run (seal, chain, periods, balance at commit, daily totals), one audit record and
  the idempotency key stored. The entries are built before the clock starts; reading them
  from a JSON Lines file is timed on its own line.
- **raw**: the very rows our import wrote (read back: numbers, hashes and all) inserted into
  other fresh books with the same schema by the driver's own `executemany` (sqlite3,
  psycopg), in one transaction: the floor for those tables with their triggers, with no
  checking, hashing or SQLAlchemy. `ours / raw` is the ratio of issue 9's target (>= 0.6).
- **raw, bare tables**: the same, with the ledger's triggers dropped, to show what the
  database's own guarantees cost.

Prints entries/s for each and the ratio. Each database is created fresh and removed after.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine, text

from bench.books import realistic_entries
from bench.databases import PG_ADMIN, scratch_engine
from ledger import bulk
from ledger.core.bulk import read_jsonl
from ledger.core.entries import JournalEntry
from ledger.core.staff import Actor
from ledger.db.chain import verify
from ledger.db.journal import ENTRY_COLUMNS, POSTING_COLUMNS
from ledger.db.session import UnitOfWork

TARGETS = {"sqlite": 40_000, "postgresql": 10_000}
RATIO_TARGET = 0.6
#: The ledger's own triggers on the two tables (dropped for the "bare tables" baseline).
LEDGER_TABLES = ("postings", "journal_entries")


@dataclass
class Figures:
    ours: float
    raw: float
    bare: float
    parse: float
    postings: int


def as_jsonl(entries: list[JournalEntry]) -> list[str]:
    """The entries as the import file's lines (the format of `ledger import`)."""
    return [json.dumps({
        "entity": e.entity, "effective_date": e.effective_date.isoformat(), "memo": e.memo,
        **({"source": {"kind": e.source.kind, "id": e.source.id}} if e.source else {}),
        "postings": [{"account": p.account, p.side.value: str(p.amount.amount),
                      **({"memo": p.memo} if p.memo else {})} for p in e.postings],
    }, ensure_ascii=False) for e in entries]


def rows_of(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every posting and entry header as stored, in the driver's own types."""
    with engine.connect() as conn:
        postings = [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT {', '.join(POSTING_COLUMNS)} FROM postings ORDER BY entry_seq, line")]
        entries = [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM journal_entries ORDER BY seq")]
    return postings, entries


def raw_insert(engine: Engine, postings: list[tuple[Any, ...]],
               entries: list[tuple[Any, ...]], *, bare: bool) -> float:
    """Seconds to insert the rows with the driver's executemany in one transaction."""
    kind = engine.dialect.name
    mark = "?" if kind == "sqlite" else "%s"

    def insert(cursor: Any) -> None:
        for table, columns, rows in (("postings", POSTING_COLUMNS, postings),
                                     ("journal_entries", ENTRY_COLUMNS, entries)):
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                               f"({', '.join([mark] * len(columns))})", rows)

    if kind == "sqlite":
        path = engine.url.database
        assert path
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        if bare:
            for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                    f"{LEDGER_TABLES!r}").fetchall():
                conn.execute(f"DROP TRIGGER {name}")
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        insert(conn.cursor())
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
        return seconds
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        if bare:
            for table in LEDGER_TABLES:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # type: ignore[arg-type]
            conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute("LOCK TABLE journal_entries IN EXCLUSIVE MODE")
            insert(cursor)
        conn.commit()
        return time.perf_counter() - start


def measure(kind: str, n: int, pg_admin: str,
            say: Callable[[str], None] = print) -> Figures:
    entries = list(realistic_entries(n, importable=True))
    lines = as_jsonl(entries)
    start = time.perf_counter()
    parsed = read_jsonl(lines, actor="bench")
    parse = n / (time.perf_counter() - start)
    assert not parsed.problems
    assert len(parsed.entries) == n
    with scratch_engine(kind, "huzhu_bench_bulk", pg_admin=pg_admin) as engine:
        uow = UnitOfWork(engine)
        start = time.perf_counter()
        done = bulk.import_entries(uow, Actor.system("bench"), entries, key="bench")
        ours = n / (time.perf_counter() - start)
        assert done.count == n
        assert uow.read(verify).ok
        postings, headers = rows_of(engine)
    with scratch_engine(kind, "huzhu_bench_bulk_raw", pg_admin=pg_admin) as engine:
        raw = n / raw_insert(engine, postings, headers, bare=False)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM journal_entries")) == n
    with scratch_engine(kind, "huzhu_bench_bulk_bare", pg_admin=pg_admin) as engine:
        bare = n / raw_insert(engine, postings, headers, bare=True)
    figures = Figures(ours, raw, bare, parse, len(postings))
    say(f"{kind:10} entries={n:,} postings={len(postings):,}  "
        f"ours={ours:,.0f}/s (target {TARGETS[kind]:,})  raw executemany={raw:,.0f}/s  "
        f"ours/raw={ours / raw:.2f} (target {RATIO_TARGET})  "
        f"raw into bare tables={bare:,.0f}/s  JSON Lines parsing={parse:,.0f}/s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_ADMIN, help="admin URL to create databases with")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        measure(kind, args.entries, args.pg)


if __name__ == "__main__":
    main()
