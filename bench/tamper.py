"""Tamper evidence (issue 10, part 5): change the books behind the service's back, again and
again, and check each time that the verifier fails and names the first bad record.

The book: `--entries` realistic entries (bench/books.py) posted through the posting path
(`books.post_many`, in batches of 1 to 40 entries, each batch with its audit record). It is kept
as a pristine copy. Each round restores the work copy from it (SQLite: a file copy; PostgreSQL:
CREATE DATABASE ... TEMPLATE), applies one random tampering as an attacker holding the
database would (SQLite: a plain connection that drops the refusing triggers first, or bytes
written into the file; PostgreSQL: `session_replication_role = replica`, every trigger off),
then runs `verify`, `verify_audit` and `flask --app api ledger verify`. A tampering counts as
named when the chain it touched fails at the lowest record it affected (entry number, audit
record number; for a daily total, its first entry, 0 if it has none), the other chain verifies,
and the command exits 1 saying the same.

    python -m bench.tamper --entries 10000 --tamperings 1000 --database sqlite
    python -m bench.tamper --database postgresql        # default: 2,000 entries, 100 rounds

Not tried, because a hash chain cannot see them without an anchor outside the database (a
published head hash, a signed period's Merkle root): the last records of a chain removed
together with the audit record of them, a forged record appended with a recomputed hash, and a
run of records rewritten with every hash recomputed (caught where the run ends).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, delete, insert, make_url, select, update

from api import create_app, state
from bench.books import realistic_entries
from ledger import books
from ledger.core.audit import AuditEvent
from ledger.core.audit import link as audit_link
from ledger.core.chain import GENESIS, link
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import from_minor
from ledger.core.staff import Actor, Role
from ledger.db import migrate
from ledger.db.chain import ChainReport, verify, verify_audit
from ledger.db.models import AccountDayTotalRow, AccountRow, AuditRow, EntryRow, PostingRow
from ledger.db.session import UnitOfWork, make_engine

E, P, A, T = (EntryRow.__table__, PostingRow.__table__, AuditRow.__table__,
              AccountDayTotalRow.__table__)
OFF = 1_000_000_000  # renumbering goes through here, clear of every real number
ENTRY, AUDIT = "entry", "audit record"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTERS = (Actor.system("bench"),
           Actor(user_id=7, username="fm1", role=Role.FUND_MANAGER, address="203.0.113.7"))


# --- the book ---------------------------------------------------------------------------------
def build(engine: Engine, entries: int, seed: int = 7) -> None:
    """Post `entries` realistic entries through `books.post_many`, in batches of 1 to 40."""
    uow, rng = UnitOfWork(engine), random.Random(seed)
    source = realistic_entries(entries, seed)
    while batch := list(islice(source, rng.randint(1, 40))):
        books.post_many(uow, batch, by=rng.choice(POSTERS))


@dataclass
class Snapshot:
    """The pristine book's rows, to pick targets from and to know what each one was."""

    entries: dict[int, dict[str, Any]]
    postings: dict[int, list[dict[str, Any]]]
    accounts: dict[int, tuple[str, str]]  # id -> (entity, code)
    audit: dict[int, dict[str, Any]]
    totals: dict[tuple[int, date, str], int]  # daily total's key -> its first entry

    @classmethod
    def load(cls, engine: Engine) -> Snapshot:
        with engine.connect() as conn:
            entries = {r["seq"]: dict(r) for r in conn.execute(select(E)).mappings()}
            postings: dict[int, list[dict[str, Any]]] = {}
            for r in conn.execute(select(P).order_by(P.c.entry_seq, P.c.line)).mappings():
                postings.setdefault(r["entry_seq"], []).append(dict(r))
            accounts = {r.id: (r.entity, r.code) for r in conn.execute(select(AccountRow))}
            audit = {r["seq"]: dict(r) for r in conn.execute(select(A)).mappings()}
        totals: dict[tuple[int, date, str], int] = {}
        for seq in sorted(postings):
            for p in postings[seq]:
                totals.setdefault((p["account_id"], p["effective_date"], p["currency"]), seq)
        return cls(entries, postings, accounts, audit, totals)

    @property
    def last(self) -> int:
        return max(self.entries)

    def account(self, entity: str, code: str) -> int:
        return next(i for i, key in self.accounts.items() if key == (entity, code))


