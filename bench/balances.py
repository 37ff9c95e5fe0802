"""Trial balance and statement data at a million postings, on SQLite and PostgreSQL, beside
`ledger bal` and `hledger bal` on the same books exported.

    python -m bench.balances [--entries 410000] [--db sqlite|postgresql|both] [--pg URL]
                             [--tool-runs 3]

Loads `--entries` realistic entries of 2025 (bench/books.py, about 2.45 postings each: 410,000
make a million postings) through the real posting path (core checks, hash chain, database
triggers, daily totals) in batches of 2,000, then times (median of 7):
- the trial balance of each entity as of 2025-12-31, and one account's balance mid-year;
- the statement data of the year 2025 for each entity (opening and closing balances,
  movements, the cash analysis and releases that the statements are made of).

On the SQLite books it then exports the whole ledger with `flask --app api ledger export`'s
own code in Ledger and hledger syntax and times `ledger bal` and `hledger bal` over the file
(median of `--tool-runs`), checks that every account's balance they print equals ours to the
fen, and prints the time ratio against our two trial balances together (the tools compute
both entities in one run). The target of issue 9: under 100 ms for the trial balance over a
million postings on both databases, at least 100x faster than `ledger bal`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bench.books import realistic_entries
from bench.databases import PG_ADMIN, scratch_engine
from ledger import exports
from ledger.core.chart import ENTITIES, chart_of
from ledger.core.entries import check
from ledger.core.exports import Names, account_name
from ledger.core.periods import year
from ledger.db import balances, journal, migrate
from ledger.db import statements as statements_db
from ledger.db.models import PostingRow
from ledger.db.session import UnitOfWork, make_engine

BATCH = 2_000
AS_OF = date(2025, 12, 31)
TARGET_MS = 100.0
TARGET_RATIO = 100.0
AMOUNT = re.compile(r"^(-?[\d,]+\.\d{2}) CNY$")


def load(engine: Engine, n: int) -> float:
    """Post `n` entries through the journal's append; entries per second."""
    uow = UnitOfWork(engine)
    start = time.perf_counter()
    entries = realistic_entries(n)
    while batch := list(itertools.islice(entries, BATCH)):
        for entry in batch:
            check(entry, chart_of(entry.entity))
        uow.write(lambda s, b=batch: journal.append(s, b, recorded_at=datetime.now(UTC)))
    return n / (time.perf_counter() - start)


def median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ours(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """Debits minus credits of every account with postings, both entities, all dates."""
    found = {}
    for entity in ENTITIES:
        tb = uow.read(lambda s, e=entity: balances.trial_balance(s, e, date.max))
        assert tb.balanced
        found |= {(entity, line.account.code): line.debits - line.credits for line in tb.lines}
    return found


def measure(label: str, engine: Engine, n: int) -> dict[str, float]:
    migrate.upgrade(engine)
    rate = load(engine, n)
    with engine.begin() as conn:  # what autovacuum does after a load, without the wait
        conn.exec_driver_sql("ANALYZE")
    uow = UnitOfWork(engine)
    postings = uow.read(lambda s: s.scalar(select(func.count()).select_from(PostingRow)))
    figures = {"load": rate, "postings": float(postings or 0)}
    for entity in ENTITIES:
        figures[f"tb_{entity}"] = median_ms(
            lambda e=entity: uow.read(lambda s: balances.trial_balance(s, e, AS_OF)))
        figures[f"statements_{entity}"] = median_ms(
            lambda e=entity: uow.read(lambda s: statements_db.period_figures(s, e, year(2025))))
    figures["account"] = median_ms(lambda: uow.read(
        lambda s: balances.account_balance(s, "fund", "1002", date(2025, 6, 30))))
    print(f"{label:10} entries={n:,} postings={postings:,} load={rate:,.0f} entries/s  "
          f"trial balance: fund {figures['tb_fund']:.1f} ms, foundation "
          f"{figures['tb_foundation']:.1f} ms (target < {TARGET_MS:.0f})  "
          f"statement data of 2025: fund {figures['statements_fund']:.1f} ms, foundation "
          f"{figures['statements_foundation']:.1f} ms  one account's balance "
          f"{figures['account']:.1f} ms")
    return figures


def tool_balances(command: list[str], tsv: bool) -> dict[str, int]:
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600,
                         encoding="utf-8",
                         env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}).stdout
    found = {}
    rows = out.splitlines()[1:] if not tsv else out.splitlines()
    for row in rows:
        account, total = row.split("\t" if tsv else ",", 1)
        total = total.strip().strip('"')
        match = AMOUNT.match(total)
        found[account.strip('"')] = (int(Decimal(match.group(1).replace(",", "")) * 100)
                                     if match else 0)
    return found


def compare_tools(engine: Engine, runs: int, ours_ms: float, folder: Path) -> None:
    uow = UnitOfWork(engine)
    expected = ours(uow)
    names = {account_name(e, a, prefixed=True, names=Names.ZH): (e, code)
             for e in ENTITIES for code, a in chart_of(e).items()}
    commands = {
        "ledger": (["ledger", "-f", "{file}", "bal", "--flat", "--empty", "--no-total",
                    "--balance-format", "%(account)\t%(display_total)\n"], True),
        "hledger": (["hledger", "-f", "{file}", "bal", "--flat", "--empty", "--no-total",
                     "-O", "csv"], False),
    }
    for tool, (command, tsv) in commands.items():
        if shutil.which(tool) is None:
            print(f"{tool:10} not installed (scripts/system-deps.sh test installs it)")
            continue
        plan = exports.prepare(uow, tool)
        path = folder / f"books.{tool}"
        start = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            for chunk in exports.chunks(uow, plan):
                out.write(chunk)
        exported = time.perf_counter() - start
        argv = [part.replace("{file}", str(path)) for part in command]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            theirs = tool_balances(argv, tsv)
            times.append(time.perf_counter() - start)
        by_key = {names[name]: value for name, value in theirs.items()}
        keys = set(by_key) | set(expected)
        differ = {k for k in keys if by_key.get(k, 0) != expected.get(k, 0)}
        seconds = statistics.median(times)
        print(f"{tool:10} {path.stat().st_size / 2**20:,.0f} MiB exported in {exported:.1f} s; "
              f"bal: {seconds * 1000:,.0f} ms (median of {runs}); accounts "
              f"{'all equal ours to the fen' if not differ else f'DIFFER: {sorted(differ)}'}; "
              f"ours (both trial balances) {ours_ms:.1f} ms: {seconds * 1000 / ours_ms:,.0f}x "
              f"faster (target >= {TARGET_RATIO:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=410_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_ADMIN, help="admin URL to create databases with")
    parser.add_argument("--tool-runs", type=int, default=3)
    args = parser.parse_args()
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in ("sqlite", "both"):
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            found = measure("sqlite", engine, args.entries)
            compare_tools(engine, args.tool_runs, found["tb_fund"] + found["tb_foundation"],
                          Path(tmp))
            engine.dispose()
        if args.db in ("postgresql", "both"):
            with scratch_engine("postgresql", "huzhu_bench_balances", pg_admin=args.pg,
                                migrated=False) as engine:
                measure("postgresql", engine, args.entries)


if __name__ == "__main__":
    main()
