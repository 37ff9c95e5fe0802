"""Shared helpers of the HTTP API tests (the `api` fixture in conftest.py wraps them)."""

from __future__ import annotations

import base64
import copy
import itertools
import json
from typing import Any

from sqlalchemy import Engine, func, select, text

from ledger import staff
from ledger.core.staff import Actor
from ledger.db.models import EntryRow, IdempotencyKeyRow, PostingRow
from ledger.db.session import UnitOfWork

PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
#: The account the API tests act as: POST /api/entries needs an admin. An entry's actor is the
#: username of the token's owner.
ACTOR = "admin1"

#: 永耀纺织 (Yongyao Textiles) pays its 350,000.00 mutual-aid deposit: 30% is the fund's
#: operating income, 70% is owed on to the foundation.
DEPOSIT: dict[str, Any] = {
    "entity": "fund",
    "effective_date": "2025-11-03",
    "memo": "永耀纺织 互助金存入 / Yongyao Textiles mutual-aid deposit",
    "source": {"kind": "import", "id": "YY-2025-001"},
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
    """The test client plus the few things every HTTP test needs.

    The client authenticates every request as ACTOR (an admin) unless the request sends its own
    Authorization header; `actor=` picks another of the staff accounts, `actor=None` sends no
    token at all (through a client without the default)."""

    def __init__(self, client: Any, engine: Engine, accounts: Any) -> None:
        self.client = client
        self.engine = engine
        self.staff = accounts
        self._keys = itertools.count(1)
        client.environ_base["HTTP_AUTHORIZATION"] = self.bearer(ACTOR)["Authorization"]
        self.anonymous = client.application.test_client()

    # --- staff ----------------------------------------------------------------------------------
    def bearer(self, username: str) -> dict[str, str]:
        return dict(self.staff.bearer(username))

    def add_staff(self, username: str, *roles: str) -> staff.StaffUser:
        """One more staff account, with an access token, next to the standard ones."""
        uow = UnitOfWork(self.engine)
        user = staff.create_user(uow, Actor.system("test-setup"), username=username,
                                 display_name=username, password="another long passphrase 丙丁",
                                 roles=list(roles))
        self.staff.users[username] = user
        self.staff.tokens[username], _ = staff.create_token(uow, user.actor(), username, "tests")
        return user

    def scope(self, username: str = ACTOR) -> str:
        """The idempotency-key scope of an account's requests (keys are per user id)."""
        return f"user:{self.staff.users[username].id}"

    # --- requests -----------------------------------------------------------------------------
    def new_key(self) -> str:
        return f"test-key-{next(self._keys)}"

    def headers(self, key: str | None = None, actor: str | None = ACTOR) -> dict[str, str]:
        headers = {"Idempotency-Key": key or self.new_key()}
        if actor is not None:
            headers.update(self.bearer(actor))
        return headers

    def _client(self, actor: str | None) -> Any:
        return self.client if actor is not None else self.anonymous

    def post_entry(self, body: Any = None, *, key: str | None = None,
                   actor: str | None = ACTOR) -> Any:
        body = copy.deepcopy(DEPOSIT) if body is None else body
        return self._client(actor).post("/api/entries", json=body,
                                        headers=self.headers(key, actor))

    def post_raw(self, path: str, data: str | bytes, *, key: str | None = None,
                 content_type: str = "application/json", actor: str | None = ACTOR) -> Any:
        return self._client(actor).post(path, data=data, content_type=content_type,
                                        headers=self.headers(key, actor))

    def reverse(self, seq: int, body: Any = None, *, key: str | None = None,
                actor: str | None = ACTOR) -> Any:
        return self._client(actor).post(f"/api/entries/{seq}/reversal",
                                        json={} if body is None else body,
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
