"""Trial balance and account balance at scale, on SQLite and PostgreSQL.

    python -m bench.balances [--entries 340000] [--pg URL]

Loads `--entries` realistic entries (about 2.9 postings each, so 340,000 entries is about one
million postings) through the real posting path (core checks, hash chain, database triggers),
then times the trial balance of each entity and one account's balance (median of 7 runs).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from sqlalchemy import Engine, func, make_url, select

from bench.books import realistic_entries
from ledger.core.chart import chart_of
from ledger.core.entries import check
from ledger.db import balances, journal, migrate
from ledger.db.models import PostingRow
from ledger.db.session import UnitOfWork, make_engine

BATCH = 2_000


def load(engine: Engine, n: int) -> float:
    uow = UnitOfWork(engine)
    start = time.perf_counter()
    entries = realistic_entries(n)
    while batch := list(itertools.islice(entries, BATCH)):
        for entry in batch:
            check(entry, chart_of(entry.entity))
        uow.write(lambda s, b=batch: journal.append(s, b, recorded_at=datetime.now(UTC)))
    return n / (time.perf_counter() - start)


def median_ms(fn, runs: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(label: str, engine: Engine, n: int) -> None:
    migrate.upgrade(engine)
    rate = load(engine, n)
    uow = UnitOfWork(engine)
    postings = uow.read(lambda s: s.scalar(select(func.count()).select_from(PostingRow)))
    as_of = date(2025, 12, 31)
    tb_fund = median_ms(lambda: uow.read(lambda s: balances.trial_balance(s, "fund", as_of)))
    tb_fdn = median_ms(lambda: uow.read(
        lambda s: balances.trial_balance(s, "foundation", as_of)))
    bal = median_ms(lambda: uow.read(
        lambda s: balances.account_balance(s, "fund", "1002", date(2025, 6, 30))))
    tb = uow.read(lambda s: balances.trial_balance(s, "fund", as_of))
    assert tb.balanced
    print(f"{label:10} entries={n:,} postings={postings:,} load={rate:,.0f} entries/s "
          f"trial_balance(fund)={tb_fund:.1f} ms trial_balance(foundation)={tb_fdn:.1f} ms "
          f"account_balance={bal:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=340_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        measure("sqlite", engine, args.entries)
        engine.dispose()
    admin = make_url(args.pg)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = "huzhu_bench_balances"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        engine = make_engine(admin.set(database=name).render_as_string(hide_password=False))
        measure("postgresql", engine, args.entries)
        engine.dispose()
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
