"""Fixtures of the staff-account tests (accounts, roles, tokens, sessions, the audit log).

Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py); afterwards the
journal's chain must verify and the trial balances balance. Tests that break the audit chain
on purpose are marked `tampers`; the others check that it still verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from api import create_app, state
from ledger.db.chain import verify_audit
from ledger.db.session import UnitOfWork

from .helpers import StaffApi, Web


@pytest.fixture(autouse=True)
def audit_chain_sound(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that has a database, the audit log's chain verifies too."""
    if "engine" not in request.fixturenames or request.node.get_closest_marker("tampers"):
        yield
        return
    engine: Engine = request.getfixturevalue("engine")  # set up first: torn down after this
    yield
    report = UnitOfWork(engine).read(verify_audit)
    assert report.ok, f"audit chain broken after the test: {report.reason}"


@pytest.fixture
def staff_api(client: Any, staff_accounts: Any) -> StaffApi:
    return StaffApi(client, staff_accounts)


@pytest.fixture
def web(app: Flask) -> Web:
    """A browser at 127.0.0.1 (development settings: plain http)."""
    return Web(app)


@pytest.fixture
def bare_app(tmp_path: Any) -> Iterator[Flask]:
    """The app on an empty database, for what is decided before any database is asked (the
    url_map, declared roles): these tests run once, not per backend."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
                      "HUZHU_ENV": "development", "SECRET_KEY": "test secret key"})
    yield app
    with app.app_context():
        state.engine().dispose()


@pytest.fixture
def production_app(db_url: str, engine: Engine) -> Iterator[Flask]:
    """The app with production settings (`__Host-` Secure session cookie) on the test's db."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "HUZHU_ENV": "production",
                      "SECRET_KEY": "production-like test secret key"})
    yield app
    with app.app_context():
        state.engine().dispose()
