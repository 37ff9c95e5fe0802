"""`flask --app api demo load` through Flask's CLI runner, on SQLite and on PostgreSQL: it loads
the demo into an empty database and prints the staff accounts, the password, receipt codes
that prove their payments and the chains' verification; `ledger verify` passes on the result;
a second load refuses (exit 1) having written nothing and `--if-empty` exits 0 saying nothing;
a database with only a staff account, or not migrated at all, is refused too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from api import create_app, state
from api.auth import ATTRIBUTE
from api.demo_cli import load
from ledger import demo, staff
from ledger.core import merkle
from ledger.core.money import to_minor
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork
from ledger.receipt_checks import check_receipt

CODE = re.compile(r"^  ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$", re.MULTILINE)


def counts(engine: Engine) -> dict[str, int]:
    """Rows of every table: what a refused command must leave as it was."""
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in sorted(inspect(conn).get_table_names())}


def test_the_command_is_for_the_servers_operator() -> None:
    assert getattr(load.callback, ATTRIBUTE) == ("operator",)


def test_load_then_refuse_a_second_time(runner: Any, engine: Engine, uow: UnitOfWork) -> None:
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    out = loaded.stdout
    assert "317 households, 315 paid, 2 unreachable, closed" in out
    assert "admin, fm1, fm2, board1, board2, board3, auditor" in out
    assert f"password: {demo.DEMO_PASSWORD}" in out
    assert re.search(r"^ok: journal \d+ entries verify, head #\d+ [0-9a-f]{64}; audit log "
                     r"verifies$", out, re.MULTILINE), out
    signed = re.findall(r"signed: +(fund|foundation) 2026-10: unqualified, Merkle root "
                        r"([0-9a-f]{64})$", out, re.MULTILINE)
    assert [entity for entity, _ in signed] == ["fund", "foundation"]
    roots = dict(signed)

    # each printed receipt code proves its payment against the signed October root
    codes = CODE.findall(out)
    assert len(codes) == 5, out
    for code in codes:
        found = check_receipt(uow, code)
        october = found.periods[0]
        assert october.signed
        assert october.proof is not None
        assert merkle.verify(october.proof, root_hex=roots["foundation"], code=code,
                             amount_fen=to_minor(found.receipt.amount)).ok

    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "ok: " in verified.stdout

    # a second load refuses and writes nothing; --if-empty says nothing and succeeds
    before = counts(engine)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 1
    assert "already has journal entries or staff accounts" in again.output
    assert "nothing was written" in again.output
    quiet = runner.invoke(args=["demo", "load", "--if-empty"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    assert counts(engine) == before


def test_a_database_with_only_a_staff_account_is_not_empty(runner: Any, engine: Engine,
                                                            uow: UnitOfWork) -> None:
    staff.create_user(uow, Actor.system("test"), username="wang", display_name="王会计",
                      password="a long test password 甲乙", roles=["admin"])
    before = counts(engine)
    refused = runner.invoke(args=["demo", "load", "--password", "short"])
    assert refused.exit_code == 1
    assert "nothing was written" in refused.output
    quiet = runner.invoke(args=["demo", "load", "--if-empty"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    assert counts(engine) == before


def test_a_weak_password_writes_nothing(runner: Any, engine: Engine) -> None:
    before = counts(engine)
    refused = runner.invoke(args=["demo", "load", "--password", "password"])
    assert refused.exit_code == 1
    assert "Error:" in refused.output
    assert counts(engine) == before


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
                      "SECRET_KEY": "test secret key, not for production"})
    try:
        refused = app.test_cli_runner().invoke(args=["demo", "load"])
        assert refused.exit_code == 1
        assert "db upgrade" in refused.output
    finally:
        with app.app_context():
            state.engine().dispose()
