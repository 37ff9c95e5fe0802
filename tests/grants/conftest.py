"""Fixtures of the foundation's income and grant-programme tests (issue 5), at use-case level.

Tests taking `prog` (or `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards the
journal's chain verifies and both trial balances balance (tests/conftest.py) and the audit
log's chain verifies (here). test_core.py tests pure functions and needs no database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger.db.chain import verify_audit
from ledger.db.session import UnitOfWork

from .helpers import People, Programme, create_people


@pytest.fixture(autouse=True)
def audit_chain_sound(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test with a database, the audit log's chain verifies as well."""
    if "engine" not in request.fixturenames:
        yield
        return
    if "pg_only" in request.fixturenames:
        request.getfixturevalue("pg_only")  # skip before building a database for nothing
    engine: Engine = request.getfixturevalue("engine")
    yield
    report = UnitOfWork(engine).read(verify_audit)
    assert report.ok, f"audit chain broken after the test: {report.reason}"


@pytest.fixture
def people(uow: UnitOfWork) -> People:
    return create_people(uow)


@pytest.fixture
def prog(uow: UnitOfWork, engine: Engine, people: People) -> Programme:
    return Programme(uow, engine, people)
