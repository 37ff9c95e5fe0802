"""The hash chain: a canonical form of each entry and its link to the previous one.

    hash(n) = SHA-256( canonical(entry n and its postings) || hash(n-1) )

`canonical` is compact JSON with sorted keys, UTF-8, amounts in integer minor units and the
time stamp in UTC to the microsecond, so the same entry hashes the same on SQLite, PostgreSQL
and in a backup. The first entry links to `GENESIS`. Anyone can recompute the chain from an
export; `flask --app api ledger verify` does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache

from .entries import JournalEntry

GENESIS = "0" * 64


@lru_cache(maxsize=16)  # a batch of entries shares one time stamp
def utc_stamp(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: JournalEntry, *, seq: int, recorded_at: datetime) -> bytes:
    """The bytes that are hashed for an entry: everything that makes it what it is."""
    body = {
        "seq": seq,
        "entity": entry.entity,
        "effective_date": entry.effective_date.isoformat(),
        "recorded_at": utc_stamp(recorded_at),
        "memo": entry.memo,
        "actor": entry.actor,
        "source": [entry.source.kind, entry.source.id] if entry.source else None,
        "reverses": entry.reverses,
        "postings": [
            [line, p.account, p.currency, p.debit_minor, p.credit_minor, p.memo]
            for line, p in enumerate(entry.postings, start=1)
        ],
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link(entry: JournalEntry, *, seq: int, recorded_at: datetime, prev_hash: str) -> str:
    """The hash of an entry chained to the hash before it."""
    digest = hashlib.sha256(canonical(entry, seq=seq, recorded_at=recorded_at))
    digest.update(prev_hash.encode("ascii"))
    return digest.hexdigest()
