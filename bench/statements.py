"""Statements at scale: a year of 100k entries, its statement pack (data and PDF), and the
general-ledger appendix of 10,000 lines beside the naive one-big-table rendering.

    python -m bench.statements [--entries 100000] [--lines 10000] [--no-naive]

Loads `--entries` realistic entries (bench.books) into a fresh SQLite database through the
real posting path, then times (median of 3) the statement pack's data for the year of each
entity and its PDF without the appendix, and renders `--lines` appendix lines in a fresh
process each (so each one's peak memory is its own): ours, paginated and rendered in chunks,
and the naive single table. Prints every figure and the ratios.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import pickle
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.books import realistic_entries
from ledger.core.chart import chart_of
from ledger.core.entries import check
from ledger.core.periods import parse_period
from ledger.db import journal, migrate
from ledger.db.session import UnitOfWork, make_engine
from ledger.statements import LedgerLine, ledger_lines, statement_pack
from reports.statements import appendix_pdf, render_statements

BATCH = 2_000
YEAR = "2025"


def load(uow: UnitOfWork, n: int) -> float:
    start = time.perf_counter()
    entries = realistic_entries(n)
    while batch := list(itertools.islice(entries, BATCH)):
        for entry in batch:
            check(entry, chart_of(entry.entity))
        uow.write(lambda s, b=batch: journal.append(s, b, recorded_at=datetime.now(UTC)))
    return n / (time.perf_counter() - start)


def median_s(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _render_appendix(path: str, naive: bool, out: multiprocessing.Queue) -> None:
    lines = pickle.loads(Path(path).read_bytes())
    start = time.perf_counter()
    pdf = appendix_pdf(lines, entity="fund", label=YEAR, lang="zh", naive=naive)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put((seconds, peak_mb, len(pdf)))


def appendix(lines: list[LedgerLine], naive: bool, folder: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, bytes) of rendering the appendix in a process of its own."""
    path = folder / "lines.pickle"
    path.write_bytes(pickle.dumps(lines))
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=_render_appendix, args=(str(path), naive, out))
    process.start()
    found = out.get()
    process.join()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive appendix")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        migrate.upgrade(engine)
        uow = UnitOfWork(engine)
        rate = load(uow, args.entries)
        print(f"loaded {args.entries:,} entries at {rate:,.0f} entries/s")
        for entity in ("fund", "foundation"):
            data = median_s(lambda e=entity: statement_pack(uow, e, YEAR))
            pack = statement_pack(uow, entity, YEAR)
            pdf = median_s(lambda p=pack: render_statements(p, "zh"))
            print(f"{entity:10} year {YEAR}: pack data {data:.2f} s (target < 1 s), "
                  f"PDF without appendix {pdf:.2f} s (target < 3 s)")
        lines = list(itertools.islice(
            (line for batch in ledger_lines(uow, "fund", YEAR) for line in batch), args.lines))
        assert parse_period(YEAR).starts_on <= lines[0].effective_date
        ours = appendix(lines, naive=False, folder=folder)
        print(f"appendix of {len(lines):,} lines, ours: {ours[0]:.1f} s, peak {ours[1]:.0f} MB, "
              f"{ours[2] / 1e6:.1f} MB PDF (targets < 15 s, < 400 MB)")
        if not args.no_naive:
            naive = appendix(lines, naive=True, folder=folder)
            print(f"appendix of {len(lines):,} lines, naive one table: {naive[0]:.1f} s, peak "
                  f"{naive[1]:.0f} MB, {naive[2] / 1e6:.1f} MB PDF")
            print(f"ratio naive / ours: time {naive[0] / ours[0]:.1f}x, "
                  f"peak memory {naive[1] / ours[1]:.1f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
