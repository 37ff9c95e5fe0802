"""Audit records of bridging services and expenses: each transition writes its record, in the
transaction of what it records, naming the user and the role used; refusals write none."""

from __future__ import annotations

from typing import Any

from .helpers import Desk, audit_after, audit_head


def who(record: dict[str, Any]) -> tuple[str, str, str, str | None]:
    return (record["action"], record["object_id"], record["username"], record["role"])


def test_each_transition_is_audited_with_user_and_role(desk: Desk) -> None:
    member = desk.member("350000.00")
    head = audit_head(desk.engine)

    service = desk.request(member, "200000.00", actor="fm1")
    sid = str(service["id"])
    desk.ok(desk.approve(service["id"], actor="multi1"))  # fund_manager is its role used here
    desk.ok(desk.activate(service["id"], advance=True, on="2025-11-10", actor="admin1"))
    desk.ok(desk.end(service["id"], "repaid", on="2025-12-01", actor="fm2"))
    advance, repayment = desk.entries(account="1122")

    records = audit_after(desk.engine, head)
    assert [who(r) for r in records] == [
        ("service.requested", sid, "fm1", "fund_manager"),
        ("service.approved", sid, "multi1", "fund_manager"),
        ("entry.posted", str(advance["seq"]), "admin1", "admin"),
        ("service.activated", sid, "admin1", "admin"),
        ("entry.posted", str(repayment["seq"]), "fm2", "fund_manager"),
        ("service.repaid", sid, "fm2", "fund_manager"),
    ]
    assert [r["seq"] for r in records] == list(range(head + 1, head + 7))
    for record in records:
        assert record["user_id"] == desk.user_id(record["username"])
        expected_type = "entry" if record["action"] == "entry.posted" else "service"
        assert record["object_type"] == expected_type
    details = [r["details"] for r in records]
    assert details[0] == {"member_id": member, "amount": "200000.00"}
    assert details[1] == {"member_id": member}
    assert details[3] == {"member_id": member, "advance": True}
    assert details[5] == {"member_id": member}

    # a rejection, an activation without advance and a default
    rejected = desk.request(member, "1000.00")
    defaulted = desk.approved(member, "2000.00")
    head = audit_head(desk.engine)
    desk.ok(desk.reject(rejected["id"], actor="admin1"))
    desk.ok(desk.activate(defaulted["id"], advance=False, actor="fm2"))
    desk.ok(desk.end(defaulted["id"], "defaulted", actor="fm1"))
    records = audit_after(desk.engine, head)
    assert [who(r) for r in records] == [
        ("service.rejected", str(rejected["id"]), "admin1", "admin"),
        ("service.activated", str(defaulted["id"]), "fm2", "fund_manager"),
        ("service.defaulted", str(defaulted["id"]), "fm1", "fund_manager"),
    ]
    assert records[1]["details"] == {"member_id": member, "advance": False}

    # the auditors' API shows the same records, newest first
    page = desk.get("/api/audit", object_type="service", object_id=sid)
    assert [(i["action"], i["username"], i["role"]) for i in page["items"]] == [
        ("service.repaid", "fm2", "fund_manager"), ("service.activated", "admin1", "admin"),
        ("service.approved", "multi1", "fund_manager"),
        ("service.requested", "fm1", "fund_manager")]


def test_an_expense_is_audited_and_refusals_are_not(desk: Desk) -> None:
    desk.member("350000.00")
    head = audit_head(desk.engine)
    expense = desk.ok(desk.post_expense("1000.00", "administration", actor="fm1"), 201)

    posted, recorded = audit_after(desk.engine, head)
    assert who(posted) == ("entry.posted", str(expense["entry_seq"]), "fm1", "fund_manager")
    assert who(recorded) == ("expense.recorded", str(expense["id"]), "fm1", "fund_manager")
    assert recorded["object_type"] == "expense"
    assert recorded["user_id"] == desk.user_id("fm1")
    assert recorded["details"] == {"amount": "1000.00", "category": "administration"}

    head = audit_head(desk.engine)
    other = desk.ok(desk.post_expense("0.50", "other", actor="admin1"), 201)
    posted, recorded = audit_after(desk.engine, head)
    assert who(recorded) == ("expense.recorded", str(other["id"]), "admin1", "admin")
    assert recorded["details"] == {"amount": "0.50", "category": "other"}

    # refusals write no audit record
    member = desk.member(None)
    service = desk.request(member, "0.01")
    head = audit_head(desk.engine)
    desk.refused(lambda: desk.approve(service["id"], actor="fm1"), 403, "/problems/self-approval")
    desk.refused(lambda: desk.approve(service["id"]), 409, "/problems/over-cap")
    desk.refused(lambda: desk.activate(service["id"], advance=True), 422)
    desk.refused(lambda: desk.post_expense("105000.01"), 409, "/problems/insufficient-funds")
    assert audit_after(desk.engine, head) == []
