"""Shared helpers of the HTTP API tests (the `api` fixture in conftest.py wraps them)."""

from __future__ import annotations

import base64
import copy
import itertools
import json
from typing import Any

from sqlalchemy import Engine, func, select, text

from ledger.db.models import EntryRow, IdempotencyKeyRow, PostingRow

PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ACTOR = "wang.kuaiji"

#: 永耀纺织 (Yongyao Textiles) pays its 350,000.00 mutual-aid deposit: 30% is the fund's
#: operating income, 70% is owed on to the foundation.
DEPOSIT: dict[str, Any] = {
    "entity": "fund",
    "effective_date": "2025-11-03",
    "memo": "永耀纺织 互助金存入 / Yongyao Textiles mutual-aid deposit",
    "source": {"kind": "deposit", "id": "YY-2025-001"},
    "postings": [
        {"account": "1002", "debit": "350000.00"},
        {"account": "420101", "credit": "105000.00"},
        {"account": "2209", "credit": "245000.00"},
    ],
}


def cursor_for(text: str) -> str:
    """A cursor as the API encodes it, for any text (to forge bad ones)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def entry_body(entity: str = "fund", day: str = "2025-11-03", amount: str = "100.00",
               debit: str = "1002", credit: str | None = None, memo: str = "") -> dict[str, Any]:
    """A simple balanced two-line entry."""
    credit = credit or ("420101" if entity == "fund" else "410101")
    return {"entity": entity, "effective_date": day, "memo": memo, "postings": [
        {"account": debit, "debit": amount}, {"account": credit, "credit": amount}]}


class Api:
    """The test client plus the few things every HTTP test needs."""

    def __init__(self, client: Any, engine: Engine) -> None:
        self.client = client
        self.engine = engine
        self._keys = itertools.count(1)

    # --- requests -----------------------------------------------------------------------------
    def new_key(self) -> str:
        return f"test-key-{next(self._keys)}"

    def headers(self, key: str | None = None, actor: str | None = ACTOR) -> dict[str, str]:
        headers = {"Idempotency-Key": key or self.new_key()}
        if actor is not None:
            headers["X-Actor"] = actor
        return headers

    def post_entry(self, body: Any = None, *, key: str | None = None,
                   actor: str | None = ACTOR) -> Any:
        body = copy.deepcopy(DEPOSIT) if body is None else body
        return self.client.post("/api/entries", json=body, headers=self.headers(key, actor))

    def post_raw(self, path: str, data: str | bytes, *, key: str | None = None,
                 content_type: str = "application/json", actor: str | None = ACTOR) -> Any:
        return self.client.post(path, data=data, content_type=content_type,
                                headers=self.headers(key, actor))

    def reverse(self, seq: int, body: Any = None, *, key: str | None = None,
                actor: str | None = ACTOR) -> Any:
        return self.client.post(f"/api/entries/{seq}/reversal", json={} if body is None else body,
                                headers=self.headers(key, actor))

    def posted(self, body: Any = None) -> dict[str, Any]:
        """Post an entry that must succeed; return its body."""
        response = self.post_entry(body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def entries(self, limit: int = 500, **query: str) -> list[dict[str, Any]]:
        """Every entry matching the query, walking all pages."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {**query, "limit": limit}
        while True:
            response = self.client.get("/api/entries", query_string=params)
            assert response.status_code == 200, response.get_data(as_text=True)
            page = response.get_json()
            items.extend(page["items"])
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

    def entry_count(self) -> int:
        return len(self.entries())

    # --- the database, read directly ------------------------------------------------------------
    def row_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "journal_entries": conn.scalar(select(func.count()).select_from(EntryRow)),
                "postings": conn.scalar(select(func.count()).select_from(PostingRow)),
                "idempotency_keys": conn.scalar(
                    select(func.count()).select_from(IdempotencyKeyRow)),
            }

    def key_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT scope, key, state, response_status FROM idempotency_keys "
                "ORDER BY scope, key"))
            return [dict(row._mapping) for row in rows]

    # --- assertions -----------------------------------------------------------------------------
    @staticmethod
    def problem(response: Any, status: int, type_: str | None = None) -> dict[str, Any]:
        """Assert an RFC 9457 problem-details response; return its body."""
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == PROBLEM_JSON, response.headers
        body = json.loads(response.get_data(as_text=True))
        assert set(body) >= PROBLEM_KEYS, body
        assert body["status"] == status
        assert isinstance(body["title"], str)
        assert body["title"]
        assert isinstance(body["detail"], str)
        assert body["detail"]
        assert body["instance"] == response.request.path
        if type_ is not None:
            assert body["type"] == type_, body
        return body
