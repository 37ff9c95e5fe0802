"""Fixtures of the HTTP API tests.

Every test here runs on SQLite and on PostgreSQL (see tests/conftest.py), and after each one the
chain must verify and both trial balances must balance.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from .helpers import Api


@pytest.fixture
def api(client: Any, engine: Engine, staff_accounts: Any) -> Api:
    """The client, authenticated as an admin (helpers.ACTOR) by default."""
    return Api(client, engine, staff_accounts)
