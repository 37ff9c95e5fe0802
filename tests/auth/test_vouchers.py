"""Maker-checker: a voucher is posted only when someone other than its preparer approves it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from .helpers import ENTRY, StaffApi, actions, audit_head, problem, row_counts


def _entries(engine: Engine) -> int:
    return row_counts(engine)["journal_entries"]


def test_submitted_voucher_waits_and_posts_nothing(staff_api: StaffApi, engine: Engine) -> None:
    response = staff_api.post("/api/vouchers", "fm1", ENTRY)

    assert response.status_code == 201, response.get_data(as_text=True)
    voucher = response.get_json()
    assert response.headers["Location"] == f"/api/vouchers/{voucher['id']}"
    assert voucher["status"] == "submitted"
    assert voucher["submitted_by"] == "fm1"
    assert voucher["decided_by"] is None
    assert voucher["entry_seq"] is None
    assert voucher["entry"]["memo"] == ENTRY["memo"]
    assert [(p["account"], p["debit"], p["credit"]) for p in voucher["entry"]["postings"]] == [
        ("1002", "1000.00", None), ("420101", None, "1000.00")]
    assert _entries(engine) == 0
    for reader in ("board1", "aud1", "fm2"):
        assert staff_api.ok(staff_api.get(response.headers["Location"], reader)) == voucher
    listed = staff_api.ok(staff_api.get("/api/vouchers", "board1",
                                        query_string={"status": "submitted"}))
    assert [v["id"] for v in listed] == [voucher["id"]]


def test_the_preparer_cannot_approve_and_nothing_is_posted(staff_api: StaffApi,
                                                            engine: Engine) -> None:
    voucher = staff_api.submit("fm1")
    head = audit_head(engine)

    response = staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "fm1")

    body = problem(response, 403, "/problems/self-approval")
    assert "yourself" in body["detail"]
    assert _entries(engine) == 0
    assert actions(engine, head) == []
    still = staff_api.ok(staff_api.get(f"/api/vouchers/{voucher['id']}", "fm1"))
    assert (still["status"], still["decided_by"], still["entry_seq"]) == ("submitted", None, None)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM idempotency_keys "
                                "WHERE key LIKE 'auth-test-key-%'")) == 1  # only the submit's


def test_another_fund_manager_approves_and_the_entry_is_posted(staff_api: StaffApi,
                                                                engine: Engine) -> None:
    voucher = staff_api.submit("fm1")

    approved = staff_api.ok(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "fm2"))

    assert approved["status"] == "approved"
    assert approved["submitted_by"] == "fm1"
    assert approved["decided_by"] == "fm2"
    assert approved["decided_at"] is not None
    entry = staff_api.ok(staff_api.get(f"/api/entries/{approved['entry_seq']}", "aud1"))
    assert entry["source"] == {"kind": "voucher", "id": str(voucher["id"])}
    assert entry["actor"] == "fm2"
    assert entry["memo"] == ENTRY["memo"]
    assert entry["effective_date"] == ENTRY["effective_date"]
    assert [(p["account"], p["debit"], p["credit"]) for p in entry["postings"]] == [
        ("1002", "1000.00", None), ("420101", None, "1000.00")]
    assert _entries(engine) == 1
    # decided once: neither approving again nor rejecting changes anything
    problem(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "admin1"), 409,
            "/problems/already-decided")
    problem(staff_api.post(f"/api/vouchers/{voucher['id']}/reject", "admin1",
                           {"reason": "late"}), 409, "/problems/already-decided")
    assert _entries(engine) == 1


def test_the_preparer_cannot_reject_another_can(staff_api: StaffApi, engine: Engine) -> None:
    voucher = staff_api.submit("fm1")
    head = audit_head(engine)

    own = staff_api.post(f"/api/vouchers/{voucher['id']}/reject", "fm1", {"reason": "oops"})
    problem(own, 403, "/problems/self-approval")
    assert actions(engine, head) == []

    rejected = staff_api.ok(staff_api.post(f"/api/vouchers/{voucher['id']}/reject", "fm2",
                                           {"reason": "金额有误 wrong amount"}))

    assert rejected["status"] == "rejected"
    assert rejected["decided_by"] == "fm2"
    assert rejected["reason"] == "金额有误 wrong amount"
    assert rejected["entry_seq"] is None
    assert _entries(engine) == 0
    problem(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "fm2"), 409,
            "/problems/already-decided")
    assert _entries(engine) == 0
    assert actions(engine, head) == ["voucher.rejected"]


def test_an_admin_preparer_cannot_approve_either(staff_api: StaffApi, engine: Engine) -> None:
    voucher = staff_api.submit("admin1")
    own = staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "admin1")
    problem(own, 403, "/problems/self-approval")
    assert _entries(engine) == 0
    approved = staff_api.ok(staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "multi1"))
    assert approved["decided_by"] == "multi1"
    assert _entries(engine) == 1


def test_board_members_and_auditors_cannot_decide(staff_api: StaffApi, engine: Engine,
                                                  subtests: Any) -> None:
    voucher = staff_api.submit("fm1")
    for user in ("board1", "aud1"):
        for verb, body in (("approve", None), ("reject", {"reason": "no"})):
            with subtests.test(f"{user} {verb}"):
                problem(staff_api.post(f"/api/vouchers/{voucher['id']}/{verb}", user, body), 403)
        with subtests.test(f"{user} submit"):
            problem(staff_api.post("/api/vouchers", user, ENTRY), 403)
    assert _entries(engine) == 0


def test_domain_refusals_are_403_and_documented(staff_api: StaffApi, subtests: Any) -> None:
    voucher = staff_api.submit("fm1")
    cases = {
        "approve own voucher": (staff_api.post(f"/api/vouchers/{voucher['id']}/approve", "fm1"),
                                "self-approval"),
        "reject own voucher": (staff_api.post(f"/api/vouchers/{voucher['id']}/reject", "fm1",
                                              {"reason": "x"}), "self-approval"),
        "disable yourself": (staff_api.post("/api/users/admin1/disable", "admin1"),
                             "forbidden"),
        "drop your own admin role": (staff_api.post("/api/users/admin1/roles", "admin1",
                                                    {"roles": ["auditor"]}), "forbidden"),
    }
    for name, (response, slug) in cases.items():
        with subtests.test(name):
            problem(response, 403, f"/problems/{slug}")
            described = staff_api.client.get(f"/problems/{slug}").get_json()
            assert described["status"] == 403


def test_bad_vouchers_are_422_and_write_nothing(staff_api: StaffApi, engine: Engine,
                                                subtests: Any) -> None:
    before = row_counts(engine)
    cases = {
        "unbalanced": {**ENTRY, "postings": [{"account": "1002", "debit": "1.00"},
                                             {"account": "420101", "credit": "2.00"}]},
        "unknown account": {**ENTRY, "postings": [{"account": "9999", "debit": "1.00"},
                                                  {"account": "420101", "credit": "1.00"}]},
        "one posting": {**ENTRY, "postings": ENTRY["postings"][:1]},
        "no entity": {k: v for k, v in ENTRY.items() if k != "entity"},
    }
    for name, body in cases.items():
        with subtests.test(name):
            problem(staff_api.post("/api/vouchers", "fm1", body), 422)
    assert row_counts(engine) == before
    with subtests.test("reject without a reason"):
        voucher_id = staff_api.submit("fm1")["id"]
        before = row_counts(engine)
        problem(staff_api.post(f"/api/vouchers/{voucher_id}/reject", "fm2", {}), 422)
        problem(staff_api.post(f"/api/vouchers/{voucher_id}/reject", "fm2", {"reason": " "}),
                422)
    assert row_counts(engine) == before
    problem(staff_api.post("/api/vouchers/999/approve", "fm2"), 404, "/problems/voucher-not-found")
    problem(staff_api.get("/api/vouchers/999", "fm2"), 404, "/problems/voucher-not-found")


# --- the database itself refuses a voucher decided by its preparer ---------------------------
def _refused(engine: Engine, sql: str) -> str:
    with pytest.raises(IntegrityError) as refused, engine.begin() as conn:
        conn.execute(text(sql))
    return str(refused.value.orig)


def test_the_database_refuses_a_voucher_decided_by_its_preparer(staff_api: StaffApi,
                                                                engine: Engine) -> None:
    waiting = staff_api.submit("fm1")
    decided = staff_api.submit("fm1")
    staff_api.ok(staff_api.post(f"/api/vouchers/{decided['id']}/reject", "fm2", {"reason": "x"}))
    approved = staff_api.submit("fm1")
    staff_api.ok(staff_api.post(f"/api/vouchers/{approved['id']}/approve", "fm2"))
    now = "'2025-11-03 10:00:00+00'" if engine.dialect.name == "postgresql" else (
        "'2025-11-03 10:00:00.000000'")

    for voucher, status in ((waiting, "rejected"), (decided, "rejected"),
                            (approved, "approved")):
        message = _refused(engine, (
            f"UPDATE vouchers SET status = '{status}', decided_by = submitted_by, "
            f"decided_at = {now}, reason = 'self' WHERE id = {voucher['id']}"))
        assert "ck_vouchers_four_eyes" in message, message

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT v.id, v.status, u.username FROM vouchers v "
            "LEFT JOIN users u ON u.id = v.decided_by ORDER BY v.id")).all()
    assert [tuple(r) for r in rows] == [(waiting["id"], "submitted", None),
                                        (decided["id"], "rejected", "fm2"),
                                        (approved["id"], "approved", "fm2")]


def test_the_database_refuses_inserting_a_self_decided_voucher(staff_api: StaffApi,
                                                               engine: Engine) -> None:
    fm1 = staff_api.staff.users["fm1"].id
    now = "'2025-11-03 10:00:00+00'" if engine.dialect.name == "postgresql" else (
        "'2025-11-03 10:00:00.000000'")
    message = _refused(engine, (
        "INSERT INTO vouchers (entity, status, entry, submitted_by, submitted_at, decided_by, "
        f"decided_at, reason) VALUES ('fund', 'rejected', '{{}}', {fm1}, {now}, {fm1}, {now}, "
        "'self')"))
    assert "ck_vouchers_four_eyes" in message, message