# --- copies of the book -----------------------------------------------------------------------
class SQLiteCopies:
    """The pristine book as a file; the work copy is a file beside it."""

    dialect = "sqlite"

    def __init__(self, pristine: Path, folder: Path) -> None:
        self.pristine, self.work = pristine, folder / "work.sqlite3"
        self.url = f"sqlite:///{self.work}"

    def restore(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.work)

    @contextmanager
    def tampering(self) -> Iterator[Connection]:
        """A plain connection (foreign keys off) with the refusing triggers dropped; the one
        that keeps the daily totals stays, as a careless attacker would leave it."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA synchronous = OFF")  # the attacker's, not ours
                for (name,) in conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN"
                        " ('journal_entries', 'postings', 'audit_log', 'account_day_totals')"
                        " AND name <> 'postings_day_totals'").all():
                    conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
                yield conn
        finally:
            engine.dispose()

    def cleanup(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)


class PostgresCopies:
    """The pristine book as a database; the work copy is cloned from it as a template.

    `tables=True`: cloned once; later restores copy the four tables tampered with back from
    a schema `pristine` in the work copy, in one transaction with triggers off (a clone
    takes 1-3 s on a busy machine; this, a few hundredths at 500 entries)."""

    dialect = "postgresql"
    TABLES = ("journal_entries", "postings", "audit_log", "account_day_totals")

    def __init__(self, pristine_url: str, *, tables: bool = False) -> None:
        self.tables, self.cloned = tables, False
        url = make_url(pristine_url)
        self.pristine = url.database or ""
        self.work_name = f"{self.pristine}_w"[:63]
        self.url = url.set(database=self.work_name).render_as_string(hide_password=False)
        self.admin = url.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def restore(self) -> None:
        if self.tables and self.cloned:
            with self.tampering() as conn:
                for table in self.TABLES:
                    conn.exec_driver_sql(f"DELETE FROM {table}")
                    conn.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM pristine.{table}")
            return
        self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.work_name}" TEMPLATE "{self.pristine}"')
        if self.tables:
            with self.tampering() as conn:
                conn.exec_driver_sql("CREATE SCHEMA pristine")
                for table in self.TABLES:
                    conn.exec_driver_sql(f"CREATE TABLE pristine.{table} AS TABLE {table}")
            self.cloned = True

    @contextmanager
    def tampering(self) -> Iterator[Connection]:
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                yield conn
        finally:
            engine.dispose()

    def cleanup(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)')
        self.cloned = False


Copies = SQLiteCopies | PostgresCopies


# --- tamperings -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Expected:
    chain: str  # ENTRY or AUDIT
    seq: int  # the first bad record
    what: str  # the tampering, in words


Tampering = Callable[[Copies, Snapshot, random.Random], Expected]


def _random_hash() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


def _rehashed(how: str) -> bool:
    return "recomputed" in how and "not recomputed" not in how


def _renumber(conn: Connection, start: int, by: int, *, audit: bool = False) -> None:
    """Records `start` on move `by` places (entries with their postings)."""
    for table, column in ((A, A.c.seq),) if audit else ((E, E.c.seq), (P, P.c.entry_seq)):
        conn.execute(update(table).where(column >= start).values({column: column + OFF}))
        conn.execute(update(table).where(column >= OFF).values({column: column - OFF + by}))


def _swap(conn: Connection, s: int, t: int, *, audit: bool = False) -> None:
    for table, column in ((A, A.c.seq),) if audit else ((E, E.c.seq), (P, P.c.entry_seq)):
        for old, new in ((s, OFF), (t, s), (OFF, t)):
            conn.execute(update(table).where(column == old).values({column: new}))


def _forged_entry(snap: Snapshot, seq: int, prev_hash: str, rng: random.Random, *,
                  rehash: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    amount = rng.randrange(100, 10_000_000)
    day, at = date(2025, rng.randint(1, 12), rng.randint(1, 28)), datetime.now(UTC)
    entry = JournalEntry(entity="fund", effective_date=day, memo="互助资金 member 0",
                         actor="bench", postings=(Posting.debit("1002", from_minor(amount)),
                                                  Posting.credit("420101", from_minor(amount))))
    digest = link(entry, seq=seq, recorded_at=at, prev_hash=prev_hash) if rehash \
        else _random_hash()
    header = {"seq": seq, "entity": "fund", "effective_date": day, "recorded_at": at,
              "memo": entry.memo, "actor": entry.actor, "source_kind": None, "source_id": None,
              "reverses_seq": None, "prev_hash": prev_hash, "hash": digest}
    lines = [{"entry_seq": seq, "line": n, "account_id": snap.account("fund", code),
              "effective_date": day, "currency": "CNY", "debit": debit, "credit": credit,
              "memo": ""}
             for n, (code, debit, credit) in enumerate(
                 (("1002", amount, 0), ("420101", 0, amount)), start=1)]
    return header, lines


def _forged_audit(seq: int, prev_hash: str, *, rehash: bool) -> dict[str, Any]:
    event = AuditEvent(actor=Actor.system("bench"), action="entry.posted", object_type="entry",
                       object_id="1", details={"count": 1})
    at = datetime.now(UTC)
    return {"seq": seq, "at": at, "user_id": None, "username": "bench", "role": None,
            "address": None, "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "details": json.dumps(event.details),
            "prev_hash": prev_hash,
            "hash": audit_link(event, seq=seq, at=at, prev_hash=prev_hash) if rehash
            else _random_hash()}


def _line_key(p: dict[str, Any]) -> Any:
    return ((T.c.account_id == p["account_id"]) & (T.c.effective_date == p["effective_date"])
            & (T.c.currency == p["currency"]))


def _change_amounts(copies: Copies, snap: Snapshot, rng: random.Random, *, balanced: bool
                    ) -> Expected:
    s = rng.randint(1, snap.last)
    lines = snap.postings[s]
    delta = rng.randint(1, 100_000)
    if balanced:
        changed = [(rng.choice([p for p in lines if p["debit"]]), "debit", delta),
                   (rng.choice([p for p in lines if p["credit"]]), "credit", delta)]
    else:
        p = rng.choice(lines)
        side = "debit" if p["debit"] else "credit"
        changed = [(p, side, -delta if p[side] > delta and rng.random() < 0.5 else delta)]
    cover = rng.random() < 0.5  # the attacker also corrects the daily totals
    with copies.tampering() as conn:
        for p, side, by in changed:
            conn.execute(update(P).where((P.c.entry_seq == s) & (P.c.line == p["line"]))
                         .values({side: P.c[side] + by}))
            if cover:
                conn.execute(update(T).where(_line_key(p)).values({side: T.c[side] + by}))
    kind = "balanced" if balanced else "unbalanced"
    return Expected(ENTRY, s, f"#{s}: {kind} change of {delta} fen"
                    + (", daily totals corrected" if cover else ""))


def amount_balanced(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    return _change_amounts(copies, snap, rng, balanced=True)


def amount_unbalanced(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    return _change_amounts(copies, snap, rng, balanced=False)


def date_changed(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s = rng.randint(1, snap.last)
    moved = snap.entries[s]["effective_date"] + timedelta(
        days=rng.choice([-1, 1]) * rng.randint(1, 40))
    where = rng.choice(["header", "postings", "header and postings", "one posting"])
    with copies.tampering() as conn:
        if "header" in where:
            conn.execute(update(E).where(E.c.seq == s).values(effective_date=moved))
        if "postings" in where:
            conn.execute(update(P).where(P.c.entry_seq == s).values(effective_date=moved))
        if where == "one posting":
            conn.execute(update(P).where((P.c.entry_seq == s) & (P.c.line == 1))
                         .values(effective_date=moved))
    return Expected(ENTRY, s, f"#{s}: date of the {where} moved to {moved}")


def account_changed(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s = rng.randint(1, snap.last)
    p = rng.choice(snap.postings[s])
    entity, code = snap.accounts[p["account_id"]]
    other = rng.choice(["same entity", "other entity"])
    choices = [i for i, (e, c) in snap.accounts.items()
               if (e == entity and c != code if other == "same entity" else e != entity)]
    to = rng.choice(choices)
    with copies.tampering() as conn:
        conn.execute(update(P).where((P.c.entry_seq == s) & (P.c.line == p["line"]))
                     .values(account_id=to))
    return Expected(ENTRY, s, f"#{s} line {p['line']}: account {entity}/{code} -> "
                              f"{'/'.join(snap.accounts[to])}")


def field_changed(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s = rng.randint(1, snap.last)
    row = snap.entries[s]
    name = rng.choice(["memo", "posting memo", "posting currency", "actor", "source",
                       "recorded_at"])
    values: dict[str, Any] = {
        "memo": {"memo": row["memo"] + " "},
        "actor": {"actor": row["actor"] + "x"},
        "source": {"source_kind": "import", "source_id": f"forged-{s}"},
        "recorded_at": {"recorded_at": row["recorded_at"]
                        + timedelta(microseconds=rng.choice([-1, 1]) * rng.randint(1, 10**9))},
    }.get(name, {})
    with copies.tampering() as conn:
        if name.startswith("posting"):
            line = rng.choice(snap.postings[s])["line"]
            conn.execute(update(P).where((P.c.entry_seq == s) & (P.c.line == line)).values(
                {"memo": "changed"} if name == "posting memo"
                else {"currency": rng.choice(["USD", "ZZZ"])}))
        else:
            conn.execute(update(E).where(E.c.seq == s).values(values))
    return Expected(ENTRY, s, f"#{s}: {name} changed")


def entry_deleted(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    how = rng.choice(["leaving a gap", "later ones renumbered", "the last one"])
    s = snap.last if how == "the last one" else rng.randint(1, snap.last - 1)
    with copies.tampering() as conn:
        conn.execute(delete(P).where(P.c.entry_seq == s))
        conn.execute(delete(E).where(E.c.seq == s))
        if how == "later ones renumbered":
            _renumber(conn, s + 1, -1)
    return Expected(ENTRY, s, f"#{s} deleted, {how}")


def posting_deleted(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s = rng.randint(1, snap.last)
    line = rng.choice(snap.postings[s])["line"]
    with copies.tampering() as conn:
        conn.execute(delete(P).where((P.c.entry_seq == s) & (P.c.line == line)))
    return Expected(ENTRY, s, f"#{s}: line {line} deleted")


def contents_swapped(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s, t = sorted(rng.sample(range(1, snap.last + 1), 2))
    columns = ("entity", "effective_date", "recorded_at", "memo", "actor", "source_kind",
               "source_id")
    with copies.tampering() as conn:
        for a, b in ((s, t), (t, s)):
            conn.execute(update(E).where(E.c.seq == a)
                         .values({c: snap.entries[b][c] for c in columns}))
        for old, new in ((s, OFF), (t, s), (OFF, t)):
            conn.execute(update(P).where(P.c.entry_seq == old).values(entry_seq=new))
    return Expected(ENTRY, s, f"#{s} and #{t} swapped contents, hashes left in place")


def entries_swapped(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s, t = sorted(rng.sample(range(1, snap.last + 1), 2))
    with copies.tampering() as conn:
        _swap(conn, s, t)
    return Expected(ENTRY, s, f"#{s} and #{t} swapped numbers (whole rows)")


def entry_forged(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    last, how = snap.last, rng.choice([
        "postings of a new entry", "a line added to an entry", "a header without postings",
        "a new entry, hash not recomputed", "inserted, later ones renumbered",
        "inserted with a recomputed hash, later ones renumbered",
        "an entry replaced, hash recomputed"])
    s = last + 1 if "new" in how or "header" in how else rng.randint(1, last)
    prev = snap.entries[s - 1]["hash"] if s > 1 else GENESIS
    header, lines = _forged_entry(snap, s, prev, rng, rehash=_rehashed(how))
    with copies.tampering() as conn:
        if how == "a line added to an entry":
            extra = [dict(p, entry_seq=s, line=len(snap.postings[s]) + n)
                     for n, p in enumerate(lines[:rng.randint(1, 2)], start=1)]
            conn.execute(insert(P), extra)
        else:
            if "renumbered" in how:
                _renumber(conn, s, 1)
            if "replaced" in how:
                conn.execute(delete(P).where(P.c.entry_seq == s))
                conn.execute(delete(E).where(E.c.seq == s))
            if how != "a header without postings":
                conn.execute(insert(P), lines)
            if how != "postings of a new entry":
                conn.execute(insert(E), [header])
    return Expected(ENTRY, s, f"#{s}: {how}")


def day_total_changed(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    how = rng.choice(["raised", "lowered", "deleted", "forged for a day without postings"])
    key = rng.choice(list(snap.totals))
    account, day, currency = key
    where = (T.c.account_id == account) & (T.c.effective_date == day) & (T.c.currency == currency)
    side = rng.choice(["debit", "credit"])
    with copies.tampering() as conn:
        if how == "deleted":
            conn.execute(delete(T).where(where))
        elif how == "forged for a day without postings":
            day = date(2026, 12, rng.randint(1, 31))
            conn.execute(insert(T), [{"account_id": account, "effective_date": day,
                                      "currency": currency, "debit": 100, "credit": 0}])
        else:
            kept = conn.execute(select(T.c.debit, T.c.credit).where(where)).one()._asdict()
            if how == "lowered":
                side = side if kept[side] else next(k for k, v in kept.items() if v)
            by = -rng.randint(1, kept[side]) if how == "lowered" else rng.randint(1, 100_000)
            conn.execute(update(T).where(where).values({side: T.c[side] + by}))
    first = 0 if how.startswith("forged") else snap.totals[key]
    return Expected(ENTRY, first, f"daily total of account #{account} on {day} {how}")


def audit_altered(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s = rng.randint(1, max(snap.audit))
    row = snap.audit[s]
    name = rng.choice(["details", "details (not JSON)", "username", "action", "object_id",
                       "address", "role", "at"])
    values = {"details": {"details": json.dumps({**json.loads(row["details"]), "x": 1})},
              "details (not JSON)": {"details": "{"},
              "username": {"username": row["username"] + "x"},
              "action": {"action": "login.failed"},
              "object_id": {"object_id": f"1-{snap.last + rng.randint(0, 99)}"},
              "address": {"address": "198.51.100.1"},
              "role": {"role": rng.choice(["admin", "root"])},
              "at": {"at": row["at"] + timedelta(microseconds=rng.randint(1, 10**9))}}[name]
    with copies.tampering() as conn:
        conn.execute(update(A).where(A.c.seq == s).values(values))
    return Expected(AUDIT, s, f"audit #{s}: {name} changed")


def audit_deleted(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s, how = rng.randint(1, max(snap.audit) - 1), rng.choice(["gap", "later ones renumbered"])
    with copies.tampering() as conn:
        conn.execute(delete(A).where(A.c.seq == s))
        if how != "gap":
            _renumber(conn, s + 1, -1, audit=True)
    return Expected(AUDIT, s, f"audit #{s} deleted, {how}")


def audit_forged(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    last = max(snap.audit)
    how = rng.choice(["inserted, later ones renumbered",
                      "inserted with a recomputed hash, later ones renumbered",
                      "appended, hash not recomputed", "replaced, hash recomputed"])
    s = last + 1 if how.startswith("appended") else rng.randint(1, last)
    prev = snap.audit[s - 1]["hash"] if s > 1 else GENESIS
    with copies.tampering() as conn:
        if "renumbered" in how:
            _renumber(conn, s, 1, audit=True)
        if "replaced" in how:
            conn.execute(delete(A).where(A.c.seq == s))
        conn.execute(insert(A), [_forged_audit(s, prev, rehash=_rehashed(how))])
    return Expected(AUDIT, s, f"audit #{s}: {how}")


def audit_swapped(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    s, t = sorted(rng.sample(range(1, max(snap.audit) + 1), 2))
    with copies.tampering() as conn:
        _swap(conn, s, t, audit=True)
    return Expected(AUDIT, s, f"audit #{s} and #{t} swapped")


def file_bytes(copies: Copies, snap: Snapshot, rng: random.Random) -> Expected:
    """SQLite: one digit of an entry's memo overwritten in the database file itself."""
    assert isinstance(copies, SQLiteCopies)
    data = bytearray(copies.work.read_bytes())
    for s in rng.sample(sorted(snap.entries), len(snap.entries)):
        memo = snap.entries[s]["memo"].encode()
        if memo[-1:].isdigit() and data.count(memo) == 1:
            at = data.index(memo) + len(memo) - 1
            data[at] = ord("0") + (data[at] - ord("0") + 1) % 10
            copies.work.write_bytes(bytes(data))
            return Expected(ENTRY, s, f"#{s}: a digit of its memo overwritten in the file")
    raise LookupError("no memo occurs once in the file")


