"""Balances computed by the database, never by loading rows: one aggregate over the daily totals
per account (`account_day_totals`, kept by a trigger on postings), a few thousand rows a year
however many postings there are."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.core.balances import AccountBalance, TrialBalance
from ledger.core.chart import account as chart_account
from ledger.core.chart import chart_of

from .models import AccountDayTotalRow as DayTotal
from .models import AccountRow


def _totals(session: Session, entity: str, as_of: date, code: str | None = None
            ) -> list[tuple[str, str, int, int]]:
    query = (
        select(AccountRow.code, DayTotal.currency, func.sum(DayTotal.debit),
               func.sum(DayTotal.credit))
        .join(DayTotal, DayTotal.account_id == AccountRow.id)
        .where(AccountRow.entity == entity, DayTotal.effective_date <= as_of)
        .group_by(AccountRow.code, DayTotal.currency)
        .order_by(AccountRow.code, DayTotal.currency)
    )
    if code is not None:
        query = query.where(AccountRow.code == code)
    return [(c, cur, int(d), int(cr)) for c, cur, d, cr in session.execute(query)]


def account_balance(session: Session, entity: str, code: str, as_of: date
                    ) -> list[AccountBalance]:
    """The account's totals per currency as of the end of `as_of` (empty if never used)."""
    account = chart_account(entity, code)
    return [AccountBalance(account, cur, d, c)
            for _, cur, d, c in _totals(session, entity, as_of, code)]


def trial_balance(session: Session, entity: str, as_of: date) -> TrialBalance:
    chart = chart_of(entity)
    lines = tuple(AccountBalance(chart[code], cur, d, c)
                  for code, cur, d, c in _totals(session, entity, as_of))
    return TrialBalance(entity=entity, as_of=as_of, lines=lines)


def lowest_from(session: Session, entity: str, signs: dict[str, int], start: date) -> int:
    """The lowest value, at the end of `start` or of any later day with postings, of
    sum(sign x (debits - credits)) over the accounts in `signs`, in minor units (one currency).

    What a payment dated `start` may take without sending that value below zero on any day:
    money cannot be spent before it arrives."""
    codes = list(signs)
    before = session.execute(
        select(AccountRow.code, func.sum(DayTotal.debit), func.sum(DayTotal.credit))
        .join(DayTotal, DayTotal.account_id == AccountRow.id)
        .where(AccountRow.entity == entity, AccountRow.code.in_(codes),
               DayTotal.effective_date < start)
        .group_by(AccountRow.code))
    value = sum(signs[code] * (int(d) - int(c)) for code, d, c in before)
    by_day: dict[date, int] = {start: 0}
    for effective_date, code, d, c in session.execute(
        select(DayTotal.effective_date, AccountRow.code, func.sum(DayTotal.debit),
               func.sum(DayTotal.credit))
        .join(AccountRow, AccountRow.id == DayTotal.account_id)
        .where(AccountRow.entity == entity, AccountRow.code.in_(codes),
               DayTotal.effective_date >= start)
        .group_by(DayTotal.effective_date, AccountRow.code)
    ):
        by_day[effective_date] = by_day.get(effective_date, 0) + signs[code] * (int(d) - int(c))
    lowest: int | None = None
    for day in sorted(by_day):  # the start day first, then every later day with postings
        value += by_day[day]
        lowest = value if lowest is None else min(lowest, value)
    assert lowest is not None
    return lowest
