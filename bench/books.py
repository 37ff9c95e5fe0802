"""A generator of realistic books: deposits split 30/70, transfers to the foundation,
operating expenses, donations, grant tranches and residents' payments to repair campaigns
(shares of 22.08 / 22.09 yuan, restricted), spread over one year."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from ledger.core.entries import JournalEntry, Posting, SourceRef
from ledger.core.money import allocate, from_minor

YEAR_START = date(2025, 1, 1)


def _amount(rng: random.Random, low: int, high: int):  # type: ignore[no-untyped-def]
    return from_minor(rng.randrange(low, high) * 100)


def realistic_entries(n: int, seed: int = 7, *, importable: bool = False
                      ) -> Iterator[JournalEntry]:
    """`n` balanced entries in date order (about 2.5 postings each). `importable`: their
    sources are of kind "import" (business records' own kinds are reserved to them)."""
    rng = random.Random(seed)
    kind_of = (lambda kind: "import") if importable else (lambda kind: kind)
    for i in range(n):
        day = YEAR_START + timedelta(days=i * 365 // max(n, 1))
        kind = rng.random()
        if kind < 0.25:
            deposit = _amount(rng, 50_000, 500_000)
            operating, foundation = allocate(deposit, [30, 70])
            yield JournalEntry(
                entity="fund", effective_date=day, memo=f"互助资金 member {i}", actor="bench",
                source=SourceRef(kind_of("deposit"), f"deposit-{i}"),
                postings=(Posting.debit("1002", deposit), Posting.credit("420101", operating),
                          Posting.credit("2209", foundation)))
        elif kind < 0.45:
            amount = _amount(rng, 1_000, 100_000)
            yield JournalEntry(
                entity="fund", effective_date=day, memo="transfer to foundation", actor="bench",
                postings=(Posting.debit("2209", amount), Posting.credit("1002", amount)))
        elif kind < 0.6:
            amount = _amount(rng, 100, 5_000)
            yield JournalEntry(
                entity="fund", effective_date=day, memo="operating expense", actor="bench",
                postings=(Posting.debit("5201", amount), Posting.credit("1002", amount)))
        elif kind < 0.7:
            share = from_minor(2208 + (i % 317 < 64))  # 7,000.00 over 317 households
            yield JournalEntry(
                entity="foundation", effective_date=day, memo=f"众筹 household {i % 317 + 1}",
                actor="bench", source=SourceRef(kind_of("campaign"), f"payment-{i}"),
                postings=(Posting.debit("1002", share), Posting.credit("410102", share)))
        elif kind < 0.8:
            amount = _amount(rng, 100, 50_000)
            account = rng.choice(["410101", "410102", "450101", "450102"])
            yield JournalEntry(
                entity="foundation", effective_date=day, memo="income", actor="bench",
                postings=(Posting.debit("1002", amount), Posting.credit(account, amount)))
        else:
            amount = _amount(rng, 1_000, 80_000)
            admin = from_minor(rng.randrange(0, 50) * 100 + 100)
            yield JournalEntry(
                entity="foundation", effective_date=day, memo="grant tranche", actor="bench",
                postings=(Posting.debit("5101", amount), Posting.debit("5201", admin),
                          Posting.credit("1002", amount + admin)))
