"""A repair campaign through the JSON API, from its set-up to its close: the 317-household roll
previewed then imported with exact shares, the subsidy, payments by hand with receipt codes,
a WeChat Pay export reconciled (a duplicate row and an unknown payer reported, nothing
recorded twice on a re-import), households marked, the shortfall assigned, the contractor
paid and the campaign closed; and a cancelled campaign refunding every payer."""

from __future__ import annotations

import re
from typing import Any

from .helpers import (
    GAP,
    HOUSEHOLDS,
    RECEIPT_CODE,
    SPLIT,
    Campaigns,
    contact,
    house_keys,
    key_text,
    payments_csv,
    snapshot,
    total,
)

ZERO = "0.00"


def test_a_campaign_from_roll_to_close(campaigns: Campaigns) -> None:
    c = campaigns
    c.income("100000.00")
    created = c.create()
    cid = created["id"]
    assert (created["status"], created["gap"], created["households"]) == ("draft", GAP, 0)
    assert created["figures"]["gap"] == GAP
    assert created["figures"]["to_pay"] == "50000.00"
    assert "odd fen" in created["share_rule"]
    assert created["created_by"] == "fm1"

    # the roll: previewed (nothing written), then imported
    before = snapshot(c.engine, ignore=("idempotency_keys",))
    preview = c.ok(c.roll(cid, query={"preview": "true"}), 200)
    assert snapshot(c.engine, ignore=("idempotency_keys",)) == before
    assert (preview["written"], preview["problems"], preview["total"]) == (False, [], GAP)
    assert preview["summary"] == {"households": 317, "higher": "22.09", "higher_count": 64,
                                  "lower": "22.08", "lower_count": 253, "text": SPLIT}
    shares = [h["share"] for h in preview["households"]]
    assert shares == ["22.09"] * 64 + ["22.08"] * 253
    first = preview["households"][0]
    assert (first["position"], first["household"], first["contact"]) == (1, "1-1-101",
                                                                         "住户001")
    imported = c.ok(c.roll(cid), 201)
    assert imported["written"] is True
    assert imported["summary"]["text"] == SPLIT
    households = c.households(cid)
    assert len(households) == HOUSEHOLDS
    assert [h["household"] for h in households] == [key_text(k) for k in house_keys()]
    assert total(h["share"] for h in households) == GAP
    assert {h["status"] for h in households} == {"asked"}
    assert (households[63]["share"], households[64]["share"]) == ("22.09", "22.08")
    ids = [h["id"] for h in households]

    # the subsidy arrives and the campaign opens (the foundation holds its match)
    entries = c.entry_count()
    funded = c.move(cid, "subsidy", {"amount": "20000.00", "received_on": "2026-03-20",
                                     "reference": "蛟川财〔2026〕12号"})
    assert funded["figures"]["subsidy_received"] == "20000.00"
    assert funded["figures"]["restricted"] == "20000.00"
    assert c.entry_count() == entries + 1
    opened = c.move(cid, "open")
    assert (opened["status"], opened["households"], opened["asked"]) == ("open", 317, 317)

    # a payment by hand: its receipt code, the receipt without names or phones
    entries = c.entry_count()
    response = c.pay(cid, ids[0], "22.09", "现金收据 0001")
    paid = c.ok(response, 201)
    code = paid["receipt_code"]
    assert re.match(RECEIPT_CODE, code)
    assert response.headers["Location"].endswith(f"/api/receipts/{code}")
    assert (paid["household"], paid["amount"], paid["method"]) == ("1-1-101", "22.09", "cash")
    assert c.entry_count() == entries + 1
    receipt = c.get(f"/api/receipts/{code.lower().replace('-', ' ')}")
    assert receipt == {"code": code, "campaign_id": cid, "campaign_title": created["title"],
                       "community": created["community"], "household": "1-1-101",
                       "amount": "22.09", "paid_on": "2026-04-01", "method": "cash",
                       "entry_seq": paid["entry_seq"], "refunded": ZERO}
    name, phone = contact(1)
    raw = c.client.get(f"/api/receipts/{code}", headers=c.api.bearer("board1"))
    assert raw.status_code == 200
    assert name not in raw.get_data(as_text=True)
    assert phone not in raw.get_data(as_text=True)

    # a WeChat Pay export: 300 households pay, one row twice, one payer not on the roll
    keys = house_keys()
    lines = [(f"4200001{i:012d}", keys[i], households[i]["share"]) for i in range(1, 301)]
    lines.insert(10, lines[5])  # the same transaction exported twice
    lines.append(("4200009999999999999", ("99", "1", "101"), "22.08"))  # not on the roll
    export = payments_csv(lines)
    before = snapshot(c.engine, ignore=("idempotency_keys",))
    previewed = c.ok(c.pay_import(cid, export, preview="true"), 200)
    assert snapshot(c.engine, ignore=("idempotency_keys",)) == before
    assert previewed["written"] is False
    assert previewed["counts"] == {"matched": 300, "partial": 0, "overpaid": 0,
                                   "unmatched": 1, "duplicate": 1}
    entries = c.entry_count()
    report = c.ok(c.pay_import(cid, export), 201)
    assert (report["written"], report["recorded"]) == (True, 300)
    assert report["counts"] == previewed["counts"]
    flagged = {(line["line"], line["match"], line["household"]) for line in report["lines"]
               if line["match"] != "matched"}
    assert flagged == {(12, "duplicate", key_text(keys[6])), (303, "unmatched", "99-1-101")}
    assert c.entry_count() == entries + 300
    payments = c.get(f"/api/campaigns/{cid}/payments")
    assert len(payments) == 301
    assert len({p["receipt_code"] for p in payments}) == 301
    assert {p["method"] for p in payments[1:]} == {"wechat"}

    # the same file again records nothing
    again = c.ok(c.pay_import(cid, export), 200)
    assert (again["written"], again["recorded"], again["import_id"]) == (False, 0, None)
    assert again["counts"] == {"matched": 0, "partial": 0, "overpaid": 0, "unmatched": 1,
                               "duplicate": 301}
    assert c.entry_count() == entries + 300
    assert len(c.get(f"/api/campaigns/{cid}/payments")) == 301
    imports = c.get(f"/api/campaigns/{cid}/imports")
    assert [(i["kind"], i["filename"]) for i in imports] == [
        ("payments", "wechat-export.csv"), ("roll", "roll.csv")]
    assert imports[0]["report"]["recorded"] == 300

    # 16 households still owe, all in building 7: the volunteers' list
    unpaid = c.households(cid, unpaid="true")
    assert [h["household"] for h in unpaid] == [key_text(k) for k in keys[301:]]
    assert c.households(cid, unpaid="true", building="7") == unpaid
    assert c.households(cid, unpaid="true", building="1") == []
    assert len(c.households(cid, building="7")) == 29
    door = c.get(f"/api/campaigns/{cid}/door-to-door", actor="board1")
    assert [(b["building"], len(b["households"])) for b in door] == [("7", 16)]
    assert door[0]["owed"] == total(h["share"] for h in unpaid)
    assert door[0]["households"] == unpaid

    # two are marked (vacant, exempt): their shares are shortfall, assigned to the foundation
    vacant, exempt, *rest = unpaid
    marked = c.ok(c.post(f"/api/campaigns/{cid}/households/{vacant['id']}/mark",
                         {"status": "vacant", "reason": "空置，房主在国外 / empty flat"}))
    assert (marked["status"], marked["owed"]) == ("vacant", ZERO)
    c.ok(c.post(f"/api/campaigns/{cid}/households/{exempt['id']}/mark",
                {"status": "exempt", "reason": "低保户 / minimum-income household"}))
    shortfall = total([vacant["share"], exempt["share"]])
    figures = c.campaign(cid)["figures"]
    assert (figures["shortfall"], figures["unassigned"]) == (shortfall, shortfall)
    assigned = c.move(cid, "shortfall", {"note": "基金会承担 / the foundation covers it"})
    assert assigned["figures"]["assigned"] == shortfall
    assert assigned["figures"]["unassigned"] == ZERO
    assert assigned["figures"]["match"] == total(["23000.00", shortfall])
    assert assigned["status"] == "open"

    # the other 14 pay by bank transfer: the campaign is funded
    funded = c.ok(c.pay_import(cid, payments_csv(
        [(f"BANK-{h['id']}", (h["building"], h["unit"], h["room"]), h["share"])
         for h in rest], paid_at="2026-05-06"), method="bank"), 201)
    assert funded["recorded"] == 14
    campaign = c.campaign(cid)
    assert (campaign["status"], campaign["paid_up"], campaign["asked"]) == ("funded", 315, 315)
    assert campaign["figures"]["households_paid"] == total(["7000.00", f"-{shortfall}"])
    assert campaign["figures"]["covered"] is True
    assert c.get(f"/api/campaigns/{cid}/door-to-door") == []

    # the contractor is paid, restricted money first; the campaign closes at zero
    paid_out = c.move(cid, "contractor", {"amount": "50000.00", "paid_on": "2026-07-10",
                                          "reference": "BANK-CONTRACTOR-1"})
    assert paid_out["status"] == "contractor_paid"
    assert paid_out["figures"]["restricted"] == ZERO
    assert paid_out["figures"]["to_pay"] == ZERO
    closed = c.move(cid, "close", {"on": "2026-07-15"})
    assert closed["status"] == "closed"
    assert closed["figures"]["restricted"] == ZERO
    listed = c.get("/api/campaigns", actor="board1")
    assert [(x["id"], x["status"]) for x in listed] == [(cid, "closed")]


