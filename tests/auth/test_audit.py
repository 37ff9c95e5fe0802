"""The audit log: who did what, in which role, from where; append-only and hash-chained."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PASSWORD

from .helpers import ENTRY, StaffApi, Web, audit_head, audit_rows, problem

GENESIS = "0" * 64


def _since(records: list[dict[str, Any]], head: int) -> list[tuple[Any, ...]]:
    return [(r["action"], r["username"], r["role"], r["object_type"], r["object_id"])
            for r in records if r["seq"] > head]


def test_staff_actions_appear_in_order(web: Web, staff_api: StaffApi, engine: Engine) -> None:
    head = audit_head(engine)
    assert web.login("fm1", PASSWORD).status_code == 302
    token = staff_api.ok(staff_api.post("/api/tokens", "fm1", {"name": "script"}), 201)
    voucher = staff_api.submit("fm1")
    approved = staff_api.ok(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "multi1"))
    posted = staff_api.ok(staff_api.post("/api/entries", "admin1", ENTRY), 201)
    reversal = staff_api.ok(staff_api.post(f"/api/entries/{posted['seq']}/reversal", "fm1", {}),
                            201)
    other = staff_api.submit("admin1")
    staff_api.ok(staff_api.post(f"/api/vouchers/{other['id']}/reject", "fm2", {"reason": "重复"}))
    staff_api.ok(staff_api.post(f"/api/tokens/{token['id']}/revoke", "admin1"))
    staff_api.ok(staff_api.post("/api/users", "admin1", {
        "username": "qian.qi", "password": "a fine long passphrase", "roles": ["auditor"]}), 201)
    staff_api.ok(staff_api.post("/api/users/qian.qi/roles", "admin1",
                                {"roles": ["auditor", "board_member"]}))
    staff_api.ok(staff_api.post("/api/users/qian.qi/disable", "admin1"))
    assert web.post("/staff/logout", {"csrf_token": web.session_csrf()}).status_code == 302

    records = staff_api.audit("aud1")

    v, o = str(voucher["id"]), str(other["id"])
    assert _since(records, head) == [
        ("login.succeeded", "fm1", None, "user", "fm1"),
        ("token.created", "fm1", "fund_manager", "token", str(token["id"])),
        ("voucher.submitted", "fm1", "fund_manager", "voucher", v),
        ("entry.posted", "multi1", "fund_manager", "entry", str(approved["entry_seq"])),
        ("voucher.approved", "multi1", "fund_manager", "voucher", v),
        ("entry.posted", "admin1", "admin", "entry", str(posted["seq"])),
        ("entry.posted", "fm1", "fund_manager", "entry", str(reversal["seq"])),
        ("voucher.submitted", "admin1", "admin", "voucher", o),
        ("voucher.rejected", "fm2", "fund_manager", "voucher", o),
        ("token.revoked", "admin1", "admin", "token", str(token["id"])),
        ("user.created", "admin1", "admin", "user", "qian.qi"),
        ("user.roles_set", "admin1", "admin", "user", "qian.qi"),
        ("user.disabled", "admin1", "admin", "user", "qian.qi"),
        ("logout", "fm1", "fund_manager", "user", "fm1"),
    ]
    mine = [r for r in records if r["seq"] > head]
    by_action = {r["action"]: r for r in mine}
    assert by_action["voucher.approved"]["details"] == {"entry_seq": approved["entry_seq"]}
    assert by_action["voucher.rejected"]["details"] == {"reason": "重复"}
    assert by_action["token.created"]["details"] == {"owner": "fm1", "name": "script"}
    assert by_action["user.roles_set"]["details"] == {
        "before": ["auditor"], "after": ["auditor", "board_member"]}
    assert by_action["user.created"]["user_id"] == staff_api.staff.users["admin1"].id
    entries = [r["details"] for r in mine if r["action"] == "entry.posted"]
    assert entries == [{"count": 1}, {"count": 1},
                       {"count": 1, "reverses": posted["seq"]}]  # the reversal says so
    assert all(r["address"] == "127.0.0.1" for r in mine)
    # numbered without gaps and chained from the first record
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert records[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(records))


def test_a_refused_entry_writes_no_audit_record(staff_api: StaffApi, engine: Engine) -> None:
    head = audit_head(engine)
    unbalanced = {**ENTRY, "postings": [{"account": "1002", "debit": "1.00"},
                                        {"account": "420101", "credit": "2.00"}]}
    problem(staff_api.post("/api/entries", "admin1", unbalanced), 422)
    problem(staff_api.post("/api/entries/1/reversal", "fm1", {}), 404)
    posted = staff_api.ok(staff_api.post("/api/entries", "admin1", ENTRY), 201)
    staff_api.ok(staff_api.post(f"/api/entries/{posted['seq']}/reversal", "fm1", {}), 201)
    problem(staff_api.post(f"/api/entries/{posted['seq']}/reversal", "fm1", {}), 409)
    assert [r["action"] for r in staff_api.audit() if r["seq"] > head] == [
        "entry.posted", "entry.posted"]


def test_the_audit_log_is_for_auditors_and_admins(staff_api: StaffApi, subtests: Any) -> None:
    for user in ("fm1", "fm2", "board1", "multi1"):
        with subtests.test(user):
            problem(staff_api.get("/api/audit", user), 403)
    assert staff_api.get("/api/audit", "admin1").status_code == 200
    assert staff_api.get("/api/audit", "aud1").status_code == 200


def test_audit_filters_and_paging(web: Web, staff_api: StaffApi, subtests: Any) -> None:
    staff_api.submit("fm1")
    staff_api.submit("fm2")
    web.login("fm2", "wrong password")
    everything = staff_api.audit()
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"username": "fm2"}, ["token.created", "voucher.submitted", "login.failed"]),
        ({"action": "voucher."}, ["voucher.submitted", "voucher.submitted"]),
        ({"action": "login"}, ["login.failed"]),
        ({"action": "%"}, []),  # a prefix, not a pattern
        ({"object_type": "voucher", "object_id": "2"}, ["voucher.submitted"]),
        ({"from": "2000-01-01", "to": "2999-12-31"}, [r["action"] for r in everything]),
        ({"to": "2000-01-01"}, []),
    ]
    for query, expected in cases:
        with subtests.test(str(query)):
            assert [r["action"] for r in staff_api.audit(**query)] == expected
    first = staff_api.ok(staff_api.get("/api/audit", "aud1", query_string={"limit": 3}))
    assert [r["seq"] for r in first["items"]] == [len(everything) - i for i in range(3)]
    assert first["next_before"] == len(everything) - 2
    for query in ({"limit": 0}, {"limit": 501}, {"before": 0}, {"from": "yesterday"}):
        with subtests.test(f"bad {query}"):
            problem(staff_api.get("/api/audit", "aud1", query_string=query), 422)


def test_ledger_verify_checks_the_audit_log(runner: Any, staff_api: StaffApi,
                                            engine: Engine) -> None:
    staff_api.ok(staff_api.post("/api/entries", "admin1", ENTRY), 201)
    voucher = staff_api.submit("fm1")
    staff_api.ok(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "fm2"))

    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 0, result.output
    count = audit_head(engine)
    assert f"ok: {count} audit records verified" in result.output
    assert "ok: 2 entries verified" in result.output


# --- the database refuses changes ---------------------------------------------------------------
def _refused(engine: Engine, sql: str) -> str:
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.execute(text(sql))
    return str(refused.value.orig)


def test_the_database_refuses_to_change_audit_records(staff_api: StaffApi, engine: Engine,
                                                      subtests: Any) -> None:
    before = audit_rows(engine)
    statements = {
        "update": "UPDATE audit_log SET username = 'nobody' WHERE seq = 2",
        "update all": "UPDATE audit_log SET details = '{}'",
        "delete": "DELETE FROM audit_log WHERE seq = 2",
        "delete the last": f"DELETE FROM audit_log WHERE seq = {len(before)}",
        "delete all": "DELETE FROM audit_log",
    }
    if engine.dialect.name == "postgresql":
        statements["truncate"] = "TRUNCATE audit_log"
    for name, sql in statements.items():
        with subtests.test(name):
            assert "append-only" in _refused(engine, sql)
    assert audit_rows(engine) == before


def test_the_database_refuses_records_out_of_the_chain(staff_api: StaffApi, engine: Engine,
                                                       subtests: Any) -> None:
    with engine.connect() as conn:
        last, last_hash = conn.execute(text(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).one()
    now = "'2025-11-03 10:00:00+00'" if engine.dialect.name == "postgresql" else (
        "'2025-11-03 10:00:00.000000'")
    cases = {
        "a gap": (last + 2, last_hash),
        "a number taken": (last, last_hash),
        "not linked": (last + 1, "f" * 64),
    }
    for name, (seq, prev_hash) in cases.items():
        with subtests.test(name):
            message = _refused(engine, (
                "INSERT INTO audit_log (seq, at, username, action, details, prev_hash, hash) "
                f"VALUES ({seq}, {now}, 'forger', 'user.created', '{{}}', '{prev_hash}', "
                f"'{'e' * 64}')"))
            assert "audit" in message or "UNIQUE" in message.upper() or "unique" in message
    assert audit_head(engine) == last


# --- tampering is found -------------------------------------------------------------------------
def _tamper(engine: Engine, sql: str) -> None:
    """Change the audit log behind the triggers' back, as someone with the server's keys could."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        conn.execute(text(sql))


@pytest.mark.tampers
@pytest.mark.parametrize(("sql", "says"), [
    pytest.param("UPDATE audit_log SET details = '{\"roles\": [\"admin\"]}' WHERE seq = 3",
                 "audit record #3", id="details changed"),
    pytest.param("UPDATE audit_log SET username = 'someone.else' WHERE seq = 4",
                 "audit record #4", id="who changed"),
    pytest.param("UPDATE audit_log SET role = 'admin' WHERE seq = 8", "audit record #8",
                 id="role changed"),
    pytest.param("DELETE FROM audit_log WHERE seq = 5", "audit record #5", id="record deleted"),
])
def test_ledger_verify_names_the_tampered_audit_record(runner: Any, staff_api: StaffApi,
                                                       engine: Engine, sql: str,
                                                       says: str) -> None:
    staff_api.submit("fm1")
    assert audit_head(engine) >= 8
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0

    _tamper(engine, sql)
    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 1, result.output
    assert says in result.output
    assert "FAILED" in result.output
    assert "audit records verified" not in result.output
