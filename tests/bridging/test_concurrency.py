"""Concurrent approvals and expenses on PostgreSQL: the cap and the operating money are
re-checked under the books' write lock, so racing requests can never overshoot them.

Every request has its own test client (and so its own connection) and Idempotency-Key; a
barrier releases them together."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from .helpers import CAP, Desk, audit_after, audit_head

THREADS = 20
LOAN = "400000.00"  # 12 fit in a 5,000,000.00 cap, with 200,000.00 to spare
FIT = 12
APPROVERS = ("fm2", "admin1")  # never fm1, who requested them


def race(desk: Desk, requests: list[tuple[str, str, Any]], *, tag: str,
         watch: str | None = None) -> tuple[list[tuple[int, dict[str, Any]]], list[Any]]:
    """POST every (actor, path, body) at once. While they run, GET `watch` over and over.
    The (status, JSON body) of each request in order, and everything the watcher saw."""
    app = desk.client.application
    barrier = threading.Barrier(len(requests) + 1)
    done = threading.Event()

    def send(number: int, actor: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        client = app.test_client()
        headers = {"Idempotency-Key": f"{tag}-{number}", **desk.api.bearer(actor)}
        barrier.wait(timeout=10)
        response = client.post(path, json=body, headers=headers)
        assert "Idempotent-Replayed" not in response.headers
        return response.status_code, response.get_json()

    def watcher() -> list[Any]:
        client, seen = app.test_client(), []
        barrier.wait(timeout=10)
        while watch is not None and not done.is_set():
            response = client.get(watch, headers=desk.api.bearer("aud1"))
            assert response.status_code == 200, response.get_data(as_text=True)
            seen.append(response.get_json())
        return seen

    with ThreadPoolExecutor(len(requests) + 1) as pool:
        watching = pool.submit(watcher)
        futures = [pool.submit(send, n, *request) for n, request in enumerate(requests)]
        try:
            results = [future.result(timeout=60) for future in futures]
        finally:
            done.set()
        return results, watching.result(timeout=60)


def test_simultaneous_approvals_never_exceed_the_cap(pg_only: None, desk: Desk) -> None:
    for round_ in range(3):
        member = desk.member("350000.00")
        services = [desk.request(member, LOAN)["id"] for _ in range(THREADS)]
        head = audit_head(desk.engine)

        results, seen = race(
            desk, [(APPROVERS[n % 2], f"/api/services/{sid}/approve", None)
                   for n, sid in enumerate(services)],
            tag=f"approve-{round_}", watch=f"/api/members/{member}/exposure")

        statuses = Counter(status for status, _ in results)
        assert statuses == {200: FIT, 409: THREADS - FIT}, results
        for status, body in results:
            if status == 409:
                assert body["type"] == "/problems/over-cap", body
        exposure = desk.exposure(member)
        assert exposure == {"member_id": member, "cap": CAP, "outstanding": "4800000.00",
                            "available": "200000.00", "advanced": "0.00"}
        assert seen, "the watcher saw nothing"
        for view in seen:  # never above the cap, at any moment
            assert Decimal(view["outstanding"]) <= Decimal(CAP), view
            assert Decimal(view["available"]) >= 0, view

        listed = {s["id"]: s for s in desk.get("/api/services", member_id=member)}
        for n, (sid, (status, body)) in enumerate(zip(services, results, strict=True)):
            approver = desk.user_id(APPROVERS[n % 2])
            if status == 200:
                assert (body["id"], body["status"], body["approved_by"]) == (
                    sid, "approved", approver)
                assert listed[sid] == body
            else:
                assert (listed[sid]["status"], listed[sid]["approved_by"]) == ("requested", None)
        approvals = [r for r in audit_after(desk.engine, head)]
        assert [r["action"] for r in approvals] == ["service.approved"] * FIT
        assert sorted(int(r["object_id"]) for r in approvals) == sorted(
            sid for sid, (status, _) in zip(services, results, strict=True) if status == 200)
        for record in approvals:
            who = next(APPROVERS[n % 2] for n, sid in enumerate(services)
                       if str(sid) == record["object_id"])
            assert (record["username"], record["role"]) == (
                who, "fund_manager" if who == "fm2" else "admin")


def test_simultaneous_expenses_never_exceed_the_operating_money(pg_only: None,
                                                                desk: Desk) -> None:
    desk.member("350000.00")
    assert desk.position() == {"operating_funds": "105000.00", "bank": "350000.00"}
    entries = len(desk.entries())

    results, seen = race(desk, [(("fm1", "fm2")[n % 2], "/api/expenses",
                                 desk.expense_body("10000.00", memo=f"race {n}"))
                                for n in range(THREADS)],
                         tag="expense", watch="/api/fund/position")

    assert Counter(status for status, _ in results) == {201: 10, 409: 10}, results
    for status, body in results:
        if status == 409:
            assert body["type"] == "/problems/insufficient-funds", body
    recorded = sorted((body for status, body in results if status == 201),
                      key=lambda e: e["id"])
    assert [e["id"] for e in recorded] == list(range(1, 11))
    assert {e["amount"] for e in recorded} == {"10000.00"}
    assert desk.position() == {"operating_funds": "5000.00", "bank": "250000.00"}
    for view in seen:
        assert Decimal(view["operating_funds"]) >= Decimal("5000.00"), view
    assert desk.get("/api/expenses") == recorded

    posted = desk.entries()
    assert [e["seq"] for e in posted] == list(range(1, entries + 11))
    assert all(posted[i]["prev_hash"] == posted[i - 1]["hash"] for i in range(1, len(posted)))
    assert sorted(e["entry_seq"] for e in recorded) == [e["seq"] for e in posted[entries:]]
    assert desk.trial_balance()["5201"] == ("100000.00", "0.00")