def test_a_cancelled_campaign_refunds_every_payer(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(10, miss_rule="all_or_nothing", shortfall_source=None,
                                  cost="30000.00", subsidy="20000.00", match="9000.00")
    cid = opened["id"]
    assert [h["share"] for h in households] == ["100.00"] * 10
    c.move(cid, "subsidy", {"amount": "20000.00", "received_on": "2026-03-20"})
    c.ok(c.pay(cid, households[0]["id"], "100.00", "现金 1"), 201)
    c.ok(c.pay(cid, households[1]["id"], "40.00", "现金 2"), 201)  # a part of its share
    report = c.ok(c.pay_import(cid, payments_csv(
        [(f"ALI-{i}", (h["building"], h["unit"], h["room"]), "100.00")
         for i, h in enumerate(households[2:7])]), method="alipay"), 201)
    assert report["recorded"] == 5
    assert c.campaign(cid)["figures"]["restricted"] == "20640.00"

    entries = c.entry_count()
    cancelled = c.move(cid, "cancel", {"on": "2026-07-01",
                                       "reason": "截止日未筹满 / target missed by the deadline"})
    assert cancelled["status"] == "cancelled"
    figures = cancelled["figures"]
    assert (figures["restricted"], figures["households_paid"],
            figures["subsidy_received"]) == (ZERO, ZERO, ZERO)
    assert c.entry_count() == entries + 8  # seven payments and the subsidy, each refunded
    payments = c.get(f"/api/campaigns/{cid}/payments")
    assert [(p["amount"], p["refunded"]) for p in payments] == [
        ("100.00", "100.00"), ("40.00", "40.00")] + [("100.00", "100.00")] * 5
    assert {h["paid"] for h in c.households(cid)} == {ZERO}
    receipt = c.get(f"/api/receipts/{payments[1]['receipt_code']}")
    assert receipt["refunded"] == "40.00"
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/cancel", {
        "on": "2026-07-02", "reason": "again"}), 409, "/problems/campaign-state")
    c.refused(lambda: c.pay(cid, households[9]["id"], "100.00", "现金 9"), 422)


