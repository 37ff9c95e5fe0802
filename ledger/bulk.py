"""Use case: import many entries at once, atomically and idempotently.

Every entry is checked first (the double-entry rules against its entity's chart, and the
manual-entry rule that business records' sources are reserved); if any breaks a rule, one
InvalidBatch lists all of them and nothing is written. Otherwise all of them are posted in one
transaction through the journal's append (numbered and hash-chained like any entry), with one
audit record, and the batch's key is stored with the result (in `idempotency_keys`, scope
"ledger-import", completed in the same transaction): the same key again writes nothing and
returns the first result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ledger.books import RESERVED_SOURCES, now
from ledger.core.audit import AuditEvent
from ledger.core.bulk import EntryProblem, InvalidBatch, rule_problems
from ledger.core.chart import ENTITIES
from ledger.core.entries import JournalEntry
from ledger.core.errors import IdempotencyKeyReused, InvalidInput
from ledger.core.staff import Actor
from ledger.db import audit as audit_db
from ledger.db import journal as journal_db
from ledger.db.models import IdempotencyKeyRow
from ledger.db.session import Session, UnitOfWork

SCOPE = "ledger-import"
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Imported:
    """What a bulk import wrote: entries `first` to `last` (`count` of them). `replayed`: the
    key had been imported before, and this is that first result (nothing was written now)."""

    key: str
    first: int
    last: int
    count: int
    replayed: bool = False

    @property
    def seqs(self) -> range:
        return range(self.first, self.last + 1)


def fingerprint(entries: Iterable[JournalEntry]) -> str:
    """A SHA-256 of the entries' content, to tell a different batch under a reused key."""
    digest = hashlib.sha256()
    for e in entries:
        digest.update(repr((e.entity, e.effective_date, e.memo, e.source, e.actor, tuple(
            (p.account, p.side.value, p.minor, p.currency, p.memo) for p in e.postings)
        )).encode())
    return digest.hexdigest()


def problems_of(entries: Sequence[JournalEntry], numbers: Sequence[int]) -> list[EntryProblem]:
    """Every rule each entry breaks, with its number (line or index)."""
    found: list[EntryProblem] = []
    for entry, number in zip(entries, numbers, strict=True):
        if entry.entity not in ENTITIES:
            found.append(EntryProblem(number, f"there is no entity {entry.entity!r}", "entity"))
            continue
        if entry.reverses is not None:
            found.append(EntryProblem(number, "an imported entry cannot reverse another; "
                                      "reverse it through its own record", "reverses"))
        if entry.source is not None and entry.source.kind in RESERVED_SOURCES:
            found.append(EntryProblem(
                number, f"source kind {entry.source.kind!r} is reserved for the entries its "
                f"own records post; use another (e.g. 'import')", "source"))
        found.extend(rule_problems(entry, number))
    return found


def import_entries(uow: UnitOfWork, actor: Actor, entries: Iterable[JournalEntry], *, key: str,
                   digest: str | None = None, numbers: Sequence[int] | None = None,
                   label: str = "line", batch: int = BATCH,
                   progress: Callable[[int], None] | None = None) -> Imported:
    """Post `entries` in one transaction, or none of them; idempotent by `key`.

    `digest` identifies the content (default: a fingerprint of the entries): the same key with
    a different digest is refused (IdempotencyKeyReused). `numbers` name the entries in
    problems (default 1, 2, ...; `label` says what they are: "line" or "index"). `progress`
    is called with the number of entries appended after each slice of `batch`."""
    if len(key) > 255 or not key:
        raise InvalidInput("the import's key is 1 to 255 characters", field="key")
    entries = list(entries)
    numbers = list(numbers) if numbers is not None else list(range(1, len(entries) + 1))
    if not entries:
        raise InvalidInput("there are no entries to import", field="entries")
    found = problems_of(entries, numbers)
    if found:
        raise InvalidBatch(found, label=label)
    digest = digest or fingerprint(entries)

    def work(session: Session) -> Imported:
        row = session.scalar(select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == SCOPE, IdempotencyKeyRow.key == key))
        if row is not None:
            if row.request_hash != digest:
                raise IdempotencyKeyReused(
                    f"the key {key!r} was first used for other entries; use a new key",
                    field="key")
            first = json.loads(row.response_body or "{}")
            return Imported(key, first["first"], first["last"], first["count"], replayed=True)
        at = now()
        seqs: list[int] = []
        for start in range(0, len(entries), batch):
            chunk = entries[start:start + batch]
            posted = journal_db.append(session, chunk, recorded_at=at)
            seqs.extend((posted[0].seq, posted[-1].seq))
            if progress is not None:
                progress(len(chunk))
        result = Imported(key, seqs[0], seqs[-1], len(entries))
        audit_db.record(session, AuditEvent(
            actor=actor, action="entry.posted", object_type="entry",
            object_id=f"{result.first}-{result.last}",
            details={"count": result.count, "import": key}), at=at)
        session.add(IdempotencyKeyRow(
            scope=SCOPE, key=key, request_hash=digest, state="completed", locked_until=at,
            created_at=at, response_status=201, response_location=None,
            response_body=json.dumps({"first": result.first, "last": result.last,
                                      "count": result.count})))
        session.flush()
        return result

    return uow.write(work)
