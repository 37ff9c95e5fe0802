"""Fixtures of the public transparency pages' tests (issue 8).

tests/conftest.py gives a database per test on SQLite and PostgreSQL and the staff accounts;
tests/periods/helpers.py builds real books through the use cases (here acted by the staff
accounts: fm1 records, admin1 closes, aud1 signs off); tests/browser/conftest.py serves the app
for the real-browser test (re-exported here), which starts its own Chromium.

`paid`: a repair campaign of six households (their contact names and phones on the roll), five
of them paying in October 2026 and one in November; the foundation's October closed and
signed off, with an income entry beside the payments.
"""

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
from ..periods.helpers import Books, People
from .helpers import Paid, pay_october


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well."""


@pytest.fixture
def bk(uow: UnitOfWork, engine: Engine, staff_accounts: Staff) -> Books:
    """The books through the use cases, acted by the test's staff accounts."""
    return Books(uow, engine, People(staff_accounts.users))


@pytest.fixture
def paid(bk: Books) -> Paid:
    return pay_october(bk)


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where the browser test saves its screenshots: test-artifacts/transparency/."""
    folder = ARTIFACTS / "transparency"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
