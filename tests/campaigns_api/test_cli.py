"""`flask --app api campaigns import-roll|import-payments`: fund managers and admins only
(HUZHU_TOKEN or --as with a password), a preview that writes nothing, a progress bar while
payments are recorded, the reconciliation counts, and a bad file that prints every problem
and exits non-zero having written nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click._termui_impl
import pytest
from sqlalchemy import Engine, text

from api.auth import ATTRIBUTE
from api.campaigns_cli import import_payments, import_roll
from ledger.core.staff import Role
from tests.conftest import PASSWORD

from .helpers import SPLIT, Campaigns, house_keys, payments_csv, roll_csv, snapshot

#: The runner's environment: nothing inherited that says who is running the command.
CLEAN = {"HUZHU_TOKEN": None, "HUZHU_USER": None, "HUZHU_PASSWORD": None}


def campaigns_cli(runner: Any, *args: str, **env: str | None) -> Any:
    return runner.invoke(args=["campaigns", *args], env={**CLEAN, **env})


def token(campaigns: Campaigns, username: str) -> str:
    return campaigns.api.staff.tokens[username]


def audit(engine: Engine, action: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT username, role, address FROM audit_log WHERE action = :action "
            "ORDER BY seq"), {"action": action})]


def test_the_commands_declare_their_roles() -> None:
    for command in (import_roll, import_payments):
        assert getattr(command.callback, ATTRIBUTE) == (Role.FUND_MANAGER, Role.ADMIN)


def test_import_a_roll_with_a_preview_first(runner: Any, campaigns: Campaigns,
                                             tmp_path: Path) -> None:
    c = campaigns
    cid = str(c.create()["id"])
    roll = tmp_path / "丽园名册.csv"
    roll.write_bytes(roll_csv(encoding="gb18030"))
    fm1 = token(c, "fm1")

    before = snapshot(c.engine)
    preview = campaigns_cli(runner, "import-roll", cid, str(roll), "--preview",
                            HUZHU_TOKEN=fm1)
    assert preview.exit_code == 0, preview.output
    assert f"317 households: {SPLIT} = 7000.00" in preview.output
    assert "nothing was written" in preview.output
    assert snapshot(c.engine) == before

    done = campaigns_cli(runner, "import-roll", cid, str(roll), HUZHU_TOKEN=fm1)
    assert done.exit_code == 0, done.output
    assert f"imported the roll of campaign #{cid}" in done.output
    assert len(c.households(int(cid))) == 317
    assert c.get(f"/api/campaigns/{cid}/imports")[0]["filename"] == "丽园名册.csv"
    assert audit(c.engine, "campaign.roll_imported") == [("fm1", "fund_manager", "cli")]


def test_import_payments_with_a_progress_bar(runner: Any, campaigns: Campaigns,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    c = campaigns
    opened, households = c.opened()
    cid = str(opened["id"])
    keys = house_keys()
    lines = [(f"ALI{i:06d}", keys[i], households[i]["share"]) for i in range(120)]
    lines.insert(3, lines[0])  # exported twice
    lines.append(("ALI999999", ("9", "9", "909"), "22.08"))  # nobody on the roll
    lines.append(("ALI888888", keys[200], "10.00"))  # a part of its share
    export = tmp_path / "alipay.csv"
    export.write_bytes(payments_csv(lines))
    admin = token(c, "admin1")

    before, entries = snapshot(c.engine), c.entry_count()
    preview = campaigns_cli(runner, "import-payments", cid, str(export), "--method", "alipay",
                            "--preview", HUZHU_TOKEN=admin)
    assert preview.exit_code == 0, preview.output
    assert snapshot(c.engine) == before
    assert "matched       120" in preview.output
    assert "nothing was written" in preview.output

    # the runner's streams are no terminal: make click draw the bar as it would on one
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    done = campaigns_cli(runner, "import-payments", cid, str(export), "--method", "alipay",
                         HUZHU_TOKEN=admin)
    assert done.exit_code == 0, done.output
    assert "recording payments" in done.stderr
    assert "50/121" in done.stderr  # moved by batches of 50
    assert "121/121" in done.stderr
    assert "[" + "#" * 36 + "]  121/121" in done.stderr  # the whole bar, at the end
    counts = {line.split()[0]: int(line.split()[1]) for line in done.stdout.splitlines()
              if line and line.split()[0] in {"matched", "partial", "overpaid", "unmatched",
                                              "duplicate"}}
    assert counts == {"matched": 120, "partial": 1, "overpaid": 0, "unmatched": 1,
                      "duplicate": 1}
    assert "line 5: duplicate ALI000000 1-1-101 22.09" in done.stdout
    assert "line 123: unmatched ALI999999 9-9-909 22.08" in done.stdout
    assert "recorded 121 payment(s)" in done.stdout
    assert c.entry_count() == entries + 121
    assert audit(c.engine, "campaign.payments_imported") == [("admin1", "admin", "cli")]

    again = campaigns_cli(runner, "import-payments", cid, str(export), "--method", "alipay",
                          HUZHU_TOKEN=admin)
    assert again.exit_code == 0, again.output
    assert "duplicate     122" in again.output
    assert "nothing new to record" in again.output
    assert c.entry_count() == entries + 121


def test_a_bad_file_prints_its_problems_and_writes_nothing(runner: Any, campaigns: Campaigns,
                                                          tmp_path: Path) -> None:
    c = campaigns
    opened, households = c.opened(5)
    cid, draft = str(opened["id"]), str(c.create()["id"])
    keys = house_keys(5)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(payments_csv([("T1", keys[0], "1400.00"), ("T2", keys[1], "一千"),
                                  ("T3", keys[2], "1400.00")], paid_at="2026-04-02")
                    + b"T4,1,1,104,-3,2026-04-02\r\n")
    fm1 = token(c, "fm1")
    before = snapshot(c.engine)
    for extra in ((), ("--preview",)):
        result = campaigns_cli(runner, "import-payments", cid, str(bad), "--method", "wechat",
                               *extra, HUZHU_TOKEN=fm1)
        assert result.exit_code == 1, result.output
        assert "line 3, amount: '一千' is not a plain decimal amount" in result.stderr
        assert "line 5, amount: amount must be positive, not -3" in result.stderr
        assert "the file has 2 problem(s); nothing was imported" in result.stderr
        assert snapshot(c.engine) == before

    garbage = tmp_path / "roll.xls"
    garbage.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    for command in (("import-roll", draft), ("import-payments", cid, "--method", "bank")):
        result = campaigns_cli(runner, command[0], command[1], str(garbage), *command[2:],
                               HUZHU_TOKEN=fm1)
        assert result.exit_code == 1, result.output
        assert "save the sheet as .xlsx or CSV" in result.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(roll_csv(3).replace("室".encode(), "门".encode()))
    result = campaigns_cli(runner, "import-roll", draft, str(wrong), HUZHU_TOKEN=fm1)
    assert result.exit_code == 1
    assert "line 1, room: no column 'room'" in result.stderr
    assert snapshot(c.engine) == before
    assert households


def test_only_fund_managers_and_admins_run_them(runner: Any, campaigns: Campaigns,
                                                tmp_path: Path) -> None:
    c = campaigns
    cid = str(c.create()["id"])
    roll = tmp_path / "roll.csv"
    roll.write_bytes(roll_csv(3))
    before = snapshot(c.engine)
    nobody = campaigns_cli(runner, "import-roll", cid, str(roll))
    assert nobody.exit_code == 1
    assert "--as USER, or HUZHU_TOKEN" in nobody.output
    for username in ("board1", "aud1"):
        refused = campaigns_cli(runner, "import-roll", cid, str(roll),
                                HUZHU_TOKEN=token(c, username))
        assert refused.exit_code == 1
        assert f"{username} has none of the roles fund_manager, admin" in refused.output
    unknown = campaigns_cli(runner, "import-roll", cid, str(roll), HUZHU_TOKEN="nope")
    assert unknown.exit_code == 1
    assert "HUZHU_TOKEN is unknown" in unknown.output
    assert snapshot(c.engine) == before
    wrong = campaigns_cli(runner, "import-roll", cid, str(roll), "--as", "fm1",
                          HUZHU_PASSWORD="not the password")
    assert wrong.exit_code == 1
    assert snapshot(c.engine)["states"] == before["states"]  # (the failed login is logged)
    assert c.households(int(cid)) == []

    by_password = campaigns_cli(runner, "import-roll", cid, str(roll), "--as", "multi1",
                                HUZHU_PASSWORD=PASSWORD)
    assert by_password.exit_code == 0, by_password.output
    assert audit(c.engine, "campaign.roll_imported") == [("multi1", "fund_manager", "cli")]


def test_bad_arguments_are_usage_errors(runner: Any, campaigns: Campaigns,
                                        tmp_path: Path) -> None:
    c = campaigns
    fm1 = token(c, "fm1")
    roll = tmp_path / "roll.csv"
    roll.write_bytes(roll_csv(3))
    for args in (("import-roll", "0", str(roll)), ("import-roll", "abc", str(roll)),
                 ("import-roll", "1", str(tmp_path / "missing.csv")),
                 ("import-roll", "1", str(tmp_path)),
                 ("import-payments", "1", str(roll)),
                 ("import-payments", "1", str(roll), "--method", "paypal")):
        result = campaigns_cli(runner, *args, HUZHU_TOKEN=fm1)
        assert result.exit_code == 2, (args, result.output)
    missing = campaigns_cli(runner, "import-roll", "99", str(roll), HUZHU_TOKEN=fm1)
    assert missing.exit_code == 1
    assert "there is no campaign #99" in missing.output
