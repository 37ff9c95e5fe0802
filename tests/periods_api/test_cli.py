"""`flask --app api periods close|reopen|verify|sign-off|list` and `flask --app api reports
statement`: each as the roles that may (HUZHU_TOKEN or --as with a password), refusals that
exit non-zero having written nothing, and the statements PDF written to a file with its
SHA-256 printed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.auth import ATTRIBUTE
from api.periods_cli import close, list_periods, reopen, sign_off, statement, verify
from ledger.core.staff import Role
from tests.conftest import PASSWORD

from .helpers import Books

#: The runner's environment: nothing inherited that says who is running the command.
CLEAN = {"HUZHU_TOKEN": None, "HUZHU_USER": None, "HUZHU_PASSWORD": None}
WHERE = ("--entity", "fund", "--period", "2026-10")


def cli(runner: Any, books: Books, *args: str, who: str | None = None, **env: str | None
        ) -> Any:
    """Run a command as `who` (by their access token)."""
    if who is not None:
        env["HUZHU_TOKEN"] = books.api.staff.tokens[who]
    return runner.invoke(args=list(args), env={**CLEAN, **env})


def audit(books: Books) -> list[tuple[str, str, str, str]]:
    with books.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT action, username, role, address FROM audit_log "
            "WHERE action LIKE 'period.%' ORDER BY seq"))]


def test_the_commands_declare_their_roles() -> None:
    staff = (Role.ADMIN, Role.FUND_MANAGER, Role.BOARD_MEMBER, Role.AUDITOR)
    assert getattr(list_periods.callback, ATTRIBUTE) == staff
    assert getattr(statement.callback, ATTRIBUTE) == staff
    assert getattr(close.callback, ATTRIBUTE) == (Role.FUND_MANAGER, Role.ADMIN)
    assert getattr(reopen.callback, ATTRIBUTE) == (Role.ADMIN,)
    assert getattr(verify.callback, ATTRIBUTE) == (Role.AUDITOR,)
    assert getattr(sign_off.callback, ATTRIBUTE) == (Role.AUDITOR,)


def test_close_verify_sign_off_list_and_reopen(runner: Any, books: Books) -> None:
    books.seed()
    empty = cli(runner, books, "periods", "list", "--entity", "fund", who="board1")
    assert empty.exit_code == 0, empty.output
    assert "every period is open" in empty.output

    closed = cli(runner, books, "periods", "close", *WHERE, who="fm1")
    assert closed.exit_code == 0, closed.output
    assert "fund 2026-10: closing" in closed.output
    assert "closed" in closed.output.splitlines()[-1]
    assert "unaudited draft" in closed.output

    verified = cli(runner, books, "periods", "verify", *WHERE, who="aud1")
    assert verified.exit_code == 0, verified.output
    assert "ok     balances" in verified.output
    assert "FAILED" not in verified.output

    signed = cli(runner, books, "periods", "sign-off", *WHERE, "--opinion", "qualified",
                 "--notes", "一笔手续费未入账。", who="aud1")
    assert signed.exit_code == 0, signed.output
    assert "signed off: qualified by aud1" in signed.output
    assert books.state()["signoff"]["notes"] == "一笔手续费未入账。"

    listed = cli(runner, books, "periods", "list", "--entity", "fund", who="board1")
    assert listed.exit_code == 0, listed.output
    line = listed.output.strip()
    assert line.startswith("fund 2026-10")
    assert "closed" in line
    assert "signed off: qualified by aud1" in line

    reopened = cli(runner, books, "periods", "reopen", *WHERE, "--reason", "补记手续费",
                   "--as", "admin1", HUZHU_PASSWORD=PASSWORD)
    assert reopened.exit_code == 0, reopened.output
    assert "open" in reopened.output
    assert "the audit sign-off is void" in reopened.output
    assert books.state()["signoff"] is None

    # Open again: `close` starts closing it first, once more.
    again = cli(runner, books, "periods", "close", *WHERE, who="admin1")
    assert again.exit_code == 0, again.output
    assert audit(books) == [
        ("period.closing", "fm1", "fund_manager", "cli"),
        ("period.closed", "fm1", "fund_manager", "cli"),
        ("period.signed_off", "aud1", "auditor", "cli"),
        ("period.reopened", "admin1", "admin", "cli"),
        ("period.closing", "admin1", "admin", "cli"),
        ("period.closed", "admin1", "admin", "cli")]


def test_the_wrong_role_is_refused(runner: Any, books: Books) -> None:
    books.closed()
    before = books.counts()
    for args, who in ((("periods", "close", *WHERE), "aud1"),
                      (("periods", "close", *WHERE), "board1"),
                      (("periods", "reopen", *WHERE, "--reason", "x"), "fm1"),
                      (("periods", "sign-off", *WHERE, "--opinion", "unqualified"), "admin1"),
                      (("periods", "verify", *WHERE), "fm1")):
        refused = cli(runner, books, *args, who=who)
        assert refused.exit_code != 0, args
        assert (f"{who} has none of the roles" in refused.output
                or f"{who} is not an admin" in refused.output), refused.output
    assert books.counts() == before


def test_refusals_of_the_books_exit_non_zero(runner: Any, books: Books) -> None:
    before = books.counts()
    nobody = cli(runner, books, "periods", "close", *WHERE)
    assert nobody.exit_code != 0
    assert "--as USER, or HUZHU_TOKEN" in nobody.output
    bad = cli(runner, books, "periods", "close", "--entity", "fund", "--period", "2026-13",
              who="fm1")
    assert bad.exit_code != 0
    assert "is not a period" in bad.output
    unknown = cli(runner, books, "periods", "list", "--entity", "treasury", who="fm1")
    assert unknown.exit_code == 2
    never = cli(runner, books, "periods", "sign-off", *WHERE, "--opinion", "unqualified",
                who="aud1")
    assert never.exit_code != 0
    assert "is not closed" in never.output
    no_reason = cli(runner, books, "periods", "reopen", *WHERE, who="admin1")
    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.output
    assert books.counts() == before
    books.closed()
    twice = cli(runner, books, "periods", "close", *WHERE, who="fm1")
    assert twice.exit_code != 0
    assert "not closing" in twice.output or "closed" in twice.output


def test_reports_statement_writes_the_pdf_and_prints_its_hash(runner: Any, books: Books,
                                                              tmp_path: Path) -> None:
    books.seed()
    draft_file = tmp_path / "草稿.pdf"
    draft = cli(runner, books, "reports", "statement", *WHERE, "--lang", "en",
                "--no-appendix", "-o", str(draft_file), who="board1")
    assert draft.exit_code == 0, draft.output
    content = draft_file.read_bytes()
    assert content.startswith(b"%PDF")
    assert f"SHA-256 {hashlib.sha256(content).hexdigest()}" in draft.output
    assert "unaudited draft" in draft.output

    books.signed()
    signed_file = tmp_path / "fund-2026-10.pdf"
    signed = cli(runner, books, "reports", "statement", *WHERE, "-o", str(signed_file),
                 who="aud1")
    assert signed.exit_code == 0, signed.output
    content = signed_file.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    assert f"SHA-256 {sha}" in signed.output
    assert "signed off (unqualified)" in signed.output
    # The same bytes as the API serves, stored once.
    served = books.pdf(lang="zh")
    assert served.headers["X-Content-SHA256"] == sha
    assert served.get_data() == content


def test_reports_statement_passes_the_public_address_and_refuses_a_bad_path(
        runner: Any, books: Books, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.periods_cli

    calls: list[tuple[str, str, bool, str]] = []

    def stand_in(uow: Any, entity: str, label: str, lang: str, *, appendix: bool = True,
                 public_url: str = "") -> bytes:
        calls.append((label, lang, appendix, public_url))
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(api.periods_cli, "statement_pdf", stand_in)
    out = tmp_path / "out.pdf"
    done = cli(runner, books, "reports", "statement", "--entity", "foundation", "--period",
               "2026", "--lang", "en", "--public-url", "https://huzhu.example.org/", "-o",
               str(out), who="fm1")
    assert done.exit_code == 0, done.output
    assert calls == [("2026", "en", True, "https://huzhu.example.org")]
    assert f"SHA-256 {hashlib.sha256(b'%PDF-1.7 stand-in').hexdigest()}" in done.output
    nowhere = cli(runner, books, "reports", "statement", *WHERE, "-o",
                  str(tmp_path / "no-such-folder" / "out.pdf"), who="fm1")
    assert nowhere.exit_code == 1
    assert "cannot write" in nowhere.output
    nobody = cli(runner, books, "reports", "statement", *WHERE, "-o", str(out))
    assert nobody.exit_code != 0
    assert len(calls) == 2