KINDS: dict[str, Tampering] = {
    "amount, balanced": amount_balanced, "amount, unbalanced": amount_unbalanced,
    "date": date_changed, "account": account_changed, "memo or other field": field_changed,
    "entry deleted": entry_deleted, "posting deleted": posting_deleted,
    "contents swapped": contents_swapped, "entries swapped": entries_swapped,
    "entry forged": entry_forged, "daily total": day_total_changed,
    "audit altered": audit_altered, "audit deleted": audit_deleted,
    "audit forged": audit_forged, "audit swapped": audit_swapped,
    "file bytes (SQLite)": file_bytes,
}


# --- checking ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    expected: Expected
    journal: ChainReport
    audit: ChainReport
    exit_code: int
    stderr: str

    @property
    def caught(self) -> bool:
        return not (self.journal.ok and self.audit.ok) and self.exit_code == 1

    @property
    def named(self) -> bool:
        touched, other = ((self.journal, self.audit) if self.expected.chain == ENTRY
                          else (self.audit, self.journal))
        said = f"FAILED at {self.expected.chain} #{self.expected.seq}:"
        return (self.caught and touched.first_bad == self.expected.seq and other.ok
                and said in self.stderr and self.stderr.count("FAILED") == 1)

    def describe(self) -> str:
        found = [f"{name} #{r.first_bad}: {r.reason}" if not r.ok else f"{name}: {r.reason}"
                 for name, r in ((ENTRY, self.journal), (AUDIT, self.audit))
                 if not r.ok or r.reason]
        return (f"{self.kind}: {self.expected.what}; expected {self.expected.chain} "
                f"#{self.expected.seq}; found {'; '.join(found) or 'nothing'}")


