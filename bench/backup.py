"""Backup and restore of a large book on SQLite and PostgreSQL (ledger/db/backup.py, the code
behind `flask --app api backup` and `restore`).

    python -m bench.backup [--entries 100000] [--db sqlite|postgresql|both] [--pg URL]
                           [--writers]

For each database: fresh, migrated books get `--entries` realistic entries (bench/books.py,
one bulk import), then the run times
- **backup**: SQLite's online backup API into a file (then integrity check and both hash
  chains verified on the copy); PostgreSQL's pg_dump (custom format) of a snapshot whose books
  are verified in the same transaction;
- **restore** into an empty database (no tables): the backup checked, copied to a temporary file and
  renamed into place (SQLite), or pg_restore in one transaction (PostgreSQL), then verified;
- that the restored books are the same: both chain heads equal, every table's row count equal.

`--writers` (SQLite): a thread posts entries through the use case throughout the backup, to
show the backup neither blocks nor is blocked by the service; the entries it posted are
counted. Default 20,000 entries (a few minutes on 2 CPUs); 100,000 for the README's figures.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from bench.books import realistic_entries
from bench.databases import PG_ADMIN, scratch_engine
from ledger import books, bulk
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import from_minor
from ledger.core.staff import Actor
from ledger.db import backup as store
from ledger.db.session import UnitOfWork


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in sorted(inspect(conn).get_table_names())}


def _write_while(engine: Engine, stop: threading.Event, posted: list[int]) -> None:
    """The service keeps posting small entries until `stop`."""
    uow, actor = UnitOfWork(engine), Actor.system("bench")
    amount = from_minor(100)
    while not stop.is_set():
        entry = JournalEntry(entity="fund", effective_date=date(2026, 12, 1), memo="writer",
                             actor="bench", postings=(Posting.debit("1002", amount),
                                                      Posting.credit("420101", amount)))
        books.post(uow, entry, by=actor)
        posted.append(1)


class StageClock:
    """A progress callback timing each stage (copy, dump, restore, verify) of one run: a
    stage lasts from the previous callback before it to its own last callback."""

    def __init__(self) -> None:
        self.spans: dict[str, list[float]] = {}
        self.last = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.spans.setdefault(stage, [self.last, now])[1] = now
        self.last = now

    def text(self, total: float) -> str:
        spans = {stage: end - start for stage, (start, end) in self.spans.items()}
        spans["checks and rename"] = total - sum(spans.values())
        return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in spans.items())


def measure(kind: str, n: int, pg_admin: str, tmp: Path, writers: bool) -> None:
    entries = list(realistic_entries(n, importable=True))
    with scratch_engine(kind, "huzhu_bench_backup", pg_admin=pg_admin) as source, \
            scratch_engine(kind, "huzhu_bench_restored", pg_admin=pg_admin,
                           migrated=False) as target:
        started = time.perf_counter()
        bulk.import_entries(UnitOfWork(source), Actor.system("bench"), entries, key="bench")
        loaded = time.perf_counter() - started
        file = tmp / f"books-{kind}.backup"
        stop, posted = threading.Event(), []
        made_clock, back_clock = StageClock(), StageClock()
        writer = threading.Thread(target=_write_while, args=(source, stop, posted))
        if writers:
            writer.start()
        try:
            made_clock.last = time.perf_counter()
            made = store.backup(source, file, made_clock)
        finally:
            stop.set()
            if writers:
                writer.join()
        back_clock.last = time.perf_counter()
        back = store.restore(target, file, progress=back_clock)
        expected = counts(source) if not writers else None
        found = counts(target)
        same = back.head_hash == made.head_hash and (expected is None or found == expected)
        postings = found["postings"]
        print(f"{kind:10} entries={n:,} postings={postings:,} (loaded in {loaded:.1f} s)  "
              f"backup={made.seconds:.2f} s ({made.size / 2**20:.1f} MiB; "
              f"{made_clock.text(made.seconds)})  "
              f"restore={back.seconds:.2f} s ({back_clock.text(back.seconds)})  "
              f"restored books the same: {'yes' if same else 'NO'}"
              + (f"  entries posted during the backup: {len(posted)}" if writers else ""))
        if not same:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL")
    parser.add_argument("--writers", action="store_true",
                        help="SQLite: post entries from a thread during the backup")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            measure(kind, args.entries, args.pg, Path(tmp), args.writers and kind == "sqlite")


if __name__ == "__main__":
    main()
