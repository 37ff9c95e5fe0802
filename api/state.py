"""Per-app database engine and per-request unit of work."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy import Engine
from werkzeug.exceptions import BadRequest

from ledger.db.session import UnitOfWork, make_engine

_ENGINE = "huzhu.engine"


def init_app(app: Flask) -> None:
    app.extensions[_ENGINE] = make_engine(app.config["DATABASE_URL"])


def engine() -> Engine:
    return current_app.extensions[_ENGINE]


def uow() -> UnitOfWork:
    """The request's unit of work (one per request: it is not shared between threads)."""
    if "uow" not in g:
        g.uow = UnitOfWork(engine())
    return g.uow


def current_actor() -> str:
    """Who is asking. Until staff accounts exist this is the `X-Actor` header (default 'api').

    WSGI servers hand header bytes over decoded as latin-1 (PEP 3333); staff names are UTF-8.
    """
    raw = request.headers.get("X-Actor") or "api"
    try:
        actor = raw.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise BadRequest("X-Actor must be UTF-8 text") from None
    if not actor or len(actor) > 100 or not actor.isprintable():
        raise BadRequest("X-Actor must be 1 to 100 printable characters")
    return actor
