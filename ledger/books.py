"""Use cases on the books: post, reverse, read entries, balances and the trial balance.

Each takes a unit of work and runs in one transaction; called from another use case, it joins
that use case's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ledger.core.audit import AuditEvent
from ledger.core.balances import AccountBalance, TrialBalance
from ledger.core.chart import ENTITIES, Account, Entity, chart_of
from ledger.core.chart import entity as known_entity
from ledger.core.entries import JournalEntry, PostedEntry, check, reverse
from ledger.core.errors import InvalidInput, NotReversible
from ledger.core.staff import Actor
from ledger.db import audit as audit_db
from ledger.db import balances as balances_db
from ledger.db import journal as journal_db
from ledger.db.journal import EntryFilter
from ledger.db.session import Session, UnitOfWork

#: The books are kept on China Standard Time: "today" is the date in Zhejiang.
BOOKS_TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(BOOKS_TIMEZONE).date()


def now() -> datetime:
    return datetime.now(UTC)


def entities() -> list[Entity]:
    return list(ENTITIES.values())


def accounts(entity: str) -> list[Account]:
    return list(chart_of(entity).values())


def post(uow: UnitOfWork, entry: JournalEntry, *, by: Actor | None = None) -> PostedEntry:
    """Check one entry against the rules and its entity's chart, then add it to the chain."""
    return post_many(uow, [entry], by=by)[0]


def post_many(uow: UnitOfWork, entries: Sequence[JournalEntry], *, by: Actor | None = None
              ) -> list[PostedEntry]:
    """Post several entries atomically: all of them or none, with one audit record.

    `by` is who posted them (with role and address); by default the entries' own actor."""
    for entry in entries:
        check(entry, chart_of(entry.entity))

    def work(session: Session) -> list[PostedEntry]:
        posted = journal_db.append(session, entries, recorded_at=now())
        if posted:
            first, last = posted[0].seq, posted[-1].seq
            details: dict[str, object] = {"count": len(posted)}
            if len(posted) == 1 and posted[0].reverses is not None:
                details["reverses"] = posted[0].reverses
            audit_db.record(session, AuditEvent(
                actor=by or Actor.system(entries[0].actor), action="entry.posted",
                object_type="entry", object_id=str(first) if first == last else f"{first}-{last}",
                details=details), at=now())
        return posted

    return uow.write(work)


#: Entries posted by these business objects are undone through their own use case (which
#: keeps the object consistent: a reversed deposit no longer counts in a cap), never directly.
OWNED_SOURCES = {"deposit": "/api/deposits/{id}/reversal", "transfer": None, "expense": None,
                 "service": None, "income": None, "grant": None,
                 "campaign": None}
#: Source kinds only the use cases themselves write (a manual entry cannot claim them).
RESERVED_SOURCES = {*OWNED_SOURCES, "voucher"}


def post_manual(uow: UnitOfWork, entry: JournalEntry, *, by: Actor) -> PostedEntry:
    """Post an entry typed in by a person (admins, imports): it may name any source but the
    business records' own."""
    if entry.source is not None and entry.source.kind in RESERVED_SOURCES:
        raise InvalidInput(
            f"source kind {entry.source.kind!r} is reserved for the entries its own records "
            f"post; use another (e.g. 'import')", field="source")
    return post(uow, entry, by=by)


def reverse_entry(uow: UnitOfWork, seq: int, *, actor: str, effective_date: date | None = None,
                  memo: str | None = None, by: Actor | None = None, owned: bool = False
                  ) -> PostedEntry:
    """Undo entry `seq` with a new entry that swaps every side (the original stays as it was).

    `owned`: the caller is the use case of the business object that posted the entry."""

    def work(session: Session) -> PostedEntry:
        original = journal_db.get(session, seq)
        if original.source and original.source.kind in OWNED_SOURCES and not owned:
            where = OWNED_SOURCES[original.source.kind]
            raise NotReversible(
                f"entry #{seq} belongs to {original.source.kind} #{original.source.id}; "
                + (f"reverse that instead ({where.format(id=original.source.id)})" if where
                   else "correct it through that record"))
        correction = reverse(original, effective_date=effective_date or today(), actor=actor,
                             memo=memo)
        return post(uow, correction, by=by)

    return uow.write(work)


def entry(uow: UnitOfWork, seq: int) -> PostedEntry:
    return uow.read(lambda session: journal_db.get(session, seq))


def find_entries(uow: UnitOfWork, where: EntryFilter, *, after: int = 0, limit: int = 50
                 ) -> list[PostedEntry]:
    if where.entity is not None:
        known_entity(where.entity)
    return uow.read(lambda session: journal_db.find(session, where, after=after, limit=limit))


def account_balance(uow: UnitOfWork, entity: str, code: str, as_of: date | None = None
                    ) -> list[AccountBalance]:
    day = as_of or today()
    return uow.read(lambda session: balances_db.account_balance(session, entity, code, day))


def trial_balance(uow: UnitOfWork, entity: str, as_of: date | None = None) -> TrialBalance:
    known_entity(entity)
    day = as_of or today()
    return uow.read(lambda session: balances_db.trial_balance(session, entity, day))