def _verified(uow: UnitOfWork, verifier: Callable[..., ChainReport]) -> ChainReport:
    """The verifier's report; a crash is a miss (a report with no bad record), not an end."""
    try:
        return uow.read(verifier)
    except Exception as error:  # any crash of the verifier is what we count
        return ChainReport(0, 0, GENESIS, None, f"the verifier crashed: {error!r}")


def check(app: Flask, kind: str, expected: Expected, *, cli: bool = True) -> Outcome:
    """Run the verifier on the tampered copy; `cli`: `flask ledger verify` as well (else its
    exit code and message are inferred from the two reports, as the command prints them)."""
    with app.app_context():
        uow = UnitOfWork(state.engine())
        journal, audit = _verified(uow, verify), _verified(uow, verify_audit)
        if cli:
            result = app.test_cli_runner().invoke(args=["ledger", "verify"])
            code, stderr = result.exit_code, result.stderr
        else:
            failed = [(n, r) for n, r in ((ENTRY, journal), (AUDIT, audit)) if not r.ok]
            code = 1 if failed else 0
            stderr = "".join(f"FAILED at {n} #{r.first_bad}: {r.reason}\n" for n, r in failed)
        state.engine().dispose()
    return Outcome(kind, expected, journal, audit, code, stderr)


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.caught]

    @property
    def misnamed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.caught and not o.named]

    def table(self) -> str:
        rows = [f"{'kind':<24}{'tampered':>9}{'caught':>8}{'named':>7}{'misses':>8}"]
        counts = Counter(o.kind for o in self.outcomes)
        for kind in sorted(counts):
            mine = [o for o in self.outcomes if o.kind == kind]
            rows.append(f"{kind:<24}{len(mine):>9}{sum(o.caught for o in mine):>8}"
                        f"{sum(o.named for o in mine):>7}{sum(not o.caught for o in mine):>8}")
        n = len(self.outcomes)
        rows.append(f"{'total':<24}{n:>9}{sum(o.caught for o in self.outcomes):>8}"
                    f"{sum(o.named for o in self.outcomes):>7}{len(self.misses):>8}")
        rows += [f"MISS {o.describe()}" for o in self.misses[:20]]
        rows += [f"WRONG RECORD {o.describe()}" for o in self.misnamed[:20]]
        return "\n".join(rows)


