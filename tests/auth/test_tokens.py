"""Personal access tokens: shown once, stored hashed, revocable by their holder or an admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from .helpers import StaffApi, actions, audit_head, problem, table_names, unauthorized


def _all_text(engine: Engine, table: str) -> list[str]:
    """Every value of every row of a table, as text."""
    with engine.connect() as conn:
        rows = conn.execute(text(f'SELECT * FROM "{table}"'))
        return [str(value) for row in rows for value in row]


def test_a_new_token_is_shown_once(staff_api: StaffApi, engine: Engine) -> None:
    first = staff_api.post("/api/tokens", "fm1", {"name": "笔记本 laptop"}, key="token-1")
    replay = staff_api.post("/api/tokens", "fm1", {"name": "笔记本 laptop"}, key="token-1")

    assert first.status_code == 201, first.get_data(as_text=True)
    created = first.get_json()
    secret = created["token"]
    assert secret.startswith("hz_")
    assert len(secret) >= 40
    assert created["name"] == "笔记本 laptop"
    assert secret.startswith(created["prefix"])
    assert created["revoked_at"] is None
    assert "Idempotent-Replayed" not in first.headers

    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    replayed = replay.get_json()
    assert replayed["token"] is None  # the secret is not shown again
    assert {k: v for k, v in replayed.items() if k != "token"} == {
        k: v for k, v in created.items() if k != "token"}

    me = staff_api.client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert staff_api.ok(me)["username"] == "fm1"
    listed = staff_api.ok(staff_api.get("/api/tokens", "fm1"))
    assert [t["name"] for t in listed] == ["tests", "笔记本 laptop"]  # fm1's only
    assert all("token" not in t and secret not in str(t) for t in listed)
    assert actions(engine).count("token.created") == 6 + 1  # the fixture's six, then this one


def test_the_secret_is_stored_nowhere_in_plaintext(staff_api: StaffApi, engine: Engine) -> None:
    secrets = [staff_api.ok(staff_api.post("/api/tokens", user, {"name": "scan me"}), 201)[
        "token"] for user in ("fm1", "admin1")]
    secrets += list(staff_api.staff.tokens.values())  # made by the use case directly

    tables = table_names(engine)
    assert {"api_tokens", "idempotency_keys", "audit_log"} <= set(tables)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, prefix FROM api_tokens")).all()
        keys = conn.execute(text(
            "SELECT response_body FROM idempotency_keys WHERE key LIKE 'auth-test-key-%'")).all()
    assert len(stored) == 6 + 2
    assert len(keys) == 2
    assert all(len(token_hash) == 64 and len(prefix) < 12 for token_hash, prefix in stored)
    for table in tables:
        values = _all_text(engine, table)
        leaked = [secret for secret in secrets for value in values if secret in value]
        assert leaked == [], table


def test_revoke_my_own_token(staff_api: StaffApi, engine: Engine) -> None:
    spare = staff_api.ok(staff_api.post("/api/tokens", "fm1", {"name": "spare"}), 201)
    head = audit_head(engine)

    revoked = staff_api.ok(staff_api.post(f"/api/tokens/{spare['id']}/revoke", "fm1"))

    assert revoked["id"] == spare["id"]
    assert revoked["revoked_at"] is not None
    assert "token" not in revoked
    unauthorized(staff_api.client.get("/api/me",
                                      headers={"Authorization": f"Bearer {spare['token']}"}))
    assert staff_api.get("/api/me", "fm1").status_code == 200  # the other token still works
    assert actions(engine, head) == ["token.revoked"]
    again = staff_api.ok(staff_api.post(f"/api/tokens/{spare['id']}/revoke", "fm1"))
    assert again["revoked_at"] == revoked["revoked_at"]  # revoking twice changes nothing
    assert actions(engine, head) == ["token.revoked"]


def test_revoking_the_token_in_use_ends_it(staff_api: StaffApi) -> None:
    mine = staff_api.ok(staff_api.get("/api/tokens", "board1"))[0]
    staff_api.ok(staff_api.post(f"/api/tokens/{mine['id']}/revoke", "board1"))
    unauthorized(staff_api.get("/api/me", "board1"))


def test_revoking_someone_elses_token_is_refused(staff_api: StaffApi, engine: Engine) -> None:
    theirs = staff_api.ok(staff_api.get("/api/tokens", "fm1"))[0]
    head = audit_head(engine)
    for other in ("fm2", "board1", "aud1", "multi1"):
        response = staff_api.post(f"/api/tokens/{theirs['id']}/revoke", other)
        body = problem(response, 403, "/problems/forbidden")
        assert "admin" in body["detail"]
    assert staff_api.get("/api/me", "fm1").status_code == 200
    assert actions(engine, head) == []

    problem(staff_api.post("/api/tokens/9999/revoke", "fm1"), 404, "/problems/token-not-found")


def test_an_admin_may_revoke_anyones_token(staff_api: StaffApi, engine: Engine) -> None:
    theirs = staff_api.ok(staff_api.get("/api/tokens", "fm1"))[0]
    head = audit_head(engine)

    revoked = staff_api.ok(staff_api.post(f"/api/tokens/{theirs['id']}/revoke", "admin1"))

    assert revoked["revoked_at"] is not None
    unauthorized(staff_api.get("/api/me", "fm1"))
    (record,) = [r for r in staff_api.audit() if r["seq"] > head]
    assert (record["username"], record["role"], record["action"]) == (
        "admin1", "admin", "token.revoked")
    assert record["details"] == {"owner": "fm1"}


def test_token_names_are_checked(staff_api: StaffApi, subtests: Any) -> None:
    for name, body in {"no name": {}, "empty": {"name": ""}, "too long": {"name": "n" * 101},
                       "not a string": {"name": 7}, "unknown field": {"name": "x", "a": 1}
                       }.items():
        with subtests.test(name):
            problem(staff_api.post("/api/tokens", "fm1", body), 422)
    assert len(staff_api.ok(staff_api.get("/api/tokens", "fm1"))) == 1
