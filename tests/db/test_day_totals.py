"""Daily totals per account (`account_day_totals`, migration 0010): the database keeps them
equal to the postings, balances read them, raw SQL cannot shrink or remove them, and
`ledger verify` names the first total that no longer matches its postings."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ledger import books
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import from_minor
from ledger.db.chain import verify
from ledger.db.models import AccountDayTotalRow, AccountRow, PostingRow
from ledger.db.session import UnitOfWork
from tests.raw_sql import attempt

DAY = date(2026, 3, 2)


def totals_from_postings(uow: UnitOfWork) -> dict[tuple[int, date, str], tuple[int, int]]:
    keys = (PostingRow.account_id, PostingRow.effective_date, PostingRow.currency)
    return uow.read(lambda s: {(a, d, c): (int(x), int(y)) for a, d, c, x, y in s.execute(
        select(*keys, func.sum(PostingRow.debit), func.sum(PostingRow.credit)).group_by(*keys))})


def kept_totals(uow: UnitOfWork) -> dict[tuple[int, date, str], tuple[int, int]]:
    t = AccountDayTotalRow
    return uow.read(lambda s: {(a, d, c): (x, y) for a, d, c, x, y in s.execute(
        select(t.account_id, t.effective_date, t.currency, t.debit, t.credit))})


def test_the_totals_follow_every_posting_and_balances_read_them(uow: UnitOfWork):
    rng = random.Random(9)
    for n in range(60):
        fen = rng.randrange(1, 10_000_000)
        entry = books.post(uow, JournalEntry(
            entity="fund", effective_date=DAY + timedelta(days=rng.randrange(0, 20)),
            memo=f"n{n}", actor="tester",
            postings=(Posting.debit("1002", from_minor(fen)),
                      Posting.credit(rng.choice(["420101", "2209"]), from_minor(fen)))))
        if n % 7 == 0:
            books.reverse_entry(uow, entry.seq, actor="tester")
    assert kept_totals(uow) == totals_from_postings(uow)
    for as_of in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=9), date(2199, 1, 1)):
        trial = books.trial_balance(uow, "fund", as_of)
        assert trial.balanced
        by_postings = uow.read(lambda s, d=as_of: {
            (code, int(x), int(y)) for code, x, y in s.execute(
                select(AccountRow.code, func.sum(PostingRow.debit), func.sum(PostingRow.credit))
                .join(AccountRow, AccountRow.id == PostingRow.account_id)
                .where(PostingRow.effective_date <= d).group_by(AccountRow.code))})
        assert {(line.account.code, line.debits, line.credits)
                for line in trial.lines} == by_postings
    assert len(books.trial_balance(uow, "fund", date(2199, 1, 1)).lines) == 3
    assert uow.read(verify).ok


def test_raw_sql_cannot_shrink_move_or_remove_a_total(uow: UnitOfWork, engine: Engine):
    books.post(uow, JournalEntry(
        entity="fund", effective_date=DAY, memo="m", actor="tester",
        postings=(Posting.debit("1002", from_minor(500)),
                  Posting.credit("420101", from_minor(500)))))
    before = kept_totals(uow)
    pg = engine.dialect.name == "postgresql"
    for sql in ("UPDATE account_day_totals SET debit = debit - 1 WHERE debit > 0",
                "UPDATE account_day_totals SET effective_date = '2026-03-03'",
                "DELETE FROM account_day_totals",
                *(("TRUNCATE account_day_totals", "UPDATE account_day_totals SET debit = debit + 1"
                   " WHERE debit > 0") if pg else ())):
        message = attempt(engine, [sql], {})
        assert message is not None, f"accepted: {sql}"
        assert "ledger:" in message, message
    assert kept_totals(uow) == before


@pytest.mark.tampers
def test_verify_names_a_total_changed_behind_the_services_back(uow: UnitOfWork, engine: Engine,
                                                              tamper: Any):
    for n in range(3):
        books.post(uow, JournalEntry(
            entity="fund", effective_date=DAY + timedelta(days=n), memo="m", actor="tester",
            postings=(Posting.debit("1002", from_minor(500 + n)),
                      Posting.credit("420101", from_minor(500 + n)))))
    assert uow.read(verify).ok
    # SQLite cannot tell this UPDATE from the trigger's own (PostgreSQL refuses it unless its
    # triggers are off): a total that grew without a posting.
    with tamper() as conn:
        conn.exec_driver_sql(
            "UPDATE account_day_totals SET debit = debit + 100 WHERE effective_date = "
            f"'{(DAY + timedelta(days=1)).isoformat()}' AND debit > 0")
    report = uow.read(verify)
    assert not report.ok
    assert report.first_bad == 2
    assert "daily total of account fund/1002 on 2026-03-03" in (report.reason or "")
    # ... and the trial balance shows the tampered total, which is why verify checks it.
    line = books.account_balance(uow, "fund", "1002", DAY + timedelta(days=5))[0]
    assert line.debits == 500 + 501 + 502 + 100
