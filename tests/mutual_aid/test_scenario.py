"""Seed 000 through the JSON API: 嘉兴永耀纺织 joins, pays its 350,000.00 mutual-aid deposit
(105,000.00 operating, 245,000.00 for the foundation, 5,000,000.00 of bridging service), and a
second fund manager transfers the foundation's share. Both books are checked to the fen."""

from __future__ import annotations

from .helpers import YONGYAO, Fund


def test_yongyao_joins_deposits_and_the_share_reaches_the_foundation(fund: Fund) -> None:
    member = fund.register()
    assert member["credit_code"] == YONGYAO["credit_code"]
    assert member["status"] == "active"
    assert fund.get("/api/members") == [member]

    created = fund.post_deposit(member["id"], "350000.00", reference="ICBC-20251103-0001")
    deposit = fund.created(created)
    assert created.headers["Location"].endswith(f"/api/deposits/{deposit['id']}")
    assert (deposit["amount"], deposit["operating"], deposit["foundation"]) == (
        "350000.00", "105000.00", "245000.00")
    assert deposit["policy_version"] == 1
    assert deposit["method"] == "bank_transfer"
    assert deposit["created_by"] == "fm1"
    assert deposit["transfer_id"] is None
    assert deposit["reversal_seq"] is None
    assert fund.get(f"/api/deposits/{deposit['id']}") == deposit

    entry = fund.get(f"/api/entries/{deposit['entry_seq']}")
    assert entry["entity"] == "fund"
    assert entry["effective_date"] == "2025-11-03"
    assert entry["source"] == {"kind": "deposit", "id": str(deposit["id"])}
    assert [(p["account"], p.get("debit"), p.get("credit")) for p in entry["postings"]] == [
        ("1002", "350000.00", None), ("420101", None, "105000.00"),
        ("2209", None, "245000.00")]

    detail = fund.member(member["id"])
    assert detail["entitlement"] == {"deposits": "350000.00", "cap": "5000000.00"}
    assert detail["deposits"] == [deposit]

    # before the transfer: the whole deposit is in the fund's bank, 245,000.00 owed on
    tb = fund.trial_balance("fund", "2025-11-05")
    assert tb == {"1002": ("350000.00", "0.00"), "420101": ("0.00", "105000.00"),
                  "2209": ("0.00", "245000.00")}
    assert fund.trial_balance("foundation", "2025-11-05") == {}

    transfer = fund.transfer("2025-11-10", actor="fm2")
    assert transfer["amount"] == "245000.00"
    assert transfer["deposit_ids"] == [deposit["id"]]
    assert fund.get("/api/transfers") == [transfer]
    fund_entry = fund.get(f"/api/entries/{transfer['fund_entry_seq']}")
    foundation_entry = fund.get(f"/api/entries/{transfer['foundation_entry_seq']}")
    assert (fund_entry["entity"], fund_entry["actor"]) == ("fund", "fm2")
    assert (foundation_entry["entity"], foundation_entry["actor"]) == ("foundation", "fm2")
    assert fund.get(f"/api/deposits/{deposit['id']}")["transfer_id"] == transfer["id"]

    tb = fund.trial_balance("fund", "2025-11-30")
    assert tb["420101"] == ("0.00", "105000.00")
    assert fund.column("fund", "2025-11-30", "2209") == ("0.00", "0.00")
    assert tb["1002"] == ("105000.00", "0.00")
    assert fund.trial_balance("foundation", "2025-11-30") == {
        "1002": ("245000.00", "0.00"), "410103": ("0.00", "245000.00")}
    # the cap is unchanged by the transfer
    assert fund.member(member["id"])["entitlement"] == {"deposits": "350000.00",
                                                         "cap": "5000000.00"}


def test_odd_amounts_split_exactly_with_the_odd_fen_to_the_foundation(fund: Fund) -> None:
    member = fund.register()
    # amount -> (operating, foundation) under policy 1: 30 %, the odd fen to the foundation
    expected = {
        "0.01": ("0.00", "0.01"),
        "0.03": ("0.00", "0.03"),
        "1000.05": ("300.01", "700.04"),
        "333333.33": ("99999.99", "233333.34"),
        "22.08": ("6.62", "15.46"),
    }
    made = {amount: fund.deposit(member["id"], amount, method=method)
            for amount, method in zip(expected, ["cash", "wechat_pay", "alipay", "cheque",
                                                 "bank_transfer"], strict=True)}
    for amount, deposit in made.items():
        assert (deposit["operating"], deposit["foundation"]) == expected[amount], amount
    tiny = fund.get(f"/api/entries/{made['0.01']['entry_seq']}")
    assert [(p["account"], p.get("debit"), p.get("credit")) for p in tiny["postings"]] == [
        ("1002", "0.01", None), ("2209", None, "0.01")]

    total = "334355.50"  # 0.01 + 0.03 + 1000.05 + 333333.33 + 22.08
    tb = fund.trial_balance("fund", "2025-11-30")
    assert tb == {"1002": (total, "0.00"), "420101": ("0.00", "100306.62"),
                  "2209": ("0.00", "234048.88")}
    transfer = fund.transfer("2025-11-30")
    assert transfer["amount"] == "234048.88"
    assert sorted(transfer["deposit_ids"]) == sorted(d["id"] for d in made.values())
    assert fund.column("fund", "2025-11-30", "2209") == ("0.00", "0.00")
    assert fund.trial_balance("foundation", "2025-11-30")["410103"] == ("0.00", "234048.88")
