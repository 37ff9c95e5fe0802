"""Issue 10, part 3 (CI subset of `python -m bench.concurrency`): clients at once over real
HTTP, gunicorn with several worker processes, on SQLite and on PostgreSQL.

Transfers, expenses, bridging services, grant commitments and tranches race each other while
reads check the constant totals and the caps; afterwards every acknowledged write must be in
the books and both chains verify. Then the same checker must catch the same server broken on
purpose: its writer lock removed (SQLite: no busy wait and no retries either), writes
acknowledged then rolled back, its spending check removed. The faults are patched into the
server's processes before they build the app and switched on by a file between phases
(bench.concurrency.FAULTS), so one server serves the four phases. The read check no broken
server trips (the constant totals) is shown to fail on doctored answers at the end."""

from __future__ import annotations

import contextlib
import importlib
import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, SECONDS, WORKERS = 6, 2.0, 2
#: The sound phase leans on the capped operations, so that each is reached in a short run.
CAPPED = {"transfer": 3, "read": 3, "expense": 2, "bridging": 1, "resolve": 2, "tranche": 1}
#: The writer lock removed: on PostgreSQL no LOCK TABLE; on SQLite writers neither wait for
#: the file (busy timeout 0) nor retry.
BROKEN_LOCK = {"postgresql": "no-writer-lock", "sqlite": "no-busy-wait,no-retry"}
#: A fund with 3,500.00 deposited: 1,050.00 of operating money, a cap of 50,000.00; expenses
#: of 1,000.00 to 10,000.00 exhaust it at once.
SMALL_DEPOSIT_FEN = 350_000


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
    return importlib.import_module("bench.concurrency")


def summary(bench: ModuleType, result: Any) -> str:
    """The report the bench prints, for a failing assertion's message."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench.report(result)
    return out.getvalue()


def test_books_hold_and_broken_servers_are_caught(bench: ModuleType, backend: str,
                                                  db_url: str, tmp_path: Path) -> None:
    switch = tmp_path / "faults"
    faults = f"{BROKEN_LOCK[backend]},no-spending-check,lose-writes"
    setup = bench.prepare(db_url, applications=8, fit=5, migrate_first=False,
                          deposit_fen=SMALL_DEPOSIT_FEN)
    with bench.serve(db_url, workers=WORKERS, faults=faults, switch=str(switch),
                     preload=True) as port:

        def phase(on: str, previous: Any = None, **changes: Any) -> tuple[Any, Any]:
            switch.write_text(on)
            return bench.phase(db_url, port, setup, backend=backend, clients=CLIENTS,
                               workers=WORKERS, faults=on, previous=previous,
                               **{"seconds": SECONDS, **changes})

        # 1. the server as it is: everything holds, and the caps were reached
        sound, load = phase("", weights=CAPPED, seconds=2.5)
        tally = sound.tally
        assert sound.sound, summary(bench, sound)
        assert tally.unexpected == 0, summary(bench, sound)
        assert not tally.violations, summary(bench, sound)
        assert not sound.lost, summary(bench, sound)
        assert sound.chain_ok, sound.chain
        assert tally.reads_checked >= 5, summary(bench, sound)
        assert {"transfer", "grant committed"} <= set(tally.operations), summary(bench, sound)
        assert tally.statuses["409 insufficient-funds"] > 0, summary(bench, sound)
        assert all(line.endswith("held") for line in sound.caps), sound.caps

        # 2. without the writer lock: errors reach the clients, or the books disagree
        unlocked, load = phase(BROKEN_LOCK[backend], load)
        assert not unlocked.sound, summary(bench, unlocked)
        if backend == "sqlite":  # "database is locked" reached the clients
            assert unlocked.tally.statuses["503 database-unavailable"] > 0, \
                summary(bench, unlocked)

        # 3. writes answered as done, then rolled back: the books lack what was acknowledged
        lossy, load = phase("lose-writes", load, weights={"transfer": 3, "read": 1},
                            seconds=1.0)
        assert not lossy.sound, summary(bench, lossy)
        assert lossy.lost, summary(bench, lossy)

        # 4. without the spending check: the fund's operating money goes below zero
        unchecked, _ = phase("no-spending-check", load, weights={"expense": 3, "read": 2},
                             seconds=1.5)
        assert not unchecked.sound, summary(bench, unchecked)
        assert any("operating money -" in v for v in unchecked.tally.violations), \
            summary(bench, unchecked)
        assert any(line.endswith("EXCEEDED") for line in unchecked.caps), unchecked.caps


def test_reads_of_another_total_or_an_unbalanced_trial_balance_are_violations(
        bench: ModuleType) -> None:
    setup = bench.Setup({}, 1, 1, 100, (), 100, 100)
    load = bench.Workload(0, setup)
    lines = [{"account": "1002", "debit": "350000.00", "credit": "0.00"},
             {"account": "420101", "debit": "0.00", "credit": "105000.00"},
             {"account": "2209", "debit": "0.00", "credit": "245000.00"}]
    load.constants = {"fund": bench.funds_total({"lines": lines})}
    assert load.constants["fund"] == 105_000_00  # 350,000.00 in the bank, 245,000.00 owed
    load._check_trial_balance("fund", {"balanced": True, "lines": lines})
    assert load.tally.violations == []
    half_moved = [*lines[:2], {"account": "2209", "debit": "0.00", "credit": "244999.99"},
                  {"account": "3101", "debit": "0.00", "credit": "0.01"}]
    load._check_trial_balance("fund", {"balanced": False, "lines": half_moved})
    assert load.tally.violations == ["fund: trial balance does not balance",
                                     "fund: total read 105000.01, not 105000.00"]


def test_an_acknowledged_movement_missing_from_the_books_is_a_lost_write(
        bench: ModuleType) -> None:
    load = bench.Workload(0, bench.Setup({}, 1, 1, 100, (), 100, 100))
    load.initial = {"fund": {"1001": 0, "1002": 100}}
    load.acknowledged("transfer", {("fund", "1001"): 40, ("fund", "1002"): -40})
    assert bench._lost_writes(load, {"fund": {"1001": 40, "1002": 60}}) == []
    assert bench._lost_writes(load, {"fund": {"1001": 0, "1002": 100}}) == [
        "fund 1001: 0.00 in the books, 0.40 acknowledged",
        "fund 1002: 1.00 in the books, 0.60 acknowledged"]
