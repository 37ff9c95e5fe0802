"""ledger.core.entries: the double-entry rules, problems() and reverse()."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from ledger.core.chain import GENESIS, link
from ledger.core.chart import Side, chart_of
from ledger.core.entries import (
    MAX_MEMO,
    MAX_POSTINGS,
    JournalEntry,
    PostedEntry,
    Posting,
    SourceRef,
    check,
    problems,
    reverse,
)
from ledger.core.errors import (
    AlreadyReversed,
    InvalidEntry,
    NotReversible,
    TooFewPostings,
    Unbalanced,
    UnknownAccount,
    ZeroPosting,
)
from ledger.core.money import from_minor, parse_money

#: Generating whole entries costs ~15 ms an example, so these properties run 100 of them.
PROPERTY = settings(max_examples=100, deadline=None)
ENTITY_CODES = ("fund", "foundation")
DAY = date(2026, 11, 1)
RECORDED = datetime(2026, 11, 1, 2, 3, 4, 567890, tzinfo=UTC)


# --- builders ----------------------------------------------------------------------------------
def entry(
    *postings: Posting,
    entity: str = "fund",
    memo: str = "互助资金存入 deposit",
    actor: str = "treasurer",
    source: SourceRef | None = None,
    reverses: int | None = None,
) -> JournalEntry:
    return JournalEntry(
        entity=entity,
        effective_date=DAY,
        memo=memo,
        actor=actor,
        postings=tuple(postings),
        source=source,
        reverses=reverses,
    )


def simple(
    amount: str = "350000.00",
    *,
    memo: str = "互助资金存入 deposit",
    actor: str = "treasurer",
    reverses: int | None = None,
) -> JournalEntry:
    money = parse_money(amount)
    return entry(Posting.debit("1002", money), Posting.credit("420101", money),
                 memo=memo, actor=actor, reverses=reverses)


def posted(
    draft: JournalEntry, *, seq: int = 7, reversed_by: int | None = None
) -> PostedEntry:
    """A PostedEntry as the ledger would hand it back: numbered, stamped, chained."""
    base = {f.name: getattr(draft, f.name) for f in dataclasses.fields(JournalEntry)}
    return PostedEntry(
        **base,
        seq=seq,
        recorded_at=RECORDED,
        prev_hash=GENESIS,
        hash=link(draft, seq=seq, recorded_at=RECORDED, prev_hash=GENESIS),
        reversed_by=reversed_by,
    )


def nets(*entries: JournalEntry) -> Counter[tuple[str, str]]:
    """Debits minus credits per (account, currency), over all the entries."""
    out: Counter[tuple[str, str]] = Counter()
    for e in entries:
        for p in e.postings:
            out[(p.account, p.currency)] += p.debit_minor - p.credit_minor
    return out


# --- strategies --------------------------------------------------------------------------------
fen = st.integers(min_value=1, max_value=10**11)
#: Text the books accept: any Unicode but lone surrogates and NUL (refused, tested elsewhere).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@st.composite
def balanced_postings(draw: st.DrawFn, entity: str, currency: str) -> list[Posting]:
    """Random debits and credits in one currency, plus one posting that closes the gap."""
    account = st.sampled_from(sorted(chart_of(entity)))
    memo = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                          blacklist_characters="\x00"), max_size=30)
    debits = draw(st.lists(st.tuples(account, fen, memo), min_size=1, max_size=6))
    credits = draw(st.lists(st.tuples(account, fen, memo), min_size=1, max_size=6))
    postings = [Posting.debit(a, from_minor(n, currency), m) for a, n, m in debits]
    postings += [Posting.credit(a, from_minor(n, currency), m) for a, n, m in credits]
    gap = sum(n for _, n, _ in debits) - sum(n for _, n, _ in credits)
    if gap > 0:
        postings.append(Posting.credit(draw(account), from_minor(gap, currency)))
    elif gap < 0:
        postings.append(Posting.debit(draw(account), from_minor(-gap, currency)))
    return postings


@st.composite
def balanced_entries(draw: st.DrawFn) -> JournalEntry:
    entity = draw(st.sampled_from(ENTITY_CODES))
    currencies = draw(st.sampled_from([("CNY",), ("USD",), ("CNY", "USD")]))
    postings: list[Posting] = []
    for currency in currencies:
        postings += draw(balanced_postings(entity, currency))
    return JournalEntry(
        entity=entity,
        effective_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))),
        memo=draw(text.filter(lambda t: len(t) <= 40)
                  | st.text(alphabet="互助 ab", min_size=MAX_MEMO, max_size=MAX_MEMO)),
        actor=draw(text.filter(lambda t: 0 < len(t) <= 20 and bool(t.strip()))),
        postings=tuple(draw(st.permutations(postings))),
        source=draw(st.none() | st.builds(SourceRef, st.sampled_from(["deposit", "grant"]),
                                          text.filter(lambda t: 0 < len(t) <= 10))),
    )


# --- check(): balanced entries pass ------------------------------------------------------------
@PROPERTY
@given(balanced_entries())
def test_any_balanced_entry_passes(e: JournalEntry) -> None:
    chart = chart_of(e.entity)
    assert problems(e, chart) == []
    assert check(e, chart) is e
    for debits, credits in e.totals().values():
        assert debits == credits > 0


def test_a_simple_deposit_passes_and_totals_are_in_fen() -> None:
    e = simple("350000.00")
    assert check(e, chart_of("fund")) is e
    assert e.totals() == {"CNY": (35_000_000, 35_000_000)}


def test_totals_are_kept_per_currency() -> None:
    e = entry(
        Posting.debit("1002", parse_money("7.00")),
        Posting.credit("420101", parse_money("7.00")),
        Posting.debit("1002", parse_money("1.50", "USD")),
        Posting.credit("490101", parse_money("1.50", "USD")),
    )
    assert e.totals() == {"CNY": (700, 700), "USD": (150, 150)}
    assert check(e, chart_of("fund")) is e


def test_posting_properties() -> None:
    d = Posting.debit("1002", parse_money("22.08"), "memo")
    c = Posting.credit("1002", parse_money("22.08", "USD"))
    assert (d.side, d.currency, d.minor, d.debit_minor, d.credit_minor) == (
        Side.DEBIT, "CNY", 2208, 2208, 0)
    assert (c.side, c.currency, c.minor, c.debit_minor, c.credit_minor) == (
        Side.CREDIT, "USD", 2208, 0, 2208)
    assert d.reversed() == Posting.credit("1002", parse_money("22.08"), "memo")
    assert d.reversed().reversed() == d


# --- check(): unbalanced entries fail ----------------------------------------------------------
@PROPERTY
@given(e=balanced_entries(), data=st.data())
def test_any_unbalanced_entry_is_refused(e: JournalEntry, data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(e.postings) - 1), label="posting")
    victim = e.postings[i]
    delta = data.draw(st.integers(min_value=-victim.minor + 1, max_value=10**9)
                      .filter(lambda d: d != 0), label="delta")
    changed = dataclasses.replace(victim, amount=from_minor(victim.minor + delta, victim.currency))
    bad = dataclasses.replace(e, postings=(*e.postings[:i], changed, *e.postings[i + 1:]))

    with pytest.raises(Unbalanced) as caught:
        check(bad, chart_of(bad.entity))
    assert caught.value.message.startswith(f"{victim.currency} debits ")
    found = problems(bad, chart_of(bad.entity))
    assert [type(p) for p in found] == [Unbalanced]
    assert found[0].field == "postings"


@PROPERTY
@given(e=balanced_entries(), data=st.data())
def test_an_extra_one_sided_posting_unbalances(e: JournalEntry, data: st.DataObject) -> None:
    account = data.draw(st.sampled_from(sorted(chart_of(e.entity))))
    side = data.draw(st.sampled_from([Posting.debit, Posting.credit]))
    currency = data.draw(st.sampled_from(["CNY", "USD", "EUR"]))
    bad = dataclasses.replace(
        e, postings=(*e.postings, side(account, from_minor(data.draw(fen), currency))))
    with pytest.raises(Unbalanced):
        check(bad, chart_of(bad.entity))
    assert [type(p) for p in problems(bad, chart_of(bad.entity))] == [Unbalanced]


def test_unbalanced_message_gives_both_sides_and_the_difference() -> None:
    e = entry(Posting.debit("1002", parse_money("100.00")),
              Posting.credit("420101", parse_money("99.99")))
    with pytest.raises(Unbalanced) as caught:
        check(e, chart_of("fund"))
    assert caught.value.message == (
        "CNY debits 100.00 do not equal credits 99.99 (difference 0.01)")
    assert caught.value.code == "unbalanced-entry"


def test_equal_numbers_in_different_currencies_do_not_balance() -> None:
    e = entry(Posting.debit("1002", parse_money("1.00")),
              Posting.credit("420101", parse_money("1.00", "USD")))
    found = problems(e, chart_of("fund"))
    assert [type(p) for p in found] == [Unbalanced, Unbalanced]
    assert [p.message.split()[0] for p in found] == ["CNY", "USD"]  # stable: sorted by currency


# --- check(): the other rules ------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1])
def test_too_few_postings(count: int) -> None:
    money = parse_money("1.00")
    e = entry(*[Posting.debit("1002", money)][:count])
    with pytest.raises(TooFewPostings) as caught:
        check(e, chart_of("fund"))
    assert f"at least two postings, this one has {count}" in caught.value.message
    assert caught.value.field == "postings"


def test_at_most_max_postings() -> None:
    one = parse_money("0.01")
    half = MAX_POSTINGS // 2
    ok = entry(*[Posting.debit("1002", one)] * half, *[Posting.credit("420101", one)] * half)
    assert check(ok, chart_of("fund")) is ok
    too_many = dataclasses.replace(
        ok, postings=(*ok.postings, Posting.debit("1001", one), Posting.credit("490101", one)))
    with pytest.raises(InvalidEntry, match=f"at most {MAX_POSTINGS} postings") as caught:
        check(too_many, chart_of("fund"))
    assert type(caught.value) is InvalidEntry
    assert caught.value.field == "postings"


@pytest.mark.parametrize(("amount", "shown"), [("0", "0.00"), ("-5", "-5.00")])
def test_zero_or_negative_posting(amount: str, shown: str) -> None:
    money = parse_money(amount, allow_zero=True, allow_negative=True)
    e = entry(Posting.debit("1002", money), Posting.credit("420101", money))
    with pytest.raises(ZeroPosting) as caught:
        check(e, chart_of("fund"))
    assert f"positive amount, not {shown}" in caught.value.message
    assert caught.value.field == "postings[0].amount"
    assert [p.field for p in problems(e, chart_of("fund"))] == [
        "postings[0].amount", "postings[1].amount"]


@pytest.mark.parametrize(
    ("entity", "code"),
    [
        ("fund", "9999"),
        ("fund", ""),
        ("fund", "1002 "),
        ("fund", "410101"),  # the foundation's donations account is not in the fund's chart
        ("foundation", "420101"),  # and the fund's deposit share is not in the foundation's
    ],
)
def test_unknown_account(entity: str, code: str) -> None:
    money = parse_money("1.00")
    e = entry(Posting.debit("1002", money), Posting.credit(code, money), entity=entity)
    with pytest.raises(UnknownAccount) as caught:
        check(e, chart_of(entity))
    assert f"entity {entity!r} has no account {code!r}" in caught.value.message
    assert caught.value.field == "postings[1].account"


@pytest.mark.parametrize("actor", ["", " ", "\t\n", "\u3000"])
def test_blank_actor(actor: str) -> None:
    e = simple(actor=actor)
    with pytest.raises(InvalidEntry, match="names the person") as caught:
        check(e, chart_of("fund"))
    assert caught.value.field == "actor"


def test_memo_length_is_counted_in_characters() -> None:
    assert check(simple(memo="互" * MAX_MEMO), chart_of("fund"))
    with pytest.raises(InvalidEntry, match=f"longer than {MAX_MEMO} characters") as caught:
        check(simple(memo="x" * (MAX_MEMO + 1)), chart_of("fund"))
    assert caught.value.field == "memo"


def test_posting_memo_length() -> None:
    money = parse_money("1.00")
    ok = entry(Posting.debit("1002", money, "助" * MAX_MEMO), Posting.credit("420101", money))
    assert check(ok, chart_of("fund")) is ok
    bad = entry(Posting.debit("1002", money), Posting.credit("420101", money, "x" * 501))
    with pytest.raises(InvalidEntry, match="longer than") as caught:
        check(bad, chart_of("fund"))
    assert caught.value.field == "postings[1].memo"


def test_problems_lists_every_problem_in_a_stable_order() -> None:
    zero = parse_money("0", allow_zero=True)
    e = JournalEntry(
        entity="fund",
        effective_date=DAY,
        memo="m" * (MAX_MEMO + 1),
        actor="  ",
        postings=(
            Posting.debit("1002", parse_money("5.00")),
            Posting.credit("8888", zero, "p" * (MAX_MEMO + 1)),
        ),
    )
    found = problems(e, chart_of("fund"))
    assert [(type(p), p.field) for p in found] == [
        (InvalidEntry, "actor"),
        (InvalidEntry, "memo"),
        (UnknownAccount, "postings[1].account"),
        (ZeroPosting, "postings[1].amount"),
        (InvalidEntry, "postings[1].memo"),
        (Unbalanced, "postings"),
    ]
    again = problems(e, chart_of("fund"))
    assert [(type(p), p.field, p.message) for p in again] == [
        (type(p), p.field, p.message) for p in found]
    with pytest.raises(InvalidEntry) as caught:
        check(e, chart_of("fund"))
    assert caught.value.field == "actor"  # check() raises the first


def test_problems_with_one_posting() -> None:
    e = entry(Posting.debit("7777", parse_money("1.00")), actor="")
    assert [type(p) for p in problems(e, chart_of("fund"))] == [
        TooFewPostings, InvalidEntry, UnknownAccount, Unbalanced]


def test_problems_reports_an_amount_finer_than_the_minor_unit() -> None:
    fine = Money("1.005", "CNY")
    e = entry(Posting.debit("1002", fine), Posting.credit("420101", fine))
    found = problems(e, chart_of("fund"))
    assert [p.field for p in found] == ["postings[0].amount", "postings[1].amount"]
    assert all(isinstance(p, InvalidEntry) for p in found)


# --- reverse() ---------------------------------------------------------------------------------
@PROPERTY
@given(original=balanced_entries(), seq=st.integers(min_value=1, max_value=10**9))
def test_the_reversal_of_any_entry_nets_every_account_to_zero(
    original: JournalEntry, seq: int
) -> None:
    before = posted(original, seq=seq)
    undo = reverse(before, effective_date=date(2027, 1, 2), actor="auditor")

    assert all(v == 0 for v in nets(before, undo).values())
    assert nets(undo) == Counter({k: -v for k, v in nets(before).items()})
    assert check(undo, chart_of(undo.entity)) is undo
    assert undo.reverses == seq
    assert undo.entity == before.entity
    assert undo.source == before.source
    assert undo.effective_date == date(2027, 1, 2)
    assert undo.actor == "auditor"
    assert [(p.account, p.amount, p.memo) for p in undo.postings] == [
        (p.account, p.amount, p.memo) for p in before.postings]
    assert [p.side for p in undo.postings] == [p.side.opposite for p in before.postings]
    assert undo.memo.startswith(f"冲销 #{seq} / Reversal of #{seq}: ")
    assert len(undo.memo) <= MAX_MEMO


def test_reversal_memo_defaults_and_is_truncated() -> None:
    long = posted(simple(memo="长" * MAX_MEMO), seq=12)
    undo = reverse(long, effective_date=DAY, actor="a")
    assert len(undo.memo) == MAX_MEMO
    assert undo.memo.startswith("冲销 #12 / Reversal of #12: 长")
    assert check(undo, chart_of("fund")) is undo

    mine = reverse(long, effective_date=DAY, actor="a", memo="typo in amount")
    assert mine.memo == "typo in amount"


def test_reversing_a_reversal_is_refused() -> None:
    undo = posted(simple(reverses=3), seq=4)
    with pytest.raises(NotReversible) as caught:
        reverse(undo, effective_date=DAY, actor="a")
    assert "#4 is itself the reversal of #3" in caught.value.message
    assert caught.value.code == "not-reversible"


def test_reversing_twice_is_refused() -> None:
    done = posted(simple(), seq=5, reversed_by=9)
    with pytest.raises(AlreadyReversed) as caught:
        reverse(done, effective_date=DAY, actor="a")
    assert "#5 was already reversed by #9" in caught.value.message
    assert caught.value.code == "already-reversed"


def test_reversed_by_does_not_take_part_in_equality() -> None:
    draft = simple()
    assert posted(draft, reversed_by=None) == posted(draft, reversed_by=8)
    assert posted(draft, seq=1) != posted(draft, seq=2)
