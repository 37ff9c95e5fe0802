"""Versions of the split policy: version 1 is seed 000's (30 %, odd fen to the foundation,
5,000,000.00 per 350,000.00); an admin adds versions in force from a later date; a deposit uses
the version in force on its day and keeps it."""

from __future__ import annotations

from typing import Any

from ..http.helpers import Api
from .helpers import Fund, audit_actions

VERSION_1 = {"version": 1, "effective_from": "1950-01-01", "operating_share": "0.3000",
             "foundation_share": "0.7000", "remainder_rule": "foundation",
             "service_amount": "5000000.00", "per_deposit": "350000.00"}
#: Version 2 in force from 2026: 25 %, largest remainder, and 20x the deposit (not 14.29x).
VERSION_2_IN = {"effective_from": "2026-01-01", "operating_share": "0.25",
                "remainder_rule": "largest_remainder", "service_amount": "7000000.00",
                "per_deposit": "350000.00"}


def add_policy(fund: Fund, body: dict[str, Any]) -> Any:
    return fund.post("/api/policies", body, actor="admin1")


def test_policy_versions_apply_by_date_and_deposits_keep_theirs(fund: Fund) -> None:
    assert fund.get("/api/policies") == [VERSION_1]
    member = fund.register()
    early = fund.deposit(member["id"], "1000.03", received_on="2025-12-15")  # before v2 exists
    assert (early["policy_version"], early["operating"], early["foundation"]) == (
        1, "300.00", "700.03")

    version_2 = fund.created(add_policy(fund, VERSION_2_IN))
    assert version_2 == {"version": 2, "effective_from": "2026-01-01",
                         "operating_share": "0.2500", "foundation_share": "0.7500",
                         "remainder_rule": "largest_remainder",
                         "service_amount": "7000000.00", "per_deposit": "350000.00"}
    assert fund.get("/api/policies") == [VERSION_1, version_2]
    assert audit_actions(fund.engine)[-1][1:] == ("policy.versioned", "policy", "2")

    last_day = fund.deposit(member["id"], "1000.03", received_on="2025-12-31")
    first_day = fund.deposit(member["id"], "1000.03", received_on="2026-01-01")
    assert (last_day["policy_version"], last_day["operating"], last_day["foundation"]) == (
        1, "300.00", "700.03")  # 30000.9 fen: floored, the 0.9 to the foundation
    assert (first_day["policy_version"], first_day["operating"], first_day["foundation"]) == (
        2, "250.01", "750.02")  # 25000.75 fen: the larger remainder gets the odd fen
    assert fund.get(f"/api/deposits/{early['id']}") == early  # kept its version and split

    # each deposit counts under its own version: 2 x floor(100003 x 100/7) + 100003 x 20 fen
    assert fund.member(member["id"])["entitlement"] == {"deposits": "3000.09",
                                                         "cap": "48572.88"}
    tb = fund.trial_balance("fund", "2026-12-31")
    assert tb["420101"] == ("0.00", "850.01")
    assert tb["2209"] == ("0.00", "2150.08")


def test_a_version_must_take_effect_after_the_latest(fund: Fund) -> None:
    fund.created(add_policy(fund, VERSION_2_IN))
    before = fund.counts()
    for day in ("2026-01-01", "2025-06-01", "1950-01-01"):
        body = Api.problem(add_policy(fund, {**VERSION_2_IN, "effective_from": day}), 409,
                           "/problems/conflict")
        assert "2026-01-01" in body["detail"]
    assert fund.counts() == before
    assert [p["version"] for p in fund.get("/api/policies")] == [1, 2]
    version_3 = fund.created(add_policy(fund, {**VERSION_2_IN, "effective_from": "2026-01-02",
                                               "operating_share": "0.3125"}))
    assert (version_3["version"], version_3["operating_share"]) == (3, "0.3125")
    assert version_3["remainder_rule"] == "largest_remainder"


def test_bad_policies_are_refused(fund: Fund) -> None:
    before = fund.counts()
    for changes in ({"operating_share": "1.5"}, {"operating_share": "-0.1"},
                    {"operating_share": "0.31255"}, {"operating_share": "NaN"},
                    {"remainder_rule": "banker"}, {"service_amount": 5000000},
                    {"service_amount": "0.00"}, {"per_deposit": "-350000.00"},
                    {"per_deposit": "350000.001"}, {"effective_from": "2026-13-01"}):
        Api.problem(add_policy(fund, {**VERSION_2_IN, **changes}), 422)
    assert fund.counts() == before
    assert fund.get("/api/policies") == [VERSION_1]


def test_a_new_version_cannot_take_effect_before_deposits_already_recorded(fund: Fund) -> None:
    member = fund.register()
    fund.deposit(member["id"], "1000.00", received_on="2026-03-01")
    before = fund.counts()
    response = fund.post("/api/policies", {
        "effective_from": "2026-02-01", "operating_share": "0.25",
        "remainder_rule": "largest_remainder", "service_amount": "5000000.00",
        "per_deposit": "350000.00"}, actor="admin1")
    body = Api.problem(response, 409)
    assert "2026-03-01" in body["detail"]
    assert list(body["errors"]) == ["effective_from"]
    assert fund.counts() == before
