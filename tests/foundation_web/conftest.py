"""Fixtures of the foundation's staff-page tests (tests/conftest.py: a database per test on
SQLite and PostgreSQL, the staff accounts; tests/browser/conftest.py: the live server,
re-exported here for test_reviewer_browser.py, which starts its own Chromium)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ledger.db.session import UnitOfWork

from ..browser.conftest import (  # noqa: F401 - fixtures of the real-browser test
    live_server,
    screenshots,
    sqlite_only,
)
from ..browser.threaded import in_chromium  # noqa: F401 - a fixture of the browser tests
from ..conftest import Staff
from .helpers import Books, add_board_members


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture
def books(uow: UnitOfWork, engine: Engine, staff_accounts: Staff) -> Books:
    """The foundation's use cases, with board2 and board3 besides the usual accounts."""
    add_board_members(uow)
    return Books(uow, staff_accounts, engine)
