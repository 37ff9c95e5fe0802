"""Use case: export the books for Ledger, hledger, Beancount or a spreadsheet
(`flask --app api ledger export`; the syntax is in ledger/core/exports.py).

`prepare()` reads, in one snapshot, the last entry to export, how many postings there are
(for a progress bar), the first date (Beancount opens every account on it) and the trial
balance of each exported entity as of `to` (what the tools must find). `chunks()` then streams
the entries with sequence numbers up to that last one, in entry order, in batches of whole
entries, each batch read in its own short transaction and written as one text chunk, so a
million postings never sit in memory at once. The journal is append-only and numbered under
the writers' lock, so what the batches read is exactly the books of the snapshot, however
many entries are posted meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ledger.core import exports as core
from ledger.core.balances import TrialBalance
from ledger.core.chart import ENTITIES, chart_of
from ledger.core.chart import entity as known_entity
from ledger.core.exports import Entry, Format, Line, Names
from ledger.db import balances as balances_db
from ledger.db.journal import head
from ledger.db.models import AccountRow, EntryRow, PostingRow
from ledger.db.session import UnitOfWork

#: Entries per batch: a few thousand postings, one short read each.
BATCH = 1000


@dataclass(frozen=True, slots=True)
class Export:
    """What one export will write: read by prepare() in one snapshot."""

    format: Format
    entity: str | None
    to: date | None
    names: Names
    last_seq: int  # entries numbered up to this one (0: none)
    entries: int
    postings: int
    first_date: date | None
    expected: dict[str, TrialBalance] = field(default_factory=dict)

    @property
    def entities(self) -> tuple[str, ...]:
        return (self.entity,) if self.entity is not None else tuple(ENTITIES)


def _filtered(query: Select[Any], entity: str | None, to: date | None, last_seq: int
              ) -> Select[Any]:
    query = query.where(EntryRow.seq <= last_seq)
    if entity is not None:
        query = query.where(EntryRow.entity == entity)
    if to is not None:
        query = query.where(EntryRow.effective_date <= to)
    return query


def prepare(uow: UnitOfWork, fmt: Format | str, *, entity: str | None = None,
            to: date | None = None, names: Names | str = Names.ZH) -> Export:
    """Check the arguments and read, in one snapshot, what the export will hold."""
    fmt, names = Format(fmt), Names(names)
    if entity is not None:
        known_entity(entity)

    def work(session: Session) -> Export:
        last_seq, _ = head(session)
        entries, first = session.execute(_filtered(
            select(func.count(), func.min(EntryRow.effective_date)), entity, to, last_seq)
        ).one()
        postings = session.scalar(_filtered(
            select(func.count()).select_from(PostingRow)
            .join(EntryRow, EntryRow.seq == PostingRow.entry_seq), entity, to, last_seq))
        entities = (entity,) if entity is not None else tuple(ENTITIES)
        expected = {e: balances_db.trial_balance(session, e, to or date.max) for e in entities}
        return Export(format=fmt, entity=entity, to=to, names=names, last_seq=last_seq,
                      entries=int(entries), postings=int(postings or 0), first_date=first,
                      expected=expected)

    return uow.read(work)


def _batch(session: Session, export: Export, after: int, size: int) -> list[Entry]:
    headers = session.execute(_filtered(
        select(EntryRow.seq, EntryRow.entity, EntryRow.effective_date, EntryRow.memo,
               EntryRow.hash, EntryRow.reverses_seq, EntryRow.source_kind, EntryRow.source_id)
        .where(EntryRow.seq > after).order_by(EntryRow.seq).limit(size),
        export.entity, export.to, export.last_seq)).all()
    if not headers:
        return []
    lines: dict[int, list[Line]] = defaultdict(list)
    charts = {e: chart_of(e) for e in export.entities}
    entity_of = {h.seq: h.entity for h in headers}
    query = (select(PostingRow.entry_seq, AccountRow.code, PostingRow.currency,
                    PostingRow.debit, PostingRow.credit, PostingRow.memo)
             .join(AccountRow, AccountRow.id == PostingRow.account_id)
             .where(PostingRow.entry_seq.between(headers[0].seq, headers[-1].seq))
             .order_by(PostingRow.entry_seq, PostingRow.line))
    if export.entity is not None:  # the other entity's entries in between stay unread
        query = query.where(AccountRow.entity == export.entity)
    if export.to is not None:
        query = query.where(PostingRow.effective_date <= export.to)
    for seq, code, currency, debit, credit, memo in session.execute(query):
        if seq in entity_of:
            lines[seq].append(Line(account=charts[entity_of[seq]][code], currency=currency,
                                   debit=int(debit), credit=int(credit), memo=memo or ""))
    return [Entry(seq=h.seq, entity=h.entity, effective_date=h.effective_date, memo=h.memo,
                  hash=h.hash, lines=tuple(lines[h.seq]), reverses=h.reverses_seq,
                  source=f"{h.source_kind}/{h.source_id}" if h.source_kind else None)
            for h in headers]


def chunks(uow: UnitOfWork, export: Export, *, batch: int = BATCH,
           progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The export's text in chunks: the header, one chunk per batch of entries, the footer.
    `progress(n)` is called with the number of postings of each batch written."""
    writer = core.writer(export.format, entity=export.entity, names=export.names)
    opened = export.first_date or export.to or date(2000, 1, 1)
    yield writer.header(opened=opened, to=export.to)
    after = 0
    while True:
        entries = uow.read(lambda session, after=after: _batch(session, export, after, batch))
        if not entries:
            break
        yield writer.entries(entries)
        if progress is not None:
            progress(sum(len(e.lines) for e in entries))
        after = entries[-1].seq
    footer = writer.footer()
    if footer:
        yield footer
