"""Fixtures of the foundation's income and grant-programme tests (issue 5), at use-case level.

Tests taking `prog` (or `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards the
journal's chain verifies and both trial balances balance (tests/conftest.py) and the audit
log's chain verifies (here). test_core.py tests pure functions and needs no database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.db.session import UnitOfWork

from .helpers import People, Programme, create_people


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def people(uow: UnitOfWork) -> People:
    return create_people(uow)


@pytest.fixture
def prog(uow: UnitOfWork, engine: Engine, people: People) -> Programme:
    return Programme(uow, engine, people)
