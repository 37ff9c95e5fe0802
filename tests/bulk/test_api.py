"""POST /api/entries/batch, on SQLite and PostgreSQL: admins only; 201 with the entries'
numbers, in one transaction; a replay with the same Idempotency-Key returns the same answer and
writes nothing; bad entries -> 422 problem details listing each by index, nothing written;
more than 10,000 entries -> 422."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from ledger.db.chain import verify
from ledger.db.models import EntryRow
from ledger.db.session import UnitOfWork
from tests.conftest import Staff

from .helpers import entry_json

PATH = "/api/entries/batch"


def post(client: Any, staff_accounts: Staff, body: object, *, who: str = "admin1",
         key: str | None = None) -> Any:
    return client.post(PATH, json=body, headers={
        **staff_accounts.bearer(who), "Idempotency-Key": key or str(uuid.uuid4())})


def entries(uow: UnitOfWork) -> int:
    return uow.read(lambda s: s.scalar(select(func.count()).select_from(EntryRow)))


def test_created_and_replayed(client: Any, uow: UnitOfWork, staff_accounts: Staff) -> None:
    body = {"entries": [entry_json(i) for i in range(250)]}
    key = str(uuid.uuid4())
    created = post(client, staff_accounts, body, key=key)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert (answer["count"], answer["first"], answer["last"]) == (250, 1, 250)
    assert answer["seqs"] == list(range(1, 251))
    assert uow.read(verify).ok
    replayed = post(client, staff_accounts, body, key=key)
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.get_json() == answer
    assert entries(uow) == 250
    entry = client.get("/api/entries/2", headers=staff_accounts.bearer("admin1")).get_json()
    assert (entry["actor"], entry["source"]) == ("admin1", {"kind": "import", "id": "t-1"})


def test_bad_entries_are_listed_by_index(client: Any, uow: UnitOfWork,
                                         staff_accounts: Staff) -> None:
    rows = [entry_json(i) for i in range(100)]
    rows[7] = {**entry_json(7), "postings": [{"account": "1002", "debit": "1.00"},
                                             {"account": "490101", "credit": "2.00"}]}
    rows[42] = {**entry_json(42), "source": {"kind": "grant", "id": "1"}}
    refused = post(client, staff_accounts, {"entries": rows})
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"] == "/problems/invalid-batch"
    assert [(p["index"], p["field"]) for p in problem["invalid_entries"]] == [
        (7, "postings"), (42, "source")]
    assert "index 7: CNY debits 1.00 do not equal credits 2.00" in problem["detail"]
    assert entries(uow) == 0


def test_malformed_entries_are_listed_by_index(client: Any, uow: UnitOfWork,
                                               staff_accounts: Staff) -> None:
    rows = [entry_json(i) for i in range(5)]
    rows[3] = {**entry_json(3), "effective_date": "2026-02-30"}
    rows[4] = {**entry_json(4), "postings": [{"account": "1002", "debit": 1e3},
                                             {"account": "490101", "credit": "1000.00"}]}
    refused = post(client, staff_accounts, {"entries": rows})
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]["entries"]
    assert set(errors) == {"3", "4"}
    assert "effective_date" in errors["3"]
    assert entries(uow) == 0


def test_too_many_or_none(client: Any, uow: UnitOfWork, staff_accounts: Staff) -> None:
    one = entry_json(0)
    assert post(client, staff_accounts, {"entries": [one] * 10_001}).status_code in (413, 422)
    assert post(client, staff_accounts, {"entries": []}).status_code == 422
    assert entries(uow) == 0


def test_admins_only(client: Any, uow: UnitOfWork, staff_accounts: Staff) -> None:
    body = {"entries": [entry_json(0)]}
    for who in ("fm1", "board1", "aud1"):
        assert post(client, staff_accounts, body, who=who).status_code == 403
    assert client.post(PATH, json=body, headers={"Idempotency-Key": "x"}).status_code == 401
    assert entries(uow) == 0
