"""ledger/bulk.py and `flask --app api ledger import`, on SQLite and PostgreSQL: a file of
hundreds of entries goes in as one transaction (consecutive numbers, one audit record, the
chain verifies); one bad line among hundreds writes nothing and is reported, as are several;
the same file (or key) twice writes nothing the second time; reserved sources are refused;
an exported CSV imports back (every balance then doubles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from api.auth import ATTRIBUTE
from api.import_cli import import_
from ledger import books, bulk
from ledger.core.bulk import InvalidBatch, read_jsonl
from ledger.core.errors import IdempotencyKeyReused
from ledger.core.staff import Actor
from ledger.db.chain import verify
from ledger.db.models import AuditRow, EntryRow
from ledger.db.session import UnitOfWork

from .helpers import entry_json, write_jsonl

N = 300


def count(uow: UnitOfWork, row: Any = EntryRow) -> int:
    return uow.read(lambda s: s.scalar(select(func.count()).select_from(row)))


def test_the_command_is_for_the_servers_operator() -> None:
    assert getattr(import_.callback, ATTRIBUTE) == ("operator",)


def test_hundreds_of_entries_in_one_transaction(runner: Any, uow: UnitOfWork,
                                                tmp_path: Path) -> None:

    audits = count(uow, AuditRow)
    path = write_jsonl(tmp_path / "entries.jsonl", [entry_json(i) for i in range(N)])
    done = runner.invoke(args=["ledger", "import", str(path)])
    assert done.exit_code == 0, done.output
    assert f"imported {N} entries: #1 to #{N}" in done.stdout
    assert count(uow) == N
    assert count(uow, AuditRow) == audits + 1
    report = uow.read(verify)
    assert report.ok
    assert report.checked == N
    first, last = books.entry(uow, 1), books.entry(uow, N)
    assert first.recorded_at == last.recorded_at  # one transaction, one time stamp
    assert (first.actor, first.memo, first.entity) == ("operator", "互助资金 0", "fund")
    assert last.source is not None
    assert last.source.id == f"t-{N - 1}"


def test_one_bad_line_among_hundreds_writes_nothing(runner: Any, uow: UnitOfWork,
                                                    tmp_path: Path) -> None:
    rows: list[object] = [entry_json(i) for i in range(N)]
    rows[187] = {**entry_json(187), "postings": [{"account": "1002", "debit": "1.00"},
                                                 {"account": "2209", "credit": "1.01"}]}
    path = write_jsonl(tmp_path / "entries.jsonl", rows)
    done = runner.invoke(args=["ledger", "import", str(path)])
    assert done.exit_code == 1
    assert "1 problems; nothing was written" in done.stderr
    assert "line 188: CNY debits 1.00 do not equal credits 1.01" in done.stderr
    assert count(uow) == 0


def test_several_bad_lines_are_all_reported(runner: Any, uow: UnitOfWork,
                                            tmp_path: Path) -> None:
    rows: list[object] = [entry_json(i) for i in range(N)]
    rows[3] = "{not json"
    rows[50] = {**entry_json(50), "effective_date": "2026-13-01"}
    rows[120] = {**entry_json(120), "source": {"kind": "deposit", "id": "7"}}
    rows[121] = {**entry_json(121), "postings": [{"account": "1002", "debit": "1e3"},
                                                 {"account": "6666", "credit": "1000.00"}]}
    path = write_jsonl(tmp_path / "entries.jsonl", rows)
    done = runner.invoke(args=["ledger", "import", str(path)])
    assert done.exit_code == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("  line ")]
    assert [line.split(":")[0] for line in lines] == [
        "  line 4", "  line 51", "  line 121", "  line 122"]
    assert "source kind 'deposit' is reserved" in lines[2]
    assert "not a plain decimal amount" in lines[3]
    assert count(uow) == 0


def test_the_same_file_twice_records_nothing_new(runner: Any, uow: UnitOfWork,
                                                 tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "entries.jsonl", [entry_json(i) for i in range(20)])
    assert runner.invoke(args=["ledger", "import", str(path)]).exit_code == 0
    audits = count(uow, AuditRow)
    again = runner.invoke(args=["ledger", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "already imported" in again.stdout
    assert "entries #1 to #20 (20 entries); nothing was written" in again.stdout
    assert (count(uow), count(uow, AuditRow)) == (20, audits)
    other = write_jsonl(tmp_path / "other.jsonl", [entry_json(i) for i in range(5)])
    refused = runner.invoke(args=["ledger", "import", str(other), "--key",
                                  bulk_key(uow)])
    assert refused.exit_code == 1
    assert "was first used for other entries" in refused.output
    assert count(uow) == 20


def bulk_key(uow: UnitOfWork) -> str:
    from ledger.db.models import IdempotencyKeyRow
    return uow.read(lambda s: s.scalar(select(IdempotencyKeyRow.key).where(
        IdempotencyKeyRow.scope == bulk.SCOPE)))


def test_the_use_case(uow: UnitOfWork) -> None:
    entries = read_jsonl([json.dumps(entry_json(i)) for i in range(10)], actor="tester").entries
    seen: list[int] = []
    done = bulk.import_entries(uow, Actor.system("tester"), entries, key="k1", batch=3,
                               progress=seen.append)
    assert (done.first, done.last, done.count, done.replayed) == (1, 10, 10, False)
    assert seen == [3, 3, 3, 1]
    again = bulk.import_entries(uow, Actor.system("tester"), entries, key="k1")
    assert (again.first, again.last, again.replayed) == (1, 10, True)
    with pytest.raises(IdempotencyKeyReused):
        bulk.import_entries(uow, Actor.system("tester"), entries[:2], key="k1")
    with pytest.raises(InvalidBatch) as refused:
        bulk.import_entries(uow, Actor.system("tester"), [
            entries[0], books.reverse(books.entry(uow, 1), effective_date=entries[0]
                                      .effective_date, actor="tester")], key="k2")
    assert [(p.number, p.field) for p in refused.value.problems] == [(2, "reverses")]
    assert count(uow) == 10


def test_an_exported_csv_imports_back(runner: Any, uow: UnitOfWork, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "entries.jsonl", [entry_json(i) for i in range(40)])
    assert runner.invoke(args=["ledger", "import", str(path)]).exit_code == 0
    before = {e: books.trial_balance(uow, e) for e in ("fund", "foundation")}
    exported = tmp_path / "postings.csv"
    assert runner.invoke(args=["ledger", "export", "--format", "csv", "-o",
                               str(exported)]).exit_code == 0
    done = runner.invoke(args=["ledger", "import", str(exported)])
    assert done.exit_code == 0, done.output
    assert "imported 40 entries: #41 to #80" in done.stdout
    for entity, tb in before.items():
        after = books.trial_balance(uow, entity)
        assert [(line.account.code, line.debit_column * 2, line.credit_column * 2)
                for line in tb.lines] == [
            (line.account.code, line.debit_column, line.credit_column) for line in after.lines]
    assert books.entry(uow, 42).postings[1].memo == "=SUM(A1)"  # the apostrophe taken off
    assert books.entry(uow, 42).postings == books.entry(uow, 2).postings


def test_a_very_large_import_in_one_transaction_on_postgresql(pg_only: None,
                                                              uow: UnitOfWork) -> None:
    """Migration 0001 took one advisory lock per entry, held to commit: more entries than the
    shared lock table holds (max_locks_per_transaction x max_connections, about 12,000) ran
    out of shared memory. Migration 0010 checks the seal once per statement instead."""
    locks, connections = uow.read(lambda s: (
        int(s.scalar(text("SHOW max_locks_per_transaction"))),
        int(s.scalar(text("SHOW max_connections")))))
    n = 3 * locks * connections
    entries = read_jsonl([json.dumps(entry_json(i)) for i in range(n)], actor="t").entries
    done = bulk.import_entries(uow, Actor.system("tester"), entries, key="large")
    assert done.count == n
