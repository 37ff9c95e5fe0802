"""Fixtures of the bulk-import tests (issue 9, part 3): `flask --app api ledger import`,
POST /api/entries/batch, ledger/bulk.py and ledger/core/bulk.py.

Tests taking `uow`, `engine`, `app`, `client` or `runner` run on SQLite and on PostgreSQL
(tests/conftest.py); afterwards the journal's chain verifies and both trial balances balance
(there) and the audit log's chain verifies (here).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""
