"""`flask --app api ledger export` through Flask's CLI runner, on SQLite and on PostgreSQL: for
the server's operator like `ledger verify`; stdout without `-o`, the same bytes in FILE with
it (and a line on stderr saying what was written); `--entity`, `--to` and `--names` reach the
export; bad arguments exit 2 and an unwritable FILE exits 1, leaving no file behind."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from api.auth import ATTRIBUTE
from api.export_cli import export
from ledger import books
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import parse_money
from ledger.db.session import UnitOfWork

from .helpers import assert_same, balances, export_text, ours


def test_the_command_is_for_the_servers_operator() -> None:
    assert getattr(export.callback, ATTRIBUTE) == ("operator",)


def post(uow: UnitOfWork, entity: str, day: date, amount: str) -> None:
    money = parse_money(amount, "CNY")
    books.post(uow, JournalEntry(
        entity=entity, effective_date=day, memo=f"捐赠 {amount}", actor="tester",
        postings=(Posting.debit("1002", money), Posting.credit("490101", money))))


def test_stdout_and_file(runner: Any, uow: UnitOfWork, tmp_path: Path) -> None:
    post(uow, "fund", date(2026, 10, 31), "22.09")
    post(uow, "foundation", date(2026, 11, 1), "22.08")
    for fmt in ("ledger", "hledger", "beancount", "csv"):
        shown = runner.invoke(args=["ledger", "export", "--format", fmt])
        assert shown.exit_code == 0, shown.output
        assert shown.stdout_bytes.decode("utf-8") == export_text(uow, fmt)[1]
        path = tmp_path / f"books.{fmt}"
        written = runner.invoke(args=["ledger", "export", "--format", fmt, "-o", str(path)])
        assert written.exit_code == 0, written.output
        assert path.read_bytes() == shown.stdout_bytes
        assert f"wrote 2 entries, 4 postings (fund, foundation, all dates) to {path}" \
            in written.stderr
        assert written.stdout == ""
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert (tmp_path / "books.csv").read_bytes().startswith(b"\xef\xbb\xbfentry,line,date,")


def test_entity_to_and_names(runner: Any, uow: UnitOfWork, tmp_path: Path) -> None:
    post(uow, "fund", date(2026, 10, 31), "22.09")
    post(uow, "fund", date(2026, 11, 1), "100.00")
    post(uow, "foundation", date(2026, 10, 1), "7.00")
    path = tmp_path / "fund.ledger"
    done = runner.invoke(args=["ledger", "export", "--format", "ledger", "--entity", "fund",
                               "--to", "2026-10-31", "--names", "en", "-o", str(path)])
    assert done.exit_code == 0, done.output
    assert "wrote 1 entries, 2 postings (fund, up to 2026-10-31)" in done.stderr
    text = path.read_text(encoding="utf-8")
    assert "    Assets:1002-BankDeposits  22.09 CNY\n" in text
    assert "Income:490101-OtherIncomeUnrestricted  -22.09 CNY\n" in text
    plan = export_text(uow, "ledger", entity="fund", to=date(2026, 10, 31), names="en")[0]
    assert_same("ledger", balances(path, plan), ours(uow, ("fund",), date(2026, 10, 31)))
    assert ours(uow, ("fund",), date(2026, 10, 31))[("fund", "1002")] == 2209


def test_bad_arguments(runner: Any, uow: UnitOfWork, tmp_path: Path) -> None:
    post(uow, "fund", date(2026, 10, 31), "22.09")
    for args, message in (
        (["--format", "excel"], "'excel' is not one of"),
        (["--format", "csv", "--entity", "nobody"], "'nobody' is not one of"),
        (["--format", "csv", "--to", "2026-13-01"], "does not match the format"),
        (["--format", "csv", "-o", str(tmp_path)], "is a directory"),
    ):
        done = runner.invoke(args=["ledger", "export", *args])
        assert done.exit_code == 2, (args, done.output)
        assert message in done.output, done.output
    missing = tmp_path / "no such folder" / "books.csv"
    done = runner.invoke(args=["ledger", "export", "--format", "csv", "-o", str(missing)])
    assert done.exit_code == 1, done.output
    assert f"cannot write {missing}" in done.output
    assert not missing.parent.exists()
