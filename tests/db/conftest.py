"""Helpers for the database tests, handed out as fixtures (tests are not a package).

`raw`       raw-SQL access to the test's database: snapshots, head of the chain, account ids,
            and builders for hand-written entries (postings first, header last).
`post_some` posts n well-formed entries through `ledger.books.post`.
`tamper`    a context manager: one transaction in which the ledger's triggers are off
            (PostgreSQL: session_replication_role = replica; SQLite: the append-only triggers
            are dropped), for changing the books behind the service's back.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Date, Engine, bindparam, text

from ledger import books
from ledger.core.chain import link
from ledger.core.chart import Side
from ledger.core.entries import JournalEntry, PostedEntry, Posting
from ledger.core.money import from_minor, parse_money
from ledger.db.models import UTCDateTime
from ledger.db.session import UnitOfWork

DAY = date(2026, 11, 2)
SQLITE_APPEND_ONLY_TRIGGERS = (
    "journal_entries_no_update", "journal_entries_no_delete",
    "postings_no_update", "postings_no_delete",
)


def sample_entry(n: int = 1, *, entity: str = "fund", day: date = DAY, yuan: str | None = None,
                 debit: str = "1002", credit: str | None = None) -> JournalEntry:
    """A simple two-line entry: debit bank, credit income."""
    amount = parse_money(yuan or f"{100 + n}.{n % 100:02d}")
    credit = credit or ("420101" if entity == "fund" else "410101")
    return JournalEntry(
        entity=entity, effective_date=day, memo=f"entry {n} 第{n}笔", actor="tester",
        postings=(Posting.debit(debit, amount, memo="in"),
                  Posting.credit(credit, amount, memo="income")))


# --- raw SQL -------------------------------------------------------------------------------------
@dataclass
class RawLine:
    account_id: int
    code: str
    debit: int
    credit: int
    currency: str = "CNY"
    memo: str = ""
    effective_date: date | None = None  # None: the header's date


@dataclass
class RawEntry:
    seq: int
    entity: str
    effective_date: date
    prev_hash: str
    lines: list[RawLine]
    memo: str = "raw entry"
    actor: str = "raw-sql"
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    hash: str = ""

    def rehash(self) -> RawEntry:
        """The hash the service would have computed (a random one if the lines make no sense)."""
        try:
            postings = tuple(
                Posting(account=ln.code, side=Side.DEBIT if ln.debit else Side.CREDIT,
                        amount=from_minor(ln.debit or ln.credit, ln.currency), memo=ln.memo)
                for ln in self.lines)
            entry = JournalEntry(entity=self.entity, effective_date=self.effective_date,
                                 memo=self.memo, actor=self.actor, postings=postings)
            digest = link(entry, seq=self.seq, recorded_at=self.recorded_at,
                          prev_hash=self.prev_hash)
        except Exception:
            digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
        return replace(self, hash=digest)


_INSERT_POSTING = text(
    "INSERT INTO postings (entry_seq, line, account_id, effective_date, currency, debit, credit,"
    " memo) VALUES (:seq, :line, :account_id, :day, :currency, :debit, :credit, :memo)"
).bindparams(bindparam("day", type_=Date()))
_INSERT_HEADER = text(
    "INSERT INTO journal_entries (seq, entity, effective_date, recorded_at, memo, actor,"
    " prev_hash, hash) VALUES (:seq, :entity, :day, :recorded_at, :memo, :actor, :prev_hash,"
    " :hash)"
).bindparams(bindparam("day", type_=Date()), bindparam("recorded_at", type_=UTCDateTime()))


class Raw:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def head(self) -> tuple[int, str]:
        row = self.rows("SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1")
        return row[0] if row else (0, "0" * 64)

    def account_id(self, entity: str, code: str) -> int:
        found = self.scalar("SELECT id FROM accounts WHERE entity = :e AND code = :c",
                            e=entity, c=code)
        assert found is not None, f"no account {entity}:{code}"
        return int(found)

    def counts(self) -> tuple[int, int]:
        return (self.scalar("SELECT count(*) FROM journal_entries"),
                self.scalar("SELECT count(*) FROM postings"))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the ledger's tables, in a stable order, as plain tuples of text."""
        tables = {
            "journal_entries": "seq", "postings": "entry_seq, line", "accounts": "id",
            "entities": "code", "periods": "id",
        }
        return {t: [tuple(str(v) for v in r) for r in self.rows(f"SELECT * FROM {t} ORDER BY {o}")]
                for t, o in tables.items()}

    def line(self, entity: str, code: str, *, debit: int = 0, credit: int = 0,
             currency: str = "CNY", **kw: Any) -> RawLine:
        return RawLine(self.account_id(entity, code), code, debit, credit, currency, **kw)

    def entry(self, lines: Sequence[RawLine] | None = None, *, entity: str = "fund",
              day: date = DAY, **kw: Any) -> RawEntry:
        """A well-formed entry following the current head (hash computed like the service)."""
        seq, prev_hash = self.head()
        if lines is None:
            lines = [self.line(entity, "1002", debit=500), self.line(entity, "420101", credit=500)]
        entry = RawEntry(seq=seq + 1, entity=entity, effective_date=day, prev_hash=prev_hash,
                         lines=list(lines))
        return replace(entry, **kw).rehash()

    @staticmethod
    def insert_postings(conn: Connection, entry: RawEntry, *, first_line: int = 1) -> None:
        for number, ln in enumerate(entry.lines, start=first_line):
            conn.execute(_INSERT_POSTING, {
                "seq": entry.seq, "line": number, "account_id": ln.account_id,
                "day": ln.effective_date or entry.effective_date, "currency": ln.currency,
                "debit": ln.debit, "credit": ln.credit, "memo": ln.memo})

    @staticmethod
    def insert_header(conn: Connection, entry: RawEntry) -> None:
        conn.execute(_INSERT_HEADER, {
            "seq": entry.seq, "entity": entry.entity, "day": entry.effective_date,
            "recorded_at": entry.recorded_at, "memo": entry.memo, "actor": entry.actor,
            "prev_hash": entry.prev_hash, "hash": entry.hash})

    def write(self, conn: Connection, entry: RawEntry) -> None:
        """The service's write order: postings first, header last."""
        self.insert_postings(conn, entry)
        self.insert_header(conn, entry)


@pytest.fixture
def raw(engine: Engine) -> Raw:
    return Raw(engine)


@pytest.fixture
def post_some(uow: UnitOfWork) -> Callable[..., list[PostedEntry]]:
    def post_some(n: int, **kw: Any) -> list[PostedEntry]:
        return [books.post(uow, sample_entry(i + 1, **kw)) for i in range(n)]

    return post_some


@pytest.fixture
def tamper(engine: Engine) -> Callable[[], Any]:
    @contextmanager
    def tampering() -> Iterator[Connection]:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                for trigger in SQLITE_APPEND_ONLY_TRIGGERS:
                    conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
            yield conn

    return tampering


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
