"""Errors as RFC 9457 problem details, the /problems/<slug> pages, security headers, safe GETs."""

from __future__ import annotations

import re
from typing import Any

from .helpers import DEPOSIT, PROBLEM_JSON, Api, cursor_for, entry_body


def test_unknown_routes_are_404_problems(api: Api, subtests: Any) -> None:
    for path in ("/api/nope", "/api/entries/abc", "/api/entries/-1",
                 "/api/entities/fund/accounts/1002", "/problems/nope/more"):
        with subtests.test(path):
            problem = api.problem(api.client.get(path), 404)
            assert problem["type"] == "about:blank"
            assert problem["title"] == "Not Found"


def test_unknown_pages_are_404_pages(api: Api, subtests: Any) -> None:
    """Outside the JSON API a browser gets an error page, not problem details."""
    for path in ("/nope", "/static/nope.css", "/staff/nope"):
        with subtests.test(path):
            response = api.client.get(path)
            assert response.status_code == 404
            assert response.mimetype == "text/html"
            assert "404" in response.get_data(as_text=True)


def test_wrong_methods_are_405_problems_with_allow(api: Api, subtests: Any) -> None:
    api.posted(DEPOSIT)
    cases = [
        ("delete", "/api/entries", {"GET", "POST"}),
        ("put", "/api/entries/1", {"GET"}),
        ("patch", "/api/entries/1", {"GET"}),
        ("delete", "/api/entries/1", {"GET"}),
        ("get", "/api/entries/1/reversal", {"POST"}),
        ("post", "/api/entries/1", {"GET"}),
        ("post", "/api/entities", {"GET"}),
        ("post", "/api/openapi.json", {"GET"}),
    ]
    for method, path, allowed in cases:
        with subtests.test(f"{method} {path}"):
            response = getattr(api.client, method)(path, headers=api.headers())
            api.problem(response, 405)
            allow = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allowed <= allow
            assert method.upper() not in allow
    assert api.entry_count() == 1


def test_problem_types_are_documented(api: Api, subtests: Any) -> None:
    answer = api.client.get("/problems/unbalanced-entry")
    assert answer.status_code == 200
    assert answer.get_json()["type"] == "/problems/unbalanced-entry"
    assert answer.get_json()["title"] == "Debits do not equal credits"
    assert answer.get_json()["status"] == 422

    expected = {"unbalanced-entry": 422, "too-few-postings": 422, "zero-posting": 422,
                "unknown-account": 422, "unknown-entity": 422, "invalid-amount": 422,
                "already-reversed": 409, "not-reversible": 409, "closed-period": 409,
                "entry-not-found": 404, "idempotency-key-reused": 422,
                "idempotency-key-in-use": 409, "database-refused": 409,
                "database-unavailable": 503,
                # staff accounts, tokens and vouchers
                "forbidden": 403, "self-approval": 403, "invalid-credentials": 401,
                "user-not-found": 404, "token-not-found": 404,
                "voucher-not-found": 404, "already-exists": 409, "already-decided": 409}
    for slug, status in expected.items():
        with subtests.test(slug):
            response = api.client.get(f"/problems/{slug}")
            assert response.status_code == 200
            described = response.get_json()
            assert described["type"] == f"/problems/{slug}"
            assert described["status"] == status
            assert described["title"]


def test_the_too_many_attempts_type_is_documented(api: Api) -> None:
    response = api.client.get("/problems/too-many-attempts")
    assert response.status_code == 200
    assert response.get_json()["status"] == 429


def test_problem_types_the_api_returns_resolve_with_the_same_title(api: Api) -> None:
    original = api.posted(DEPOSIT)
    api.reverse(original["seq"])
    problems = [
        api.post_entry({**DEPOSIT, "postings": DEPOSIT["postings"][:2]}),
        api.post_entry({**entry_body(), "postings": [{"account": "9", "debit": "1.00"},
                                                     {"account": "420101", "credit": "1.00"}]}),
        api.reverse(original["seq"]),
        api.reverse(original["seq"] + 1),
        api.client.get("/api/entries/99"),
        api.client.get("/api/entities/charity/accounts"),
    ]
    for response in problems:
        problem = response.get_json(force=True)
        assert problem["type"].startswith("/problems/"), problem
        described = api.client.get(problem["type"]).get_json()
        assert (described["title"], described["status"]) == (problem["title"], problem["status"])


