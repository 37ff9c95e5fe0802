"""Logging in through the staff login form: throttled per account and per address, audited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Engine

from ledger import staff
from tests.conftest import PASSWORD

from .helpers import Web, audit_head, audit_rows

ATTACKER = "10.1.2.3"
WINDOW = 15 * 60  # seconds


def _attempts(engine: Engine, since: int) -> list[tuple[str, str, str | None]]:
    """(action, typed username, address) of the audit records after `since`."""
    return [(r["action"], r["object_id"], r["address"]) for r in audit_rows(engine)
            if r["seq"] > since]


def _retry_after(response: Any) -> int:
    assert response.status_code == 429, response.status_code
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= WINDOW + 1
    return seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move the login use case's clock forward by some time."""
    real = staff.now

    def advance(by: timedelta) -> None:
        monkeypatch.setattr(staff, "now", lambda: real() + by)

    return advance


def test_a_good_login_is_audited_and_opens_the_pages(web: Web, engine: Engine,
                                                     staff_accounts: Any) -> None:
    head = audit_head(engine)
    assert not web.logged_in()

    response = web.login("FM1 ", PASSWORD)  # usernames are case-insensitive, trimmed

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert web.logged_in()
    (record,) = [r for r in audit_rows(engine) if r["seq"] > head]
    assert (record["action"], record["username"], record["object_id"], record["address"],
            record["role"]) == ("login.succeeded", "fm1", "fm1", "127.0.0.1", None)


def test_wrong_password_unknown_and_disabled_accounts_are_alike(web: Web, engine: Engine,
                                                                staff_api: Any) -> None:
    staff_api.ok(staff_api.post("/api/users/board1/disable", "admin1"))
    head = audit_head(engine)
    csrf = web.login_csrf()

    for username, password in (("fm1", "not the password at all"), ("nobody", PASSWORD),
                               ("board1", PASSWORD)):
        response = web.login(username, password, csrf=csrf)
        assert response.status_code == 401, (username, response.status_code)
    assert not web.logged_in()
    assert _attempts(engine, head) == [("login.failed", "fm1", "127.0.0.1"),
                                       ("login.failed", "nobody", "127.0.0.1"),
                                       ("login.failed", "board1", "127.0.0.1")]


def test_five_failures_throttle_the_account(app: Flask, web: Web, engine: Engine,
                                            staff_accounts: Any) -> None:
    head = audit_head(engine)
    csrf = web.login_csrf()
    for attempt in range(5):
        response = web.login("fm1", f"wrong password number {attempt}", csrf=csrf)
        assert response.status_code == 401, attempt

    sixth = web.login("fm1", PASSWORD, csrf=csrf)  # even the right password

    seconds = _retry_after(sixth)
    assert seconds > WINDOW - 60
    assert not web.logged_in()
    # the account, not the browser or the address: elsewhere it is throttled as well
    elsewhere = Web(app, "10.20.30.40")
    _retry_after(elsewhere.login("fm1", PASSWORD))
    assert not elsewhere.logged_in()
    # other accounts from the same address are not
    assert Web(app).login("fm2", PASSWORD).status_code == 302

    assert _attempts(engine, head) == [
        *[("login.failed", "fm1", "127.0.0.1")] * 5,
        ("login.throttled", "fm1", "127.0.0.1"),
        ("login.throttled", "fm1", "10.20.30.40"),
        ("login.succeeded", "fm2", "127.0.0.1"),
    ]


def test_a_success_resets_the_account_count(app: Flask, engine: Engine,
                                            staff_accounts: Any) -> None:
    typist = Web(app)
    csrf = typist.login_csrf()
    for _ in range(4):
        assert typist.login("fm1", "wrong password", csrf=csrf).status_code == 401
    assert Web(app).login("fm1", PASSWORD).status_code == 302
    for _ in range(4):  # counted from the last success: 4, not 8
        assert typist.login("fm1", "wrong password", csrf=csrf).status_code == 401
    assert Web(app).login("fm1", PASSWORD).status_code == 302

    for _ in range(5):
        assert typist.login("fm1", "wrong password", csrf=csrf).status_code == 401
    _retry_after(Web(app).login("fm1", PASSWORD))


