"""Refused requests: each answers a clear 4xx problem and writes nothing (members, deposits,
transfers, journal entries, postings and audit records are counted before and after)."""

from __future__ import annotations

from typing import Any

from ..http.helpers import Api
from .helpers import OTHER_CODE, WRONG_CHECK, YONGYAO, Fund


def refused(fund: Fund, response: Any, status: int, type_: str | None,
            before: dict[str, int]) -> dict[str, Any]:
    body = Api.problem(response, status, type_)
    assert fund.counts() == before, "a refused request wrote something"
    return body


def test_bad_members_are_refused(fund: Fund) -> None:
    before = fund.counts()
    body = refused(fund, fund.post("/api/members", {**YONGYAO, "credit_code": WRONG_CHECK}),
                   422, "/problems/invalid-input", before)
    assert "check character is wrong" in body["detail"]
    assert list(body["errors"]) == ["credit_code"]
    letter_o = {**YONGYAO, "credit_code": "91350100O000100Y43"}
    body = refused(fund, fund.post("/api/members", letter_o), 422, "/problems/invalid-input",
                   before)
    assert "'O' cannot appear" in body["detail"]

    member = fund.register()
    before = fund.counts()
    for same in (YONGYAO["credit_code"], f" {str(YONGYAO['credit_code']).lower()} "):
        body = refused(fund, fund.post("/api/members", {**YONGYAO, "credit_code": same,
                                                        "name_zh": "另一家公司"}),
                       409, "/problems/already-exists", before)
        assert YONGYAO["credit_code"] in body["detail"]
    refused(fund, fund.post("/api/members", {**YONGYAO, "credit_code": OTHER_CODE,
                                             "name_zh": "   "}), 422, None, before)
    Api.problem(fund.client.get(f"/api/members/{member['id'] + 1}",
                                headers=fund.api.bearer("aud1")), 404, "/problems/member-not-found")


def test_bad_amounts_are_refused(fund: Fund) -> None:
    member = fund.register()
    before = fund.counts()
    for amount, words in [(350000.0, "JSON number"), (350000, "JSON number"),
                          ("1000.005", "3 decimal places"), ("0.00", "greater than zero"),
                          ("0", "greater than zero"), ("-350000.00", "positive"),
                          ("-0.01", "positive"), ("1e5", "plain decimal"), ("NaN", "plain decimal"),
                          ("", "plain decimal"), ("350,000.00", "plain decimal"),
                          ("1000000000000.00", "largest amount")]:
        body = refused(fund, fund.post_deposit(member["id"], amount), 422, None, before)
        assert words in str(body["errors"]["amount"]), (amount, body)


def test_unknown_and_inactive_members_are_refused(fund: Fund) -> None:
    member = fund.register()
    before = fund.counts()
    body = refused(fund, fund.post_deposit(member["id"] + 1), 404, "/problems/member-not-found",
                   before)
    assert f"#{member['id'] + 1}" in body["detail"]

    for status in ("suspended", "withdrawn"):
        assert fund.set_status(member["id"], status)["status"] == status
        before = fund.counts()
        body = refused(fund, fund.post_deposit(member["id"]), 409, "/problems/member-not-active",
                       before)
        assert status in body["detail"]
    fund.set_status(member["id"], "active")
    assert fund.deposit(member["id"], "1.00")["foundation"] == "0.70"
    before = fund.counts()
    refused(fund, fund.post(f"/api/members/{member['id']}/status", {"status": "expelled"}),
            422, None, before)
    refused(fund, fund.post(f"/api/members/{member['id'] + 1}/status", {"status": "active"}),
            404, "/problems/member-not-found", before)


def test_bad_deposit_fields_are_refused(fund: Fund) -> None:
    member = fund.register()
    before = fund.counts()
    body = refused(fund, fund.post_deposit(member["id"], method="paypal"), 422, None, before)
    assert list(body["errors"]) == ["method"]
    for reference in ("", "   ", "x" * 101):
        refused(fund, fund.post_deposit(member["id"], reference=reference), 422, None, before)
    for day in ("2025-02-30", "03/11/2025", "1949-12-31"):
        refused(fund, fund.post_deposit(member["id"], received_on=day), 422, None, before)
    for member_id in (0, -1, "one", 2**31):
        refused(fund, fund.post("/api/deposits", fund.deposit_body(member_id)), 422, None,
                before)
    refused(fund, fund.post("/api/deposits", {"member_id": member["id"]}), 422, None, before)


def test_same_key_with_another_body_is_422_and_writes_once(fund: Fund) -> None:
    member = fund.register()
    first = fund.post_deposit(member["id"], "100.00", key="deposit-once")
    deposit = fund.created(first)
    before = fund.counts()
    replay = fund.post_deposit(member["id"], "100.00", key="deposit-once")
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == deposit
    refused(fund, fund.post_deposit(member["id"], "200.00", key="deposit-once"), 422,
            "/problems/idempotency-key-reused", before)
    assert [d["amount"] for d in fund.get("/api/deposits")] == ["100.00"]
    no_key = fund.client.post("/api/deposits", json=fund.deposit_body(member["id"]),
                              headers=fund.api.bearer("fm1"))
    refused(fund, no_key, 400, None, before)


def test_roles(fund: Fund) -> None:
    member = fund.register()
    deposit = fund.deposit(member["id"], "100.00")
    before = fund.counts()
    for actor in ("board1", "aud1"):
        refused(fund, fund.post_deposit(member["id"], actor=actor), 403, None, before)
        refused(fund, fund.post("/api/members", {**YONGYAO, "credit_code": OTHER_CODE},
                                actor=actor), 403, None, before)
        refused(fund, fund.reverse(deposit["id"], actor=actor), 403, None, before)
        refused(fund, fund.post_transfer(actor=actor), 403, None, before)
        assert fund.get(f"/api/deposits/{deposit['id']}", actor=actor) == deposit
    policy = {"effective_from": "2026-01-01", "operating_share": "0.25",
              "remainder_rule": "largest_remainder", "service_amount": "5000000.00",
              "per_deposit": "350000.00"}
    for actor in ("fm1", "board1", "aud1"):
        refused(fund, fund.post("/api/policies", policy, actor=actor), 403, None, before)
    anonymous = fund.api.anonymous.post("/api/deposits", json=fund.deposit_body(member["id"]),
                                        headers={"Idempotency-Key": "anon"})
    refused(fund, anonymous, 401, None, before)
    assert len(fund.get("/api/policies")) == 1
    # the admin may, and so may the multi-role account (fund manager and board member)
    assert fund.deposit(member["id"], "1.00", actor="admin1")["created_by"] == "admin1"
    assert fund.deposit(member["id"], "2.00", actor="multi1")["created_by"] == "multi1"
