"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

Every test that takes `db_url` (or `engine`, `uow`, `app`, `client`) runs twice: once on a
copy of a migrated SQLite file, once on a PostgreSQL database cloned from a migrated template.
PostgreSQL is found at HUZHU_TEST_PG_URL (an admin URL) or 127.0.0.1:5432 as postgres; when it
does not answer the PostgreSQL runs are skipped, unless HUZHU_REQUIRE_PG=1 (CI), where that
is an error.

After each such test the books are checked: the chain verifies and both entities' trial
balances balance. A test that tampers with the books on purpose is marked `tampers`. The
conftests of the fund's and the foundation's tests check the audit log's chain as well
(`audit_chain_checked`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, make_url

from api import create_app, state
from ledger import staff
from ledger.core.chart import ENTITIES
from ledger.core.staff import Actor
from ledger.db import migrate
from ledger.db.balances import trial_balance
from ledger.db.chain import verify, verify_audit
from ledger.db.session import UnitOfWork, make_engine

BACKENDS = ("sqlite", "postgresql")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tampers: the test breaks the books on purpose")
    config.addinivalue_line("markers", "real_argon2: hash passwords at production cost")


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
                          ) -> None:
    """Argon2id at production cost takes ~50 ms a hash; most tests need many accounts, not
    that cost. Tests marked `real_argon2` keep the production parameters."""
    if request.node.get_closest_marker("real_argon2") is None:
        monkeypatch.setattr(staff, "HASHER",
                            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


# --- PostgreSQL server ------------------------------------------------------------------------
def _pg_admin_url() -> str:
    return os.environ.get(
        "HUZHU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


def _pg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _pg_url(database: str) -> str:
    return make_url(_pg_admin_url()).set(
        drivername="postgresql+psycopg", database=database
    ).render_as_string(hide_password=False)


def _pg_admin(sql: str) -> None:
    with psycopg.connect(_pg_dsn(_pg_admin_url()), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_available() -> bool:
    try:
        _pg_admin("SELECT 1")
        return True
    except psycopg.OperationalError as error:
        if os.environ.get("HUZHU_REQUIRE_PG") == "1":
            pytest.fail(f"HUZHU_REQUIRE_PG=1 but PostgreSQL does not answer: {error}")
        return False


def _unique(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def pg_template(pg_available: bool) -> Iterator[str | None]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE ... TEMPLATE)."""
    if not pg_available:
        yield None
        return
    name = _unique("huzhu_tpl")
    _pg_admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(_pg_url(name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "huzhu.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


# --- a fresh database per test ----------------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, pg_available: bool) -> str:
    if request.param == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432 (set HUZHU_TEST_PG_URL)")
    return str(request.param)


@pytest.fixture
def pg_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")


@pytest.fixture
def db_url(backend: str, tmp_path: Path, sqlite_template: Path,
           pg_template: str | None) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "huzhu.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    name = _unique("huzhu_test")
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    try:
        if request.node.get_closest_marker("tampers") is None:
            assert_books_sound(engine)
    finally:
        engine.dispose()


def assert_books_sound(engine: Engine) -> None:
    """The invariants every test must leave intact: chain verifies, trial balances balance."""
    uow = UnitOfWork(engine)
    report = uow.read(verify)
    assert report.ok, f"chain broken after the test: {report.reason}"
    for code in ENTITIES:
        tb = uow.read(lambda s, code=code: trial_balance(s, code, date.max))
        assert tb.balanced, f"trial balance of {code} does not balance: {tb.totals()}"


@pytest.fixture
def audit_chain_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with a database, the audit log's chain verifies as well (a conftest's
    autouse fixture requests this for all of its tests)."""
    if "engine" not in request.fixturenames:
        yield
        return
    if "pg_only" in request.fixturenames:
        request.getfixturevalue("pg_only")  # skip before building a database for nothing
    engine: Engine = request.getfixturevalue("engine")  # set up first: torn down after this
    yield
    report = UnitOfWork(engine).read(verify_audit)
    assert report.ok, f"audit chain broken after the test: {report.reason}"


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine)


@pytest.fixture
def app(db_url: str, engine: Engine):  # type: ignore[no-untyped-def]
    """The Flask app on the test's database (`engine` is requested for the soundness check)."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "HUZHU_ENV": "development",
                      "SECRET_KEY": "test secret key, not for production"})
    yield app
    with app.app_context():
        state.engine().dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


# --- staff accounts ---------------------------------------------------------------------------
PASSWORD = "a long test password 甲乙"
#: One account per role, plus a second fund manager (for maker-checker) and a multi-role one.
STAFF_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "admin1": ("admin",),
    "fm1": ("fund_manager",),
    "fm2": ("fund_manager",),
    "board1": ("board_member",),
    "aud1": ("auditor",),
    "multi1": ("fund_manager", "board_member"),
}


@dataclass
class Staff:
    """The test's staff accounts (all with password PASSWORD) and their API tokens."""

    users: dict[str, staff.StaffUser]
    tokens: dict[str, str]

    def bearer(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def staff_accounts(uow: UnitOfWork) -> Staff:
    """Creates STAFF_ACCOUNTS through the use cases (audited, like real ones) with a token each."""
    creator = Actor.system("test-setup")
    users, tokens = {}, {}
    for username, roles in STAFF_ACCOUNTS.items():
        users[username] = staff.create_user(uow, creator, username=username,
                                            display_name=username.upper(), password=PASSWORD,
                                            roles=list(roles))
        tokens[username], _ = staff.create_token(
            uow, users[username].actor(), username, "tests")
    return Staff(users, tokens)
