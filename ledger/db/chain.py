"""Verifying the hash chain: recompute every entry's hash from what the database holds now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from ledger.core.audit import link as audit_link
from ledger.core.chain import GENESIS, link
from ledger.core.chart import Side
from ledger.core.entries import JournalEntry, Posting, SourceRef
from ledger.core.errors import LedgerError
from ledger.core.money import from_minor

from .audit import to_record
from .models import AccountDayTotalRow as DayTotal
from .models import AccountRow, AuditRow, EntryRow, PostingRow

BATCH = 5_000


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    first_bad: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def last_seq(session: Session) -> int:
    """The number of the last entry (0 for empty books)."""
    return session.scalar(select(func.max(EntryRow.seq))) or 0


def verify(session: Session, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the chain in sequence order; stop at the first entry that does not verify. Then:
    postings of no entry, entries the (verified) audit log records as posted but the books no
    longer hold, daily totals that are not the sum of their postings.

    `progress`, if given, is called with the number of the last entry checked after each batch.
    """
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last = last_seq(session)
    for start in range(1, last + 1, BATCH):
        end = start + BATCH - 1
        lines = _postings(session, start, end)
        for row in session.execute(  # plain rows: no ORM objects to build, twice as fast
            select(*EntryRow.__table__.c).where(EntryRow.seq.between(start, end))
            .order_by(EntryRow.seq)
        ):
            bad = _check(session, row, lines.get(row.seq, []), expected_seq, prev_hash)
            if bad:
                return _failed(session, EntryRow, *bad)
            prev_hash, expected_seq, checked = row.hash, row.seq + 1, checked + 1
        if progress:
            progress(min(end, last))
    orphan = session.scalar(select(func.min(PostingRow.entry_seq)).where(
        (PostingRow.entry_seq < 1) | (PostingRow.entry_seq > last)))
    if orphan is not None:
        return ChainReport(checked, last, prev_hash, orphan,
                           f"postings of #{orphan} belong to no entry in the books")
    recorded = _last_recorded_entry(session)
    if recorded is not None and recorded[1] > last:
        return ChainReport(checked, last, prev_hash, last + 1,
                           f"entry #{last + 1} is missing: audit record #{recorded[0]} records "
                           f"entries up to #{recorded[1]} as posted")
    bad_total = _day_total_differing(session)
    if bad_total is not None:
        return ChainReport(checked, last, prev_hash, *bad_total)
    return ChainReport(checked, expected_seq - 1, prev_hash)


def _failed(session: Session, table: type[EntryRow] | type[AuditRow], first_bad: int,
            reason: str) -> ChainReport:
    """A failed walk: records #1 to #first_bad - 1 verified."""
    head = first_bad - 1
    head_hash = session.scalar(select(table.hash).where(table.seq == head)) if head else None
    return ChainReport(head, head, head_hash or GENESIS, first_bad, reason)


def _broken_link(session: Session, table: type[EntryRow] | type[AuditRow], seq: int,
                 prev_hash: str, hash_as: Callable[[int], bool], what: str) -> tuple[int, str]:
    """Record #seq does not link to #seq-1's hash: name the first record that changed.

    `hash_as(n)`: #seq's stored hash is its contents' as record #n. If #seq is record #k+1
    moved up (it links to #k's hash, or to GENESIS for k = 0), #k+1 to #seq-1 were inserted
    before it; if #seq still matches its own hash, #seq-1 was rewritten and its hash
    recomputed; otherwise #seq itself was changed or moved."""
    linked = 0 if prev_hash == GENESIS else session.scalar(
        select(table.seq).where(table.hash == prev_hash, table.seq < seq - 1))
    if linked is not None and linked < seq - 1 and hash_as(linked + 1):
        return linked + 1, f"{what} #{linked + 1} was inserted: #{seq} links to #{linked}"
    if hash_as(seq) and seq > 1:
        return seq - 1, (f"{what} #{seq - 1} was rewritten: its hash is not the one #{seq} "
                         f"links to")
    return seq, f"{what} #{seq} does not link to the hash of #{seq - 1}"


def _last_recorded_entry(session: Session) -> tuple[int, int] | None:
    """(audit record, entry number) of the highest entry number that the verified part of
    the audit log records as posted: the journal's chain alone cannot see its last entries
    removed."""
    verified = verify_audit(session).head_seq
    found: tuple[int, int] | None = None
    for seq, object_id in session.execute(select(AuditRow.seq, AuditRow.object_id).where(
            AuditRow.action == "entry.posted", AuditRow.object_type == "entry",
            AuditRow.seq <= verified)):
        upto = (object_id or "").rpartition("-")[2]
        if upto.isdigit() and (found is None or int(upto) > found[1]):
            found = (seq, int(upto))
    return found


