"""Writing entries into the chain and reading them back.

Entries are written postings first, header last: the header's insert seals the entry (see the
migration), so nothing can be added to an entry once it is in the books.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, exists, select
from sqlalchemy.orm import Session

from ledger.core.chain import GENESIS, link
from ledger.core.chart import Side
from ledger.core.entries import JournalEntry, PostedEntry, Posting, SourceRef
from ledger.core.errors import ClosedPeriod, EntryNotFound, UnknownAccount
from ledger.core.money import from_minor
from ledger.core.periods import BUSINESS_SOURCES

from .models import AccountRow, EntryRow, PeriodRow, PostingRow


def head(session: Session) -> tuple[int, str]:
    """(sequence number, hash) of the last entry, or (0, GENESIS) for empty books."""
    row = session.execute(
        select(EntryRow.seq, EntryRow.hash).order_by(EntryRow.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def account_ids(session: Session, entity: str) -> dict[str, int]:
    rows = session.execute(
        select(AccountRow.code, AccountRow.id).where(AccountRow.entity == entity)
    )
    return {code: id_ for code, id_ in rows}


def refuse_closed_periods(session: Session, entries: Iterable[JournalEntry]) -> None:
    """Raise ClosedPeriod if any entry is dated on or before the end of a closed period of
    its entity (closing a period locks every date up to its end: its balances are the sum of
    all of them), or is a business record's entry dated inside a closing one (only
    adjustments go there)."""
    entries = list(entries)
    for entity, dates in _dates_by_entity(entries).items():
        shut = session.execute(
            select(PeriodRow.starts_on, PeriodRow.ends_on, PeriodRow.status).where(
                PeriodRow.entity == entity, PeriodRow.status.in_(("closing", "closed")),
                PeriodRow.ends_on >= min(dates))
        ).all()
        if not shut:
            continue
        for entry in entries:
            if entry.entity != entity:
                continue
            day = entry.effective_date
            for starts_on, ends_on, status in shut:
                if status == "closed" and day <= ends_on:
                    raise ClosedPeriod(
                        f"{day} is not after the closed period {starts_on} to {ends_on} of "
                        f"{entity}; date the entry in an open period after it",
                        field="effective_date")
            business = (entry.reverses is None and entry.source is not None
                        and entry.source.kind in BUSINESS_SOURCES
                        and not _corrected(session, entry.source.kind, entry.source.id))
            for starts_on, ends_on, status in shut:
                if status == "closing" and business and starts_on <= day <= ends_on:
                    raise ClosedPeriod(
                        f"{day} falls in the period {starts_on} to {ends_on} of {entity}, "
                        f"which is closing: only adjusting entries (vouchers) go there now",
                        field="effective_date")


def _corrected(session: Session, kind: str, source_id: str) -> bool:
    """Whether an entry of this business record was reversed: its other entries dated in a
    closing period are then part of the correction (an adjustment)."""
    return session.scalar(select(EntryRow.seq).where(
        EntryRow.source_kind == kind, EntryRow.source_id == source_id,
        EntryRow.reverses_seq.is_not(None)).limit(1)) is not None


def _dates_by_entity(entries: Iterable[JournalEntry]) -> dict[str, set[date]]:
    found: dict[str, set[date]] = defaultdict(set)
    for entry in entries:
        found[entry.entity].add(entry.effective_date)
    return found


POSTING_COLUMNS = ("entry_seq", "line", "account_id", "effective_date", "currency", "debit",
                   "credit", "memo")
ENTRY_COLUMNS = ("seq", "entity", "effective_date", "recorded_at", "memo", "actor",
                 "source_kind", "source_id", "reverses_seq", "prev_hash", "hash")


def _insert_many(connection: Connection, table: Table, columns: Sequence[str],
                 rows: list[tuple[object, ...]]) -> None:
    """Insert rows the fastest way each database offers: COPY on PostgreSQL (one statement, so
    the statement triggers run once), one executemany on SQLite with each value converted by
    its column type (dates and times). SQLAlchemy's per-row parameter handling would cost more
    than the insert itself at thousands of rows."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    convert = [(i, table.c[name].type.bind_processor(dialect)) for i, name in enumerate(columns)]
    convert = [(i, _remembered(fn)) for i, fn in convert if fn is not None]
    if convert:
        rows = [_converted(row, convert) for row in rows]
    marks = ", ".join(["?"] * len(columns))
    connection.exec_driver_sql(  # type: ignore[arg-type]
        f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)


