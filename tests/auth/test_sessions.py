"""Browser sessions: CSRF on every form post, sessions that end when an account changes, and
the session cookie's flags."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from tests.conftest import PASSWORD

from .helpers import StaffApi, Web, actions, audit_head, row_counts


def _set_cookies(response: Any) -> dict[str, tuple[str, dict[str, str]]]:
    """Set-Cookie headers by cookie name: the raw header and its attributes (lower-cased)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        attributes = {}
        for part in header.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            attributes[key.lower()] = value
        found[name] = (header, attributes)
    return found


# --- CSRF -----------------------------------------------------------------------------------
def test_login_without_a_csrf_token_is_refused(app: Flask, web: Web, engine: Engine,
                                               staff_accounts: Any, subtests: Any) -> None:
    valid = web.login_csrf()
    stranger = Web(app).login_csrf()  # valid, but for another browser's session
    before = row_counts(engine)
    cases = {"no token": None, "empty token": "", "garbage": "not-a-csrf-token",
             "another session's token": stranger, "tampered": valid[:-2] + "xx"}
    for name, token in cases.items():
        with subtests.test(name):
            data = {"username": "fm1", "password": PASSWORD}
            if token is not None:
                data["csrf_token"] = token
            response = web.post("/staff/login", data)
            assert response.status_code == 400, response.status_code
            assert "Location" not in response.headers
    assert row_counts(engine) == before  # no login attempt was even audited
    assert not web.logged_in()
    assert web.login("fm1", PASSWORD, csrf=valid).status_code == 302  # the real token works


def test_logout_without_a_csrf_token_is_refused(web: Web, engine: Engine,
                                                staff_accounts: Any) -> None:
    assert web.login("fm1", PASSWORD).status_code == 302
    before = row_counts(engine)
    head = audit_head(engine)

    for data in ({}, {"csrf_token": "forged"}):
        assert web.post("/staff/logout", data).status_code == 400
    assert web.logged_in()
    assert row_counts(engine) == before

    response = web.post("/staff/logout", {"csrf_token": web.session_csrf()})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    assert not web.logged_in()
    assert actions(engine, head) == ["logout"]


def test_language_switch_without_a_csrf_token_is_refused(web: Web, engine: Engine) -> None:
    before = row_counts(engine)
    refused = web.post("/language", {"lang": "en", "next": "/staff/login"})

    assert refused.status_code == 400
    assert "lang" not in _set_cookies(refused)
    assert row_counts(engine) == before

    switched = web.post("/language", {"lang": "en", "next": "/staff/login",
                                      "csrf_token": web.login_csrf()})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/staff/login"
    assert _set_cookies(switched)["lang"][0].startswith("lang=en;")


# --- sessions end when the account changes ----------------------------------------------------
def test_new_roles_end_the_session(web: Web, staff_api: StaffApi) -> None:
    assert web.login("fm1", PASSWORD).status_code == 302
    assert web.get("/staff/").status_code == 200

    staff_api.ok(staff_api.post("/api/users/fm1/roles", "admin1",
                                {"roles": ["fund_manager", "board_member"]}))

    assert not web.logged_in()
    assert web.login("fm1", PASSWORD).status_code == 302  # a new login works
    assert web.get("/staff/").status_code == 200


def test_disabling_ends_the_session_for_good(web: Web, staff_api: StaffApi) -> None:
    assert web.login("fm2", PASSWORD).status_code == 302
    assert web.logged_in()
    other = Web(web.app, "10.0.0.8")
    assert other.login("fm2", PASSWORD).status_code == 302  # a second browser

    staff_api.ok(staff_api.post("/api/users/fm2/disable", "admin1"))

    assert not web.logged_in()
    assert not other.logged_in()
    assert web.login("fm2", PASSWORD).status_code == 401
    listed = {u["username"]: u for u in staff_api.ok(staff_api.get("/api/users", "admin1"))}
    assert listed["fm2"]["disabled"] is True


