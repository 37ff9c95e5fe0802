"""Fixtures of the public overview's tests (issue 8).

tests/conftest.py gives a database per test on SQLite and PostgreSQL (`engine`, `uow`, `app`,
`client`) and the staff accounts; tests/periods/helpers.py builds real books through the use
cases, here acted by those accounts (and board2, board3 for the grant's votes);
tests/browser/conftest.py serves the app for the browser test (re-exported here), which starts
its own Chromium (tests/browser/threaded.py).

`seeded`: two years of both books with private data on purpose (helpers.seed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.db.session import UnitOfWork

from ..browser.conftest import (  # noqa: F401 - fixtures of the real-browser test
    live_server,
    sqlite_only,
)
from ..browser.threaded import in_chromium  # noqa: F401 - a fixture of the browser test
from ..conftest import ARTIFACTS, Staff
from ..periods.helpers import Books
from .helpers import Seeded, people_for, seed


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well."""


@pytest.fixture
def bk(uow: UnitOfWork, engine: Engine, staff_accounts: Staff) -> Books:
    """The books through the use cases, acted by the test's staff accounts."""
    return Books(uow, engine, people_for(uow, staff_accounts.users))


@pytest.fixture
def seeded(bk: Books) -> Seeded:
    return seed(bk)


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where the browser test saves its screenshots: test-artifacts/transparency/."""
    folder = ARTIFACTS / "transparency"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