def test_twenty_failures_from_one_address_throttle_it(app: Flask, engine: Engine,
                                                      staff_accounts: Any) -> None:
    attacker = Web(app, ATTACKER)
    head = audit_head(engine)
    csrf = attacker.login_csrf()
    usernames = [f"guess{i:02}" for i in range(16)] + ["fm1", "fm2", "board1", "aud1"]
    for username in usernames:  # at most one failure per account
        assert attacker.login(username, "wrong password", csrf=csrf).status_code == 401

    blocked = attacker.login("multi1", PASSWORD, csrf=csrf)  # a good login, from there

    _retry_after(blocked)
    assert not attacker.logged_in()
    assert Web(app, "10.9.9.9").login("multi1", PASSWORD).status_code == 302  # elsewhere: fine
    counted = Counter((action, address) for action, _, address in _attempts(engine, head))
    assert counted == {("login.failed", ATTACKER): 20, ("login.throttled", ATTACKER): 1,
                       ("login.succeeded", "10.9.9.9"): 1}


def test_the_address_count_is_not_reset_by_a_success(app: Flask, staff_accounts: Any) -> None:
    attacker = Web(app, ATTACKER)
    csrf = attacker.login_csrf()
    for i in range(19):
        assert attacker.login(f"guess{i:02}", "wrong password", csrf=csrf).status_code == 401
    assert Web(app, ATTACKER).login("fm1", PASSWORD).status_code == 302
    assert attacker.login("guess19", "wrong password", csrf=csrf).status_code == 401

    _retry_after(Web(app, ATTACKER).login("fm2", PASSWORD))


def test_the_per_request_address_is_the_one_counted(app: Flask, engine: Engine,
                                                    staff_accounts: Any) -> None:
    """environ_base per request, as the issue's example does it."""
    browser = Web(app)
    csrf = browser.login_csrf()
    for i in range(20):
        response = browser.login(f"guess{i:02}", "wrong password", csrf=csrf, address=ATTACKER)
        assert response.status_code == 401
    _retry_after(browser.login("fm1", PASSWORD, csrf=csrf, address=ATTACKER))
    assert browser.login("fm1", PASSWORD, csrf=csrf).status_code == 302  # from 127.0.0.1


def test_throttling_ends_with_the_window(app: Flask, staff_accounts: Any,
                                         clock: Callable[[timedelta], None]) -> None:
    typist = Web(app)
    csrf = typist.login_csrf()
    for _ in range(5):
        assert typist.login("fm1", "wrong password", csrf=csrf).status_code == 401

    clock(timedelta(minutes=10))
    seconds = _retry_after(Web(app).login("fm1", PASSWORD))
    assert 5 * 60 - 10 <= seconds <= 5 * 60 + 1  # counted from the oldest failure

    clock(timedelta(minutes=15, seconds=5))
    assert Web(app).login("fm1", PASSWORD).status_code == 302


def test_throttled_attempts_do_not_extend_the_lockout(app: Flask, staff_accounts: Any,
                                                      clock: Callable[[timedelta], None]
                                                      ) -> None:
    typist = Web(app)
    csrf = typist.login_csrf()
    for _ in range(5):
        assert typist.login("fm1", "wrong password", csrf=csrf).status_code == 401
    for minutes in (1, 5, 14):
        clock(timedelta(minutes=minutes))
        _retry_after(typist.login("fm1", "wrong password", csrf=csrf))
    clock(timedelta(minutes=15, seconds=5))
    assert Web(app).login("fm1", PASSWORD).status_code == 302


def test_every_failed_login_costs_one_password_verification(
        web: Web, staff_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    staff_api.ok(staff_api.post("/api/users/board1/disable", "admin1"))
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(staff, "HASHER", Counting(time_cost=1, memory_cost=8, parallelism=1))
    csrf = web.login_csrf()
    verifications = {}
    for username in ("fm1", "nobody", "board1"):
        calls.clear()
        assert web.login(username, "wrong password", csrf=csrf).status_code == 401
        verifications[username] = len(calls)
    assert verifications == {"fm1": 1, "nobody": 1, "board1": 1}