def test_other_accounts_keep_their_sessions(app: Flask, staff_api: StaffApi) -> None:
    kept = Web(app)
    assert kept.login("fm1", PASSWORD).status_code == 302
    staff_api.ok(staff_api.post("/api/users/fm2/disable", "admin1"))
    staff_api.ok(staff_api.post("/api/users/board1/roles", "admin1", {"roles": ["auditor"]}))
    assert kept.logged_in()


def test_logging_in_again_replaces_the_session(web: Web, staff_accounts: Any) -> None:
    """No session fixation: the session of the login page is not the logged-in one."""
    csrf = web.login_csrf()
    with web.client.session_transaction() as before:
        assert "uid" not in before
        planted = before["csrf_token"]
    assert web.login("fm1", PASSWORD, csrf=csrf).status_code == 302
    with web.client.session_transaction() as after:
        assert after.get("csrf_token") != planted
        assert after["uid"] == staff_accounts.users["fm1"].id


def test_a_copied_session_cookie_is_dead_after_logout(app: Flask, web: Web,
                                                      staff_accounts: Any) -> None:
    assert web.login("aud1", PASSWORD).status_code == 302
    stolen = web.client.get_cookie("huzhu_session")
    assert stolen is not None
    assert web.post("/staff/logout", {"csrf_token": web.session_csrf()}).status_code == 302
    assert not web.logged_in()

    thief = Web(app, "10.66.66.66")
    thief.client.set_cookie("huzhu_session", stolen.value)
    assert not thief.logged_in()


# --- the session cookie -----------------------------------------------------------------------
def _login_cookie(web: Web) -> tuple[str, str, dict[str, str]]:
    response = web.login("aud1", PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    cookies = _set_cookies(response)
    assert len(cookies) == 1, cookies
    ((name, (header, attributes)),) = cookies.items()
    return name, header, attributes


def test_production_session_cookie_is_host_only_and_secure(production_app: Flask,
                                                           staff_accounts: Any) -> None:
    browser = Web(production_app, https=True)

    name, header, attributes = _login_cookie(browser)

    assert name == "__Host-huzhu_session"
    assert header.startswith("__Host-huzhu_session=")
    assert {"secure", "httponly"} <= set(attributes)
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "Lax"
    assert "domain" not in attributes  # required of a __Host- cookie
    parsed = SimpleCookie()
    parsed.load(header)
    assert parsed["__Host-huzhu_session"].value
    assert browser.get("/staff/").status_code == 200


def test_development_session_cookie_works_over_http(web: Web, staff_accounts: Any) -> None:
    name, header, attributes = _login_cookie(web)

    assert name == "huzhu_session"
    assert header.startswith("huzhu_session=")
    assert "secure" not in attributes
    assert "httponly" in attributes
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "Lax"
    assert web.get("/staff/").status_code == 200


def test_login_redirects_only_to_this_site(web: Web, staff_accounts: Any,
                                           subtests: Any) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                   "javascript:alert(1)"):
        with subtests.test(target):
            response = Web(web.app).login("fm1", PASSWORD, next_=target)
            assert response.status_code == 302
            assert response.headers["Location"] == "/staff/"
    response = Web(web.app).login("fm1", PASSWORD, next_="/staff/?tab=1")
    assert response.headers["Location"] == "/staff/?tab=1"


def test_redirects_ignore_control_characters(web: Web, staff_accounts: Any) -> None:
    responses = {}
    for target in ("/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example"):
        responses[f"login {target}"] = Web(web.app).login("fm1", PASSWORD, next_=target)
    for target in ("/\t/evil.example", "/\n/evil.example"):  # the language switch, likewise
        responses[f"language {target!r}"] = web.post(
            "/language", {"lang": "en", "next": target, "csrf_token": web.login_csrf()})
    wrong = {}
    for name, response in responses.items():
        # browsers drop tabs and line breaks from a URL: this is what they would follow
        followed = "".join(c for c in response.headers.get("Location", "") if c not in "\t\r\n")
        if response.status_code != 302 or followed.startswith("//"):
            wrong[name] = (response.status_code, followed)
    assert wrong == {}
