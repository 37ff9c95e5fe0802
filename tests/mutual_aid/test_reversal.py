"""Reversing a deposit recorded by mistake, before and after its share went to the foundation,
and what a transfer then takes: never a reversed deposit, never a share twice."""

from __future__ import annotations

from typing import Any

from ..http.helpers import Api
from .helpers import Fund

REASON = "recorded twice / 重复录入"


def lines(fund: Fund, seq: int) -> list[tuple[str, str | None, str | None]]:
    entry = fund.get(f"/api/entries/{seq}")
    return [(p["account"], p.get("debit"), p.get("credit")) for p in entry["postings"]]


def two_deposits(fund: Fund) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    member = fund.register()
    big = fund.deposit(member["id"], "350000.00", received_on="2025-11-03")
    small = fund.deposit(member["id"], "1000.00", received_on="2025-11-04", reference="B-2")
    return member, big, small


def test_reversal_before_the_transfer(fund: Fund) -> None:
    member, big, small = two_deposits(fund)
    before = fund.counts()
    reversed_ = fund.created(fund.reverse(big["id"], reason=REASON,
                                          effective_date="2025-11-20"), 200)
    assert reversed_["reversal_reason"] == REASON
    assert reversed_["reversal_seq"] is not None
    assert reversed_["transfer_id"] is None
    assert {k: v for k, v in reversed_.items() if not k.startswith("reversal")} == {
        k: v for k, v in big.items() if not k.startswith("reversal")}
    after = fund.counts()
    assert after == {**before, "journal_entries": before["journal_entries"] + 1,
                     "postings": before["postings"] + 3, "audit_log": before["audit_log"] + 2}

    entry = fund.get(f"/api/entries/{reversed_['reversal_seq']}")
    assert (entry["entity"], entry["effective_date"], entry["reverses"]) == (
        "fund", "2025-11-20", big["entry_seq"])
    assert REASON in entry["memo"]
    assert lines(fund, reversed_["reversal_seq"]) == [
        ("1002", None, "350000.00"), ("420101", "105000.00", None), ("2209", "245000.00", None)]

    # the reversed deposit no longer counts towards the cap
    detail = fund.member(member["id"])
    assert detail["entitlement"] == {"deposits": "1000.00", "cap": "14285.71"}
    assert [d["id"] for d in detail["deposits"]] == [big["id"], small["id"]]
    assert fund.trial_balance("fund", "2025-11-19")["1002"] == ("351000.00", "0.00")
    assert fund.trial_balance("fund", "2025-11-30") == {
        "1002": ("1000.00", "0.00"), "420101": ("0.00", "300.00"), "2209": ("0.00", "700.00")}

    before = fund.counts()
    Api.problem(fund.reverse(big["id"]), 409, "/problems/already-reversed")
    Api.problem(fund.post_transfer("2025-11-25", [big["id"]]), 409, "/problems/conflict")
    assert fund.counts() == before

    transfer = fund.transfer("2025-11-25")  # takes only what is still owed
    assert (transfer["amount"], transfer["deposit_ids"]) == ("700.00", [small["id"]])
    assert fund.get(f"/api/deposits/{big['id']}")["transfer_id"] is None
    assert fund.column("fund", "2025-11-30", "2209") == ("0.00", "0.00")
    assert fund.trial_balance("foundation", "2025-11-30") == {
        "1002": ("700.00", "0.00"), "410103": ("0.00", "700.00")}


