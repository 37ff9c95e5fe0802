"""Idempotency-Key on every POST: replay, reuse, in-flight claims, expired claims, release."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from api.idempotency import _request_hash
from ledger.db.models import IdempotencyKeyRow

from .helpers import ACTOR, DEPOSIT, Api, entry_body


def _claim(api: Api, app: Any, key: str, body: Any, *, lease: timedelta,
           path: str = "/api/entries") -> None:
    """Put a claim into idempotency_keys as a request still (or once) in flight would."""
    with app.test_request_context(path, method="POST", json=body):
        request_hash = _request_hash()
    now = datetime.now(UTC)
    with api.engine.begin() as conn:
        conn.execute(insert(IdempotencyKeyRow).values(
            scope=api.scope(), key=key, request_hash=request_hash, state="processing",
            locked_until=now + lease, created_at=now - timedelta(minutes=5)))


def _key_row(api: Api, key: str) -> Any:
    with api.engine.connect() as conn:
        return conn.execute(select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == api.scope(), IdempotencyKeyRow.key == key)).one_or_none()


# --- the header ----------------------------------------------------------------------------
def test_every_post_needs_an_idempotency_key(api: Api, subtests: Any) -> None:
    original = api.posted(DEPOSIT)
    cases: dict[str, tuple[str, dict[str, str]]] = {
        "entries, no key": ("/api/entries", {}),
        "entries, empty key": ("/api/entries", {"Idempotency-Key": ""}),
        "entries, key too long": ("/api/entries", {"Idempotency-Key": "k" * 256}),
        "entries, non-ASCII key": ("/api/entries", {"Idempotency-Key": "clé"}),
        "entries, control character": ("/api/entries", {"Idempotency-Key": "a\tb"}),
        "reversal, no key": (f"/api/entries/{original['seq']}/reversal", {}),
    }
    for name, (path, headers) in cases.items():
        with subtests.test(name):
            body = {} if "reversal" in path else DEPOSIT
            response = api.client.post(path, json=body, headers=headers)
            problem = api.problem(response, 400)
            assert "Idempotency-Key" in problem["detail"]
    assert api.entry_count() == 1
    assert api.row_counts()["idempotency_keys"] == 1


def test_longest_key_is_accepted(api: Api) -> None:
    assert api.post_entry(DEPOSIT, key="k" * 255).status_code == 201


# --- replay --------------------------------------------------------------------------------
def test_same_key_and_body_replays_the_first_response(api: Api) -> None:
    first = api.post_entry(DEPOSIT, key="deposit-YY-001")
    api.posted(entry_body("foundation"))  # the books move on in between
    second = api.post_entry(DEPOSIT, key="deposit-YY-001")
    third = api.post_entry(DEPOSIT, key="deposit-YY-001")

    assert first.status_code == 201
    for replay in (second, third):
        assert replay.status_code == 201
        assert replay.get_data() == first.get_data()  # byte for byte
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.headers["Location"] == first.headers["Location"]
        assert replay.mimetype == "application/json"
        assert replay.headers["X-Content-Type-Options"] == "nosniff"
    assert "Idempotent-Replayed" not in first.headers
    assert [e["memo"] for e in api.entries()] == [DEPOSIT["memo"], ""]  # one deposit only
    row = _key_row(api, "deposit-YY-001")
    assert row.state == "completed"
    assert row.response_status == 201


def test_json_formatting_differences_still_replay(api: Api, subtests: Any) -> None:
    first = api.post_entry(DEPOSIT, key="same-entry")
    reordered = {key: DEPOSIT[key] for key in reversed(list(DEPOSIT))}
    reordered["postings"] = [dict(reversed(list(p.items()))) for p in DEPOSIT["postings"]]
    variants = {
        "key order": json.dumps(reordered, ensure_ascii=False),
        "whitespace": json.dumps(DEPOSIT, ensure_ascii=False, indent=4),
        "compact": json.dumps(DEPOSIT, ensure_ascii=False, separators=(",", ":")),
        "unicode escapes": json.dumps(DEPOSIT, ensure_ascii=True),
    }
    for name, data in variants.items():
        with subtests.test(name):
            replay = api.post_raw("/api/entries", data, key="same-entry")
            assert replay.status_code == 201, replay.get_data(as_text=True)
            assert replay.headers["Idempotent-Replayed"] == "true"
            assert replay.get_data() == first.get_data()
    assert api.entry_count() == 1


def test_same_key_different_body_is_422(api: Api, subtests: Any) -> None:
    first = api.post_entry(DEPOSIT, key="deposit-YY-001")
    changed = copy.deepcopy(DEPOSIT)
    changed["postings"][0]["debit"] = "350000.01"
    changed["postings"][2]["credit"] = "245000.01"
    variants = {
        "other amount": changed,
        "other memo": {**DEPOSIT, "memo": "永耀纺织 second deposit"},
        "other date": {**DEPOSIT, "effective_date": "2025-11-04"},
        "invalid body": {**DEPOSIT, "colour": "red"},
    }
    for name, body in variants.items():
        with subtests.test(name):
            problem = api.problem(api.post_entry(body, key="deposit-YY-001"), 422,
                                  "/problems/idempotency-key-reused")
            assert "deposit-YY-001" in problem["detail"]
    with subtests.test("other endpoint"):
        api.problem(api.reverse(1, key="deposit-YY-001"), 422, "/problems/idempotency-key-reused")

    assert api.entry_count() == 1
    replay = api.post_entry(DEPOSIT, key="deposit-YY-001")  # the key still answers its request
    assert replay.get_data() == first.get_data()


def test_keys_are_scoped_per_actor(api: Api) -> None:
    api.add_staff("wang", "admin")
    api.add_staff("li.si", "admin")
    first = api.post_entry(DEPOSIT, key="k1", actor="wang")
    other = api.post_entry(DEPOSIT, key="k1", actor="li.si")
    changed = api.post_entry(entry_body(), key="k1", actor=ACTOR)  # not "reused" across users

    assert first.status_code == other.status_code == changed.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert "Idempotent-Replayed" not in changed.headers
    assert other.get_json()["seq"] == first.get_json()["seq"] + 1
    assert (first.get_json()["actor"], other.get_json()["actor"]) == ("wang", "li.si")
    assert {row["scope"] for row in api.key_rows()} == {
        api.scope("wang"), api.scope("li.si"), api.scope(ACTOR)}
    replay = api.post_entry(DEPOSIT, key="k1", actor="li.si")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == other.get_data()


# --- claims in flight -----------------------------------------------------------------------
def test_key_still_processing_is_409(api: Api, app: Any) -> None:
    _claim(api, app, "in-flight", DEPOSIT, lease=timedelta(seconds=60))

    problem = api.problem(api.post_entry(DEPOSIT, key="in-flight"), 409,
                          "/problems/idempotency-key-in-use")
    assert "in-flight" in problem["detail"]
    api.problem(api.post_entry(entry_body(), key="in-flight"), 422,
                "/problems/idempotency-key-reused")

    assert api.entry_count() == 0
    row = _key_row(api, "in-flight")
    assert row.state == "processing"  # the refused request did not release the other's claim
    assert row.response_status is None


def test_expired_claim_is_taken_over(api: Api, app: Any) -> None:
    _claim(api, app, "crashed", DEPOSIT, lease=timedelta(seconds=-1))

    response = api.post_entry(DEPOSIT, key="crashed")

    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Idempotent-Replayed" not in response.headers
    assert api.entry_count() == 1
    row = _key_row(api, "crashed")
    assert row.state == "completed"
    assert row.response_status == 201
    replay = api.post_entry(DEPOSIT, key="crashed")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == response.get_data()


def test_expired_claim_of_another_request_is_still_422(api: Api, app: Any) -> None:
    _claim(api, app, "crashed", entry_body(), lease=timedelta(seconds=-1))
    api.problem(api.post_entry(DEPOSIT, key="crashed"), 422, "/problems/idempotency-key-reused")
    assert api.entry_count() == 0


# --- failures release the key ---------------------------------------------------------------
@pytest.mark.parametrize("broken", [
    pytest.param({**DEPOSIT, "effective_date": "2025-02-30"}, id="schema"),
    pytest.param({**DEPOSIT, "postings": DEPOSIT["postings"][:2]}, id="unbalanced"),
])
def test_failed_request_releases_its_key(api: Api, broken: dict[str, Any]) -> None:
    api.problem(api.post_entry(broken, key="retry-me"), 422)
    assert _key_row(api, "retry-me") is None

    fixed = api.post_entry(DEPOSIT, key="retry-me")

    assert fixed.status_code == 201, fixed.get_data(as_text=True)
    assert "Idempotent-Replayed" not in fixed.headers
    assert api.entry_count() == 1
    assert _key_row(api, "retry-me").state == "completed"


def test_refused_reversal_releases_its_key(api: Api) -> None:
    original = api.posted(DEPOSIT)
    api.problem(api.reverse(99, key="undo"), 404)
    api.problem(api.reverse(original["seq"], {"memo": ""}, key="undo2"), 422)
    assert api.row_counts()["idempotency_keys"] == 1

    response = api.reverse(original["seq"], {"memo": "更正"}, key="undo2")
    assert response.status_code == 201
    assert response.get_json()["reverses"] == original["seq"]


# --- the reversal endpoint --------------------------------------------------------------------
def test_reversal_replays_and_refuses_reuse(api: Api) -> None:
    original = api.posted(DEPOSIT)
    body = {"effective_date": "2025-11-05", "memo": "录入错误"}
    first = api.reverse(original["seq"], body, key="undo-1")
    replay = api.reverse(original["seq"], body, key="undo-1")

    assert first.status_code == replay.status_code == 201  # a replay, not 409 already-reversed
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_data() == first.get_data()
    api.problem(api.reverse(original["seq"], {**body, "memo": "other"}, key="undo-1"), 422,
                "/problems/idempotency-key-reused")
    api.problem(api.reverse(original["seq"], {}, key="undo-1"), 422,
                "/problems/idempotency-key-reused")
    api.problem(api.post_entry(DEPOSIT, key="undo-1"), 422, "/problems/idempotency-key-reused")
    assert api.entry_count() == 2
