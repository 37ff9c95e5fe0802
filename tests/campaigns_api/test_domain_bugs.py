"""Regression tests of bugs found in the domain (ledger/) while writing the API, now fixed.
Others fixed earlier moved to the tests of their routes (test_refusals, test_files)."""

from __future__ import annotations

from .helpers import Campaigns


def test_a_cancelled_campaign_says_nobody_owes(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3, miss_rule="all_or_nothing", shortfall_source=None)
    cid = opened["id"]
    c.ok(c.pay(cid, households[0]["id"], households[0]["share"], "R1"), 201)
    c.move(cid, "cancel", {"on": "2026-07-01", "reason": "未筹满 / target missed"})
    assert c.households(cid, unpaid="true") == []
    assert c.get(f"/api/campaigns/{cid}/door-to-door") == []
    assert {h["owed"] for h in c.households(cid)} == {"0.00"}
