"""Posting through the use cases: balances move by exactly the entry, refusals write nothing.

The Hypothesis tests run many examples on one database per backend (the function-scoped
fixtures are shared by the examples on purpose: the books grow as they would in production).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledger import books, periods
from ledger.core.chart import ENTITIES, chart_of
from ledger.core.entries import JournalEntry, Posting, SourceRef
from ledger.core.errors import (
    AlreadyReversed,
    ClosedPeriod,
    InvalidEntry,
    NotReversible,
    TooFewPostings,
    Unbalanced,
)
from ledger.core.money import from_minor, parse_money
from ledger.core.staff import Actor
from ledger.db.chain import verify
from ledger.db.models import EntryRow, PostingRow
from ledger.db.session import UnitOfWork

PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
CURRENCIES = ("CNY", "USD", "JPY", "KWD")  # 2, 2, 0 and 3 decimals
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@st.composite
def balanced_entries(draw: st.DrawFn) -> JournalEntry:
    """A random entry that obeys every rule: per currency, debits equal credits."""
    entity = draw(st.sampled_from(sorted(ENTITIES)))
    codes = sorted(chart_of(entity))
    postings: list[Posting] = []
    for currency in draw(st.lists(st.sampled_from(CURRENCIES), min_size=1, max_size=2,
                                  unique=True)):
        debits = draw(st.lists(st.integers(1, 10**11), min_size=1, max_size=3))
        total = sum(debits)
        parts = draw(st.integers(1, min(3, total)))
        cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1,
                                    max_size=parts - 1, unique=True))) if parts > 1 else []
        credits = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        postings += [Posting.debit(draw(st.sampled_from(codes)), from_minor(m, currency),
                                   memo=draw(TEXT)) for m in debits]
        postings += [Posting.credit(draw(st.sampled_from(codes)), from_minor(m, currency),
                                    memo=draw(TEXT)) for m in credits]
    return JournalEntry(
        entity=entity, effective_date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        memo=draw(TEXT), actor=draw(st.sampled_from(["张三", "li.si", "api"])),
        postings=tuple(draw(st.permutations(postings))))


@st.composite
def unbalanced_entries(draw: st.DrawFn) -> JournalEntry:
    """A balanced entry with one posting's amount nudged up or down (staying positive)."""
    entry = draw(balanced_entries())
    i = draw(st.integers(0, len(entry.postings) - 1))
    p = entry.postings[i]
    nudge = draw(st.integers(-p.minor + 1, 10**6).filter(lambda n: n != 0))
    nudged = Posting(account=p.account, side=p.side, memo=p.memo,
                     amount=from_minor(p.minor + nudge, p.currency))
    return JournalEntry(entity=entry.entity, effective_date=entry.effective_date,
                        memo=entry.memo, actor=entry.actor,
                        postings=(*entry.postings[:i], nudged, *entry.postings[i + 1:]))


def totals(uow: UnitOfWork, entity: str) -> Counter[tuple[str, str, str]]:
    """The trial balance as (account, currency, side) -> total minor units."""
    tb = books.trial_balance(uow, entity, date.max)
    assert tb.balanced
    found: Counter[tuple[str, str, str]] = Counter()
    for line in tb.lines:
        found[line.account.code, line.currency, "debit"] += line.debits
        found[line.account.code, line.currency, "credit"] += line.credits
    return found


def nets(uow: UnitOfWork, entity: str) -> dict[tuple[str, str], int]:
    """Debits minus credits per account and currency, accounts at zero left out."""
    tb = books.trial_balance(uow, entity, date.max)
    found = {(ln.account.code, ln.currency): ln.debits - ln.credits for ln in tb.lines}
    return {key: net for key, net in found.items() if net}


def moved_by(entry: JournalEntry) -> Counter[tuple[str, str, str]]:
    moved: Counter[tuple[str, str, str]] = Counter()
    for p in entry.postings:
        moved[p.account, p.currency, p.side.value] += p.minor
    return moved


def counts(uow: UnitOfWork) -> tuple[int, int]:
    return uow.read(lambda s: (s.scalar(select(func.count()).select_from(EntryRow)),
                               s.scalar(select(func.count()).select_from(PostingRow))))


@PROPERTY
@given(entry=balanced_entries())
def test_a_balanced_entry_moves_the_trial_balance_by_exactly_its_postings(
        uow: UnitOfWork, entry: JournalEntry):
    before = {code: totals(uow, code) for code in ENTITIES}
    entries_before, _ = counts(uow)
    posted = books.post(uow, entry)
    assert posted.seq == entries_before + 1
    after = {code: totals(uow, code) for code in ENTITIES}
    assert after[entry.entity] == before[entry.entity] + moved_by(entry)
    for other in set(ENTITIES) - {entry.entity}:
        assert after[other] == before[other]
    stored = books.entry(uow, posted.seq)
    assert stored == posted
    assert stored.postings == entry.postings


@PROPERTY
@given(entry=unbalanced_entries())
def test_an_unbalanced_entry_is_refused_and_nothing_is_written(uow: UnitOfWork,
                                                               entry: JournalEntry):
    before = counts(uow), {code: totals(uow, code) for code in ENTITIES}
    with pytest.raises(Unbalanced):
        books.post(uow, entry)
    assert (counts(uow), {code: totals(uow, code) for code in ENTITIES}) == before


@PROPERTY
@given(entry=balanced_entries())
def test_a_reversal_nets_every_account_back(uow: UnitOfWork, entry: JournalEntry):
    before = nets(uow, entry.entity)
    original = books.post(uow, entry)
    reversal = books.reverse_entry(uow, original.seq, actor="auditor",
                                   effective_date=entry.effective_date)
    assert reversal.reverses == original.seq
    assert [(p.account, p.side.opposite, p.amount) for p in reversal.postings] == [
        (p.account, p.side, p.amount) for p in original.postings]
    assert nets(uow, entry.entity) == before
    assert books.entry(uow, original.seq).reversed_by == reversal.seq


