"""Fixtures of the campaigns' staff-page tests (tests/conftest.py: a database per test on
SQLite and PostgreSQL, the staff accounts; tests/browser/conftest.py: the live server,
re-exported here for test_campaign_browser.py, which starts its own Chromium).

Files previewed before an import wait in a folder of the test's own (HUZHU_CAMPAIGN_UPLOADS),
not in the instance folder of the repository."""

from __future__ import annotations

from pathlib import Path

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
from .helpers import Books


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


@pytest.fixture(autouse=True)
def audit_chain_sound(audit_chain_checked: None) -> None:
    """After every test with a database, the audit log's chain verifies as well."""


@pytest.fixture(autouse=True)
def uploads_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where the app holds previewed files during the test."""
    folder = tmp_path / "campaign-uploads"
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["HUZHU_CAMPAIGN_UPLOADS"] = str(folder)
    return folder


@pytest.fixture
def books(uow: UnitOfWork, engine: Engine, staff_accounts: Staff) -> Books:
    return Books(uow, staff_accounts, engine)
