"""Refused JSON requests of the campaign routes: wrong types, unknown enum values, missing or
unknown fields, and what the campaign's rules refuse. Each answers a problem with the right
status and `type`, never a 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import Campaigns, campaign_body

INVALID = "/problems/invalid-input"


BAD_FIELDS = [
    ({"cost": 50000}, "cost"),  # a JSON number
    ({"cost": 50000.5}, "cost"),
    ({"cost": "5万"}, "cost"),
    ({"cost": "0.00"}, "cost"),
    ({"cost": "-1.00"}, "cost"),
    ({"cost": "1.001"}, "cost"),
    ({"subsidy": None}, "subsidy"),
    ({"match": "NaN"}, "match"),
    ({"miss_rule": "maybe"}, "miss_rule"),
    ({"shortfall_source": "lottery"}, "shortfall_source"),
    ({"leftover_rule": "keep"}, "leftover_rule"),
    ({"deadline": "next spring"}, "deadline"),
    ({"deadline": 20260630}, "deadline"),
    ({"title": ""}, "title"),
    ({"title": "修" * 201}, "title"),
    ({"community": ["丽园"]}, "community"),
    ({"colour": "blue"}, "colour"),
]


def test_bad_campaign_fields(campaigns: Campaigns, subtests: Any) -> None:
    """Each bad value is refused as 422 naming its field (one database, many cases: the
    checks are the schema's and the core's, not the database's)."""
    c = campaigns
    for changes, field in BAD_FIELDS:
        with subtests.test(field=field, changes=repr(changes)[:40]):
            body = c.refused(lambda changes=changes: c.post("/api/campaigns",
                                                            campaign_body(**changes)), 422)
            assert field in body["errors"], body


def test_missing_fields_and_bodies(campaigns: Campaigns) -> None:
    c = campaigns
    body = campaign_body()
    del body["cost"], body["deadline"]
    found = c.refused(lambda: c.post("/api/campaigns", body), 422)
    assert set(found["errors"]) == {"cost", "deadline"}
    c.refused(lambda: c.post("/api/campaigns", ["not", "an", "object"]), 422)
    c.refused(lambda: c.api.post_raw("/api/campaigns", "{not json", actor="fm1"), 400)
    c.refused(lambda: c.api.post_raw("/api/campaigns", "cost=1", actor="fm1",
                                     content_type="application/x-www-form-urlencoded"), 415)


@pytest.mark.parametrize(("changes", "field"), [
    ({"subsidy": "30000.00", "match": "20000.00"}, "cost"),  # nothing left to crowdfund
    ({"shortfall_source": None}, "shortfall_source"),  # keep_raised names a source
    ({"subsidy_from": ""}, "subsidy_from"),  # a subsidy says who pays it
])
def test_campaigns_the_rules_refuse(campaigns: Campaigns, changes: dict[str, Any], field: str
                                    ) -> None:
    c = campaigns
    body = c.refused(lambda: c.post("/api/campaigns", campaign_body(**changes)), 422, INVALID)
    assert field in body["errors"]


def test_unknown_campaigns_households_and_receipts(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3)
    cid = opened["id"]
    missing = "/problems/campaign-not-found"
    for path in ("/api/campaigns/999", "/api/campaigns/999/households",
                 "/api/campaigns/999/door-to-door", "/api/campaigns/999/payments",
                 "/api/campaigns/999/imports"):
        response = c.client.get(path, headers=c.api.bearer("aud1"))
        c.api.problem(response, 404, missing)
    c.refused(lambda: c.post("/api/campaigns/999/open"), 404, missing)
    c.refused(lambda: c.post("/api/campaigns/999/cancel", {"on": "2026-05-01",
                                                            "reason": "x"}), 404, missing)
    other = c.create()
    c.ok(c.roll(other["id"], None), 201)
    stranger = c.households(other["id"])[0]["id"]
    c.refused(lambda: c.pay(cid, stranger, "1.00", "R1"), 404, "/problems/household-not-found")
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/households/{stranger}/mark",
                             {"status": "vacant", "reason": "x"}), 404,
              "/problems/household-not-found")
    response = c.client.get("/api/receipts/ABCD-EFGH-JKMN", headers=c.api.bearer("aud1"))
    c.api.problem(response, 404, "/problems/receipt-not-found")
    for bad in ("hello", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "UUUU-UUUU-UUUU"):
        response = c.client.get(f"/api/receipts/{bad}", headers=c.api.bearer("aud1"))
        c.api.problem(response, 422, INVALID)
    response = c.client.get("/api/receipts/ABCD-EFGH-JKMN/pdf", headers=c.api.bearer("aud1"))
    c.api.problem(response, 404, "/problems/receipt-not-found")
    assert households


