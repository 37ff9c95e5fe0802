"""Fixtures of the bridging-service and operating-expense tests.

Every test taking `desk` runs on SQLite and on PostgreSQL (tests/conftest.py); afterwards the
journal's chain verifies and both trial balances balance (there), and the audit log's chain
verifies (here).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ..http.helpers import Api
from .helpers import Desk


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def desk(client: Any, engine: Engine, staff_accounts: Any) -> Desk:
    """The fund's bridging and expense routes, as fund manager fm1 by default."""
    return Desk(Api(client, engine, staff_accounts))
