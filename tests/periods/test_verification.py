"""The auditor's verification of a closed period catches books changed behind the service's
back, on SQLite and on PostgreSQL: the guards that would refuse the change are taken off first
(SQLite: DROP TRIGGER; PostgreSQL: ALTER TABLE ... DISABLE TRIGGER), then the raw SQL runs.
verify_period reports what no longer matches and sign_off refuses, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, text

from ledger import periods as uc
from ledger.core.periods import Opinion, VerificationFailed

from .helpers import Books, refused

#: table -> (its SQLite trigger, its PostgreSQL trigger) refusing the change tried.
GUARDS = {
    "postings": ("postings_no_update", "postings_append_only"),
    "journal_entries": ("journal_entries_no_update", "journal_entries_append_only"),
    "period_closes": ("period_closes_no_update", "period_closes_append_only"),
    "periods": ("periods_move_in_order", "periods_move_in_order"),
}


def behind_the_back(engine: Engine, table: str, *statements: str, **params: object) -> None:
    """Take the guard of `table` off, then run the statements in one transaction."""
    sqlite_name, pg_name = GUARDS[table]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {pg_name}"))
        else:
            conn.execute(text(f"DROP TRIGGER {sqlite_name}"))
        for sql in statements:
            assert conn.execute(text(sql), params).rowcount == 1, sql


@dataclass
class Closed:
    deposit_seq: int
    head_seq: int


@pytest.fixture
def closed(bk: Books) -> Closed:
    """The fund's January 2026 closed: a deposit of 350,000.00 and its transfer; an entry of
    February after it (the journal's head at the close)."""
    member = bk.member()
    deposit = bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.transfer(date(2026, 1, 20))
    later = bk.deposit(member.id, "1000.00", date(2026, 2, 3))
    state = bk.close("fund", "2026-01")
    assert state.close is not None
    assert state.close.head_seq == later.entry_seq
    assert uc.verify_period(bk.uow, "fund", "2026-01").ok
    return Closed(deposit.entry_seq, later.entry_seq)


def refuses_to_sign(bk: Books, *failing: str) -> None:
    error = refused(bk.engine, VerificationFailed, lambda: uc.sign_off(
        bk.uow, bk.auditor, "fund", "2026-01", opinion=Opinion.UNQUALIFIED))
    assert str(error) == "fund 2026-01 does not verify: " + "; ".join(failing)
    assert bk.state("fund", "2026-01").signoff is None


@pytest.mark.tampers
def test_an_altered_posting_breaks_the_chain_and_the_balances(bk: Books, closed: Closed
                                                              ) -> None:
    # 1.00 more on both sides of the January deposit: it still balances, its hash does not;
    # the daily totals (which the statements' balances read) no longer match the postings
    # (which their cash analysis reads), so the statements' own checks fail too
    behind_the_back(bk.engine, "postings",
                    "UPDATE postings SET debit = debit + 100 WHERE entry_seq = :seq"
                    " AND line = 1",
                    "UPDATE postings SET credit = credit + 100 WHERE entry_seq = :seq"
                    " AND line = 2", seq=closed.deposit_seq)
    found = uc.verify_period(bk.uow, "fund", "2026-01")
    assert (found.ok, found.chain_ok, found.head_ok, found.balances_ok, found.statements_ok
            ) == (False, False, True, False, False)
    assert found.chain_detail == (f"entry #{closed.deposit_seq} was altered: its contents no "
                                  f"longer match its hash")
    assert found.as_dict()["ok"] is False
    refuses_to_sign(bk, "chain", "balances", "statements")


@pytest.mark.tampers
def test_an_entry_backdated_into_the_closed_period_breaks_the_balances(bk: Books,
                                                                       closed: Closed) -> None:
    """Someone with the database's keys opens the period without a record, posts an entry
    dated inside it through the service (so the chain is intact) and shuts it again."""
    behind_the_back(bk.engine, "periods", "UPDATE periods SET status = 'open'"
                                          " WHERE entity = 'fund'")
    seq = bk.manual("fund", date(2026, 1, 31), ("5201", "debit", "5000.00"),
                    ("1002", "credit", "5000.00"))
    with bk.engine.begin() as conn:
        conn.execute(text("UPDATE periods SET status = 'closed' WHERE entity = 'fund'"))
    assert bk.state("fund", "2026-01").status.value == "closed"
    found = uc.verify_period(bk.uow, "fund", "2026-01")
    assert (found.ok, found.chain_ok, found.head_ok, found.balances_ok, found.statements_ok
            ) == (False, True, True, False, True)
    assert found.chain_detail == f"{seq} entries verify"
    refuses_to_sign(bk, "balances")


@pytest.mark.tampers
def test_a_rewritten_head_breaks_the_chain_and_the_head(bk: Books, closed: Closed) -> None:
    behind_the_back(bk.engine, "journal_entries",
                    "UPDATE journal_entries SET hash = :forged WHERE seq = :seq",
                    forged="a" * 64, seq=closed.head_seq)
    found = uc.verify_period(bk.uow, "fund", "2026-01")
    assert (found.ok, found.chain_ok, found.head_ok, found.balances_ok, found.statements_ok
            ) == (False, False, False, True, True)
    assert found.chain_detail == (f"entry #{closed.head_seq} was altered: its contents no "
                                  f"longer match its hash")
    refuses_to_sign(bk, "chain", "head")


@pytest.mark.tampers
def test_rewritten_recorded_balances_are_caught(bk: Books, closed: Closed) -> None:
    behind_the_back(bk.engine, "period_closes",
                    "UPDATE period_closes SET balances = :forged",
                    forged='{"1002": [35000000, 24500000], "420101": [0, 10500000]}')
    found = uc.verify_period(bk.uow, "fund", "2026-01")
    assert (found.ok, found.chain_ok, found.head_ok, found.balances_ok, found.statements_ok
            ) == (False, True, True, False, True)
    refuses_to_sign(bk, "balances")


def test_a_period_with_opening_balances_can_be_signed_off(bk: Books) -> None:
    """The foundation starts its books on the system with the 5,400,000.00 it already held
    (seed 001), by a voucher into unrestricted net assets."""
    bk.voucher("foundation", date(2026, 1, 1), ("1002", "debit", "5400000.00"),
               ("3101", "credit", "5400000.00"))
    bk.income("1000.00", date(2026, 1, 15))
    bk.close("foundation", "2026-01")
    found = uc.verify_period(bk.uow, "foundation", "2026-01")
    assert (found.chain_ok, found.head_ok, found.balances_ok) == (True, True, True)
    assert found.checks == {
        "assets = liabilities + net assets": True,
        "change in net assets = net assets at the end - at the start": True,
        "cash at the start + net increase = cash at the end": True}
    signed = uc.sign_off(bk.uow, bk.auditor, "foundation", "2026-01",
                         opinion=Opinion.UNQUALIFIED)
    assert signed.audited
