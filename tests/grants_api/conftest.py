"""Fixtures of the grant-programme API tests.

Every test taking `programme` runs on SQLite and on PostgreSQL (tests/conftest.py); afterwards
the journal's chain verifies and both trial balances balance (there), and the audit log's
chain verifies (here).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ..http.helpers import Api
from .helpers import Programme


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""


@pytest.fixture
def programme(client: Any, engine: Engine, staff_accounts: Any) -> Programme:
    """The foundation's and the grant routes, with two more board members (board2, board3)
    so that a round has three reviewers: board1, board2, board3."""
    api = Api(client, engine, staff_accounts)
    for username in ("board2", "board3"):
        api.add_staff(username, "board_member")
    return Programme(api)
