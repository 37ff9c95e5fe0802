"""A GET never changes the database: every GET route, as every role and as nobody."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import Engine

from tests.conftest import PASSWORD

from .helpers import ENTRY, StaffApi, Web, row_counts

PARAMETER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
#: Existing things to name in paths (the test creates entry 1, its reversal 2 and voucher 1).
ARGUMENTS = {"member_id": "1", "deposit_id": "1", "service_id": "1",
             "entity_code": "fund", "code": "1002", "seq": "1", "voucher_id": "1",
             "token_id": "1", "username": "fm1", "slug": "self-approval",
             "filename": "huzhu.css", "income_id": "1", "grantee_id": "1", "round_id": "1",
             "application_id": "1", "attachment_id": "1", "grant_id": "1",
             "campaign_id": "1", "household_id": "1", "import_id": "1",
             "entity": "fund", "label": "2025-10", "lang": "zh",
             "kind": "overview", "fmt": "json"}
#: A few query strings every route gets too (filters, paging, a bad value).
QUERIES = ("", "?limit=1&status=submitted&action=login&as_of=2025-11-03",
           "?as_of=bad&limit=0&before=x&next=//evil.example&lang=en")
ROLES = ("admin1", "fm1", "board1", "aud1", "multi1")  # one of each kind (fm2 is like fm1)


def _get_urls(app: Flask) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        names = PARAMETER.findall(rule.rule)
        assert set(names) <= set(ARGUMENTS), f"new route {rule.rule}: give its arguments"
        path = PARAMETER.sub(lambda m: ARGUMENTS[m.group(1)], rule.rule)
        urls += [path + query for query in QUERIES]
    return urls


def _requests(url: str) -> tuple[str, ...]:
    """GET with every query string; HEAD (the same view, no body) without."""
    return ("GET", "HEAD") if "?" not in url else ("GET",)


def test_get_requests_never_change_the_database(app: Flask, engine: Engine,
                                                staff_api: StaffApi) -> None:
    posted = staff_api.ok(staff_api.post("/api/entries", "admin1", ENTRY), 201)
    staff_api.ok(staff_api.post(f"/api/entries/{posted['seq']}/reversal", "fm1", {}), 201)
    staff_api.submit("fm1")
    browsers: dict[str, tuple[Web, dict[str, str]]] = {"anonymous": (Web(app), {})}
    for username in ROLES:  # logged in to the pages, and holding a token for the API
        browser = Web(app)
        assert browser.login(username, PASSWORD).status_code == 302
        browsers[username] = (browser, dict(staff_api.staff.bearer(username)))
    urls = _get_urls(app)
    assert len(urls) >= 3 * 20
    before = row_counts(engine)
    assert before["journal_entries"] == 2
    assert before["vouchers"] == 1
    assert before["audit_log"] > 0

    statuses: set[int] = set()
    for who, (browser, headers) in browsers.items():
        for url in urls:
            for method in _requests(url):
                response = browser.client.open(url, method=method, headers=headers)
                response.close()  # static files are streamed from an open file
                assert response.status_code < 500, (who, url, response.get_data(as_text=True))
                statuses.add(response.status_code)
        assert row_counts(engine) == before, who
    assert {200, 302, 401, 403} <= statuses  # the reads were answered, refused and redirected
    for browser, _ in browsers.values():
        if browser is not browsers["anonymous"][0]:
            assert browser.logged_in()  # the GETs did not log anyone out either
