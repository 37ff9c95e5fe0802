"""Concurrent POSTs on PostgreSQL: one key writes once; many keys keep one unbroken chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .helpers import ACTOR, DEPOSIT, Api, entry_body

THREADS = 20


def _race(app: Any, api: Api, requests: list[tuple[str, Any]]
          ) -> list[tuple[int, dict[str, str], bytes]]:
    """Send the (key, body) requests at once, each through its own test client, as ACTOR."""
    barrier = threading.Barrier(len(requests))

    def send(key: str, body: Any) -> tuple[int, dict[str, str], bytes]:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post("/api/entries", json=body,
                               headers={"Idempotency-Key": key, **api.bearer(ACTOR)})
        return response.status_code, dict(response.headers), response.get_data()

    with ThreadPoolExecutor(len(requests)) as pool:
        futures = [pool.submit(send, key, body) for key, body in requests]
        return [future.result(timeout=60) for future in futures]


def test_same_key_at_once_writes_exactly_one_entry(pg_only: None, app: Any, api: Api) -> None:
    results = _race(app, api, [("same-deposit", DEPOSIT)] * THREADS)

    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    created = [(headers, body) for status, headers, body in results if status == 201]
    originals = [body for headers, body in created if "Idempotent-Replayed" not in headers]
    assert len(originals) == 1, statuses
    assert all(body == originals[0] for _, body in created)  # replays give the same entry
    for status, headers, body in results:
        if status == 409:
            assert headers["Content-Type"] == "application/problem+json"
            assert b"/problems/idempotency-key-in-use" in body
    assert api.row_counts() == {"journal_entries": 1, "postings": 3, "idempotency_keys": 1}
    assert api.key_rows()[0]["state"] == "completed"
    retry = api.post_entry(DEPOSIT, key="same-deposit")  # a late retry replays the winner
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_data() == originals[0]


def test_different_keys_at_once_all_write_into_one_chain(pg_only: None, app: Any,
                                                         api: Api) -> None:
    bodies = [entry_body("fund" if i % 2 else "foundation", amount=f"{i + 1}.00")
              for i in range(THREADS)]
    results = _race(app, api, [(f"key-{i}", body) for i, body in enumerate(bodies)])

    assert [status for status, _, _ in results] == [201] * THREADS
    entries = api.entries()
    assert [e["seq"] for e in entries] == list(range(1, THREADS + 1))
    assert all(entries[i]["prev_hash"] == entries[i - 1]["hash"] for i in range(1, THREADS))
    assert {e["actor"] for e in entries} == {ACTOR}
    assert sorted(e["postings"][0]["debit"] for e in entries) == sorted(
        b["postings"][0]["debit"] for b in bodies)
