"""The model-based test's databases: one seeded database per test (staff, a member enterprise,
a grantee), and a fresh copy of it for every Hypothesis example.

SQLite copies the seeded file (about a millisecond); PostgreSQL clones it with
``CREATE DATABASE ... TEMPLATE`` (measured in bench/model.py). Both are faster than migrating
and seeding again, and leave every example the same starting books.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy import Engine, event, make_url

from ledger import grantees, mutual_aid, staff
from ledger.core.credit_code import check_character
from ledger.core.grants import Registration
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork, make_engine

PASSWORD = "a long model-test password 甲乙丙"
#: A valid unified social credit code (tests/mutual_aid); a social organisation's first 17.
MEMBER_CODE = "91350100M000100Y43"
GRANTEE_FIRST17 = "51330400MJ0000001"
SHM = Path("/dev/shm")
#: PostgreSQL commits without waiting for the WAL flush (a crash could lose the last
#: commits, which this test never has): the same rules, a third faster on this machine.
NO_WAIT_FOR_FLUSH = "SET synchronous_commit = off"


@dataclass(frozen=True)
class Cast:
    """Who acts in the model's books, and the records every example starts with."""

    fm1: Actor
    fm2: Actor
    board1: Actor
    member_id: int
    grantee_id: int


def seed(engine: Engine) -> Cast:
    """Two fund managers, a board member, an active member enterprise and a grantee: no
    entries yet."""
    uow = UnitOfWork(engine)
    creator = Actor.system("model-setup")
    hasher, staff.HASHER = staff.HASHER, PasswordHasher(time_cost=1, memory_cost=8,
                                                        parallelism=1)
    try:
        users = {name: staff.create_user(uow, creator, username=name,
                                         display_name=name.upper(), password=PASSWORD,
                                         roles=[role.value])
                 for name, role in (("fm1", Role.FUND_MANAGER), ("fm2", Role.FUND_MANAGER),
                                    ("board1", Role.BOARD_MEMBER))}
    finally:
        staff.HASHER = hasher
    fm1 = users["fm1"].actor(Role.FUND_MANAGER)
    member = mutual_aid.register_member(
        uow, fm1, name_zh="嘉兴永耀纺织有限公司", credit_code=MEMBER_CODE,
        legal_representative="沈永耀", contact_name="沈会计", contact_phone="0573-8300 1234",
        joined_on=date(2025, 11, 1))
    grantee = grantees.register_grantee(
        uow, fm1, name_zh="新塍镇社工服务中心",
        credit_code=GRANTEE_FIRST17 + check_character(GRANTEE_FIRST17),
        registration=Registration.REGISTERED, contact_name="王社工",
        contact_phone="0573-8300 5678", bank_name="嘉兴银行", bank_account="6222 0000 0001")
    return Cast(fm1=fm1, fm2=users["fm2"].actor(Role.FUND_MANAGER),
                board1=users["board1"].actor(Role.BOARD_MEMBER), member_id=member.id,
                grantee_id=grantee.id)


def _run_on_connect(sql: str, dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(sql)
    cursor.close()
    dbapi_connection.commit()


@dataclass
class Copies:
    """Fresh copies of a seeded database, one per example, with the time each took."""

    make: Callable[[], tuple[str, Callable[[], None]]]
    on_connect: str = ""
    seconds: list[float] = field(default_factory=list)

    @contextmanager
    def fresh(self) -> Iterator[Engine]:
        started = time.perf_counter()
        url, drop = self.make()
        engine = make_engine(url)
        if self.on_connect:
            event.listen(engine, "connect", partial(_run_on_connect, self.on_connect))
        self.seconds.append(time.perf_counter() - started)
        try:
            yield engine
        finally:
            engine.dispose()
            drop()


def sqlite_copies(seeded: Path, workdir: Path) -> Copies:
    """Each example gets its own copy of the seeded file, in memory-backed /dev/shm where
    there is one (fsync is then free: this test is about the rules, not durability)."""
    folder = SHM if SHM.is_dir() else workdir

    def make() -> tuple[str, Callable[[], None]]:
        path = folder / f"huzhu-model-{uuid.uuid4().hex[:10]}.sqlite3"
        shutil.copyfile(seeded, path)

        def drop() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", drop
    return Copies(make)


def pg_copies(seeded_url: str) -> Copies:
    """Each example gets a database cloned from the seeded one (which must have no open
    connection: dispose of its engine first)."""
    template = make_url(seeded_url).database
    admin = make_url(seeded_url).set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)

    def run(sql: str) -> None:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def make() -> tuple[str, Callable[[], None]]:
        name = f"{template}_ex_{uuid.uuid4().hex[:8]}"[:63]
        run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = make_url(seeded_url).set(database=name).render_as_string(hide_password=False)
        return url, lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return Copies(make, on_connect=NO_WAIT_FOR_FLUSH)