def _remembered(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The conversion, done once per distinct value (a batch repeats its dates)."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in seen:
            seen[value] = fn(value)
        return seen[value]

    return convert


def _converted(row: tuple[object, ...], convert: list[tuple[int, Callable[[Any], Any]]]
               ) -> tuple[object, ...]:
    values = list(row)
    for i, fn in convert:
        values[i] = fn(values[i])
    return tuple(values)


def append(session: Session, entries: Sequence[JournalEntry], *, recorded_at: datetime
           ) -> list[PostedEntry]:
    """Number, chain and insert checked entries; return them as posted."""
    refuse_closed_periods(session, entries)
    ids = {entity: account_ids(session, entity) for entity in {e.entity for e in entries}}
    seq, prev_hash = head(session)
    posted: list[PostedEntry] = []
    posting_rows: list[tuple[object, ...]] = []
    for entry in entries:
        seq += 1
        digest = link(entry, seq=seq, recorded_at=recorded_at, prev_hash=prev_hash)
        accounts = ids[entry.entity]
        for line, p in enumerate(entry.postings, start=1):
            try:
                account_id = accounts[p.account]
            except KeyError:
                raise UnknownAccount(f"entity {entry.entity!r} has no account {p.account!r}",
                                     field="account") from None
            posting_rows.append((seq, line, account_id, entry.effective_date, p.currency,
                                 p.debit_minor, p.credit_minor, p.memo))
        posted.append(PostedEntry(
            entity=entry.entity, effective_date=entry.effective_date, memo=entry.memo,
            actor=entry.actor, postings=entry.postings, source=entry.source,
            reverses=entry.reverses, seq=seq, recorded_at=recorded_at, prev_hash=prev_hash,
            hash=digest))
        prev_hash = digest
    if not posted:
        return posted
    connection = session.connection()
    _insert_many(connection, PostingRow.__table__, POSTING_COLUMNS, posting_rows)
    _insert_many(connection, EntryRow.__table__, ENTRY_COLUMNS, [(
        e.seq, e.entity, e.effective_date, e.recorded_at, e.memo, e.actor,
        e.source.kind if e.source else None, e.source.id if e.source else None,
        e.reverses, e.prev_hash, e.hash) for e in posted])
    return posted


@dataclass(frozen=True, slots=True)
class EntryFilter:
    entity: str | None = None
    account: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def find(session: Session, where: EntryFilter, *, after: int = 0, limit: int = 50
         ) -> list[PostedEntry]:
    """Entries matching the filter with seq > `after`, in sequence order (keyset pagination)."""
    query = select(EntryRow).where(EntryRow.seq > after).order_by(EntryRow.seq).limit(limit)
    if where.entity is not None:
        query = query.where(EntryRow.entity == where.entity)
    if where.date_from is not None:
        query = query.where(EntryRow.effective_date >= where.date_from)
    if where.date_to is not None:
        query = query.where(EntryRow.effective_date <= where.date_to)
    if where.account is not None:
        query = query.where(exists().where(
            PostingRow.entry_seq == EntryRow.seq,
            PostingRow.account_id == AccountRow.id,
            AccountRow.code == where.account,
            AccountRow.entity == EntryRow.entity,
        ))
    return _hydrate(session, list(session.scalars(query)))


MAX_SEQ = 2**63 - 1  # BIGINT


def get(session: Session, seq: int) -> PostedEntry:
    rows = (list(session.scalars(select(EntryRow).where(EntryRow.seq == seq)))
            if 1 <= seq <= MAX_SEQ else [])
    if not rows:
        raise EntryNotFound(f"there is no journal entry #{seq}")
    return _hydrate(session, rows)[0]


def _hydrate(session: Session, rows: list[EntryRow]) -> list[PostedEntry]:
    if not rows:
        return []
    seqs = [r.seq for r in rows]
    postings: dict[int, list[Posting]] = defaultdict(list)
    for entry_seq, code, currency, debit, credit, memo in session.execute(
        select(PostingRow.entry_seq, AccountRow.code, PostingRow.currency, PostingRow.debit,
               PostingRow.credit, PostingRow.memo)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(PostingRow.entry_seq.in_(seqs))
        .order_by(PostingRow.entry_seq, PostingRow.line)
    ):
        side = Side.DEBIT if debit else Side.CREDIT
        postings[entry_seq].append(Posting(
            account=code, side=side, amount=from_minor(debit or credit, currency), memo=memo))
    reversed_by = dict(session.execute(
        select(EntryRow.reverses_seq, EntryRow.seq).where(EntryRow.reverses_seq.in_(seqs))
    ).all())
    return [PostedEntry(
        entity=r.entity, effective_date=r.effective_date, memo=r.memo, actor=r.actor,
        postings=tuple(postings[r.seq]),
        source=SourceRef(r.source_kind, r.source_id) if r.source_kind and r.source_id else None,
        reverses=r.reverses_seq, seq=r.seq, recorded_at=r.recorded_at, prev_hash=r.prev_hash,
        hash=r.hash, reversed_by=reversed_by.get(r.seq),
    ) for r in rows]
