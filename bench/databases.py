"""Scratch databases for the benchmarks and long runs: a new one per run, removed afterwards.

SQLite: a file in a new temporary directory. PostgreSQL: a database of the given name on the
server that `pg_admin` (an admin URL) reaches, dropped first if a crashed run left it behind.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine, make_url

from ledger import staff
from ledger.core.staff import Actor
from ledger.db import migrate
from ledger.db.session import UnitOfWork, make_engine

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("sqlite", "postgresql")


def pg_dsn(url: str, database: str | None = None) -> str:
    """libpq's form of a SQLAlchemy PostgreSQL URL, optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _drop(pg_admin: str, name: str) -> None:
    with psycopg.connect(pg_dsn(pg_admin), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))


@contextmanager
def scratch(kind: str, name: str, *, pg_admin: str = PG_ADMIN, migrated: bool = True,
            durable: bool = True) -> Iterator[str]:
    """The SQLAlchemy URL of a new database of `kind` ("sqlite" or "postgresql") called
    `name`, migrated to the latest schema unless `migrated=False`; removed afterwards.
    `durable=False`: PostgreSQL commits without waiting for the disk, for runs of thousands
    of small commits that are about answers, not durability."""
    if kind not in KINDS:
        raise ValueError(f"unknown database {kind!r}; expected one of {', '.join(KINDS)}")
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
        if kind == "sqlite":
            url = f"sqlite:///{Path(folder) / (name + '.sqlite3')}"
        else:
            _drop(pg_admin, name)
            with psycopg.connect(pg_dsn(pg_admin), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                if not durable:
                    conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off")
                                 .format(sql.Identifier(name)))
            url = make_url(pg_admin).set(drivername="postgresql+psycopg", database=name
                                         ).render_as_string(hide_password=False)
        try:
            if migrated:
                engine = make_engine(url)
                try:
                    migrate.upgrade(engine)
                finally:
                    engine.dispose()
            yield url
        finally:
            if kind == "postgresql":
                _drop(pg_admin, name)


@contextmanager
def scratch_engine(kind: str, name: str, *, pg_admin: str = PG_ADMIN, migrated: bool = True
                   ) -> Iterator[Engine]:
    """An engine on a `scratch` database, disposed of before the database is removed."""
    with scratch(kind, name, pg_admin=pg_admin, migrated=migrated) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def admin_token(url: str, program: str) -> str:
    """An admin account on the books at `url` and a personal access token of theirs, made
    through the use cases as `flask --app api users create` makes them; `program` names the
    benchmark in the audit log."""
    engine = make_engine(url)
    try:
        uow = UnitOfWork(engine)
        admin = staff.create_user(uow, Actor.system(program), username=f"{program}-admin",
                                  display_name="压测管理员",
                                  password=f"{program} {uuid.uuid4()} 甲乙", roles=["admin"])
        token, _ = staff.create_token(uow, admin.actor(), admin.username, program)
        return token
    finally:
        engine.dispose()