BAD_PAYMENTS: list[tuple[dict[str, Any], str]] = [
    ({"household_id": "abc"}, "household_id"),
    ({"household_id": "1"}, "household_id"),  # strictly a JSON integer
    ({"household_id": 0}, "household_id"),
    ({"household_id": 2**40}, "household_id"),
    ({"amount": 22.08}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "22.081"}, "amount"),
    ({"amount": "1" * 40}, "amount"),
    ({"method": "paypal"}, "method"),
    ({"method": None}, "method"),
    ({"paid_on": "2026-02-30"}, "paid_on"),
    ({"reference": ""}, "reference"),
    ({"reference": "R" * 65}, "reference"),
]
BAD_MARKS: list[tuple[dict[str, Any], str]] = [
    ({"status": "moved"}, "status"),
    ({"status": "vacant"}, "reason"),  # a reason is required
    ({"status": "vacant", "reason": "空" * 301}, "reason"),
    ({"status": 1, "reason": "x"}, "status"),
    ({}, "status"),
]


def test_bad_payment_and_mark_fields(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3)
    cid, hid = opened["id"], households[0]["id"]
    for changes, field in BAD_PAYMENTS:
        body = {"household_id": hid, "amount": "22.08", "paid_on": "2026-04-01",
                "method": "cash", "reference": "R1", **changes}
        found = c.refused(lambda b=body: c.post(f"/api/campaigns/{cid}/payments", b), 422)
        assert field in found["errors"], (changes, found)
    for body, field in BAD_MARKS:
        found = c.refused(lambda b=body: c.post(
            f"/api/campaigns/{cid}/households/{hid}/mark", b), 422)
        assert field in found["errors"], (body, found)


def test_payments_the_rules_refuse(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3)
    cid, first, second = opened["id"], households[0]["id"], households[1]["id"]
    c.ok(c.pay(cid, first, "100.00", "R1"), 201)
    duplicate = c.refused(lambda: c.pay(cid, second, "100.00", "R1"), 409,
                          "/problems/duplicate-payment")
    assert "R1" in duplicate["detail"]
    c.ok(c.post(f"/api/campaigns/{cid}/households/{second}/mark",
                {"status": "exempt", "reason": "低保户"}))
    c.refused(lambda: c.pay(cid, second, "100.00", "R2"), 422, INVALID)  # not asked to pay
    # a household that has paid stays asked
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/households/{first}/mark",
                             {"status": "vacant", "reason": "x"}), 422, INVALID)
    draft = c.create()
    c.ok(c.roll(draft["id"], None), 201)
    household = c.households(draft["id"])[0]["id"]
    c.refused(lambda: c.pay(draft["id"], household, "22.09", "R1"), 422, INVALID)


