"""Per-app database engine and per-request unit of work."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine

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
