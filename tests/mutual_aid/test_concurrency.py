"""Concurrent writes on PostgreSQL: deposits for one member at once, and transfers racing
deposits. Every request has its own test client and Idempotency-Key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ledger.core.money import format_amount, from_minor, parse_money, to_minor

from .helpers import Fund, audit_actions

THREADS = 20


def race(fund: Fund, requests: list[tuple[str, str, dict[str, Any]]]
         ) -> list[tuple[int, dict[str, Any]]]:
    """POST (actor, path, body) all at once; (status, JSON body) of each, in order."""
    app = fund.client.application
    barrier = threading.Barrier(len(requests))

    def send(number: int, actor: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        client = app.test_client()
        headers = {"Idempotency-Key": f"race-{number}", **fund.api.bearer(actor)}
        barrier.wait(timeout=10)
        response = client.post(path, json=body, headers=headers)
        assert "Idempotent-Replayed" not in response.headers
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(requests)) as pool:
        futures = [pool.submit(send, n, *request) for n, request in enumerate(requests)]
        return [future.result(timeout=60) for future in futures]


def floor_split(amount: str) -> tuple[int, int]:
    fen = to_minor(parse_money(amount))
    return fen * 3 // 10, fen - fen * 3 // 10


def chain_is_gapless(fund: Fund, count: int) -> None:
    entries = fund.api.entries()
    assert [e["seq"] for e in entries] == list(range(1, count + 1))
    assert all(entries[i]["prev_hash"] == entries[i - 1]["hash"] for i in range(1, count))


def test_twenty_deposits_for_one_member_at_once(pg_only: None, fund: Fund) -> None:
    member = fund.register()
    amounts = [f"{(i + 1) * 1000}.{i:02d}" for i in range(THREADS)]
    results = race(fund, [("fm1", "/api/deposits", fund.deposit_body(member["id"], amount,
                                                                     reference=f"R-{i}"))
                          for i, amount in enumerate(amounts)])

    assert [status for status, _ in results] == [201] * THREADS, results
    deposits = [body for _, body in results]
    assert sorted(d["id"] for d in deposits) == list(range(1, THREADS + 1))
    assert len({d["entry_seq"] for d in deposits}) == THREADS
    for amount, d in zip(amounts, deposits, strict=True):
        operating, foundation = floor_split(amount)
        assert (d["amount"], d["operating"], d["foundation"]) == (
            amount, format_amount(from_minor(operating)), format_amount(from_minor(foundation)))
    assert sorted(fund.get("/api/deposits"), key=lambda d: d["id"]) == sorted(
        deposits, key=lambda d: d["id"])
    chain_is_gapless(fund, THREADS)

    total = sum(to_minor(parse_money(a)) for a in amounts)
    operating = sum(floor_split(a)[0] for a in amounts)
    tb = fund.trial_balance("fund", "2025-11-30")  # asserts "balanced"
    assert tb == {"1002": (format_amount(from_minor(total)), "0.00"),
                  "420101": ("0.00", format_amount(from_minor(operating))),
                  "2209": ("0.00", format_amount(from_minor(total - operating)))}
    assert fund.member(member["id"])["entitlement"]["deposits"] == format_amount(
        from_minor(total))

    # each deposit's audit record follows its entry's, with nothing in between
    actions = audit_actions(fund.engine)
    recorded = [i for i, a in enumerate(actions) if a[1] == "deposit.recorded"]
    assert len(recorded) == THREADS
    by_id = {str(d["id"]): str(d["entry_seq"]) for d in deposits}
    for i in recorded:
        assert actions[i - 1][1:] == ("entry.posted", "entry", by_id[str(actions[i][3])])


def test_transfers_racing_deposits_take_each_share_once(pg_only: None, fund: Fund) -> None:
    member = fund.register()
    amounts = [f"{i + 1}00.0{i % 10}" for i in range(12)]
    requests = [("fm1", "/api/deposits", fund.deposit_body(member["id"], a, reference=f"R-{i}"))
                for i, a in enumerate(amounts)]
    requests += [("fm2", "/api/transfers", {"made_on": "2025-11-30"})] * 4
    results = race(fund, requests)

    assert [s for s, _ in results[:12]] == [201] * 12
    transfers = [body for status, body in results[12:] if status == 201]
    refused = [body for status, body in results[12:] if status != 201]
    assert all(b["type"] == "/problems/nothing-to-transfer" for b in refused), refused
    deposits = {d["id"]: d for d in fund.get("/api/deposits")}
    covered = [i for t in transfers for i in t["deposit_ids"]]
    assert len(covered) == len(set(covered))  # no share paid twice
    for t in transfers:
        assert to_minor(parse_money(t["amount"])) == sum(
            to_minor(parse_money(deposits[i]["foundation"])) for i in t["deposit_ids"])
        assert all(deposits[i]["transfer_id"] == t["id"] for i in t["deposit_ids"])
    owed = sum(to_minor(parse_money(d["foundation"])) for d in deposits.values()
               if d["transfer_id"] is None)
    assert fund.column("fund", "2025-11-30", "2209") == (
        "0.00", format_amount(from_minor(owed)))
    paid = sum(to_minor(parse_money(t["amount"])) for t in transfers)
    assert fund.column("foundation", "2025-11-30", "410103") == (
        "0.00", format_amount(from_minor(paid)))
    chain_is_gapless(fund, 12 + 2 * len(transfers))