def run(copies: Copies, snap: Snapshot, tamperings: int, seed: int = 1,
        kinds: dict[str, Tampering] | None = None, *, each: bool = False, cli_every: int = 1,
        progress: Callable[[int], None] | None = None) -> Tally:
    """Restore, tamper, verify, `tamperings` times, with kinds drawn at random (`each`: in
    turn); `flask ledger verify` runs on every `cli_every`-th."""
    kinds = dict(kinds or KINDS)
    if copies.dialect != "sqlite":
        kinds.pop("file bytes (SQLite)", None)
    rng, tally, start = random.Random(seed), Tally(), time.perf_counter()
    app = create_app({"TESTING": True, "DATABASE_URL": copies.url,
                      "HUZHU_ENV": "development", "SECRET_KEY": "bench, not for production"})
    with app.app_context():
        state.engine().dispose()
    try:
        for n in range(tamperings):
            kind = sorted(kinds)[n % len(kinds)] if each else rng.choice(sorted(kinds))
            copies.restore()
            expected = kinds[kind](copies, snap, rng)
            tally.outcomes.append(check(app, kind, expected, cli=n % cli_every == 0))
            if progress:
                progress(n + 1)
    finally:
        copies.cleanup()
    tally.seconds = time.perf_counter() - start
    return tally


