"""Who is asking, and whether they may: enforced in one place for every route.

Identity: the JSON API (`/api/...`) takes only `Authorization: Bearer <token>` (so no cookie
can authorise an API call and CSRF cannot reach it); pages take the session cookie.

Authorisation: every view declares what it needs with `@requires(role, ...)` or `@public`.
A `before_request` hook checks the declaration of the matched endpoint; a route that declares
nothing is refused (and a test fails on it). The first declared role the person holds is the
"role used" that the audit log records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import Forbidden, Unauthorized

from ledger import staff
from ledger.core.staff import Actor, Role

from .state import uow

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE = "__huzhu_roles__"
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")
PUBLIC: tuple[Role, ...] = ()
#: Every staff role, most powerful first (so an admin acts as admin where admins may).
STAFF: tuple[Role, ...] = (Role.ADMIN, Role.FUND_MANAGER, Role.BOARD_MEMBER, Role.AUDITOR)
#: Routes registered by libraries, public by nature.
LIBRARY_PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json"}


def requires(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may use a view (any one of them suffices)."""
    if not roles:
        raise ValueError("name at least one role, or use @public")

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, tuple(roles))
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to everyone, logged in or not."""
    setattr(view, ATTRIBUTE, PUBLIC)
    return view


def declared_roles(endpoint: str) -> tuple[Role, ...] | None:
    """What an endpoint declares: a tuple of roles, PUBLIC (empty), or None (undeclared)."""
    if endpoint in LIBRARY_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ATTRIBUTE, None)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def address() -> str:
    return (request.remote_addr or "unknown")[:64]


def current_actor() -> Actor:
    """The person behind this request, with the role used (set by `authorise`)."""
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized("log in first")
    return actor


def log_in(user: staff.StaffUser) -> None:
    session.clear()
    session["uid"], session["ver"] = user.id, user.session_version
    session.permanent = True


def log_out() -> None:
    session.clear()


def _identify() -> None:
    g.user, g.actor, g.role = None, None, None
    header = request.headers.get("Authorization")
    if is_api_request():
        if header is None:
            return
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthorized("send a personal access token as 'Authorization: Bearer <token>'")
        user = staff.user_for_token(uow(), secret.strip())
        if user is None:
            raise _unauthorized("the access token is unknown, revoked or its account disabled")
        g.user = user
        return
    uid = session.get("uid")
    if uid is None:
        return
    user = staff.user_by_id(uow(), int(uid))
    if user is None or user.disabled or user.session_version != session.get("ver"):
        session.clear()  # logged out elsewhere, roles changed, or the account disabled
        return
    g.user = user


def _unauthorized(detail: str) -> Unauthorized:
    error = Unauthorized(detail)
    error.data = {"headers": {"WWW-Authenticate": 'Bearer realm="huzhu"'}}  # type: ignore[attr-defined]
    return error


def _authorise() -> Response | None:
    _identify()
    user = g.user
    if user is not None:
        g.actor = user.actor(address=address())
    if request.endpoint is None:  # 404 / 405: routing answers
        return None
    roles = declared_roles(request.endpoint)
    if roles is None:
        raise Forbidden(f"route {request.endpoint!r} declares no roles; refused by default")
    if roles == PUBLIC:
        return None
    if user is None:
        if is_api_request():
            raise _unauthorized("this needs a staff account's access token")
        return redirect(url_for("staff.login", next=_local_path()))
    role = next((r for r in roles if r in user.roles), None)
    if role is None:
        needed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs one of these roles: {needed}")
    g.role = role
    g.actor = user.actor(role, address())
    return None


def _local_path() -> str:
    parts = urlsplit(request.full_path)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def safe_next(target: str | None) -> str:
    """Only same-site paths after login (no open redirect): a path starting with one '/',
    without scheme or host, and without whitespace, control characters or backslashes
    (browsers drop or rewrite those, turning '/\t/evil' into '//evil')."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not _UNSAFE_IN_PATH.search(target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.dashboard")


def init_app(app: Flask) -> None:
    app.before_request(_authorise)
