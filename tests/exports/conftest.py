"""Fixtures of the export tests (issue 9): `flask --app api ledger export` and
ledger/exports.py, checked with the real tools (helpers.py).

Tests taking `uow`, `engine`, `app` or `runner` run on SQLite and on PostgreSQL
(tests/conftest.py); afterwards the journal's chain verifies and both trial balances balance
(there) and the audit log's chain verifies (here).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well (see
    tests/conftest.py)."""
