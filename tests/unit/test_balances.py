"""ledger.core.balances: account balances and the trial balance."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.balances import AccountBalance, TrialBalance
from ledger.core.chart import Account, Side, account, chart_of

PROPERTY = settings(max_examples=200, deadline=None)
DAY = date(2026, 12, 31)

BANK = account("fund", "1002")  # asset: normal side debit
DEPOSITS = account("fund", "420101")  # income: normal side credit
PAYABLE = account("fund", "2209")  # liability: credit
NET_ASSETS = account("fund", "3101")  # net assets: credit
COSTS = account("fund", "5101")  # expense: debit


def line(acct: Account, debits: int, credits: int, currency: str = "CNY") -> AccountBalance:
    return AccountBalance(account=acct, currency=currency, debits=debits, credits=credits)


# --- AccountBalance ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("acct", "debits", "credits", "net", "side", "debit_column", "credit_column"),
    [
        (BANK, 35_000_000, 10_000_000, 25_000_000, Side.DEBIT, 25_000_000, 0),
        (BANK, 100, 300, -200, Side.CREDIT, 0, 200),  # overdrawn: on the unusual side
        (BANK, 500, 500, 0, None, 0, 0),
        (BANK, 0, 0, 0, None, 0, 0),
        (COSTS, 700, 0, 700, Side.DEBIT, 700, 0),
        (DEPOSITS, 3_000, 10_500_000, 10_497_000, Side.CREDIT, 0, 10_497_000),
        (DEPOSITS, 900, 100, -800, Side.DEBIT, 800, 0),  # income with more debits than credits
        (PAYABLE, 0, 24_500_000, 24_500_000, Side.CREDIT, 0, 24_500_000),
        (NET_ASSETS, 1, 0, -1, Side.DEBIT, 1, 0),
    ],
)
def test_account_balance(
    acct: Account, debits: int, credits: int, net: int, side: Side | None,
    debit_column: int, credit_column: int,
) -> None:
    b = line(acct, debits, credits)
    assert b.net == net
    assert b.side is side
    assert b.debit_column == debit_column
    assert b.credit_column == credit_column


@PROPERTY
@given(
    code=st.sampled_from(sorted(chart_of("foundation"))),
    debits=st.integers(min_value=0, max_value=10**15),
    credits=st.integers(min_value=0, max_value=10**15),
)
def test_account_balance_invariants(code: str, debits: int, credits: int) -> None:
    acct = account("foundation", code)
    b = line(acct, debits, credits)
    assert b.debit_column - b.credit_column == debits - credits
    assert min(b.debit_column, b.credit_column) == 0
    assert abs(b.net) == b.debit_column + b.credit_column
    if acct.normal_side is Side.DEBIT:
        assert b.net == debits - credits
    else:
        assert b.net == credits - debits
    # the net is positive exactly when the balance sits on the account's normal side
    assert (b.net > 0) == (b.side is acct.normal_side)
    assert (b.net == 0) == (b.side is None)


# --- TrialBalance ------------------------------------------------------------------------------
def test_trial_balance_totals_and_balanced() -> None:
    tb = TrialBalance("fund", DAY, (
        line(BANK, 35_000_000, 0),
        line(DEPOSITS, 0, 10_500_000),
        line(PAYABLE, 0, 24_500_000),
    ))
    assert tb.totals() == {"CNY": (35_000_000, 35_000_000)}
    assert tb.balanced


def test_trial_balance_nets_each_line_before_totalling() -> None:
    tb = TrialBalance("fund", DAY, (
        line(BANK, 1_000, 400),  # 600 in the debit column
        line(COSTS, 50, 0),  # 50 debit
        line(DEPOSITS, 100, 750),  # 650 credit
    ))
    assert tb.totals() == {"CNY": (650, 650)}
    assert tb.balanced


def test_unbalanced_trial_balance() -> None:
    tb = TrialBalance("fund", DAY, (line(BANK, 1_000, 0), line(DEPOSITS, 0, 999)))
    assert tb.totals() == {"CNY": (1_000, 999)}
    assert not tb.balanced


def test_trial_balance_is_kept_per_currency_and_sorted() -> None:
    tb = TrialBalance("fund", DAY, (
        line(BANK, 100, 0, "USD"),
        line(BANK, 700, 0, "CNY"),
        line(DEPOSITS, 0, 700, "CNY"),
        line(DEPOSITS, 0, 100, "USD"),
    ))
    assert list(tb.totals().items()) == [("CNY", (700, 700)), ("USD", (100, 100))]
    assert tb.balanced


def test_one_unbalanced_currency_unbalances_the_whole() -> None:
    tb = TrialBalance("fund", DAY, (
        line(BANK, 700, 0, "CNY"),
        line(DEPOSITS, 0, 700, "CNY"),
        line(BANK, 100, 0, "USD"),
        line(DEPOSITS, 0, 99, "USD"),
    ))
    assert not tb.balanced


def test_empty_trial_balance_is_balanced() -> None:
    tb = TrialBalance("foundation", DAY, ())
    assert tb.totals() == {}
    assert tb.balanced


@st.composite
def balanced_moves(draw: st.DrawFn) -> list[tuple[str, str, int, int]]:
    """(account, currency, debit, credit) moves of some balanced entries."""
    codes = st.sampled_from(sorted(chart_of("foundation")))
    moves: list[tuple[str, str, int, int]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        currency = draw(st.sampled_from(["CNY", "USD"]))
        amount = draw(st.integers(min_value=1, max_value=10**12))
        moves.append((draw(codes), currency, amount, 0))
        moves.append((draw(codes), currency, 0, amount))
    return moves


def trial_balance_of(moves: list[tuple[str, str, int, int]]) -> TrialBalance:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for code, currency, debit, credit in moves:
        sums[(code, currency)][0] += debit
        sums[(code, currency)][1] += credit
    return TrialBalance("foundation", DAY, tuple(
        line(account("foundation", code), d, c, currency)
        for (code, currency), (d, c) in sums.items()
    ))


@PROPERTY
@given(balanced_moves())
def test_balanced_entries_give_a_balanced_trial_balance(
    moves: list[tuple[str, str, int, int]]
) -> None:
    tb = trial_balance_of(moves)
    assert tb.balanced
    for currency, (d, c) in tb.totals().items():
        assert d == c
        net = sum(md - mc for _, cur, md, mc in moves if cur == currency)
        assert net == 0


@PROPERTY
@given(moves=balanced_moves(), extra=st.integers(min_value=1, max_value=10**6),
       code=st.sampled_from(sorted(chart_of("foundation"))))
def test_a_one_sided_move_unbalances_the_trial_balance(
    moves: list[tuple[str, str, int, int]], extra: int, code: str
) -> None:
    tb = trial_balance_of([*moves, (code, "CNY", extra, 0)])
    assert not tb.balanced
    d, c = tb.totals()["CNY"]
    assert d - c == extra
