"""Fixtures of the periods API and CLI tests.

Every test taking `books` runs on SQLite and on PostgreSQL (tests/conftest.py); afterwards the
journal's chain verifies and both trial balances balance (there), and the audit log's chain
verifies (here).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ..http.helpers import Api
from .helpers import Books


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well."""


@pytest.fixture
def books(client: Any, engine: Engine, staff_accounts: Any) -> Books:
    return Books(Api(client, engine, staff_accounts))