def _paid_out(c: Campaigns, *, subsidy: str = "650.00", first: str = "100.00",
              **changes: Any) -> int:
    """A campaign of 4 households (100.00 each) and a 600.00 subsidy pledged, `subsidy`
    received, the first household paying `first`, the contractor paid 1,000.00."""
    opened, households = c.opened(4, cost="1000.00", subsidy="600.00", match="0.00", **changes)
    cid = opened["id"]
    assert [h["share"] for h in households] == ["100.00"] * 4
    c.move(cid, "subsidy", {"amount": subsidy, "received_on": "2026-03-20"})
    for i, h in enumerate(households):
        c.ok(c.pay(cid, h["id"], first if i == 0 else "100.00", f"R{i}"), 201)
    assert c.campaign(cid)["status"] == "funded"
    paid = c.move(cid, "contractor", {"amount": "1000.00", "paid_on": "2026-07-10"})
    assert (paid["status"], paid["figures"]["restricted"]) == ("contractor_paid", "50.00")
    return int(cid)


def test_leftovers_go_to_the_foundation_with_a_disclosure(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _paid_out(c, leftover_rule="foundation")  # the subdistrict paid 50.00 more
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/close", {"on": "2026-07-15"}), 422,
              "/problems/invalid-input")
    closed = c.move(cid, "close", {"on": "2026-07-15",
                                   "disclosure": "余款 50.00 元转入社区公益金 / 50.00 kept"})
    assert closed["status"] == "closed"
    assert closed["figures"]["leftover_released"] == "50.00"
    assert closed["figures"]["restricted"] == ZERO


