"""Fixtures of the mutual-aid fund tests.

Tests taking `fund` (or `db_url`, `engine`, `uow`) run on SQLite and on PostgreSQL; afterwards
the journal's chain must verify and both trial balances balance (tests/conftest.py) and the
audit log's chain must verify (here). test_rules.py tests pure functions and needs no database.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ..http.helpers import Api
from .helpers import Fund


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def fund(client: Any, engine: Engine, staff_accounts: Any) -> Fund:
    return Fund(Api(client, engine, staff_accounts))
