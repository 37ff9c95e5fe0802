"""Verifying the hash chain: recompute every entry's hash from what the database holds now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.core.audit import link as audit_link
from ledger.core.chain import GENESIS, link
from ledger.core.chart import Side
from ledger.core.entries import JournalEntry, Posting, SourceRef
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
    """Walk the chain in sequence order; stop at the first entry that does not verify.

    `progress`, if given, is called with the number of the last entry checked after each batch.
    """
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last = last_seq(session)
    for start in range(1, last + 1, BATCH):
        end = start + BATCH - 1
        lines = _postings(session, start, end)
        for row in session.scalars(
            select(EntryRow).where(EntryRow.seq.between(start, end)).order_by(EntryRow.seq)
        ):
            bad = _check(row, lines.get(row.seq, []), expected_seq, prev_hash)
            if bad:
                return ChainReport(checked, expected_seq - 1, prev_hash, *bad)
            prev_hash, expected_seq, checked = row.hash, row.seq + 1, checked + 1
        if progress:
            progress(min(end, last))
    orphan = session.scalar(select(func.min(PostingRow.entry_seq)).where(
        (PostingRow.entry_seq < 1) | (PostingRow.entry_seq > last)))
    if orphan is not None:
        return ChainReport(checked, last, prev_hash, orphan,
                           f"postings of #{orphan} belong to no entry in the books")
    bad_total = _day_total_differing(session)
    if bad_total is not None:
        return ChainReport(checked, last, prev_hash, *bad_total)
    return ChainReport(checked, expected_seq - 1, prev_hash)


def _day_total_differing(session: Session) -> tuple[int, str] | None:
    """The first daily total per account (`account_day_totals`) that is not the sum of its
    day's postings, as (its first entry's number, or 0 if it has none; the reason)."""
    keys = (PostingRow.account_id, PostingRow.effective_date, PostingRow.currency)
    summed = {(a, d, c): (int(debit), int(credit)) for a, d, c, debit, credit in session.execute(
        select(*keys, func.sum(PostingRow.debit), func.sum(PostingRow.credit)).group_by(*keys))}
    kept = {(a, d, c): (debit, credit) for a, d, c, debit, credit in session.execute(
        select(DayTotal.account_id, DayTotal.effective_date, DayTotal.currency, DayTotal.debit,
               DayTotal.credit))}
    for key in sorted(summed.keys() | kept.keys()):
        if summed.get(key) == kept.get(key):
            continue
        account_id, day, currency = key
        account = session.get(AccountRow, account_id)
        name = f"{account.entity}/{account.code}" if account else f"#{account_id}"
        first = session.scalar(select(func.min(PostingRow.entry_seq)).where(
            PostingRow.account_id == account_id, PostingRow.effective_date == day,
            PostingRow.currency == currency)) or 0
        debit, credit = kept.get(key, (0, 0))
        return first, (f"the daily total of account {name} on {day} ({currency}: debits "
                       f"{debit}, credits {credit}) is not the sum of that day's postings "
                       f"{summed.get(key, (0, 0))}")
    return None


def _check(row: EntryRow, lines: list[_Line], expected_seq: int, prev_hash: str
           ) -> tuple[int, str] | None:
    if row.seq != expected_seq:
        return expected_seq, f"entry #{expected_seq} is missing; the next entry is #{row.seq}"
    if row.prev_hash != prev_hash:
        return row.seq, f"entry #{row.seq} does not link to the hash of #{row.seq - 1}"
    if any(line.entity != row.entity or line.effective_date != row.effective_date
           for line in lines):
        return row.seq, f"a posting of entry #{row.seq} was moved to another entity or date"
    entry = JournalEntry(
        entity=row.entity, effective_date=row.effective_date, memo=row.memo, actor=row.actor,
        postings=tuple(line.posting for line in lines), reverses=row.reverses_seq,
        source=SourceRef(row.source_kind, row.source_id)
        if row.source_kind and row.source_id else None)
    if len(lines) < 2 or any(d != c for d, c in entry.totals().values()):
        return row.seq, f"entry #{row.seq} does not balance or has fewer than two postings"
    if link(entry, seq=row.seq, recorded_at=row.recorded_at, prev_hash=prev_hash) != row.hash:
        return row.seq, f"entry #{row.seq} was altered: its contents no longer match its hash"
    return None


@dataclass(frozen=True, slots=True)
class _Line:
    posting: Posting
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
        side = Side.DEBIT if debit else Side.CREDIT
        posting = Posting(account=code, side=side, amount=from_minor(debit or credit, currency),
                          memo=memo)
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
            if row.prev_hash != prev_hash:
                return ChainReport(checked, expected_seq - 1, prev_hash, row.seq,
                                   f"audit record #{row.seq} does not link to #{row.seq - 1}")
            record = to_record(row)
            if audit_link(record, seq=row.seq, at=row.at, prev_hash=prev_hash) != row.hash:
                return ChainReport(checked, expected_seq - 1, prev_hash, row.seq,
                                   f"audit record #{row.seq} was altered")
            prev_hash, expected_seq, checked = row.hash, row.seq + 1, checked + 1
    return ChainReport(checked, expected_seq - 1, prev_hash)