def test_leftovers_are_refunded_pro_rata(campaigns: Campaigns) -> None:
    c = campaigns
    cid = _paid_out(c, leftover_rule="refund")
    entries = c.entry_count()
    closed = c.move(cid, "close", {"on": "2026-07-15"})
    assert (closed["status"], closed["figures"]["restricted"]) == ("closed", ZERO)
    # 50.00 over 650 + 4 x 100: 30.96 back to the subdistrict, 4.76 to each household
    assert [p["refunded"] for p in c.get(f"/api/campaigns/{cid}/payments")] == ["4.76"] * 4
    assert closed["figures"]["subsidy_received"] == "619.04"
    assert c.entry_count() == entries + 5


def test_what_a_household_paid_beyond_its_share_goes_back_at_close(
        campaigns: Campaigns) -> None:
    c = campaigns
    cid = _paid_out(c, subsidy="600.00", first="150.00", leftover_rule="foundation")
    closed = c.move(cid, "close", {"on": "2026-07-15"})  # no leftover to disclose
    assert (closed["status"], closed["figures"]["restricted"]) == ("closed", ZERO)
    assert closed["figures"]["leftover_released"] == ZERO
    assert [p["refunded"] for p in c.get(f"/api/campaigns/{cid}/payments")] == [
        "50.00", ZERO, ZERO, ZERO]


def test_the_shortfall_assigned_to_the_households_raises_their_shares(
        campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(5, cost="1500.00", subsidy="0.00", subsidy_from="",
                                  match="1000.00", shortfall_source="households")
    cid = opened["id"]
    c.ok(c.post(f"/api/campaigns/{cid}/households/{households[4]['id']}/mark",
                {"status": "unreachable", "reason": "联系不上 / no answer"}))
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/shortfall", {"amount": "100.01"}), 422)
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/shortfall", {"amount": 25}), 422)
    after = c.move(cid, "shortfall", {"source": "households"})
    assert after["figures"]["gap"] == "600.00"
    assert [h["share"] for h in c.households(cid)] == ["125.00"] * 4 + ["100.00"]


def test_amounts_are_decimal_strings(campaigns: Campaigns) -> None:
    """Every amount of every answer is a decimal string with two decimals."""
    c = campaigns
    opened, households = c.opened(3, cost="1000.10", subsidy="0.00", subsidy_from="",
                                  match="0.00")
    shares = [h["share"] for h in households]
    assert shares == ["333.37", "333.37", "333.36"]

    def amounts(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                amounts(value)
        elif isinstance(node, list):
            for value in node:
                amounts(value)
        else:
            assert not isinstance(node, float), node

    amounts(c.campaign(opened["id"]))
    amounts(households)
    assert re.match(r"^\d+\.\d\d$", c.campaign(opened["id"])["figures"]["cost"])
