"""Shared helpers of the staff-account tests: API calls as a staff member, the login form,
the audit log and the whole database read directly."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask import Flask, session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine, func, inspect, select, table, text

from ..http.helpers import Api

PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
CSRF_INPUT = re.compile(r'<input\b[^>]*\bname="csrf_token"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')

#: A balanced two-line entry of the fund (a voucher's or a direct entry's body).
ENTRY: dict[str, Any] = {
    "entity": "fund",
    "effective_date": "2025-11-03",
    "memo": "永耀纺织 互助金存入",
    "postings": [{"account": "1002", "debit": "1000.00"},
                 {"account": "420101", "credit": "1000.00"}],
}

_keys = itertools.count(1)


def new_key() -> str:
    return f"auth-test-key-{next(_keys)}"


#: Assert an RFC 9457 problem-details response and return its body (one helper for all tests).
problem = Api.problem


def unauthorized(response: Any) -> dict[str, Any]:
    """A 401 problem that tells the client how to authenticate."""
    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer"), response.headers
    return body


class StaffApi:
    """The JSON API as one staff member or another (the token of `as_`)."""

    def __init__(self, client: FlaskClient, accounts: Any) -> None:
        self.client = client
        self.staff = accounts

    def headers(self, as_: str | None, key: str | None = None, post: bool = False
                ) -> dict[str, str]:
        headers = dict(self.staff.bearer(as_)) if as_ else {}
        if post:
            headers["Idempotency-Key"] = key or new_key()
        return headers

    def get(self, path: str, as_: str | None, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(as_), **kwargs)

    def post(self, path: str, as_: str | None, body: Any = None, *, key: str | None = None
             ) -> Any:
        kwargs = {} if body is None else {"json": body}
        return self.client.post(path, headers=self.headers(as_, key, post=True), **kwargs)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    # --- the usual writes ---------------------------------------------------------------------
    def submit(self, as_: str = "fm1", body: Any = None) -> dict[str, Any]:
        return self.ok(self.post("/api/vouchers", as_, body or ENTRY), 201)

    def audit(self, as_: str = "aud1", **query: Any) -> list[dict[str, Any]]:
        """Every audit record matching the query, oldest first (the API pages newest first)."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {**query, "limit": 500}
        while True:
            page = self.ok(self.get("/api/audit", as_, query_string=params))
            items.extend(page["items"])
            if page["next_before"] is None:
                return items[::-1]
            params["before"] = page["next_before"]


# --- the staff pages ----------------------------------------------------------------------------
def csrf_from(html: str) -> str:
    """The value of the first hidden csrf_token input of a page."""
    found = CSRF_INPUT.search(html)
    assert found, "the page has no csrf_token input"
    value = VALUE.search(found.group(0))
    assert value, found.group(0)
    return value.group(1)


class Web:
    """A browser: one cookie jar, one address. Logs in through the form like a person does."""

    def __init__(self, app: Flask, address: str = "127.0.0.1", *, https: bool = False) -> None:
        self.app = app
        self.client = app.test_client()
        self.base = "https://localhost" if https else "http://localhost"
        self.client.environ_base["REMOTE_ADDR"] = address
        # Flask-WTF checks the Referer of HTTPS form posts (WTF_CSRF_SSL_STRICT)
        self.referer = {"Referer": f"{self.base}/staff/login"} if https else {}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, base_url=self.base, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Any:
        headers = {**self.referer, **kwargs.pop("headers", {})}
        return self.client.post(path, data=data, base_url=self.base, headers=headers, **kwargs)

    def login_csrf(self) -> str:
        """A CSRF token as the login page hands it out (logged out)."""
        page = self.get("/staff/login")
        assert page.status_code == 200, page.status_code
        return csrf_from(page.get_data(as_text=True))

    def session_csrf(self) -> str:
        """A CSRF token of this browser's session as any page would render it (Flask-WTF's
        generate_csrf), without depending on the layout of some page."""
        with self.client.session_transaction(base_url=self.base) as stored, \
                self.app.test_request_context():
            if "csrf_token" in stored:
                session["csrf_token"] = stored["csrf_token"]
            token = generate_csrf()
            stored["csrf_token"] = session["csrf_token"]
        return token

    def login(self, username: str, password: str, *, csrf: str | None = None,
              address: str | None = None, next_: str | None = None) -> Any:
        token = csrf if csrf is not None else self.login_csrf()
        path = "/staff/login" if next_ is None else f"/staff/login?next={next_}"
        kwargs: dict[str, Any] = {}
        if address:
            kwargs["environ_base"] = {"REMOTE_ADDR": address}
        return self.post(path, {"csrf_token": token, "username": username,
                                "password": password}, **kwargs)

    def logged_in(self) -> bool:
        """Whether the session opens the dashboard (else it redirects to the login page)."""
        response = self.get("/staff/")
        if response.status_code == 200:
            return True
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/staff/login"), response.headers
        return False


# --- the database, read directly ---------------------------------------------------------------
def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table of the database (the migrations' version table included)."""
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(table(name)))
                for name in table_names(engine)}


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, username, role, address, action, object_type, object_id, details "
            "FROM audit_log ORDER BY seq"))
        return [dict(row._mapping) for row in rows]


def actions(engine: Engine, since: int = 0) -> list[str]:
    """The actions of the audit records numbered above `since`, in order."""
    return [r["action"] for r in audit_rows(engine) if r["seq"] > since]


def audit_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT coalesce(max(seq), 0) FROM audit_log")) or 0