def test_reversal_after_the_transfer_returns_the_foundation_share(fund: Fund) -> None:
    member, big, small = two_deposits(fund)
    transfer = fund.transfer("2025-11-10")
    assert transfer["amount"] == "245700.00"
    assert fund.trial_balance("foundation", "2025-11-30") == {
        "1002": ("245700.00", "0.00"), "410103": ("0.00", "245700.00")}

    before = fund.counts()
    reversed_ = fund.created(fund.reverse(big["id"], effective_date="2025-11-20"), 200)
    assert reversed_["transfer_id"] == transfer["id"]
    assert reversed_["reversal_seq"] is not None
    after = fund.counts()
    assert after == {**before, "journal_entries": before["journal_entries"] + 3,
                     "postings": before["postings"] + 7, "audit_log": before["audit_log"] + 4}

    # the foundation's income and bank go back by exactly the share: 245,700.00 - 245,000.00
    assert fund.trial_balance("foundation", "2025-11-30") == {
        "1002": ("700.00", "0.00"), "410103": ("0.00", "700.00")}
    assert fund.trial_balance("foundation", "2025-11-19") == {
        "1002": ("245700.00", "0.00"), "410103": ("0.00", "245700.00")}
    tb = fund.trial_balance("fund", "2025-11-30")
    assert fund.column("fund", "2025-11-30", "2209") == ("0.00", "0.00")
    assert tb["1002"] == ("300.00", "0.00")  # 351,000 - 245,700 + 245,000 - 350,000
    assert tb["420101"] == ("0.00", "300.00")
    assert fund.member(member["id"])["entitlement"] == {"deposits": "1000.00", "cap": "14285.71"}

    # the reversal first, then the foundation's return and the fund's (one correction)
    entries = [fund.get(f"/api/entries/{seq}")
               for seq in range(reversed_["reversal_seq"], reversed_["reversal_seq"] + 3)]
    assert [(e["entity"], e["source"]) for e in entries] == [
        ("fund", {"kind": "deposit", "id": str(big["id"])}),
        ("foundation", {"kind": "deposit", "id": str(big["id"])}),
        ("fund", {"kind": "deposit", "id": str(big["id"])})]
    assert entries[0]["reverses"] == big["entry_seq"]
    assert lines(fund, entries[1]["seq"]) == [("410103", "245000.00", None),
                                              ("1002", None, "245000.00")]
    assert lines(fund, entries[2]["seq"]) == [("1002", "245000.00", None),
                                              ("2209", None, "245000.00")]

    before = fund.counts()
    Api.problem(fund.reverse(big["id"]), 409, "/problems/already-reversed")
    Api.problem(fund.post_transfer("2025-11-25"), 409, "/problems/nothing-to-transfer")
    body = Api.problem(fund.post_transfer("2025-11-25", [small["id"]]), 409, "/problems/conflict")
    assert f"[{small['id']}]" in body["detail"]
    Api.problem(fund.post_transfer("2025-11-25", [small["id"], small["id"] + 1]), 409,
                "/problems/conflict")
    Api.problem(fund.reverse(small["id"] + 1), 404, "/problems/deposit-not-found")
    assert fund.counts() == before
    assert fund.get("/api/transfers") == [transfer]


def test_transfers_take_each_share_once(fund: Fund) -> None:
    before = fund.counts()
    Api.problem(fund.post_transfer("2025-11-10"), 409, "/problems/nothing-to-transfer")
    assert fund.counts() == before

    member = fund.register()
    first, second, third = (fund.deposit(member["id"], amount, reference=f"R-{n}")
                            for n, amount in enumerate(["100.00", "200.00", "300.01"]))
    listed = fund.transfer("2025-11-10", [second["id"], second["id"]])  # a duplicate id is one
    assert (listed["amount"], listed["deposit_ids"]) == ("140.00", [second["id"]])
    before = fund.counts()
    Api.problem(fund.post_transfer("2025-11-11", [first["id"], second["id"]]), 409,
                "/problems/conflict")
    assert fund.counts() == before
    rest = fund.transfer("2025-11-11")
    assert (rest["amount"], rest["deposit_ids"]) == ("280.01", [first["id"], third["id"]])
    Api.problem(fund.post_transfer("2025-11-12"), 409, "/problems/nothing-to-transfer")
    assert fund.column("fund", "2025-11-30", "2209") == ("0.00", "0.00")
    assert fund.trial_balance("foundation", "2025-11-30")["410103"] == ("0.00", "420.01")
    assert [t["id"] for t in fund.get("/api/transfers")] == [listed["id"], rest["id"]]


def test_a_deposit_entry_is_reversed_only_as_a_deposit(fund: Fund) -> None:
    """The generic reversal of a deposit's entry must be refused (or mark the deposit
    reversed); otherwise the deposit still counts in the cap and is still transferred."""
    member = fund.register()
    deposit = fund.deposit(member["id"], "350000.00")
    before = fund.counts()
    response = fund.post(f"/api/entries/{deposit['entry_seq']}/reversal",
                         {"effective_date": "2025-11-20"}, actor="admin1")
    if response.status_code == 409:
        assert fund.counts() == before
        return
    # accepted: then the deposit must be out of the cap and out of any transfer
    assert fund.member(member["id"])["entitlement"]["deposits"] == "0.00"
    Api.problem(fund.post_transfer("2025-11-25"), 409, "/problems/nothing-to-transfer")


def test_a_transfer_cannot_predate_its_deposits(fund: Fund) -> None:
    member = fund.register()
    fund.deposit(member["id"], "350000.00", received_on="2025-11-03")
    before = fund.counts()
    response = fund.post_transfer("2025-11-01")
    assert response.status_code in (409, 422), response.get_json()
    Api.problem(response, response.status_code)
    assert fund.counts() == before


def test_a_reversal_cannot_predate_the_deposit_or_its_transfer(fund: Fund) -> None:
    member = fund.register()
    deposit = fund.deposit(member["id"], "350000.00", received_on="2025-11-03")
    fund.transfer("2025-11-10")
    before = fund.counts()
    for day in ("2025-11-01", "2025-11-05"):  # before the deposit; before the transfer
        response = fund.reverse(deposit["id"], effective_date=day)
        assert response.status_code in (409, 422), (day, response.get_json())
        Api.problem(response, response.status_code)
    assert fund.counts() == before
