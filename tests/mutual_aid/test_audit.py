"""Audit records of the mutual-aid fund: a deposit writes "entry.posted" and
"deposit.recorded", a transfer "transfer.made", each in the transaction of what it records."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger import mutual_aid as ma
from ledger.core.money import parse_money
from ledger.core.mutual_aid import PaymentMethod
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

from .helpers import YONGYAO, Fund, row_counts


def records_after(engine: Engine, seq: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, action, object_type, object_id, username, role, details"
            " FROM audit_log WHERE seq > :seq ORDER BY seq"), {"seq": seq})
        return [{**row._mapping, "details": json.loads(row.details)} for row in rows]


def audit_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_log")).scalar_one())


def test_deposit_and_transfer_are_audited(fund: Fund) -> None:
    head = audit_head(fund.engine)
    member = fund.register()
    [registered] = records_after(fund.engine, head)
    assert (registered["action"], registered["object_id"], registered["username"]) == (
        "member.registered", str(member["id"]), "fm1")

    head = audit_head(fund.engine)
    deposit = fund.deposit(member["id"], "350000.00")
    posted, recorded = records_after(fund.engine, head)
    assert recorded["seq"] == posted["seq"] + 1 == head + 2  # consecutive, nothing between
    assert (posted["action"], posted["object_type"], posted["object_id"]) == (
        "entry.posted", "entry", str(deposit["entry_seq"]))
    assert (recorded["action"], recorded["object_type"], recorded["object_id"]) == (
        "deposit.recorded", "deposit", str(deposit["id"]))
    for record in (posted, recorded):
        assert (record["username"], record["role"]) == ("fm1", "fund_manager")
    assert recorded["details"] == {"member_id": member["id"], "amount": "350000.00",
                                   "operating": "105000.00", "foundation": "245000.00",
                                   "policy_version": 1}

    head = audit_head(fund.engine)
    transfer = fund.transfer("2025-11-10", actor="fm2")
    found = records_after(fund.engine, head)
    assert [(r["action"], r["object_id"]) for r in found] == [
        ("entry.posted", str(transfer["fund_entry_seq"])),
        ("entry.posted", str(transfer["foundation_entry_seq"])),
        ("transfer.made", str(transfer["id"]))]
    assert found[-1]["details"] == {"amount": "245000.00", "deposits": [deposit["id"]]}
    assert {(r["username"], r["role"]) for r in found} == {("fm2", "fund_manager")}

    head = audit_head(fund.engine)
    reversed_ = fund.created(fund.reverse(deposit["id"], reason="wrong member"), 200)
    found = records_after(fund.engine, head)
    assert [r["action"] for r in found] == ["entry.posted"] * 3 + ["deposit.reversed"]
    assert found[-1]["details"] == {"reason": "wrong member", "transferred": True}
    # the reversal first, then the two entries returning the foundation's share
    assert [r["object_id"] for r in found[:3]] == [
        str(reversed_["reversal_seq"] + n) for n in range(3)]


FM = Actor.system("fm-test")


@pytest.fixture
def member_id(uow: UnitOfWork) -> int:
    return ma.register_member(uow, FM, name_zh="永耀纺织", credit_code=str(YONGYAO["credit_code"]),
                              legal_representative="沈", contact_name="沈",
                              contact_phone="1", joined_on=date(2025, 11, 1)).id


def failing_audit(monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    """Make the use case's own audit record fail, after its entries were posted."""
    real = ma.audit

    def audit(session: Any, actor: Actor, what: str, *args: Any, **details: Any) -> None:
        if what == action:
            raise RuntimeError(f"audit of {what} failed")
        real(session, actor, what, *args, **details)

    monkeypatch.setattr(ma, "audit", audit)


def test_a_deposit_without_its_audit_record_is_not_written(
        uow: UnitOfWork, engine: Engine, member_id: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = row_counts(engine)
    failing_audit(monkeypatch, "deposit.recorded")
    with pytest.raises(RuntimeError, match=r"deposit\.recorded"):
        ma.record_deposit(uow, FM, member_id=member_id, amount=parse_money("350000.00"),
                          received_on=date(2025, 11, 3), method=PaymentMethod.CASH,
                          reference="R-1")
    assert row_counts(engine) == before  # the entry and its "entry.posted" went too
    monkeypatch.undo()
    deposit = ma.record_deposit(uow, FM, member_id=member_id, amount=parse_money("350000.00"),
                                received_on=date(2025, 11, 3), method=PaymentMethod.CASH,
                                reference="R-1")
    assert (deposit.id, deposit.entry_seq) == (1, 1)  # nothing left behind by the failure

    before = row_counts(engine)
    failing_audit(monkeypatch, "transfer.made")
    with pytest.raises(RuntimeError, match=r"transfer\.made"):
        ma.transfer_to_foundation(uow, FM, made_on=date(2025, 11, 10))
    assert row_counts(engine) == before
    assert ma.deposit(uow, deposit.id).transfer_id is None
