"""Who may call what: 401 without a valid token, 403 without the role, on every API route."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import Engine, text

from api.auth import PUBLIC, declared_roles
from tests.conftest import PASSWORD

from .helpers import StaffApi, Web, problem, row_counts, unauthorized

PARAMETER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
#: Values for the path parameters of the API's routes (things that exist, mostly).
ARGUMENTS = {"member_id": "1", "deposit_id": "1", "service_id": "1",
             "entity_code": "fund", "code": "1002", "seq": "1", "voucher_id": "1",
             "token_id": "1", "username": "fm2", "income_id": "1", "grantee_id": "1",
             "round_id": "1", "application_id": "1", "attachment_id": "1", "grant_id": "1",
             "campaign_id": "1", "household_id": "1", "import_id": "1",
             "entity": "fund", "label": "2025-10"}
SPEC_ROUTE = "/api/openapi.json"

EVERYONE = frozenset({"admin1", "fm1", "fm2", "board1", "aud1", "multi1"})
ADMINS = frozenset({"admin1"})
PREPARERS = frozenset({"admin1", "fm1", "fm2", "multi1"})  # fund managers and admins
AUDITORS = frozenset({"admin1", "aud1"})
AUDITOR_ONLY = frozenset({"aud1"})
BOARD = frozenset({"board1", "multi1"})  # board members
RESOLVERS = BOARD | ADMINS
#: Who may call each route of the API (by the issue's rules, not read from the code).
WHO_MAY: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/entities"): EVERYONE,
    ("GET", "/api/entities/<entity_code>/accounts"): EVERYONE,
    ("GET", "/api/entities/<entity_code>/accounts/<code>/balance"): EVERYONE,
    ("GET", "/api/entities/<entity_code>/trial-balance"): EVERYONE,
    ("GET", "/api/entries"): EVERYONE,
    ("POST", "/api/entries"): ADMINS,
    ("POST", "/api/entries/batch"): ADMINS,
    ("GET", "/api/entries/<seq:seq>"): EVERYONE,
    ("POST", "/api/entries/<seq:seq>/reversal"): PREPARERS,
    ("GET", "/api/me"): EVERYONE,
    ("GET", "/api/tokens"): EVERYONE,
    ("POST", "/api/tokens"): EVERYONE,
    ("POST", "/api/tokens/<int:token_id>/revoke"): EVERYONE,
    ("GET", "/api/users"): ADMINS,
    ("POST", "/api/users"): ADMINS,
    ("POST", "/api/users/<username>/roles"): ADMINS,
    ("POST", "/api/users/<username>/disable"): ADMINS,
    ("GET", "/api/audit"): AUDITORS,
    ("GET", "/api/vouchers"): EVERYONE,
    ("GET", "/api/vouchers/<int:voucher_id>"): EVERYONE,
    ("POST", "/api/vouchers"): PREPARERS,
    ("POST", "/api/vouchers/<int:voucher_id>/approve"): PREPARERS,
    ("POST", "/api/vouchers/<int:voucher_id>/reject"): PREPARERS,
    ("GET", "/api/members"): EVERYONE,
    ("POST", "/api/members"): PREPARERS,
    ("GET", "/api/members/<int:member_id>"): EVERYONE,
    ("POST", "/api/members/<int:member_id>/status"): PREPARERS,
    ("GET", "/api/policies"): EVERYONE,
    ("POST", "/api/policies"): ADMINS,
    ("GET", "/api/deposits"): EVERYONE,
    ("POST", "/api/deposits"): PREPARERS,
    ("GET", "/api/deposits/<int:deposit_id>"): EVERYONE,
    ("GET", "/api/deposits/<int:deposit_id>/receipt.pdf"): EVERYONE,
    ("POST", "/api/deposits/<int:deposit_id>/reversal"): PREPARERS,
    ("GET", "/api/transfers"): EVERYONE,
    ("POST", "/api/transfers"): PREPARERS,
    ("GET", "/api/services"): EVERYONE,
    ("POST", "/api/services"): PREPARERS,
    ("GET", "/api/services/<int:service_id>"): EVERYONE,
    ("POST", "/api/services/<int:service_id>/approve"): PREPARERS,
    ("POST", "/api/services/<int:service_id>/reject"): PREPARERS,
    ("POST", "/api/services/<int:service_id>/activate"): PREPARERS,
    ("POST", "/api/services/<int:service_id>/end"): PREPARERS,
    ("GET", "/api/members/<int:member_id>/exposure"): EVERYONE,
    ("GET", "/api/expenses"): EVERYONE,
    ("POST", "/api/expenses"): PREPARERS,
    ("GET", "/api/fund/position"): EVERYONE,
    ("GET", "/api/incomes"): EVERYONE,
    ("POST", "/api/incomes"): PREPARERS,
    ("GET", "/api/incomes/<int:income_id>"): EVERYONE,
    ("POST", "/api/incomes/<int:income_id>/releases"): PREPARERS,
    ("GET", "/api/foundation/funds"): EVERYONE,
    ("GET", "/api/grantees"): EVERYONE,
    ("POST", "/api/grantees"): PREPARERS,
    ("GET", "/api/grantees/<int:grantee_id>"): EVERYONE,
    ("GET", "/api/rounds"): EVERYONE,
    ("POST", "/api/rounds"): PREPARERS,
    ("GET", "/api/rounds/<int:round_id>"): EVERYONE,
    ("POST", "/api/rounds/<int:round_id>/open"): PREPARERS,
    ("POST", "/api/rounds/<int:round_id>/review"): PREPARERS,
    ("POST", "/api/rounds/<int:round_id>/close"): PREPARERS,
    ("POST", "/api/rounds/<int:round_id>/cancel"): PREPARERS,
    ("GET", "/api/rounds/<int:round_id>/ranking"): EVERYONE,
    ("GET", "/api/rounds/<int:round_id>/history"): EVERYONE,
    ("GET", "/api/applications"): EVERYONE,
    ("POST", "/api/applications"): PREPARERS,
    ("GET", "/api/applications/<int:application_id>"): EVERYONE,
    ("POST", "/api/applications/<int:application_id>/withdraw"): PREPARERS,
    ("POST", "/api/applications/<int:application_id>/attachments"): PREPARERS,
    ("GET", "/api/attachments/<int:attachment_id>"): EVERYONE,
    ("GET", "/api/applications/<int:application_id>/history"): EVERYONE,
    ("GET", "/api/applications/<int:application_id>/minutes.pdf"): EVERYONE,
    ("GET", "/api/applications/<int:application_id>/review"): EVERYONE,
    ("POST", "/api/applications/<int:application_id>/declaration"): BOARD,
    ("POST", "/api/applications/<int:application_id>/scores"): BOARD,
    ("POST", "/api/applications/<int:application_id>/votes"): BOARD,
    ("POST", "/api/applications/<int:application_id>/assembly-vote"): PREPARERS,
    ("POST", "/api/applications/<int:application_id>/resolutions"): RESOLVERS,
    ("GET", "/api/reviews/queue"): BOARD,
    ("GET", "/api/grants"): EVERYONE,
    ("GET", "/api/grants/<int:grant_id>"): EVERYONE,
    ("POST", "/api/grants/<int:grant_id>/payments"): PREPARERS,
    ("POST", "/api/grants/<int:grant_id>/evaluations"): PREPARERS,
    ("POST", "/api/grants/<int:grant_id>/close"): PREPARERS,
    ("POST", "/api/grants/<int:grant_id>/clawbacks"): PREPARERS,
    ("GET", "/api/grants/<int:grant_id>/history"): EVERYONE,
    ("GET", "/api/campaigns"): EVERYONE,
    ("POST", "/api/campaigns"): PREPARERS,
    ("GET", "/api/campaigns/<int:campaign_id>"): EVERYONE,
    ("POST", "/api/campaigns/<int:campaign_id>/roll"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/open"): PREPARERS,
    ("GET", "/api/campaigns/<int:campaign_id>/households"): EVERYONE,
    ("GET", "/api/campaigns/<int:campaign_id>/door-to-door"): EVERYONE,
    ("POST", "/api/campaigns/<int:campaign_id>/households/<int:household_id>/mark"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/shortfall"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/subsidy"): PREPARERS,
    ("GET", "/api/campaigns/<int:campaign_id>/payments"): EVERYONE,
    ("POST", "/api/campaigns/<int:campaign_id>/payments"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/payments/import"): PREPARERS,
    ("GET", "/api/campaigns/<int:campaign_id>/imports"): EVERYONE,
    ("POST", "/api/campaigns/<int:campaign_id>/contractor"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/close"): PREPARERS,
    ("POST", "/api/campaigns/<int:campaign_id>/cancel"): PREPARERS,
    ("GET", "/api/receipts/<code>"): EVERYONE,
    ("GET", "/api/receipts/<code>/pdf"): EVERYONE,
    ("GET", "/api/entities/<entity>/periods"): EVERYONE,
    ("GET", "/api/entities/<entity>/periods/<label>"): EVERYONE,
    ("POST", "/api/entities/<entity>/periods/<label>/closing"): PREPARERS,
    ("POST", "/api/entities/<entity>/periods/<label>/close"): PREPARERS,
    ("POST", "/api/entities/<entity>/periods/<label>/reopen"): ADMINS,
    ("GET", "/api/entities/<entity>/periods/<label>/verification"): AUDITOR_ONLY,
    ("POST", "/api/entities/<entity>/periods/<label>/sign-off"): AUDITOR_ONLY,
    ("GET", "/api/entities/<entity>/periods/<label>/statements"): EVERYONE,
    ("GET", "/api/entities/<entity>/periods/<label>/statements.csv"): EVERYONE,
    ("GET", "/api/entities/<entity>/periods/<label>/statements.pdf"): EVERYONE,
}


def api_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, rule, URL) of every API route in the url_map, parameters filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule == SPEC_ROUTE:
            continue
        url = PARAMETER.sub(lambda m: ARGUMENTS[m.group(1)], rule.rule)
        found += [(method, rule.rule, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def call(client: Any, method: str, url: str, headers: dict[str, str]) -> Any:
    """A request with no body and no Idempotency-Key: even when allowed it writes nothing."""
    return client.open(url, method=method, headers=headers)


def test_the_table_of_who_may_covers_every_api_route(bare_app: Flask) -> None:
    routes = {(method, rule.rule) for rule in bare_app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.rule != SPEC_ROUTE
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(WHO_MAY)


def test_every_route_declares_who_may_use_it(bare_app: Flask) -> None:
    with bare_app.app_context():
        undeclared = [rule.endpoint for rule in bare_app.url_map.iter_rules()
                      if declared_roles(rule.endpoint) is None]
        assert undeclared == []
        assert declared_roles("staff.login") == PUBLIC
        assert declared_roles("books.post_entry") == ("admin",)


def test_a_route_that_declares_nothing_is_refused(bare_app: Flask) -> None:
    """Refused by default."""
    # A marker no random token (CSRF, nonce) can contain: it has characters base64 never uses.
    secret = "secret: the vault's code!"
    bare_app.add_url_rule("/api/undeclared", "undeclared", lambda: {"secret": secret})
    bare_app.add_url_rule("/staff/undeclared", "staff_undeclared", lambda: secret)
    client = bare_app.test_client()

    for path in ("/api/undeclared", "/staff/undeclared"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"vault" not in response.get_data()
    assert "declares no roles" in problem(client.get("/api/undeclared"), 403)["detail"]


def test_no_token_is_401_on_every_api_route(app: Flask, client: Any, engine: Engine,
                                            staff_accounts: Any, subtests: Any) -> None:
    before = row_counts(engine)
    routes = api_routes(app)
    assert len(routes) == len(WHO_MAY)
    for method, _, url in routes:
        with subtests.test(f"{method} {url}"):
            body = unauthorized(call(client, method, url, {}))
            assert "token" in body["detail"]
    assert row_counts(engine) == before


def _revoked(staff_api: StaffApi) -> str:
    """A token of fm1's that fm1 has revoked."""
    created = staff_api.ok(staff_api.post("/api/tokens", "fm1", {"name": "old laptop"}), 201)
    staff_api.ok(staff_api.post(f"/api/tokens/{created['id']}/revoke", "fm1"))
    return created["token"]