def test_a_reversal_is_posted_once_and_never_reversed_itself(uow: UnitOfWork,
                                                             post_some: Any):
    first, _ = post_some(2)
    reversal = books.reverse_entry(uow, first.seq, actor="auditor")
    assert reversal.seq == 3
    assert reversal.effective_date == books.today()
    written = counts(uow)
    with pytest.raises(AlreadyReversed):
        books.reverse_entry(uow, first.seq, actor="auditor")
    with pytest.raises(NotReversible):
        books.reverse_entry(uow, reversal.seq, actor="auditor")
    assert counts(uow) == written
    assert uow.read(verify).checked == 3


def test_core_refusals_write_nothing(uow: UnitOfWork, post_some: Any):
    post_some(1)
    written = counts(uow)
    one_line = JournalEntry(entity="fund", effective_date=date(2026, 11, 1), memo="m", actor="a",
                            postings=(Posting.debit("1002", parse_money("1.00")),))
    with pytest.raises(TooFewPostings):
        books.post(uow, one_line)
    good = JournalEntry(entity="fund", effective_date=date(2026, 11, 1), memo="m", actor="a",
                        postings=(Posting.debit("1002", parse_money("1.00")),
                                  Posting.credit("420101", parse_money("1.00"))))
    bad = JournalEntry(entity="fund", effective_date=date(2026, 11, 1), memo="m", actor="a",
                       postings=(Posting.debit("1002", parse_money("1.00")),
                                 Posting.credit("420101", parse_money("0.99"))))
    with pytest.raises(Unbalanced):  # post_many is all or nothing
        books.post_many(uow, [good, bad])
    assert counts(uow) == written


# --- closed periods ----------------------------------------------------------------------------
def test_posting_into_a_closed_period_raises_closed_period_and_writes_nothing(
        uow: UnitOfWork, post_some: Any, raw: Any):
    post_some(2)
    admin = Actor.system("admin1")
    for entity, label in (("fund", "2026-10"), ("fund", "2026-11"), ("foundation", "2026-12")):
        periods.start_closing(uow, admin, entity, label)
    periods.close_period(uow, admin, "fund", "2026-10")
    periods.close_period(uow, admin, "foundation", "2026-12")
    snapshot = raw.snapshot()

    def entry(day: date, entity: str = "fund") -> JournalEntry:
        income = "420101" if entity == "fund" else "410101"
        return JournalEntry(entity=entity, effective_date=day, memo="late", actor="a",
                            postings=(Posting.debit("1002", parse_money("3.00")),
                                      Posting.credit(income, parse_money("3.00"))))

    for day in (date(2026, 10, 1), date(2026, 10, 15), date(2026, 10, 31)):
        with pytest.raises(ClosedPeriod) as info:
            books.post(uow, entry(day))
        assert info.value.field == "effective_date"
        assert str(day) in info.value.message
    with pytest.raises(ClosedPeriod):  # all or nothing: the good entry is not written either
        books.post_many(uow, [entry(date(2026, 9, 30)), entry(date(2026, 10, 2))])
    with pytest.raises(ClosedPeriod):
        books.post(uow, entry(date(2026, 12, 24), "foundation"))
    assert raw.snapshot() == snapshot
    # Closing a period locks every date up to its end: the day before is refused too.
    with pytest.raises(ClosedPeriod):
        books.post(uow, entry(date(2026, 9, 30)))
    assert raw.snapshot() == snapshot
    # The day after, a closing period, after another entity's closed period: fine.
    for day, entity in [(date(2026, 11, 1), "fund"), (date(2026, 12, 24), "fund"),
                        (date(2027, 1, 2), "foundation")]:
        books.post(uow, entry(day, entity))
    assert counts(uow) == (5, 10)


# --- text the database cannot hold -------------------------------------------------------------
def _entry(**changes: Any) -> JournalEntry:
    fields: dict[str, Any] = {
        "entity": "fund", "effective_date": date(2026, 11, 1), "memo": "m", "actor": "a",
        "postings": (Posting.debit("1002", parse_money("1.00")),
                     Posting.credit("420101", parse_money("1.00")))}
    return JournalEntry(**{**fields, **changes})


def test_an_over_long_actor_or_source_is_refused_by_the_core(uow: UnitOfWork, raw: Any):
    for entry in (_entry(actor="x" * 101), _entry(source=SourceRef("k" * 41, "1")),
                  _entry(source=SourceRef("deposit", "9" * 101))):
        with pytest.raises(InvalidEntry):
            books.post(uow, entry)
    assert raw.counts() == (0, 0)


def test_nul_characters_are_refused_by_the_core(uow: UnitOfWork, raw: Any):
    for entry in (_entry(memo="a\x00b"), _entry(actor="a\x00"),
                  _entry(postings=(Posting.debit("1002", parse_money("1.00"), memo="\x00"),
                                   Posting.credit("420101", parse_money("1.00"))))):
        with pytest.raises(InvalidEntry):
            books.post(uow, entry)
    assert raw.counts() == (0, 0)


def test_the_longest_text_the_core_accepts_is_stored_on_both_backends(uow: UnitOfWork):
    entry = _entry(memo="备" * 500, actor="张" * 100, source=SourceRef("k" * 40, "9" * 100),
                   postings=(Posting.debit("1002", parse_money("1.00"), memo="注" * 500),
                             Posting.credit("420101", parse_money("1.00"))))
    posted = books.post(uow, entry)
    assert books.entry(uow, posted.seq) == posted
