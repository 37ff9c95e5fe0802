"""`flask --app api users ...`: the first admin, then admins only (--as or HUZHU_TOKEN)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ledger import staff
from ledger.db.session import UnitOfWork
from tests.conftest import PASSWORD

from .helpers import audit_rows

NEW_PASSWORD = "brand new long passphrase"
#: The runner's environment: nothing inherited that says who is running the command.
CLEAN = {"HUZHU_TOKEN": None, "HUZHU_USER": None, "HUZHU_PASSWORD": None,
         "HUZHU_NEW_PASSWORD": NEW_PASSWORD}


def users(runner: Any, *args: str, **env: str) -> Any:
    return runner.invoke(args=["users", *args], env={**CLEAN, **env})


def _account(engine: Engine, username: str) -> staff.StaffUser:
    return staff.user(UnitOfWork(engine), username)


def test_the_first_admin_needs_no_login_once(runner: Any, engine: Engine) -> None:
    assert staff.users(UnitOfWork(engine)) == []
    refused = users(runner, "create", "clerk", "--role", "auditor")  # only an admin bootstraps
    assert refused.exit_code != 0
    assert "--as" in refused.output

    first = users(runner, "create", "boss", "--role", "admin", "--name", "王老板")

    assert first.exit_code == 0, first.output
    assert "created boss with roles admin" in first.output
    boss = _account(engine, "boss")
    assert boss.roles == {"admin"}
    assert boss.display_name == "王老板"
    (record,) = audit_rows(engine)
    assert (record["action"], record["username"], record["object_id"], record["address"]) == (
        "user.created", "bootstrap", "boss", "cli")

    again = users(runner, "create", "boss2", "--role", "admin")
    assert again.exit_code != 0
    assert "--as" in again.output
    second = users(runner, "create", "clerk", "--role", "auditor")
    assert second.exit_code != 0
    assert [u.username for u in staff.users(UnitOfWork(engine))] == ["boss"]

    by_password = users(runner, "create", "clerk", "--role", "auditor", "--as", "boss",
                        HUZHU_PASSWORD=NEW_PASSWORD)
    assert by_password.exit_code == 0, by_password.output
    assert _account(engine, "clerk").roles == {"auditor"}


def test_the_bootstrap_password_is_checked(runner: Any, engine: Engine) -> None:
    weak = users(runner, "create", "boss", "--role", "admin", HUZHU_NEW_PASSWORD="password1234")
    assert weak.exit_code != 0
    assert "common" in weak.output
    assert staff.users(UnitOfWork(engine)) == []


def test_an_admin_token_in_the_environment_works(runner: Any, engine: Engine,
                                                 staff_accounts: Any) -> None:
    admin = staff_accounts.tokens["admin1"]
    unauthenticated = users(runner, "create", "sun.ba", "--role", "board_member")
    assert unauthenticated.exit_code != 0
    assert "HUZHU_TOKEN" in unauthenticated.output

    created = users(runner, "create", "sun.ba", "--role", "board_member", "--role", "auditor",
                    HUZHU_TOKEN=admin)

    assert created.exit_code == 0, created.output
    assert _account(engine, "sun.ba").roles == {"board_member", "auditor"}
    record = audit_rows(engine)[-1]
    assert (record["action"], record["username"], record["role"], record["address"]) == (
        "user.created", "admin1", "admin", "cli")


def test_only_admins_may_use_the_user_commands(runner: Any, engine: Engine,
                                               staff_accounts: Any, subtests: Any) -> None:
    before = audit_rows(engine)
    commands = [("create", "sun.ba", "--role", "auditor"), ("set-role", "fm2", "--role", "admin"),
                ("disable", "fm2"), ("list",)]
    identities = {
        "fund manager token": {"HUZHU_TOKEN": staff_accounts.tokens["fm1"]},
        "multi-role token": {"HUZHU_TOKEN": staff_accounts.tokens["multi1"]},
        "unknown token": {"HUZHU_TOKEN": "hz_" + "x" * 43},
        "auditor password": {"HUZHU_USER": "aud1", "HUZHU_PASSWORD": PASSWORD},
    }
    for who, env in identities.items():
        for command in commands:
            with subtests.test(f"{who}: {' '.join(command)}"):
                result = users(runner, *command, **env)
                assert result.exit_code != 0, result.output
                assert "sun.ba" not in result.output
    assert _account(engine, "fm2").roles == {"fund_manager"}
    assert not _account(engine, "fm2").disabled
    added = [r["action"] for r in audit_rows(engine)[len(before):]]
    assert set(added) == {"login.succeeded"}  # aud1's password was right; nothing else happened


def test_a_wrong_admin_password_fails_and_is_audited(runner: Any, engine: Engine,
                                                     staff_accounts: Any) -> None:
    result = users(runner, "list", "--as", "admin1", HUZHU_PASSWORD="not the password")

    assert result.exit_code != 0
    assert "admin1" not in result.output.replace("--as admin1", "")
    record = audit_rows(engine)[-1]
    assert (record["action"], record["object_id"], record["address"]) == (
        "login.failed", "admin1", "cli")


def test_set_role_disable_and_list(runner: Any, engine: Engine, staff_accounts: Any) -> None:
    env = {"HUZHU_TOKEN": staff_accounts.tokens["admin1"]}

    promoted = users(runner, "set-role", "board1", "--role", "board_member", "--role", "auditor",
                     **env)
    assert promoted.exit_code == 0, promoted.output
    assert "board1 now has roles auditor, board_member" in promoted.output
    assert _account(engine, "board1").roles == {"board_member", "auditor"}

    disabled = users(runner, "disable", "fm2", **env)
    assert disabled.exit_code == 0, disabled.output
    assert "fm2 is disabled" in disabled.output
    assert _account(engine, "fm2").disabled

    listed = users(runner, "list", **env)
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split()[1:] for line in listed.output.splitlines() if line}
    assert rows["fm2"] == ["disabled", "fund_manager"]
    assert rows["board1"] == ["active", "auditor,", "board_member"]
    assert rows["admin1"] == ["active", "admin"]
    assert set(rows) == {"admin1", "aud1", "board1", "fm1", "fm2", "multi1"}

    actions = [(r["action"], r["object_id"]) for r in audit_rows(engine)[-2:]]
    assert actions == [("user.roles_set", "board1"), ("user.disabled", "fm2")]


def test_user_commands_report_mistakes(runner: Any, engine: Engine, staff_accounts: Any,
                                       subtests: Any) -> None:
    env = {"HUZHU_TOKEN": staff_accounts.tokens["admin1"]}
    cases = {
        "unknown account": (("set-role", "nobody", "--role", "auditor"), "nobody"),
        "unknown role": (("set-role", "fm1", "--role", "treasurer"), "treasurer"),
        "taken username": (("create", "fm1", "--role", "auditor"), "taken"),
        "disable yourself": (("disable", "admin1"), "your own"),
        "demote yourself": (("set-role", "admin1", "--role", "auditor"), "admin"),
    }
    for name, (command, says) in cases.items():
        with subtests.test(name):
            result = users(runner, *command, **env)
            assert result.exit_code != 0
            assert says in result.output
    assert _account(engine, "admin1").roles == {"admin"}
    assert not _account(engine, "admin1").disabled