def test_bad_credentials_are_401_on_every_api_route(app: Flask, client: Any, engine: Engine,
                                                    staff_api: StaffApi, subtests: Any) -> None:
    tokens = staff_api.staff.tokens
    revoked = _revoked(staff_api)
    staff_api.ok(staff_api.post("/api/users/fm2/disable", "admin1"))  # revokes fm2's tokens
    with engine.begin() as conn:  # board1 disabled, but with a token that was never revoked
        conn.execute(text("UPDATE users SET disabled = :yes WHERE username = 'board1'"),
                     {"yes": True})
    cases = {
        "basic auth": "Basic YWRtaW4xOnBhc3N3b3Jk",
        "scheme only": "Bearer",
        "scheme and blanks": "Bearer    ",
        "no scheme": tokens["admin1"],
        "other scheme": f"Token {tokens['admin1']}",
        "unknown token": "Bearer hz_" + "A" * 43,
        "not a token at all": "Bearer 12345",
        "too long": f"Bearer {tokens['admin1']}{'x' * 200}",
        "a prefix of a real token": f"Bearer {tokens['admin1'][:20]}",
        "revoked token": f"Bearer {revoked}",
        "token of a disabled account (revoked on disabling)": f"Bearer {tokens['fm2']}",
        "token of a disabled account (still live)": f"Bearer {tokens['board1']}",
    }
    before = row_counts(engine)
    for name, header in cases.items():
        for method, _, url in api_routes(app):
            with subtests.test(f"{name}: {method} {url}"):
                unauthorized(call(client, method, url, {"Authorization": header}))
    assert row_counts(engine) == before
    # the same requests with a good token get through
    assert staff_api.get("/api/me", "admin1").status_code == 200


