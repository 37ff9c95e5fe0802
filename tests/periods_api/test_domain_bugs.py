"""Regression tests of bugs found in ledger/ while writing the periods API, now fixed."""

from __future__ import annotations

from datetime import date

from ledger import books, periods
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import ClosedPeriod
from ledger.core.money import parse_money
from ledger.core.staff import Actor
from ledger.db.session import UnitOfWork

ADMIN = Actor.system("admin1")


def _entry(day: date) -> JournalEntry:
    return JournalEntry(entity="fund", effective_date=day, memo="late", actor="admin1",
                        postings=(Posting.debit("1002", parse_money("3.00")),
                                  Posting.credit("420101", parse_money("3.00"))))


def test_an_entry_before_a_closed_period_does_not_change_its_balances(uow: UnitOfWork
                                                                      ) -> None:
    books.post(uow, _entry(date(2026, 10, 5)))
    periods.start_closing(uow, ADMIN, "fund", "2026-10")
    periods.close_period(uow, ADMIN, "fund", "2026-10")
    assert periods.verify_period(uow, "fund", "2026-10").ok
    try:
        books.post(uow, _entry(date(2026, 9, 30)))  # September is still open
    except ClosedPeriod:
        return  # refused: the closed month's figures cannot change (one possible fix)
    assert periods.verify_period(uow, "fund", "2026-10").balances_ok
