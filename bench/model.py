"""Issue 10, part 1, the long run: the model-based test of tests/reliability/model_machine.py
with many more examples and steps, on SQLite and PostgreSQL.

    python -m bench.model [--examples 10] [--steps 40] [--db sqlite|postgresql|both]
                          [--pg URL] [--derandomize] [--shrink]

Each example drives deposits and their split, transfers, bridging, income, grants
(commitment, tranches, evaluation, early end, clawback), campaign payments and cancellations,
and deposit reversals through the use cases, on a fresh copy of a seeded database, checking
after every step that the books agree with the model and with their own postings, that no
available fund is negative and that nothing posted changed. Prints, per database: examples,
steps, checks, refusals checked, steps the model skipped, failures, and the time a fresh copy
of the database took. The default takes a few minutes; shrinking is off unless asked for.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from bench.databases import PG_ADMIN as DEFAULT_PG_ADMIN
from bench.databases import scratch_engine
from ledger.db import migrate
from ledger.db.session import make_engine
from tests.reliability.model_machine import Stats, machine
from tests.reliability.model_world import Copies, pg_copies, seed, sqlite_copies

PG_ADMIN = os.environ.get("HUZHU_TEST_PG_URL", DEFAULT_PG_ADMIN)


def run_on(db: str, copies: Copies, cast: object, args: argparse.Namespace) -> None:
    stats, failure = Stats(), ""
    started = time.perf_counter()
    try:
        run_state_machine_as_test(machine(copies, cast, stats),  # type: ignore[arg-type]
                                  settings=settings(
            max_examples=args.examples, stateful_step_count=args.steps, deadline=None,
            database=None, derandomize=args.derandomize,
            phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if args.shrink else []),
            suppress_health_check=[HealthCheck.too_slow]))
    except Exception:
        failure = traceback.format_exc()
    wall = time.perf_counter() - started
    copy_ms = statistics.median(copies.seconds) * 1000 if copies.seconds else 0.0
    print(f"{db}: examples {stats.examples}, steps {stats.steps}, checks {stats.checks}, "
          f"refusals checked {stats.refusals}, failures {1 if failure else 0}, "
          f"{wall:.1f} s ({wall / max(stats.steps, 1) * 1000:.0f} ms a step); "
          f"fresh database {copy_ms:.1f} ms (median)")
    print(f"{db}: steps the model skipped: {dict(sorted(stats.skipped.items())) or 'none'}")
    if failure:
        print(failure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=PG_ADMIN, help="an admin URL of PostgreSQL")
    parser.add_argument("--derandomize", action="store_true",
                        help="the same examples every run")
    parser.add_argument("--shrink", action="store_true",
                        help="shrink a failure to its shortest steps (can take minutes)")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="huzhu-model-") as tmp:
            path = Path(tmp) / "seeded.sqlite3"
            engine = make_engine(f"sqlite:///{path}")
            migrate.upgrade(engine)
            cast = seed(engine)
            engine.dispose()
            run_on("sqlite", sqlite_copies(path, Path(tmp)), cast, args)
    if args.db in ("postgresql", "both"):
        with scratch_engine("postgresql", "huzhu_bench_model", pg_admin=args.pg) as engine:
            cast = seed(engine)
            seeded = engine.url.render_as_string(hide_password=False)
            engine.dispose()
            run_on("postgresql", pg_copies(seeded), cast, args)

if __name__ == "__main__":
    main()