def test_the_bearer_scheme_is_case_insensitive(staff_api: StaffApi) -> None:
    token = staff_api.staff.tokens["fm1"]
    response = staff_api.client.get("/api/me", headers={"Authorization": f"bearer {token}"})
    assert staff_api.ok(response)["username"] == "fm1"


def test_missing_role_is_403_on_every_api_route(app: Flask, client: Any, engine: Engine,
                                                staff_accounts: Any, subtests: Any) -> None:
    before = row_counts(engine)
    for method, rule, url in api_routes(app):
        allowed = WHO_MAY[method, rule]
        for username in sorted(EVERYONE):
            with subtests.test(f"{username}: {method} {url}"):
                response = call(client, method, url, staff_accounts.bearer(username))
                if username in allowed:
                    assert response.status_code not in (401, 403), response.get_data(True)
                else:
                    body = problem(response, 403)
                    assert "WWW-Authenticate" not in response.headers
                    assert "role" in body["detail"]
    assert row_counts(engine) == before  # no body, no Idempotency-Key: nothing written


def test_me_tells_the_roles_and_the_role_used(staff_api: StaffApi, subtests: Any) -> None:
    expected = {"admin1": (["admin"], "admin"),
                "fm1": (["fund_manager"], "fund_manager"),
                "board1": (["board_member"], "board_member"),
                "aud1": (["auditor"], "auditor"),
                "multi1": (["board_member", "fund_manager"], "fund_manager")}
    for username, (roles, used) in expected.items():
        with subtests.test(username):
            me = staff_api.ok(staff_api.get("/api/me", username))
            assert me["username"] == username
            assert me["display_name"] == username.upper()
            assert me["id"] == staff_api.staff.users[username].id
            assert me["roles"] == roles
            assert me["role_used"] == used


def test_a_session_cookie_does_not_open_the_api(web: Web, staff_accounts: Any) -> None:
    """The API takes bearer tokens only, so a forged cross-site request cannot use it."""
    assert web.login("admin1", PASSWORD).status_code == 302
    assert web.logged_in()

    unauthorized(web.get("/api/me"))
    unauthorized(web.client.post("/api/users", json={}, headers={"Idempotency-Key": "k"}))


def test_role_changes_apply_to_tokens_at_once(staff_api: StaffApi) -> None:
    assert staff_api.get("/api/audit", "board1").status_code == 403
    staff_api.ok(staff_api.post("/api/users/board1/roles", "admin1",
                                {"roles": ["board_member", "auditor"]}))
    assert staff_api.get("/api/audit", "board1").status_code == 200
    staff_api.ok(staff_api.post("/api/users/board1/roles", "admin1", {"roles": []}))
    problem(staff_api.get("/api/entries", "board1"), 403)
