"""Fixtures of the grant-programme API tests.

Every test taking `programme` runs on SQLite and on PostgreSQL (tests/conftest.py); afterwards
the journal's chain verifies and both trial balances balance (there), and the audit log's
chain verifies (here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.db.chain import verify_audit
from ledger.db.session import UnitOfWork

from ..http.helpers import Api
from .helpers import Programme


@pytest.fixture(autouse=True)
def audit_chain_sound(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test with a database, the audit log's chain verifies as well."""
    if "engine" not in request.fixturenames:
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    yield
    report = UnitOfWork(engine).read(verify_audit)
    assert report.ok, f"audit chain broken after the test: {report.reason}"


@pytest.fixture
def programme(client: Any, engine: Engine, staff_accounts: Any) -> Programme:
    """The foundation's and the grant routes, with two more board members (board2, board3)
    so that a round has three reviewers: board1, board2, board3."""
    api = Api(client, engine, staff_accounts)
    for username in ("board2", "board3"):
        api.add_staff(username, "board_member")
    return Programme(api)
