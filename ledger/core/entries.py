"""Journal entries: postings, the double-entry rules, and reversal.

An entry belongs to one entity's books. It has at least two postings; each posting moves a
positive amount to the debit or the credit side of one account; per currency, debits equal
credits. Posted entries are never changed: a mistake is undone by `reverse()`, a new entry
with every side swapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from moneyed import Money

from .chart import Account, Side
from .errors import (
    AlreadyReversed,
    InvalidAmount,
    InvalidEntry,
    NotReversible,
    TooFewPostings,
    Unbalanced,
    UnknownAccount,
    ZeroPosting,
)
from .money import format_amount, from_minor, parse_money, to_minor

MAX_MEMO = 500
MAX_POSTINGS = 1000
MAX_ACTOR = 100
MAX_SOURCE_KIND = 40
MAX_SOURCE_ID = 100
#: Dates outside this window are almost certainly typing mistakes (e.g. 0202 for 2026).
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2199, 12, 31)


@dataclass(frozen=True, slots=True, kw_only=True)
class Posting:
    """One line of an entry: an amount on one side of one account."""

    account: str
    side: Side
    amount: Money
    memo: str = ""
    _minor: int | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def debit(cls, account: str, amount: Money, memo: str = "") -> Posting:
        return cls(account=account, side=Side.DEBIT, amount=amount, memo=memo)

    @classmethod
    def credit(cls, account: str, amount: Money, memo: str = "") -> Posting:
        return cls(account=account, side=Side.CREDIT, amount=amount, memo=memo)

    @property
    def currency(self) -> str:
        return self.amount.currency.code

    @property
    def minor(self) -> int:
        """The amount in integer minor units (computed once; raises InvalidAmount if finer)."""
        if self._minor is None:
            object.__setattr__(self, "_minor", to_minor(self.amount))
        return self._minor  # type: ignore[return-value]

    @property
    def debit_minor(self) -> int:
        return self.minor if self.side is Side.DEBIT else 0

    @property
    def credit_minor(self) -> int:
        return self.minor if self.side is Side.CREDIT else 0

    def reversed(self) -> Posting:
        return Posting(account=self.account, side=self.side.opposite, amount=self.amount,
                       memo=self.memo)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The business object that caused an entry (a deposit, a tranche, a payment...)."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """An entry as drafted by a use case, before the ledger numbers and chains it."""

    entity: str
    effective_date: date
    memo: str
    actor: str
    postings: tuple[Posting, ...]
    source: SourceRef | None = None
    reverses: int | None = None

    def totals(self) -> dict[str, tuple[int, int]]:
        """Debit and credit totals in minor units, per currency."""
        return totals(self.postings)


def totals(postings: Iterable[Posting]) -> dict[str, tuple[int, int]]:
    """Debit and credit totals of postings in minor units, per currency."""
    sums: dict[str, tuple[int, int]] = {}
    for p in postings:
        debits, credits = sums.get(p.currency, (0, 0))
        sums[p.currency] = ((debits + p.minor, credits) if p.side is Side.DEBIT
                            else (debits, credits + p.minor))
    return sums


@dataclass(frozen=True, slots=True, kw_only=True)
class PostedEntry(JournalEntry):
    """An entry in the books: numbered, time-stamped and hash-chained."""

    seq: int
    recorded_at: datetime
    prev_hash: str
    hash: str
    reversed_by: int | None = field(default=None, compare=False)


def _is_text(value: str) -> bool:
    """Whether the string is storable, hashable text: valid Unicode, no NUL character."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _whole_minor_units(posting: Posting) -> bool:
    try:
        posting.minor  # noqa: B018 - raises if finer than one minor unit
    except InvalidAmount:
        return False
    return True