def test_problem_type_pages_describe_the_type(api: Api) -> None:
    for slug in ("unbalanced-entry", "already-reversed", "idempotency-key-reused"):
        assert api.client.get(f"/problems/{slug}").get_json().get("description"), slug


def test_unknown_problem_type_is_a_404_problem(api: Api) -> None:
    api.problem(api.client.get("/problems/no-such-type"), 404)


def test_security_headers_on_every_kind_of_response(api: Api, subtests: Any) -> None:
    responses = {
        "entry posted": api.post_entry(DEPOSIT, key="h"),
        "replay": api.post_entry(DEPOSIT, key="h"),
        "json": api.client.get("/api/entries"),
        "problem 404": api.client.get("/api/entries/99"),
        "problem 405": api.client.delete("/api/entries"),
        "problem 422": api.post_entry({}),
        "problem 400": api.client.post("/api/entries", json=DEPOSIT),
        "html home": api.client.get("/"),
        "openapi": api.client.get("/api/openapi.json"),
        "problem type": api.client.get("/problems/unbalanced-entry"),
    }
    for name, response in responses.items():
        with subtests.test(name):
            csp = response.headers["Content-Security-Policy"]
            directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";")}
            assert directives["object-src"] == ["'none'"]
            assert directives["default-src"] == ["'self'"]
            assert directives["frame-ancestors"] == ["'none'"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "Referrer-Policy" in response.headers
    assert responses["problem 404"].mimetype == PROBLEM_JSON
    assert responses["html home"].mimetype == "text/html"


# --- reads never write ----------------------------------------------------------------------
ARGUMENTS = {"member_id": "1", "deposit_id": "1", "service_id": "1",
             "entity_code": "fund", "code": "1002", "seq": "1", "slug": "unbalanced-entry",
             "filename": "nope.css", "voucher_id": "1", "token_id": "1", "username": "fm1",
             "income_id": "1", "grantee_id": "1", "round_id": "1", "application_id": "1",
             "attachment_id": "1", "grant_id": "1",
             "campaign_id": "1", "household_id": "1", "import_id": "1",
             "entity": "fund", "label": "2025-10", "lang": "zh",
             "kind": "overview", "fmt": "json"}


def test_get_requests_never_change_the_database(app: Any, api: Api) -> None:
    first = api.posted(DEPOSIT)
    api.reverse(first["seq"])
    api.posted(entry_body("foundation"))
    before = api.row_counts()
    assert before == {"journal_entries": 3, "postings": 8, "idempotency_keys": 3}

    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        names = re.findall(r"<(?:[a-z_]+:)?([a-z_]+)>", rule.rule)
        assert set(names) <= set(ARGUMENTS), f"new route {rule.rule}: give its arguments"
        url = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", lambda m: ARGUMENTS[m.group(1)], rule.rule)
        urls += [url, f"{url}?as_of=2025-11-03", f"{url}?as_of=bad&entity=charity&limit=0"]
    assert len(urls) >= 3 * 9
    urls += ["/api/entries?limit=1", f"/api/entries?cursor={cursor_for('after:1')}",
             "/api/entries/2", "/api/entries/3", "/api/entries/99", "/api/entities/foundation/"
             "accounts/410101/balance", "/api/entities/foundation/trial-balance",
             "/problems/nope", "/healthz"]

    for url in urls:
        for method in (api.client.get, api.client.head):
            response = method(url, headers={"Idempotency-Key": "get-is-safe"})
            assert response.status_code < 500, (url, response.get_data(as_text=True))
    assert api.row_counts() == before
    assert api.client.get("/api/entries/1").get_json()["reversed_by"] == 2
