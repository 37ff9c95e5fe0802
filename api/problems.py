"""RFC 9457 problem details: the one JSON shape of every error the API returns."""

from __future__ import annotations

import http
import inspect
import logging
import os
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from sqlalchemy import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from ledger.core import errors

from .auth import public
from .schemas import ProblemOut

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

#: Domain error class -> HTTP status. The first match in this order wins.
STATUS_FOR: tuple[tuple[type[errors.LedgerError], int], ...] = (
    (errors.InvalidCredentials, 401),
    (errors.Forbidden, 403),
    (errors.TooManyAttempts, 429),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.InvalidInput, 422),
    (errors.LedgerError, 400),
)


def status_for(error: errors.LedgerError | type[errors.LedgerError]) -> int:
    kind = error if isinstance(error, type) else type(error)
    return next(status for cls, status in STATUS_FOR if issubclass(kind, cls))


def problem(status: int, detail: str, *, slug: str | None = None, title: str | None = None,
            headers: dict[str, str] | None = None, **extensions: Any) -> Response:
    """A problem-details response. `slug` names a documented type under /problems/.

    Outside the JSON API a browser gets the same error as a page in the staff layout."""
    from .web.errors import error_page, wants_html  # at call time: api.web imports this module

    if wants_html():
        return error_page(status, headers=headers)
    body: dict[str, Any] = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    body.update({k: v for k, v in extensions.items() if v is not None})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_ledger_error(error: errors.LedgerError) -> Response:
    field_errors = {error.field: [error.message]} if error.field else None
    headers = ({"Retry-After": str(error.retry_after)}
               if isinstance(error, errors.TooManyAttempts) else None)
    return problem(status_for(error), error.message, slug=error.code, title=error.title,
                   errors=field_errors, headers=headers, **error.extensions())


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    field_errors = _field_errors(data.get("errors") or data.get("messages"))
    detail = data.get("message") or error.description or HTTPStatus(status).description
    if field_errors and status == 422:
        detail = "The request has invalid fields; see `errors`."
    elif field_errors and set(field_errors) == {"body"}:
        detail = " ".join(str(m) for m in field_errors["body"])
    if status >= 500:
        detail = "The server could not complete the request. Nothing was written."
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problem(status, detail, errors=field_errors, headers=headers)


def _field_errors(found: Any) -> dict[str, Any] | None:
    """Always an object of field -> messages. webargs nests body errors under "json" (unwrapped
    here) and reports an unparsable body as a bare list (kept under "body")."""
    if not found:
        return None
    if isinstance(found, dict) and set(found) == {"json"}:
        found = found["json"]
    if isinstance(found, dict):
        return found
    return {"body": found if isinstance(found, list) else [str(found)]}


def from_database_refusal(error: IntegrityError) -> Response:
    message = str(error.orig).splitlines()[0] if error.orig else ""
    detail = message if message.startswith("ledger:") else (
        "The database refused the write because it would break a rule of the books.")
    return problem(409, detail, slug="database-refused",
                   title=DATABASE_PROBLEMS["database-refused"][1])


def from_database_data_error(error: DataError) -> Response:
    log.warning("database refused a value: %s", error.orig)
    return problem(422, "A value is too long or out of range for the books; nothing was written.",
                   slug="value-out-of-range", title=DATABASE_PROBLEMS["value-out-of-range"][1])


def from_database_error(error: DBAPIError) -> Response:
    fault = storage_fault(error, database_file())
    if fault is not None:
        return from_storage_fault(error, fault)
    log.exception("database error", exc_info=error)
    return problem(503, "The database is unavailable or busy; nothing was written. Retry.",
                   slug="database-unavailable",
                   title=DATABASE_PROBLEMS["database-unavailable"][1],
                   headers={"Retry-After": "1"})


