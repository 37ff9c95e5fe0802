"""Fixtures of the mutual-aid fund tests.

Tests taking `fund` (or `db_url`, `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards
the journal's chain must verify and both trial balances balance (tests/conftest.py) and the
audit log's chain must verify (here). test_rules.py tests pure functions and needs no database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.db.chain import verify_audit
from ledger.db.session import UnitOfWork

from ..http.helpers import Api
from .helpers import Fund


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
def fund(client: Any, engine: Engine, staff_accounts: Any) -> Fund:
    return Fund(Api(client, engine, staff_accounts))
