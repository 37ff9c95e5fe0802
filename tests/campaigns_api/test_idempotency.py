"""Retried writes: the same Idempotency-Key and request replays the first answer and writes
nothing more; a file upload is the same request whatever its multipart boundary."""

from __future__ import annotations

from .helpers import Campaigns, campaign_body, house_keys, payments_csv, snapshot


def test_a_retried_create_replays(campaigns: Campaigns) -> None:
    c = campaigns
    first = c.post("/api/campaigns", campaign_body(), key="create-1")
    again = c.post("/api/campaigns", campaign_body(), key="create-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert len(c.get("/api/campaigns")) == 1
    other = c.refused(lambda: c.post("/api/campaigns", campaign_body(title="另一个"),
                                     key="create-1"), 422, "/problems/idempotency-key-reused")
    assert other["status"] == 422
    c.refused(lambda: c.client.post("/api/campaigns", json=campaign_body(),
                                    headers=c.api.bearer("fm1")), 400)  # no key


def test_a_retried_payment_is_recorded_once(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(3)
    cid, hid = opened["id"], households[0]["id"]
    entries = c.entry_count()
    first = c.ok(c.pay(cid, hid, "100.00", "R1", key="pay-1"), 201)
    again = c.pay(cid, hid, "100.00", "R1", key="pay-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["receipt_code"] == first["receipt_code"]
    assert c.entry_count() == entries + 1
    assert len(c.get(f"/api/campaigns/{cid}/payments")) == 1
    # the same key from another account is another request
    assert c.pay(cid, hid, "100.00", "R2", key="pay-1", actor="admin1").status_code == 201


def test_a_retried_upload_is_imported_once(campaigns: Campaigns) -> None:
    c = campaigns
    opened, households = c.opened(4)
    cid = opened["id"]
    keys = house_keys(4)
    export = payments_csv([(f"T{i}", keys[i], households[i]["share"]) for i in range(3)])
    entries = c.entry_count()
    first = c.pay_import(cid, export, key="import-1", boundary="first-boundary")
    assert first.status_code == 201, first.get_json()
    again = c.pay_import(cid, export, key="import-1", boundary="another-boundary-42")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert again.get_json() == first.get_json()
    assert c.entry_count() == entries + 3
    changed = payments_csv([(f"T{i}", keys[i], households[i]["share"]) for i in range(4)])
    c.refused(lambda: c.pay_import(cid, changed, key="import-1"), 422,
              "/problems/idempotency-key-reused")
    c.refused(lambda: c.pay_import(cid, export, key="import-1", preview="true"), 422,
              "/problems/idempotency-key-reused")


def test_a_refused_request_frees_its_key(campaigns: Campaigns) -> None:
    c = campaigns
    before = snapshot(c.engine)
    refused = c.post("/api/campaigns", campaign_body(cost="5万"), key="retry-me")
    assert refused.status_code == 422
    assert snapshot(c.engine) == before  # not even the key is kept
    assert c.post("/api/campaigns", campaign_body(), key="retry-me").status_code == 201