def pristine_sqlite(engine: Engine, path: Path) -> None:
    """A consistent copy of a SQLite book in one file (no WAL beside it)."""
    source = make_url(str(engine.url)).database
    with closing(sqlite3.connect(str(source))) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)


# --- the command ------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--tamperings", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("HUZHU_TEST_PG_URL", PG_ADMIN))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-restore", choices=("template", "tables"), default="template",
                        help="PostgreSQL: clone the pristine book each time, or copy back the "
                             "tables tampered with")
    parser.add_argument("--cli-every", type=int, default=10,
                        help="run `flask ledger verify` itself on every Nth tampering")
    args = parser.parse_args()
    name = f"huzhu_tamper_{os.getpid()}"
    admin = make_url(args.pg).set(drivername="postgresql").render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.database == "sqlite":
            url = f"sqlite:///{folder / 'built.sqlite3'}"
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            url = make_url(args.pg).set(drivername="postgresql+psycopg", database=name) \
                .render_as_string(hide_password=False)
        try:
            engine = make_engine(url)
            migrate.upgrade(engine)
            start = time.perf_counter()
            build(engine, args.entries, args.seed)
            built = time.perf_counter() - start
            snap = Snapshot.load(engine)
            copies: Copies
            if args.database == "sqlite":
                pristine_sqlite(engine, folder / "pristine.sqlite3")
                copies = SQLiteCopies(folder / "pristine.sqlite3", folder)
            else:
                copies = PostgresCopies(url, tables=args.pg_restore == "tables")
            engine.dispose()
            print(f"{args.database}: built {len(snap.entries):,} entries "
                  f"({sum(map(len, snap.postings.values())):,} postings, {len(snap.audit):,} "
                  f"audit records) through the posting path in {built:.1f} s")
            tally = run(copies, snap, args.tamperings, args.seed, cli_every=args.cli_every,
                        progress=lambda n: print(f"  {n} tamperings", flush=True)
                        if n % 100 == 0 else None)
            print(tally.table())
            n = len(tally.outcomes)
            print(f"{args.database}: {n} tamperings in {tally.seconds:.1f} s "
                  f"({tally.seconds / max(n, 1):.2f} s each): "
                  f"{sum(o.caught for o in tally.outcomes)} caught, "
                  f"{sum(o.named for o in tally.outcomes)} named the first bad record, "
                  f"{len(tally.misses)} missed, {len(tally.misnamed)} named the wrong record")
        finally:
            if args.database == "postgresql":
                with psycopg.connect(admin, autocommit=True) as conn:
                    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                    conn.execute(drop)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