def problems(entry: JournalEntry, chart: Mapping[str, Account]) -> list[InvalidEntry]:
    """Every rule the entry breaks (empty when it may be posted), in a stable order."""
    found: list[InvalidEntry] = []
    texts = {"memo": entry.memo, "actor": entry.actor}
    if entry.source is not None:
        texts |= {"source.kind": entry.source.kind, "source.id": entry.source.id}
    texts |= {f"postings[{i}].memo": p.memo for i, p in enumerate(entry.postings)}
    for name, text in texts.items():
        if not _is_text(text):
            found.append(InvalidEntry(
                f"{name} is not valid Unicode text or holds a NUL character", field=name))
    if not EARLIEST_DATE <= entry.effective_date <= LATEST_DATE:
        found.append(InvalidEntry(
            f"effective date {entry.effective_date} is outside {EARLIEST_DATE} to "
            f"{LATEST_DATE}", field="effective_date"))
    if len(entry.actor) > MAX_ACTOR:
        found.append(InvalidEntry(f"actor is longer than {MAX_ACTOR} characters",
                                  field="actor"))
    if entry.source is not None and (len(entry.source.kind) > MAX_SOURCE_KIND
                                     or len(entry.source.id) > MAX_SOURCE_ID):
        found.append(InvalidEntry(
            f"source kind is at most {MAX_SOURCE_KIND} characters and source id at most "
            f"{MAX_SOURCE_ID}", field="source"))
    if len(entry.postings) < 2:
        found.append(TooFewPostings(
            f"an entry needs at least two postings, this one has {len(entry.postings)}",
            field="postings"))
    if len(entry.postings) > MAX_POSTINGS:
        found.append(InvalidEntry(f"an entry may have at most {MAX_POSTINGS} postings",
                                  field="postings"))
    if not entry.actor.strip():
        found.append(InvalidEntry("every entry names the person who made it", field="actor"))
    if len(entry.memo) > MAX_MEMO:
        found.append(InvalidEntry(f"memo is longer than {MAX_MEMO} characters", field="memo"))
    for i, p in enumerate(entry.postings):
        where = f"postings[{i}]"
        if p.account not in chart:
            found.append(UnknownAccount(
                f"{where}: entity {entry.entity!r} has no account {p.account!r}",
                field=f"{where}.account"))
        if p.amount.amount <= 0:
            found.append(ZeroPosting(
                f"{where}: a posting moves a positive amount, not {format_amount(p.amount)}",
                field=f"{where}.amount"))
        if not _whole_minor_units(p):
            found.append(InvalidEntry(
                f"{where}: {p.amount.amount} is finer than one minor unit of {p.currency}",
                field=f"{where}.amount"))
        if len(p.memo) > MAX_MEMO:
            found.append(InvalidEntry(f"{where}: memo is longer than {MAX_MEMO} characters",
                                      field=f"{where}.memo"))
    whole = (p for p in entry.postings if _whole_minor_units(p))
    for currency, (debits, credits) in sorted(totals(whole).items()):
        if debits != credits:
            found.append(Unbalanced(
                f"{currency} debits {format_amount(from_minor(debits, currency))} do not equal "
                f"credits {format_amount(from_minor(credits, currency))} "
                f"(difference {format_amount(from_minor(abs(debits - credits), currency))})",
                field="postings"))
    return found


def check(entry: JournalEntry, chart: Mapping[str, Account]) -> JournalEntry:
    """Return the entry if it may be posted; otherwise raise the first rule it breaks."""
    found = problems(entry, chart)
    if found:
        raise found[0]
    return entry


def reverse(
    original: PostedEntry, *, effective_date: date, actor: str, memo: str | None = None
) -> JournalEntry:
    """A new entry that undoes `original` exactly: same accounts and amounts, sides swapped."""
    if original.reverses is not None:
        raise NotReversible(
            f"entry #{original.seq} is itself the reversal of #{original.reverses}; "
            f"post the correct entry instead of reversing a reversal")
    if original.reversed_by is not None:
        raise AlreadyReversed(
            f"entry #{original.seq} was already reversed by #{original.reversed_by}")
    return JournalEntry(
        entity=original.entity,
        effective_date=effective_date,
        memo=memo or f"冲销 #{original.seq} / Reversal of #{original.seq}: {original.memo}"[
            :MAX_MEMO],
        actor=actor,
        postings=tuple(p.reversed() for p in original.postings),
        source=original.source,
        reverses=original.seq,
    )


def draft_to_json(entry: JournalEntry) -> dict[str, Any]:
    """A plain-JSON form of an entry not yet posted (kept by vouchers awaiting review)."""
    return {
        "entity": entry.entity, "effective_date": entry.effective_date.isoformat(),
        "memo": entry.memo, "actor": entry.actor,
        "source": [entry.source.kind, entry.source.id] if entry.source else None,
        "postings": [[p.account, p.side.value, format_amount(p.amount), p.currency, p.memo]
                     for p in entry.postings],
    }


def draft_from_json(data: dict[str, Any]) -> JournalEntry:
    return JournalEntry(
        entity=data["entity"], effective_date=date.fromisoformat(data["effective_date"]),
        memo=data["memo"], actor=data["actor"],
        source=SourceRef(*data["source"]) if data["source"] else None,
        postings=tuple(Posting(account=account, side=Side(side),
                               amount=parse_money(amount, currency), memo=memo)
                       for account, side, amount, currency, memo in data["postings"]),
    )
