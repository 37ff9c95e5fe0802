"""Who may use the campaign routes: every staff role reads; fund managers and admins write;
a board member or an auditor writing gets 403, anyone without a token 401, and neither
writes anything."""

from __future__ import annotations

from typing import Any

from .helpers import Campaigns, campaign_body, payments_csv, roll_csv


def _world(c: Campaigns) -> dict[str, Any]:
    """An open campaign with one payment by hand."""
    opened, households = c.opened(3)
    cid, hid = opened["id"], households[0]["id"]
    code = c.ok(c.pay(cid, hid, "100.00", "R1"), 201)["receipt_code"]
    return {"cid": cid, "hid": hid, "code": code}


def _writes(c: Campaigns, w: dict[str, Any]) -> dict[str, Any]:
    """name -> a callable sending the write as `actor`."""
    cid, hid = w["cid"], w["hid"]
    base = f"/api/campaigns/{cid}"
    export = payments_csv([("T9", ("1", "1", "102"), "100.00")])
    return {
        "create": lambda actor: c.post("/api/campaigns", campaign_body(), actor=actor),
        "roll": lambda actor: c.roll(cid, roll_csv(3), actor=actor),
        "roll preview": lambda actor: c.roll(cid, roll_csv(3), actor=actor, preview="true"),
        "open": lambda actor: c.post(f"{base}/open", actor=actor),
        "mark": lambda actor: c.post(f"{base}/households/{hid}/mark",
                                     {"status": "vacant", "reason": "x"}, actor=actor),
        "shortfall": lambda actor: c.post(f"{base}/shortfall", {}, actor=actor),
        "subsidy": lambda actor: c.post(f"{base}/subsidy", {
            "amount": "1.00", "received_on": "2026-04-01"}, actor=actor),
        "payment": lambda actor: c.pay(cid, hid, "1.00", "R2", actor=actor),
        "import": lambda actor: c.pay_import(cid, export, actor=actor),
        "import preview": lambda actor: c.pay_import(cid, export, actor=actor,
                                                     preview="true"),
        "contractor": lambda actor: c.post(f"{base}/contractor", {
            "amount": "1.00", "paid_on": "2026-07-01"}, actor=actor),
        "close": lambda actor: c.post(f"{base}/close", {"on": "2026-07-01"}, actor=actor),
        "cancel": lambda actor: c.post(f"{base}/cancel", {"on": "2026-07-01",
                                                          "reason": "x"}, actor=actor),
    }


def _reads(w: dict[str, Any]) -> list[str]:
    base = f"/api/campaigns/{w['cid']}"
    return ["/api/campaigns", base, f"{base}/households", f"{base}/households?unpaid=true",
            f"{base}/door-to-door", f"{base}/payments", f"{base}/imports",
            f"/api/receipts/{w['code']}"]


def test_board_members_and_auditors_cannot_write(campaigns: Campaigns) -> None:
    c = campaigns
    w = _world(c)
    for name, send in _writes(c, w).items():
        for actor in ("board1", "aud1"):
            body = c.refused(lambda s=send, a=actor: s(a), 403)
            assert "fund_manager" in body["detail"], name


def test_anonymous_requests_are_401(campaigns: Campaigns) -> None:
    c = campaigns
    w = _world(c)
    for name, send in _writes(c, w).items():
        response = send(None)
        c.api.problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
    for path in [*_reads(w), f"/api/receipts/{w['code']}/pdf"]:
        c.api.problem(c.api.anonymous.get(path), 401)
    bogus = {"Authorization": "Bearer not-a-token"}
    c.api.problem(c.api.anonymous.get("/api/campaigns", headers=bogus), 401)


def test_every_staff_role_reads(campaigns: Campaigns) -> None:
    c = campaigns
    w = _world(c)
    for actor in ("admin1", "fm1", "board1", "aud1", "multi1"):
        for path in _reads(w):
            response = c.client.get(path, headers=c.api.bearer(actor))
            assert response.status_code == 200, (actor, path, response.get_json())


def test_admins_and_fund_managers_write_and_are_recorded(campaigns: Campaigns) -> None:
    c = campaigns
    by_admin = c.ok(c.post("/api/campaigns", campaign_body(), actor="admin1"), 201)
    by_multi = c.ok(c.post("/api/campaigns", campaign_body(), actor="multi1"), 201)
    assert (by_admin["created_by"], by_multi["created_by"]) == ("admin1", "multi1")
    history = c.get("/api/audit", actor="aud1", action="campaign.created")["items"]
    assert sorted((r["username"], r["role"], r["object_id"]) for r in history) == [
        ("admin1", "admin", str(by_admin["id"])), ("multi1", "fund_manager", str(by_multi["id"]))]
