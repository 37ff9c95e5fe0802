"""The sums statements are made of, each one indexed aggregate: balances and movements over the
daily totals per account, the cash and release analyses over the period's postings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from ledger.core.chart import chart_of
from ledger.core.chart import entity as known_entity
from ledger.core.money import DEFAULT_CURRENCY
from ledger.core.periods import Period
from ledger.core.statements import CASH_CODES, PeriodFigures

from .models import AccountDayTotalRow as DayTotal
from .models import AccountRow, PostingRow


def _normal(session: Session, entity: str, rows: object) -> dict[str, int]:
    chart = chart_of(entity)
    found: dict[str, int] = {}
    for code, debits, credits in rows:  # type: ignore[attr-defined]
        diff = int(debits) - int(credits)
        found[code] = diff if chart[code].normal_side.value == "debit" else -diff
    return found


def totals_query(entity: str, as_of: date, *, from_postings: bool = False
                 ) -> Select[tuple[str, int, int]]:
    """(code, debits, credits) of each account used up to the end of `as_of` (CNY), from the
    daily totals, or `from_postings` themselves (the auditor's independent recomputation)."""
    rows = PostingRow if from_postings else DayTotal
    return (select(AccountRow.code, func.sum(rows.debit), func.sum(rows.credit))
            .join(rows, rows.account_id == AccountRow.id)
            .where(AccountRow.entity == entity, rows.effective_date <= as_of,
                   rows.currency == DEFAULT_CURRENCY)
            .group_by(AccountRow.code).order_by(AccountRow.code))


def balances(session: Session, entity: str, as_of: date) -> dict[str, int]:
    """Each account's balance on its normal side at the end of `as_of` (CNY, fen)."""
    return _normal(session, entity, session.execute(totals_query(entity, as_of)))


def movements(session: Session, entity: str, period: Period) -> dict[str, int]:
    """Each account's net movement inside the period, on its normal side."""
    return _normal(session, entity, session.execute(
        select(AccountRow.code, func.sum(DayTotal.debit), func.sum(DayTotal.credit))
        .join(DayTotal, DayTotal.account_id == AccountRow.id)
        .where(AccountRow.entity == entity,
               DayTotal.effective_date.between(period.starts_on, period.ends_on),
               DayTotal.currency == DEFAULT_CURRENCY)
        .group_by(AccountRow.code)))


def _account_ids(session: Session, entity: str) -> dict[str, int]:
    """Code -> id of the entity's accounts. The analyses below filter postings by these ids
    rather than by a join on accounts, so that PostgreSQL estimates each account's share of
    the postings from its statistics (through a join it guessed a few rows where there were
    a million, and a nested loop took minutes)."""
    return {code: id_ for code, id_ in session.execute(
        select(AccountRow.code, AccountRow.id).where(AccountRow.entity == entity))}


def _in_period(rows: Any, period: Period) -> Any:
    """The postings (or an alias of them) dated inside the period."""
    return rows.effective_date.between(period.starts_on, period.ends_on)


def cash_counterparts(session: Session, entity: str, period: Period
                      ) -> dict[str, tuple[int, int]]:
    """For entries inside the period that move cash or bank: per other account, (cash in,
    cash out) = (its credits, its debits). They add up to the net cash movement, since each
    entry balances."""
    ids = _account_ids(session, entity)
    codes = {id_: code for code, id_ in ids.items() if code not in CASH_CODES}
    cash = aliased(PostingRow)
    moving_cash = select(cash.entry_seq).where(
        cash.account_id.in_([ids[code] for code in CASH_CODES if code in ids]),
        _in_period(cash, period))
    rows = session.execute(
        select(PostingRow.account_id, func.sum(PostingRow.credit), func.sum(PostingRow.debit))
        .where(PostingRow.account_id.in_(codes), PostingRow.currency == DEFAULT_CURRENCY,
               _in_period(PostingRow, period), PostingRow.entry_seq.in_(moving_cash))
        .group_by(PostingRow.account_id))
    return {codes[id_]: (int(cash_in), int(cash_out)) for id_, cash_in, cash_out in rows}


def released(session: Session, entity: str, period: Period) -> int:
    """Credits less debits to unrestricted net assets (3101) in the period's entries that
    also move restricted net assets (3102): releases of restrictions less restorations."""
    ids = _account_ids(session, entity)
    if "3101" not in ids or "3102" not in ids:
        return 0
    other = aliased(PostingRow)
    both = select(other.entry_seq).where(other.account_id == ids["3102"],
                                         _in_period(other, period))
    found = session.execute(
        select(func.coalesce(func.sum(PostingRow.credit - PostingRow.debit), 0))
        .where(PostingRow.account_id == ids["3101"], PostingRow.currency == DEFAULT_CURRENCY,
               _in_period(PostingRow, period), PostingRow.entry_seq.in_(both))).scalar()
    return int(found or 0)


def period_figures(session: Session, entity: str, period: Period) -> PeriodFigures:
    return PeriodFigures(
        entity=known_entity(entity), period=period, chart=chart_of(entity),
        opening=balances(session, entity, period.starts_on - timedelta(days=1)),
        closing=balances(session, entity, period.ends_on),
        moved=movements(session, entity, period),
        cash=cash_counterparts(session, entity, period),
        released=released(session, entity, period))
