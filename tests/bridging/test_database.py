"""What the database itself refuses, whatever the application does: changing or deleting an
expense, a service approved by its requester, settling an advance that was never made."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .helpers import Desk, snapshot


def refused_sql(desk: Desk, sql: str, **params: Any) -> str:
    """Run one raw statement that the database must refuse; nothing changes. The message."""
    before = snapshot(desk.engine)
    with pytest.raises(DBAPIError) as caught, desk.engine.begin() as conn:
        conn.execute(text(sql), params)
    assert snapshot(desk.engine) == before
    return str(caught.value.orig)


def expense_rows(desk: Desk) -> list[tuple[Any, ...]]:
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, category, amount, spent_on, payee, memo, entry_seq, created_by"
            " FROM expenses ORDER BY id"))]


def test_expenses_are_append_only(desk: Desk) -> None:
    desk.member("350000.00")
    desk.ok(desk.post_expense("1000.00"), 201)
    rows = expense_rows(desk)
    assert rows[0][2] == 100000  # fen
    for sql in ("UPDATE expenses SET amount = 1",
                "UPDATE expenses SET payee = 'someone else' WHERE id = 1",
                "UPDATE expenses SET category = 'programme'",
                "DELETE FROM expenses WHERE id = 1",
                "DELETE FROM expenses"):
        message = refused_sql(desk, sql)
        assert "expenses" in message, message
    assert expense_rows(desk) == rows


def test_expenses_cannot_be_truncated(pg_only: None, desk: Desk) -> None:
    """Row triggers do not fire on TRUNCATE; a statement trigger refuses it (0005)."""
    desk.member("350000.00")
    desk.ok(desk.post_expense("1000.00"), 201)
    rows = expense_rows(desk)
    assert "TRUNCATE on expenses refused" in refused_sql(desk, "TRUNCATE expenses")
    assert expense_rows(desk) == rows


def test_bridging_services_rules_hold_in_the_database(desk: Desk) -> None:
    member = desk.member("350000.00")
    requested = desk.request(member, "1000.00")
    approved = desk.approved(member, "2000.00")
    desk.ok(desk.activate(approved["id"], advance=False))

    # four eyes: never approved by the requester, whatever the status
    for service in (requested, approved):
        message = refused_sql(
            desk, "UPDATE bridging_services SET approved_by = requested_by WHERE id = :id",
            id=service["id"])
        assert "ck_bridging_services_four_eyes" in message, message
    # a status past "requested" needs an approver
    message = refused_sql(desk, "UPDATE bridging_services SET status = 'approved' WHERE id = :id",
                          id=requested["id"])
    assert "ck_bridging_services_approved" in message, message
    # only an advance can be settled (the active service was activated without one)
    seq = desk.entries()[-1]["seq"]  # a posted entry: the foreign key alone would allow it
    message = refused_sql(
        desk, "UPDATE bridging_services SET settle_entry_seq = :seq WHERE id = :id",
        seq=seq, id=approved["id"])
    assert "ck_bridging_services_settles_an_advance" in message, message
    # amounts, dates and statuses (on the approved one, so only the named CHECK fails)
    for sql, constraint in (
            ("UPDATE bridging_services SET loan_amount = 0 WHERE id = :id", "amount_positive"),
            ("UPDATE bridging_services SET bridge_to = '2025-01-01' WHERE id = :id", "dates"),
            ("UPDATE bridging_services SET status = 'lost' WHERE id = :id", "status")):
        message = refused_sql(desk, sql, id=approved["id"])
        assert f"ck_bridging_services_{constraint}" in message, message

    assert [desk.service(s["id"])["status"] for s in (requested, approved)] == [
        "requested", "active"]
    assert desk.service(approved["id"])["approved_by"] == desk.user_id("fm2")
