"""Staff actions at the same moment: one approval wins, throttling counts exactly, and the
audit chain stays unbroken (checked after every test by conftest.audit_chain_sound)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import Engine

from ledger import staff
from tests.conftest import PASSWORD

from .helpers import ENTRY, StaffApi, Web, actions, audit_head, new_key, row_counts


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run, call) for call in calls]]


def test_concurrent_approvals_post_the_voucher_once(app: Flask, engine: Engine,
                                                    staff_api: StaffApi) -> None:
    voucher = staff_api.submit("fm1")
    head = audit_head(engine)
    approvers = ["fm2", "admin1", "multi1"] * 2

    def approve(username: str) -> Callable[[], int]:
        def call() -> int:
            response = app.test_client().post(
                f"/api/vouchers/{voucher['id']}/approve",
                headers={**staff_api.staff.bearer(username), "Idempotency-Key": new_key()})
            return int(response.status_code)
        return call

    statuses = _at_once([approve(u) for u in approvers])

    assert sorted(statuses) == [200] + [409] * (len(approvers) - 1), statuses
    assert row_counts(engine)["journal_entries"] == 1
    assert actions(engine, head) == ["entry.posted", "voucher.approved"]


def test_concurrent_failed_logins_are_counted_exactly(app: Flask, engine: Engine,
                                                      staff_accounts: Any) -> None:
    browsers = [Web(app, f"10.0.1.{i}") for i in range(8)]
    tokens = [browser.login_csrf() for browser in browsers]
    head = audit_head(engine)

    statuses = _at_once([
        (lambda b=browser, t=token: b.login("fm1", "wrong password", csrf=t).status_code)
        for browser, token in zip(browsers, tokens, strict=True)])

    assert Counter(statuses) == {401: 5, 429: 3}
    assert Counter(actions(engine, head)) == {"login.failed": 5, "login.throttled": 3}


def test_a_slow_password_check_does_not_hold_up_the_books(
        app: Flask, staff_api: StaffApi, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = threading.Event()

    class Slow(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            inside.set()
            time.sleep(3.0)  # a lock held for the check would make the post wait about this
            return super().verify(hash, password)

    monkeypatch.setattr(staff, "HASHER", Slow(time_cost=1, memory_cost=8, parallelism=1))
    browser = Web(app)
    token = browser.login_csrf()
    with ThreadPoolExecutor(1) as pool:
        login = pool.submit(browser.login, "fm1", PASSWORD, csrf=token)
        assert inside.wait(timeout=10)
        started = time.monotonic()
        posted = staff_api.post("/api/entries", "admin1", ENTRY)
        waited = time.monotonic() - started
        assert login.result(timeout=30).status_code == 302
    assert posted.status_code == 201
    # on a loaded CI machine a post alone has taken 0.53 s; a held lock would cost 3 s
    assert waited < 1.5, f"posting an entry waited {waited:.2f} s for a login"
