"""Passwords: at least 12 characters, not a common one, hashed with Argon2id at OWASP's cost."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from .helpers import StaffApi, Web, problem, row_counts

ARGON2ID_OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"


def _create(staff_api: StaffApi, password: str, username: str = "zhao.liu") -> Any:
    return staff_api.post("/api/users", "admin1", {
        "username": username, "display_name": "赵六", "password": password,
        "roles": ["auditor"]})


def test_weak_passwords_are_422_with_a_clear_message(staff_api: StaffApi, engine: Engine,
                                                     subtests: Any) -> None:
    before = row_counts(engine)
    cases = {
        "empty": ("", "12 characters"),
        "eleven characters": ("Kz7!pQ2#mW9", "12 characters"),
        "short": ("short", "12 characters"),
        "common, with digits": ("password1234", "common"),
        "common, capitalised": ("Password1234!", "common"),
        "common phrase": ("iloveyou1234", "common"),
        "contains the username": ("zhao.liu is my name", "username"),
        "three characters repeated": ("abcabcabcabcabc", "different characters"),
    }
    for name, (password, says) in cases.items():
        with subtests.test(name):
            body = problem(_create(staff_api, password), 422)
            messages = body["errors"]["password"]
            assert any(says in message for message in messages), messages
            assert password not in body["detail"] or not password
    with subtests.test("too long"):
        problem(_create(staff_api, "long passphrase " * 17), 422)
    assert row_counts(engine) == before  # no account, no audit record, no idempotency key


def test_keyboard_patterns_and_sequences_are_refused(staff_api: StaffApi) -> None:
    accepted = []
    for password in ("qwertyuiopas", "123456789012", "abcdefghijkl", "zaq12wsxcde3"):
        response = _create(staff_api, password, username=f"u{len(accepted)}x")
        if response.status_code != 422:
            accepted.append(password)
    assert accepted == []


def test_a_good_password_is_accepted_and_works(staff_api: StaffApi, web: Web) -> None:
    response = _create(staff_api, "tea kettle 9 茶壶")

    created = staff_api.ok(response, 201)
    assert created["username"] == "zhao.liu"
    assert created["roles"] == ["auditor"]
    assert "password" not in created
    assert web.login("zhao.liu", "tea kettle 9 茶壶").status_code == 302


def test_duplicate_and_bad_accounts_are_refused(staff_api: StaffApi, engine: Engine,
                                                subtests: Any) -> None:
    before = row_counts(engine)
    good = "a perfectly fine passphrase"
    cases = {
        "taken username": ({"username": "fm1"}, 409),
        "taken, other case": ({"username": "FM1"}, 409),
        "username too short": ({"username": "ab"}, 422),
        "username with a space": ({"username": "zhao liu"}, 422),
        "unknown role": ({"roles": ["treasurer"]}, 422),
        "no roles field": ({"roles": None}, 422),
    }
    for name, (changes, status) in cases.items():
        with subtests.test(name):
            body = {"username": "zhao.liu", "password": good, "roles": ["auditor"], **changes}
            body = {k: v for k, v in body.items() if v is not None}
            problem(staff_api.post("/api/users", "admin1", body), status)
    assert row_counts(engine) == before


@pytest.mark.real_argon2
def test_passwords_are_stored_as_argon2id_at_owasp_cost(staff_api: StaffApi,
                                                        engine: Engine, web: Web) -> None:
    staff_api.ok(_create(staff_api, "tea kettle 9 茶壶"), 201)

    with engine.connect() as conn:
        stored = conn.scalar(text("SELECT password_hash FROM users WHERE username = 'zhao.liu'"))
        others = conn.execute(text("SELECT username, password_hash FROM users")).all()

    assert stored.startswith(ARGON2ID_OWASP), stored
    assert "tea kettle" not in stored
    assert all(h.startswith(ARGON2ID_OWASP) for _, h in others), others
    assert len({h for _, h in others}) == len(others)  # salted: same password, other hashes
    assert web.login("zhao.liu", "tea kettle 9 茶壶").status_code == 302
