"""Helpers of the backup and storage tests (no tests here): the demo books built once per
database and cloned per test, a fingerprint of every table, and the figures a restore must
bring back unchanged (statement data, ledger detail, the stored PDF of a signed period)."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event, inspect, make_url, text

from ledger import demo
from ledger.db.session import UnitOfWork, make_engine
from ledger.statements import ledger_lines, statement_pack
from reports.statement_data import pack_json
from reports.statements import statement_pdf

SIGNED = ("fund", "2026-10")  # the demo signs off October of both books
DRAFT = ("foundation", "2026-11")
PASSWORD = "demo books under backup 甲乙"
PG_ADMIN = make_url(os.environ.get(
    "HUZHU_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")).set(
    drivername="postgresql").render_as_string(hide_password=False)


def pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_url(name: str) -> str:
    return make_url(PG_ADMIN).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def fingerprint(engine: Engine) -> dict[str, str]:
    """Table -> SHA-256 of its rows in a stable order: equal means the same books, row for row."""
    found = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            found_rows = conn.execute(text(f'SELECT * FROM "{table}"'))
            rows = sorted(repr(tuple(row)) for row in found_rows)
            found[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return found


@dataclass(frozen=True)
class Statements:
    """What residents and auditors read: a signed period's stored PDF, the statement data of
    the signed period and of a draft one, and the draft's general-ledger lines."""

    signed_pdf: bytes
    signed_data: dict[str, object]
    draft_data: dict[str, object]
    draft_lines: tuple[object, ...]


def statements(engine: Engine) -> Statements:
    uow = UnitOfWork(engine)
    return Statements(
        signed_pdf=statement_pdf(uow, *SIGNED, "zh", appendix=False),
        signed_data=pack_json(statement_pack(uow, *SIGNED)),
        draft_data=pack_json(statement_pack(uow, *DRAFT)),
        draft_lines=tuple(ledger_lines(uow, *DRAFT)))


def _load_demo(url: str) -> None:
    """The demo books, then the signed period's PDF rendered once (stored in the books)."""
    engine = make_engine(url)
    if url.startswith("postgresql"):  # a fixture's durability is not under test
        event.listen(engine, "connect", _no_fsync_wait)
    try:
        books = demo.DemoBooks(UnitOfWork(engine), PASSWORD)
        for step in books.steps():
            step.run()
        statement_pdf(UnitOfWork(engine), *SIGNED, "zh", appendix=False)
    finally:
        engine.dispose()


def _no_fsync_wait(dbapi_connection: psycopg.Connection, _record: object) -> None:
    dbapi_connection.execute("SET synchronous_commit = off")


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    _load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def demo_pg(pg_template: str | None) -> Iterator[str | None]:
    if pg_template is None:
        yield None
        return
    name = unique("huzhu_demo_tpl")
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        _load_demo(pg_url(name))
        yield name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh copy of the demo books (built once per database) for one test."""
    if backend == "sqlite":
        path = tmp_path / "books" / "huzhu.sqlite3"
        path.parent.mkdir()
        shutil.copyfile(request.getfixturevalue("demo_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    name = unique("huzhu_demo")
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("demo_pg")}"')
    try:
        yield pg_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite path, a new PostgreSQL database."""
    if backend == "sqlite":
        path = tmp_path / "restored" / "huzhu.sqlite3"
        path.parent.mkdir()
        yield f"sqlite:///{path}"
        return
    name = unique("huzhu_restored")
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