#: SQLite's primary result codes and PostgreSQL's SQLSTATEs of books that cannot be written.
SQLITE_READONLY, SQLITE_FULL, SQLITE_CANTOPEN = 8, 13, 14
PG_READ_ONLY = {"25006", "42501"}  # read-only transaction; a role without write privileges
PG_DISK_FULL = {"53100"}
READ_ONLY, DISK_FULL = "database-read-only", "database-disk-full"
STORAGE_DETAILS = {
    READ_ONLY: "The database accepts no writes at the moment (it is read-only); nothing was "
               "written. Retry once the operator has made it writable again.",
    DISK_FULL: "The database's disk is full; nothing was written. Retry once the operator "
               "has freed space.",
}


def storage_fault(error: BaseException, path: Path | None = None) -> str | None:
    """READ_ONLY or DISK_FULL when `error` (SQLAlchemy's, or the driver's own: bulk imports
    use psycopg's COPY) says the books cannot be written for lack of permission or space,
    else None. SQLite cannot open a WAL database on a read-only disk (CANTOPEN, not READONLY):
    that counts as read-only when `path`'s directory is not writable."""
    original = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary == SQLITE_FULL:
            return DISK_FULL
        if primary == SQLITE_READONLY or (
                primary == SQLITE_CANTOPEN and path is not None
                and path.parent.is_dir()
                and not os.access(path.parent, os.W_OK)):
            return READ_ONLY
        return None
    state = getattr(original, "sqlstate", None)
    if state in PG_READ_ONLY:
        return READ_ONLY
    return DISK_FULL if state in PG_DISK_FULL else None


def database_file() -> Path | None:
    url = make_url(current_app.config["DATABASE_URL"])
    return Path(url.database) if url.drivername.startswith("sqlite") and url.database else None


def from_storage_fault(error: BaseException, fault: str) -> Response:
    log.error("the books cannot be written: %s", getattr(error, "orig", error))
    status, title = DATABASE_PROBLEMS[fault]
    return problem(status, STORAGE_DETAILS[fault], slug=fault, title=title)


def from_unexpected(error: Exception) -> Response:
    fault = storage_fault(error, database_file())  # a driver's error that SQLAlchemy let by
    if fault is not None:
        return from_storage_fault(error, fault)
    log.exception("unhandled error", exc_info=error)
    return problem(500, "The server could not complete the request. Nothing was written.")


class ProblemApi(Api):
    """flask-smorest's Api, answering (and documenting) every HTTP error as problem details."""

    ERROR_SCHEMA = ProblemOut

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        original = getattr(error, "original_exception", None)
        if original is not None and not isinstance(original, HTTPException):
            return from_unexpected(original)
        return from_http_exception(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.LedgerError, from_ledger_error)
    app.register_error_handler(IntegrityError, from_database_refusal)
    app.register_error_handler(DataError, from_database_data_error)
    app.register_error_handler(DBAPIError, from_database_error)
    app.register_error_handler(Exception, from_unexpected)
    app.add_url_rule("/problems/<slug>", "problem_type", public(describe))


#: Problems raised by the database rather than the core: slug -> (status, title).
DATABASE_PROBLEMS = {
    "database-refused": (409, "The database refused the write"),
    "value-out-of-range": (422, "A value is out of range"),
    "database-unavailable": (503, "The database is unavailable"),
    READ_ONLY: (503, "The books are read-only"),
    DISK_FULL: (507, "The database's disk is full"),
}


def _problem_types() -> dict[str, type[errors.LedgerError]]:
    found: dict[str, type[errors.LedgerError]] = {}
    pending: list[type[errors.LedgerError]] = [errors.LedgerError]
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


def describe(slug: str) -> Response | tuple[dict[str, Any], int]:
    """GET /problems/<slug>: what a problem type means (the `type` URIs resolve here)."""
    cls = _problem_types().get(slug)
    if slug in DATABASE_PROBLEMS:
        status, title = DATABASE_PROBLEMS[slug]
        return {"type": f"/problems/{slug}", "title": title, "status": status,
                "description": title + "."}, 200
    if cls is None:
        return problem(404, f"there is no problem type {slug!r}")
    return {"type": f"/problems/{slug}", "title": cls.title, "status": status_for(cls),
            "description": inspect.getdoc(cls) or cls.title}, 200
