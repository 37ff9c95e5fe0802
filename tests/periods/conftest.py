"""Fixtures of the period, close, sign-off and statement tests (issue 7), at use-case level.

Tests taking `bk` (or `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards the
journal's chain verifies and both trial balances balance (tests/conftest.py; tests that break
the books on purpose are marked `tampers`) and the audit log's chain verifies (here).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.db.session import UnitOfWork

from .helpers import Books, create_people


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def bk(uow: UnitOfWork, engine: Engine) -> Books:
    return Books(uow, engine, create_people(uow))
