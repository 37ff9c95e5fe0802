"""HTML error pages for everything outside the JSON API (which answers problem details).

Hook (in api/problems.py): at the top of `problem()`::

    from .web.errors import error_page, wants_html
    if wants_html():
        return error_page(status, headers=headers)

Import inside the function: importing `api.web` loads every page module (and through them
`api.staff_api` and `api.books`), which would make a cycle at import time.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Response, g, has_request_context, render_template, request, session
from flask_babel import lazy_gettext as _l
from markupsafe import escape

log = logging.getLogger(__name__)

#: Paths that answer JSON (problem details) even to a browser.
JSON_PREFIXES = ("/api/", "/problems/")
JSON_PATHS = {"/healthz"}

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please log in"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This page does not accept that kind of request"),
    409: _l("The current state does not allow this"),
    413: _l("The request is too large"),
    415: _l("Unsupported kind of content"),
    422: _l("Some values are not acceptable"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is busy or unavailable"),
    507: _l("The database's disk is full"),
}

DETAILS = {
    400: _l("If you submitted a form, go back, reload the page and try again: forms expire "
            "when you log out or log in again."),
    401: _l("Log in with your staff account to continue."),
    403: _l("Your roles do not include this page. Ask an administrator if you need it."),
    404: _l("There is nothing at this address. Check the link, or start again from the "
            "dashboard."),
    405: _l("Go back and use the buttons and links on the pages."),
    409: _l("Someone may have changed it in the meantime. Reload the page and check."),
    413: _l("Send less at once."),
    415: _l("Send the form from the page itself."),
    422: _l("Go back, correct the values and try again."),
    429: _l("Wait a little, then try again."),
    500: _l("Nothing was written. Try again; if it happens again, tell the administrator."),
    503: _l("Nothing was written. Wait a moment and try again."),
    507: _l("Nothing was written. Tell the administrator, who has to free space first."),
}


def wants_html() -> bool:
    """Whether the current request should get an HTML page rather than problem details."""
    if not has_request_context():
        return False
    path = request.path
    return not path.startswith(JSON_PREFIXES) and path not in JSON_PATHS


def error_page(status: int, detail: str | None = None, *, title: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """An error page in the site's layout, in the reader's language.

    `detail` defaults to advice for the status; the messages of exceptions are English and
    meant for developers, so they are not shown here."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    heading = title or str(TITLES.get(status, phrase))
    text = detail if detail is not None else str(DETAILS.get(status, ""))
    if status < 500:
        _recognise_visitor()
    try:
        body = render_template("errors/error.html", status=status, title=heading, detail=text)
    except Exception:  # the layout itself failed: still answer, plainly
        log.exception("could not render the error page")
        body = (f"<!doctype html><title>{status} {escape(phrase)}</title>"
                f"<h1>{status} {escape(phrase)}</h1>")
    response = Response(body, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status >= 400:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _recognise_visitor() -> None:
    """Show the layout of a logged-in person even when the error came before `api.auth`
    identified them (unknown address, refused CSRF token): read-only, never fails."""
    if g.get("user") is not None or "uid" not in session:
        return
    try:
        from ledger import staff

        from ..state import uow

        user = staff.user_by_id(uow(), int(session["uid"]))
    except Exception:
        log.warning("could not identify the visitor of an error page", exc_info=True)
        return
    if user is not None and not user.disabled and user.session_version == session.get("ver"):
        g.user = user