def test_stages_the_rules_refuse(campaigns: Campaigns) -> None:
    c = campaigns
    draft = c.create()
    did = draft["id"]
    c.refused(lambda: c.post(f"/api/campaigns/{did}/open"), 422, INVALID)  # no roll yet
    c.ok(c.roll(did, None), 201)
    # the foundation has no money to match it
    c.refused(lambda: c.post(f"/api/campaigns/{did}/open"), 409, "/problems/over-committed")
    opened, _ = c.opened(3)
    oid = opened["id"]
    c.refused(lambda: c.post(f"/api/campaigns/{oid}/open"), 409, "/problems/campaign-state")
    c.refused(lambda: c.post(f"/api/campaigns/{oid}/contractor", {
        "amount": "100.00", "paid_on": "2026-07-01"}), 409, "/problems/campaign-not-funded")
    c.refused(lambda: c.post(f"/api/campaigns/{oid}/close", {"on": "2026-07-01"}), 409,
              "/problems/campaign-state")
    c.refused(lambda: c.post(f"/api/campaigns/{oid}/shortfall", {}), 422, INVALID)  # none
    c.refused(lambda: c.post(f"/api/campaigns/{oid}/subsidy", {
        "amount": "10.00", "received_on": "2026-04-01", "payer": ""}), 422)
    for body, field in (({"on": "2026-07-01"}, "reason"), ({"reason": "x"}, "on"),
                        ({"on": "2026-07-01", "reason": ""}, "reason")):
        found = c.refused(lambda b=body: c.post(f"/api/campaigns/{oid}/cancel", b), 422)
        assert field in found["errors"]
    for body, field in (({"amount": 100, "paid_on": "2026-07-01"}, "amount"),
                        ({"amount": "100.00"}, "paid_on")):
        found = c.refused(lambda b=body: c.post(f"/api/campaigns/{oid}/contractor", b), 422)
        assert field in found["errors"]
    for body, field in (({"source": "lottery"}, "source"), ({"amount": "-1.00"}, "amount"),
                        ({"note": "x" * 301}, "note")):
        found = c.refused(lambda b=body: c.post(f"/api/campaigns/{oid}/shortfall", b), 422)
        assert field in found["errors"]


def test_the_contractor_is_paid_from_the_bank(campaigns: Campaigns) -> None:
    """Cash collected at the door is not in the bank: the contractor's payment says so."""
    c = campaigns
    opened, households = c.opened(2, income="30000.00", cost="31000.00", subsidy="0.00",
                                  subsidy_from="", match="29500.00")
    cid = opened["id"]
    for i, h in enumerate(households):
        c.ok(c.pay(cid, h["id"], "750.00", f"现金 {i}"), 201)
    assert c.campaign(cid)["status"] == "funded"
    c.refused(lambda: c.post(f"/api/campaigns/{cid}/contractor", {
        "amount": "31000.01", "paid_on": "2026-07-01"}), 422, INVALID)  # beyond the cost
    body = c.refused(lambda: c.post(f"/api/campaigns/{cid}/contractor", {
        "amount": "31000.00", "paid_on": "2026-07-01"}), 409, "/problems/insufficient-funds")
    assert "1001" in body["detail"]


def test_a_campaign_whose_contractor_is_partly_paid_is_not_cancelled(
        campaigns: Campaigns) -> None:
    """Found by these tests: it used to try refunding every payer in full, stopped only by
    the database's guard (a bare 409 database-refused)."""
    c = campaigns
    opened, households = c.opened(2, cost="1000.00", subsidy="600.00", match="0.00")
    cid = opened["id"]
    c.move(cid, "subsidy", {"amount": "600.00", "received_on": "2026-03-20"})
    for i, h in enumerate(households):
        c.ok(c.pay(cid, h["id"], "200.00", f"R{i}", method="bank"), 201)
    half = c.move(cid, "contractor", {"amount": "500.00", "paid_on": "2026-07-01"})
    assert (half["status"], half["figures"]["restricted"]) == ("funded", "500.00")
    body = c.refused(lambda: c.post(f"/api/campaigns/{cid}/cancel", {
        "on": "2026-07-02", "reason": "施工方撤场 / the contractor walked off"}), 409,
        "/problems/campaign-state")
    assert "contractor" in body["detail"]
