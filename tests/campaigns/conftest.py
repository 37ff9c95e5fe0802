"""Fixtures of the repair-campaign tests (issue 6), at use-case level.

Tests taking `bk` (or `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards the
journal's chain verifies and both trial balances balance (tests/conftest.py) and the audit
log's chain verifies (here).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.db.session import UnitOfWork

from .helpers import Books, fund_manager


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def bk(uow: UnitOfWork, engine: Engine) -> Books:
    return Books(uow, engine, fund_manager(uow))