def _day_total_differing(session: Session) -> tuple[int, str] | None:
    """The daily total per account (`account_day_totals`) that is not the sum of its day's
    postings, with the lowest first entry, as (that entry's number, or 0 if the total has no
    postings; the reason)."""
    keys = (PostingRow.account_id, PostingRow.effective_date, PostingRow.currency)
    summed, firsts = {}, {}
    for a, d, c, debit, credit, first_seq in session.execute(
            select(*keys, func.sum(PostingRow.debit), func.sum(PostingRow.credit),
                   func.min(PostingRow.entry_seq)).group_by(*keys)):
        summed[a, d, c], firsts[a, d, c] = (int(debit), int(credit)), int(first_seq)
    kept = {(a, d, c): (debit, credit) for a, d, c, debit, credit in session.execute(
        select(DayTotal.account_id, DayTotal.effective_date, DayTotal.currency, DayTotal.debit,
               DayTotal.credit))}
    differing = [key for key in summed.keys() | kept.keys() if summed.get(key) != kept.get(key)]
    if not differing:
        return None
    key = min(differing, key=lambda k: (k not in firsts, firsts.get(k, 0), k))
    account_id, day, currency = key
    account = session.get(AccountRow, account_id)
    name = f"{account.entity}/{account.code}" if account else f"#{account_id}"
    debit, credit = kept.get(key, (0, 0))
    return firsts.get(key, 0), (f"the daily total of account {name} on {day} ({currency}: "
                                f"debits {debit}, credits {credit}) is not the sum of that "
                                f"day's postings {summed.get(key, (0, 0))}")


def _check(session: Session, row: Row[Any], lines: list[_Line], expected_seq: int,
           prev_hash: str) -> tuple[int, str] | None:
    if row.seq != expected_seq:
        return expected_seq, f"entry #{expected_seq} is missing; the next entry is #{row.seq}"
    if any(line.posting is None for line in lines):
        return row.seq, f"a posting of entry #{row.seq} was altered beyond reading"
    entry = JournalEntry(
        entity=row.entity, effective_date=row.effective_date, memo=row.memo, actor=row.actor,
        postings=tuple(line.posting for line in lines if line.posting), reverses=row.reverses_seq,
        source=SourceRef(row.source_kind, row.source_id)
        if row.source_kind and row.source_id else None)
    if row.prev_hash != prev_hash:
        return _broken_link(session, EntryRow, row.seq, row.prev_hash, lambda n: link(
            entry, seq=n, recorded_at=row.recorded_at, prev_hash=row.prev_hash) == row.hash,
            "entry")
    if any(line.entity != row.entity or line.effective_date != row.effective_date
           for line in lines):
        return row.seq, f"a posting of entry #{row.seq} was moved to another entity or date"
    if len(lines) < 2 or any(d != c for d, c in entry.totals().values()):
        return row.seq, f"entry #{row.seq} does not balance or has fewer than two postings"
    if link(entry, seq=row.seq, recorded_at=row.recorded_at, prev_hash=prev_hash) != row.hash:
        return row.seq, f"entry #{row.seq} was altered: its contents no longer match its hash"
    return None


@dataclass(frozen=True, slots=True)
class _Line:
    posting: Posting | None  # None: the row makes no posting (changed behind our back)
    entity: str
    effective_date: date


def _postings(session: Session, start: int, end: int) -> dict[int, list[_Line]]:
    found: dict[int, list[_Line]] = defaultdict(list)
    rows = session.execute(
        select(PostingRow.entry_seq, AccountRow.code, AccountRow.entity, PostingRow.currency,
               PostingRow.debit, PostingRow.credit, PostingRow.memo, PostingRow.effective_date)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(PostingRow.entry_seq.between(start, end))
        .order_by(PostingRow.entry_seq, PostingRow.line)
    )
    for seq, code, entity, currency, debit, credit, memo, effective_date in rows:
        try:
            posting: Posting | None = Posting(
                account=code, side=Side.DEBIT if debit else Side.CREDIT,
                amount=from_minor(debit or credit, currency), memo=memo)
        except (LedgerError, ValueError):
            posting = None
        found[seq].append(_Line(posting, entity, effective_date))
    return found


def verify_audit(session: Session) -> ChainReport:
    """Recompute the audit log's chain; stop at the first record that does not verify."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last = session.scalar(select(func.max(AuditRow.seq))) or 0
    for start in range(1, last + 1, BATCH):
        rows = session.scalars(select(AuditRow).where(
            AuditRow.seq.between(start, start + BATCH - 1)).order_by(AuditRow.seq))
        for row in rows:
            if row.seq != expected_seq:
                return ChainReport(checked, expected_seq - 1, prev_hash, expected_seq,
                                   f"audit record #{expected_seq} is missing")
            try:
                record = to_record(row)
            except ValueError:  # details no longer JSON, an unknown role
                return ChainReport(checked, expected_seq - 1, prev_hash, row.seq,
                                   f"audit record #{row.seq} was altered beyond reading")
            if row.prev_hash != prev_hash:
                return _failed(session, AuditRow, *_broken_link(
                    session, AuditRow, row.seq, row.prev_hash, lambda n, r=record, row=row:
                    audit_link(r, seq=n, at=row.at, prev_hash=row.prev_hash) == row.hash,
                    "audit record"))
            if audit_link(record, seq=row.seq, at=row.at, prev_hash=prev_hash) != row.hash:
                return ChainReport(checked, expected_seq - 1, prev_hash, row.seq,
                                   f"audit record #{row.seq} was altered")
            prev_hash, expected_seq, checked = row.hash, row.seq + 1, checked + 1
    return ChainReport(checked, expected_seq - 1, prev_hash)
