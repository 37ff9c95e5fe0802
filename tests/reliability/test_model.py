"""Issue 10, part 1: model-based testing of both books through the use cases (the CI subset;
`python -m bench.model` is the long run).

Each test runs on SQLite and on PostgreSQL: the test's database is seeded once, and every
Hypothesis example works on its own copy of it (model_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from moneyed import Money
from sqlalchemy import make_url, text

from ledger import bridging, foundation, mutual_aid
from ledger.core.money import from_minor
from ledger.core.mutual_aid import SplitPolicy
from ledger.db.session import make_engine
from ledger.expenses import InsufficientFunds, position

from .model_machine import Stats, machine
from .model_world import Cast, Copies, pg_copies, seed, sqlite_copies

#: The CI subset: a few short examples per database (examples, steps at most).
CI = {"sqlite": (4, 15), "postgresql": (2, 10)}


@pytest.fixture
def books(backend: str, db_url: str, tmp_path: Path) -> Iterator[tuple[Copies, Cast]]:
    """The test's database, seeded, and fresh copies of it for each example."""
    engine = make_engine(db_url)
    cast = seed(engine)
    engine.dispose()
    if backend == "sqlite":
        yield sqlite_copies(Path(str(make_url(db_url).database)), tmp_path), cast
    else:
        yield pg_copies(db_url), cast


@pytest.fixture
def sqlite_books(backend: str, request: pytest.FixtureRequest) -> tuple[Copies, Cast]:
    """`books` on SQLite only: the use cases' rules are the same on both databases, so the
    broken variants (which need many examples) and the bug found run on the faster one."""
    if backend != "sqlite":
        pytest.skip("SQLite only (CI time): the rule checked is the use case's")
    found: tuple[Copies, Cast] = request.getfixturevalue("books")
    return found


def run(books: tuple[Copies, Cast], *, examples: int, steps: int, shrink: bool = True
        ) -> Stats:
    stats = Stats()
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    run_state_machine_as_test(machine(*books, stats), settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        phases=phases, suppress_health_check=[HealthCheck.too_slow]))
    return stats


def test_books_follow_the_model(backend: str, books: tuple[Copies, Cast]) -> None:
    examples, steps = CI[backend]
    stats = run(books, examples=examples, steps=steps)
    assert stats.examples >= examples
    assert stats.steps > 0
    assert stats.checks > stats.examples  # the invariants ran after the steps too


# --- the checks can fail ----------------------------------------------------------------------
def test_a_split_that_drops_a_fen_is_caught(sqlite_books: tuple[Copies, Cast],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A split that still adds up but moves a fen of public benefit to the fund."""
    split = SplitPolicy.split

    def broken(self: SplitPolicy, deposit: Money) -> tuple[Money, Money]:
        operating, to_foundation = split(self, deposit)
        if to_foundation.amount >= 2:
            cent = from_minor(1, deposit.currency)
            return operating + cent, to_foundation - cent
        return operating, to_foundation

    monkeypatch.setattr(SplitPolicy, "split", broken)
    with pytest.raises(AssertionError, match=r"split|model"):
        run(sqlite_books, examples=20, steps=10, shrink=False)


def test_an_advance_without_the_bank_check_is_caught(sqlite_books: tuple[Copies, Cast],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bridging that pays an advance the fund's bank does not hold."""
    monkeypatch.setattr(bridging, "refuse_overspending", lambda *args, **kwargs: None)
    with pytest.raises(AssertionError, match=r"InsufficientFunds|bank balance"):
        run(sqlite_books, examples=40, steps=10, shrink=False)


#: Changes behind the service's back, and what the checks must then say.
TAMPERINGS = {
    "a posting's amount edited": (
        "UPDATE postings SET debit = debit + 1 WHERE debit > 0 AND entry_seq = 1",
        "does not balance"),
    "the last audit record deleted": (
        "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
        "changed or deleted"),
    "a daily total edited": (
        "UPDATE account_day_totals SET credit = credit + 100 WHERE credit > 0",
        "service balances != postings"),
    "an entry's memo edited": (
        "UPDATE journal_entries SET memo = 'nothing to see' WHERE seq = 2",
        "changed or deleted"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_the_checks_catch_tampering(sqlite_books: tuple[Copies, Cast], tampering: str) -> None:
    """Each check can fail: the same after-step check that passes on sound books names what
    was changed behind the service's back (triggers dropped first, on the example's copy)."""
    sql, message = TAMPERINGS[tampering]
    m = machine(*sqlite_books, Stats())()
    try:
        m.deposit(35_000_000)
        m.transfer(None)
        m.income(100_000)
        m.after_every_step()
        with m.engine.begin() as conn:
            triggers = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            for name in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for statement in sql.split(";"):
                conn.execute(text(statement))
        with pytest.raises(AssertionError, match=message):
            m.after_every_step()
    finally:
        m._copy.__exit__(None, None, None)  # the chain is broken on purpose: no teardown


# --- what the model found (both fixed; now regression tests) --------------------------------
@pytest.mark.parametrize("spent_by", ["grant", "bridging advance"])
def test_reversing_a_deposit_already_spent_is_refused(sqlite_books: tuple[Copies, Cast],
                                                      spent_by: str) -> None:
    """The model found that reversing a deposit whose share the foundation had committed to a
    grant sent its available funds to -245,000.00, and one whose money went out as a
    bridging advance sent the fund's bank to -350,000.00. Both are refused now."""
    m = machine(*sqlite_books, Stats())()
    try:
        m.deposit(35_000_000)  # 350,000.00
        if spent_by == "grant":
            m.transfer(None)  # 245,000.00 to the foundation
            m.grant(m.model.foundation_available(), 1)  # all of it committed
        else:
            m.bridge(7)  # 7 % of the 5,000,000.00 cap: the whole 350,000.00 advanced
        m.books_agree()
        m.refused(InsufficientFunds, lambda: mutual_aid.reverse_deposit(
            m.uow, m.CAST.fm1, m.model.deposits[0].id, reason="recorded twice",
            on=m.today()))
        assert foundation.funds(m.uow).available.amount >= 0
        assert position(m.uow).bank.amount >= 0
    finally:
        m.teardown()


def test_transferring_shares_the_bank_no_longer_holds_is_refused(
        sqlite_books: tuple[Copies, Cast]) -> None:
    """The model found that after bridging advances had taken the fund's money, the transfer
    of the foundation's 70 % sent the fund's bank below zero (-2.59 after a 3.90 deposit)."""
    m = machine(*sqlite_books, Stats())()
    try:
        m.deposit(35_000_000)  # 350,000.00: 245,000.00 owed to the foundation
        m.bridge(7)  # the whole 350,000.00 advanced to the member
        m.after_every_step()
        m.refused(InsufficientFunds, lambda: mutual_aid.transfer_to_foundation(
            m.uow, m.CAST.fm2, made_on=m.today()))
        assert position(m.uow).bank.amount == 0
    finally:
        m.teardown()
