"""Pure rules of the foundation's income and grant programme (ledger/core/grants.py): the
income account by source and restriction, scoring criteria and scores, the weighted and mean
scores, the quorum and majority rules, budgets and tranche schedules, available funds, round
transitions and the entries posted. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moneyed import Money

from ledger.core.chart import chart_of
from ledger.core.entries import check
from ledger.core.errors import InvalidInput
from ledger.core.grants import (
    Availability,
    BudgetLine,
    Criterion,
    IncomeSource,
    Majority,
    Restriction,
    RoundHold,
    RoundNotInState,
    RoundStatus,
    Tally,
    Tranche,
    availability,
    check_budget,
    check_criteria,
    check_round_transition,
    check_schedule,
    check_scores,
    clawback_entry,
    commitment_entry,
    decide,
    income_account,
    income_entry,
    majority_met,
    mean_score,
    release_entry,
    tranche_entry,
    unspent_entry,
    weighted_score,
)
from ledger.core.money import from_minor, parse_money

PURE = settings(max_examples=100, deadline=None)
CRITERIA = (Criterion("need", 40), Criterion("design", 35), Criterion("capacity", 25))
DAY = date(2026, 3, 15)


def yuan(value: str) -> Money:
    return parse_money(value)


def signed(value: str) -> Money:
    """An amount that may be zero or negative (for schedules that must be refused)."""
    return parse_money(value, allow_zero=True, allow_negative=True)


def refusal(field: str, work: object, *args: object) -> InvalidInput:
    assert callable(work)
    with pytest.raises(InvalidInput) as caught:
        work(*args)
    assert caught.value.field == field
    return caught.value


# --- income accounts --------------------------------------------------------------------------
GOVERNMENT = {IncomeSource.WELFARE_LOTTERY, IncomeSource.FISCAL}


@pytest.mark.parametrize(("source", "restriction"),
                         list(product(IncomeSource, Restriction)))
def test_income_account_by_source_and_restriction(source: IncomeSource,
                                                  restriction: Restriction) -> None:
    government, restricted = source in GOVERNMENT, restriction is not Restriction.NONE
    expected = ("4501" if government else "4101") + ("02" if restricted else "01")
    account = income_account(source, restriction)
    assert account == expected
    assert chart_of("foundation")[account].restricted is restricted


# --- criteria and scores ----------------------------------------------------------------------
def test_criteria_with_weights_adding_up_to_100_pass() -> None:
    check_criteria(CRITERIA)
    check_criteria([Criterion("only one", 100)])
    check_criteria([Criterion(f"c{n}", 10) for n in range(10)])


@pytest.mark.parametrize(("criteria", "says"), [
    ([], "1 to 10"),
    ([Criterion(f"c{n}", 9) for n in range(11)], "1 to 10"),
    ([Criterion("  ", 100)], "name"),
    ([Criterion("x" * 101, 100)], "name"),
    ([Criterion("need", 50), Criterion(" need ", 50)], "unique"),
    ([Criterion("need", 0), Criterion("design", 100)], "weight"),
    ([Criterion("need", 101)], "weight"),
    ([Criterion("need", -10), Criterion("design", 110)], "weight"),
    ([Criterion("need", 40), Criterion("design", 59)], "add up to 99"),
    ([Criterion("need", 40), Criterion("design", 61)], "add up to 101"),
])
def test_criteria_that_break_a_rule_are_refused(criteria: list[Criterion], says: str) -> None:
    assert says in refusal("criteria", check_criteria, criteria).message


def test_a_score_for_every_criterion_from_0_to_100_passes() -> None:
    check_scores({"need": 0, "design": 100, "capacity": 55}, CRITERIA)


@pytest.mark.parametrize(("scores", "says"), [
    ({"need": 80, "design": 70}, "missing capacity"),
    ({}, "missing capacity, design, need"),
    ({"need": 80, "design": 70, "capacity": 60, "impact": 90}, "unknown impact"),
    ({"need": 80, "design": 70, "impact": 90}, "missing capacity; unknown impact"),
    ({"need": -1, "design": 70, "capacity": 60}, "0 to 100"),
    ({"need": 80, "design": 101, "capacity": 60}, "0 to 100"),
])
def test_scores_that_break_a_rule_are_refused(scores: dict[str, int], says: str) -> None:
    assert says in refusal("scores", check_scores, scores, CRITERIA).message


@pytest.mark.parametrize(("need", "design", "capacity", "expected"), [
    (90, 80, 70, "81.50"), (85, 75, 80, "80.25"), (95, 85, 60, "82.75"),
    (0, 0, 0, "0.00"), (100, 100, 100, "100.00"), (1, 0, 0, "0.40"), (0, 1, 0, "0.35"),
    (0, 0, 1, "0.25"),
])
def test_weighted_score_examples(need: int, design: int, capacity: int, expected: str) -> None:
    got = weighted_score({"need": need, "design": design, "capacity": capacity}, CRITERIA)
    assert (got, str(got)) == (Decimal(expected), expected)


@st.composite
def criteria_and_scores(draw: st.DrawFn) -> tuple[list[Criterion], dict[str, int]]:
    """1 to 10 criteria with whole weights adding up to 100, and a score for each."""
    count = draw(st.integers(1, 10))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    criteria = [Criterion(f"c{n}", hi - lo) for n, (lo, hi) in enumerate(pairwise(bounds))]
    marks = draw(st.lists(st.integers(0, 100), min_size=count, max_size=count))
    return criteria, {c.name: m for c, m in zip(criteria, marks, strict=True)}


@PURE
@given(criteria_and_scores())
def test_weighted_score_is_always_within_0_and_100(
        drawn: tuple[list[Criterion], dict[str, int]]) -> None:
    criteria, marks = drawn
    check_criteria(criteria)
    check_scores(marks, criteria)
    got = weighted_score(marks, criteria)
    assert Decimal(0) <= got <= Decimal(100)
    assert min(marks.values()) <= got <= max(marks.values())
    # whole scores and whole percentages: two decimals hold the weighted mean exactly
    assert Fraction(got) == Fraction(sum(marks[c.name] * c.weight for c in criteria), 100)


@PURE
@given(st.integers(0, 100), criteria_and_scores())
def test_the_same_score_everywhere_is_the_weighted_score(
        mark: int, drawn: tuple[list[Criterion], dict[str, int]]) -> None:
    criteria, _ = drawn
    assert weighted_score(dict.fromkeys((c.name for c in criteria), mark),
                          criteria) == Decimal(mark)


def test_mean_score() -> None:
    assert mean_score([]) is None
    assert mean_score([Decimal("81.50"), Decimal("80.25"), Decimal("82.75"),
                       Decimal("82.25")]) == Decimal("81.69")  # 81.6875
    assert mean_score([Decimal("80.25"), Decimal("80.26")]) == Decimal("80.26")  # 80.255 up
    assert mean_score([Decimal("70.00"), Decimal("74.50"), Decimal("74.00")]) == Decimal(
        "72.83")


@PURE
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=20))
def test_mean_score_lies_between_the_lowest_and_the_highest(cents: list[int]) -> None:
    marks = [Decimal(c).scaleb(-2) for c in cents]
    got = mean_score(marks)
    assert got is not None
    assert min(marks) <= got <= max(marks)
    assert abs(Fraction(got) - Fraction(sum(cents), 100 * len(cents))) <= Fraction(1, 200)


# --- quorum and majority ----------------------------------------------------------------------
@pytest.mark.parametrize(("votes_for", "cast", "rule", "met"), [
    (2, 3, Majority.TWO_THIRDS, True),  # exactly two thirds
    (3, 5, Majority.TWO_THIRDS, False),  # 60 %
    (4, 6, Majority.TWO_THIRDS, True),
    (3, 4, Majority.TWO_THIRDS, True),
    (6, 10, Majority.TWO_THIRDS, False),
    (7, 10, Majority.TWO_THIRDS, True),
    (0, 0, Majority.TWO_THIRDS, False),
    (2, 4, Majority.SIMPLE, False),  # half is not more than half
    (3, 5, Majority.SIMPLE, True),
    (3, 4, Majority.SIMPLE, True),
    (1, 1, Majority.SIMPLE, True),
    (0, 0, Majority.SIMPLE, False),
    (1, 2, Majority.SIMPLE, False),
])
def test_majority_boundaries(votes_for: int, cast: int, rule: Majority, met: bool) -> None:
    assert majority_met(votes_for, cast, rule) is met


def tally(votes_for: int, against: int = 0, abstain: int = 0, recused: int = 0) -> Tally:
    return Tally(votes_for=votes_for, against=against, abstain=abstain, recused=recused)


@pytest.mark.parametrize(("votes", "quorum", "majority", "passed", "quorate", "reason"), [
    (tally(2), 3, Majority.SIMPLE, False, False, "no_quorum"),
    (tally(2, recused=1), 3, Majority.SIMPLE, False, False, "no_quorum"),  # recused don't count
    (tally(2, 0, 1), 3, Majority.TWO_THIRDS, True, True, "passed"),  # 2 of 3
    (tally(3, 2), 5, Majority.TWO_THIRDS, False, True, "majority_against"),  # 3 of 5
    (tally(3, 2), 5, Majority.SIMPLE, True, True, "passed"),
    (tally(2, 2), 3, Majority.SIMPLE, False, True, "majority_against"),  # 2 of 4
    (tally(2, 0, 2), 3, Majority.SIMPLE, False, True, "majority_against"),  # abstain counts
    (tally(3, 1, recused=1), 4, Majority.TWO_THIRDS, True, True, "passed"),
])
def test_decide(votes: Tally, quorum: int, majority: Majority, passed: bool, quorate: bool,
                reason: str) -> None:
    outcome = decide(votes, quorum=quorum, majority=majority)
    assert (outcome.passed, outcome.quorate, outcome.reason) == (passed, quorate, reason)


def test_the_residents_assembly() -> None:
    board = tally(3)
    assert decide(board, quorum=3, majority=Majority.SIMPLE,
                  assembly_required=True).reason == "assembly_missing"
    assert decide(board, quorum=3, majority=Majority.SIMPLE, assembly=tally(40, 30, 11),
                  assembly_required=True).reason == "assembly_against"  # 40 of 81
    assert decide(board, quorum=3, majority=Majority.SIMPLE, assembly=tally(41, 30, 10),
                  assembly_required=True).reason == "passed"
    assert decide(board, quorum=3, majority=Majority.SIMPLE, assembly=tally(5, 5)
                  ).reason == "assembly_against"  # recorded, so it counts even if optional
    assert decide(tally(1, 2), quorum=3, majority=Majority.SIMPLE, assembly=tally(50),
                  assembly_required=True).reason == "majority_against"  # the board first
    assert decide(tally(2), quorum=3, majority=Majority.SIMPLE, assembly=tally(50),
                  assembly_required=True).reason == "no_quorum"


VOTES = st.integers(0, 30)


@PURE
@given(VOTES, VOTES, VOTES, VOTES, st.integers(1, 30), st.sampled_from(Majority),
       st.none() | st.builds(tally, VOTES, VOTES, VOTES), st.booleans())
def test_decide_never_passes_without_quorum_or_majority(
        votes_for: int, against: int, abstain: int, recused: int, quorum: int,
        majority: Majority, assembly: Tally | None, required: bool) -> None:
    votes = tally(votes_for, against, abstain, recused)
    outcome = decide(votes, quorum=quorum, majority=majority, assembly=assembly,
                     assembly_required=required)
    cast = votes_for + against + abstain
    assert votes.cast == cast
    assert outcome.quorate is (cast >= quorum)
    if cast < quorum:
        assert (outcome.passed, outcome.reason) == (False, "no_quorum")
    share = Fraction(votes_for, cast) if cast else Fraction(0)
    needed = share >= Fraction(2, 3) if majority is Majority.TWO_THIRDS else share > Fraction(
        1, 2)
    assert majority_met(votes_for, cast, majority) is (cast > 0 and needed)
    if outcome.passed:
        assert cast >= quorum
        assert needed
        assert outcome.reason == "passed"
        if required:
            assert assembly is not None
        if assembly is not None:
            assert 2 * assembly.votes_for > assembly.cast
    else:
        assert outcome.reason != "passed"


# --- budgets and schedules --------------------------------------------------------------------
def test_a_budget_adding_up_to_the_request_passes() -> None:
    check_budget(yuan("150000.00"), [BudgetLine("人员 staff", yuan("100000.01")),
                                     BudgetLine("物资 supplies", yuan("49999.99"))])


@pytest.mark.parametrize(("lines", "says"), [
    ([], "1 to 50"),
    ([BudgetLine(f"item {n}", yuan("1.00")) for n in range(51)], "1 to 50"),
    ([BudgetLine(" ", yuan("150000.00"))], "names its item"),
    ([BudgetLine("x" * 201, yuan("150000.00"))], "names its item"),
    ([BudgetLine("staff", yuan("100000.00")), BudgetLine("food", yuan("49999.99"))],
     "add up to 149999.99"),
    ([BudgetLine("staff", yuan("100000.00")), BudgetLine("food", yuan("50000.01"))],
     "add up to 150000.01"),
])
def test_a_budget_that_does_not_add_up_is_refused(lines: list[BudgetLine], says: str) -> None:
    assert says in refusal("budget", check_budget, yuan("150000.00"), lines).message


def tranches(*amounts: str, days: tuple[int, ...] | None = None,
             numbers: tuple[int, ...] | None = None) -> list[Tranche]:
    days = days or tuple(range(1, len(amounts) + 1))
    numbers = numbers or tuple(range(1, len(amounts) + 1))
    return [Tranche(n, date(2026, 4, d), signed(a))
            for n, d, a in zip(numbers, days, amounts, strict=True)]


def test_a_schedule_in_order_adding_up_to_the_request_passes() -> None:
    check_schedule(yuan("240000.00"), tranches("80000.00", "80000.00", "80000.00"))
    check_schedule(yuan("100.00"), tranches("60.00", "40.00", days=(5, 5)))  # same day is fine
    check_schedule(yuan("20.00"), tranches(*["1.00"] * 20))


@pytest.mark.parametrize(("schedule", "says"), [
    ([], "1 to 20"),
    (tranches(*["12.00"] * 21, days=(1,) * 21), "1 to 20"),
    (tranches("100.00", "140000.00", numbers=(1, 3)), "numbered"),
    (tranches("100.00", "140000.00", numbers=(0, 1)), "numbered"),
    (tranches("100.00", "140000.00", numbers=(2, 1)), "numbered"),
    (tranches("100.00", "140000.00", numbers=(1, 1)), "numbered"),
    (tranches("100.00", "140000.00", days=(9, 8)), "fall due in order"),
    (tranches("100000.00", "50000.00"), "add up to 150000.00, not the 140100.00"),
    (tranches("100000.00", "40099.99"), "add up to 140099.99"),
])
def test_a_schedule_that_does_not_add_up_is_refused(schedule: list[Tranche],
                                                    says: str) -> None:
    assert says in refusal("tranches", check_schedule, yuan("140100.00"), schedule).message


@pytest.mark.parametrize("amounts", [("150000.00", "-50000.00"), ("100000.00", "0.00")])
def test_a_schedule_with_a_tranche_of_nothing_or_less_is_refused(
        amounts: tuple[str, str]) -> None:
    """Even when the tranches add up (the database's CHECK would refuse it otherwise)."""
    error = refusal("tranches", check_schedule, yuan("100000.00"), tranches(*amounts))
    assert "positive" in error.message


@pytest.mark.parametrize("amounts", [("150000.00", "-50000.00"), ("100000.00", "0.00")])
def test_a_budget_with_a_line_of_nothing_or_less_is_refused(amounts: tuple[str, str]) -> None:
    """Even when the lines add up (the database's CHECK would refuse it otherwise)."""
    error = refusal("budget", check_budget, yuan("100000.00"),
                    [BudgetLine(f"line {n}", signed(a)) for n, a in enumerate(amounts)])
    assert "positive" in error.message


# --- available funds --------------------------------------------------------------------------
def hold(reservation: str, restricted: str) -> RoundHold:
    return RoundHold(reservation=yuan(reservation) if reservation != "0" else from_minor(0),
                     restricted=yuan(restricted) if restricted != "0" else from_minor(0))


def test_availability_counts_money_restricted_to_a_round_once() -> None:
    got = availability(balance=yuan("1050000.00"), committed=from_minor(0),
                       rounds=[hold("500000.00", "200000.00")],
                       other_restricted=yuan("20000.00"))
    assert got == Availability(balance=yuan("1050000.00"), committed=from_minor(0),
                               reserved=yuan("500000.00"), restricted=yuan("20000.00"),
                               available=yuan("530000.00"))
    # more given for the round than it reserves: the rest is still held for it
    got = availability(balance=yuan("1000000.00"), committed=yuan("100000.00"),
                       rounds=[hold("300000.00", "450000.00"), hold("0", "10000.00")],
                       other_restricted=from_minor(0))
    assert (got.reserved, got.restricted, got.available) == (
        yuan("300000.00"), yuan("160000.00"), yuan("440000.00"))


def test_availability_may_go_below_zero() -> None:
    got = availability(balance=yuan("100.00"), committed=yuan("50.00"),
                       rounds=[hold("100.00", "0")], other_restricted=yuan("0.01"))
    assert got.available == signed("-50.01")


@PURE
@given(st.integers(0, 10**11), st.integers(0, 10**11), st.integers(0, 10**11),
       st.lists(st.tuples(st.integers(0, 10**10), st.integers(0, 10**10)), max_size=6))
def test_availability_arithmetic(balance: int, committed: int, other: int,
                                 holds: list[tuple[int, int]]) -> None:
    got = availability(balance=from_minor(balance), committed=from_minor(committed),
                       rounds=[RoundHold(from_minor(r), from_minor(x)) for r, x in holds],
                       other_restricted=from_minor(other))
    held = sum(max(r, x) for r, x in holds)  # each round: the larger of the two, once
    assert got.balance == from_minor(balance)
    assert got.committed == from_minor(committed)
    assert got.reserved == from_minor(sum(r for r, _ in holds))
    assert got.restricted == from_minor(other + sum(max(x - r, 0) for r, x in holds))
    assert got.reserved + got.restricted == from_minor(held + other)
    assert got.available == from_minor(balance - committed - held - other)
    assert got.available == got.balance - got.committed - got.reserved - got.restricted


# --- rounds -----------------------------------------------------------------------------------
ALLOWED = {(RoundStatus.DRAFT, RoundStatus.OPEN), (RoundStatus.DRAFT, RoundStatus.CANCELLED),
           (RoundStatus.OPEN, RoundStatus.REVIEW), (RoundStatus.OPEN, RoundStatus.CANCELLED),
           (RoundStatus.REVIEW, RoundStatus.CLOSED)}


@pytest.mark.parametrize(("current", "new"), list(product(RoundStatus, RoundStatus)))
def test_round_transitions(current: RoundStatus, new: RoundStatus) -> None:
    if (current, new) in ALLOWED:
        check_round_transition(current, new)
        return
    with pytest.raises(RoundNotInState):
        check_round_transition(current, new)


# --- entries ----------------------------------------------------------------------------------
def lines(entry: object) -> list[tuple[str, str, str]]:
    postings = entry.postings  # type: ignore[attr-defined]
    return [(p.account, p.side.value, str(p.amount.amount)) for p in postings]


def test_the_entries_posted() -> None:
    amount = yuan("80000.00")
    chart = chart_of("foundation")
    built = {
        "income": income_entry(income_id=7, account="410102", amount=amount, on=DAY,
                               donor="嘉兴永耀纺织", actor="fm1"),
        "release": release_entry(income_id=7, amount=amount, on=DAY, reason="grant #1",
                                 actor="fm1"),
        "commit": commitment_entry(grant_id=3, amount=amount, on=DAY, grantee="社工中心",
                                   actor="b1"),
        "tranche": tranche_entry(grant_id=3, number=2, amount=amount, on=DAY,
                                 grantee="社工中心", actor="fm1"),
        "unspent": unspent_entry(grant_id=3, amount=amount, on=DAY, grantee="社工中心",
                                 actor="fm1"),
        "clawback": clawback_entry(grant_id=3, amount=amount, on=DAY, grantee="社工中心",
                                   actor="fm1"),
    }
    for entry in built.values():
        assert check(entry, chart) is entry
        assert (entry.entity, entry.effective_date) == ("foundation", DAY)
    assert {name: (e.source.kind, e.source.id) for name, e in built.items()  # type: ignore[union-attr]
            } == {"income": ("income", "7"), "release": ("income", "7"),
                  "commit": ("grant", "3"), "tranche": ("grant", "3"),
                  "unspent": ("grant", "3"), "clawback": ("grant", "3")}
    assert {name: lines(e) for name, e in built.items()} == {
        "income": [("1002", "debit", "80000.00"), ("410102", "credit", "80000.00")],
        "release": [("3102", "debit", "80000.00"), ("3101", "credit", "80000.00")],
        "commit": [("5101", "debit", "80000.00"), ("220901", "credit", "80000.00")],
        "tranche": [("220901", "debit", "80000.00"), ("1002", "credit", "80000.00")],
        "unspent": [("220901", "debit", "80000.00"), ("5101", "credit", "80000.00")],
        "clawback": [("1002", "debit", "80000.00"), ("5101", "credit", "80000.00")],
    }
    assert "第2期" in built["tranche"].memo


def test_a_long_donor_name_keeps_the_memo_within_500_characters() -> None:
    entry = income_entry(income_id=1, account="410101", amount=yuan("1.00"), on=DAY,
                         donor="捐" * 600, actor="fm1")
    assert len(entry.memo) == 500
    assert check(entry, chart_of("foundation")) is entry
