"""Queries of the foundation's income and grant programme."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .models import (
    ClawbackRow,
    GrantRow,
    IncomeRow,
    ReleaseRow,
    RoundRow,
    TrancheRow,
)


def _net() -> Any:
    """Released less restored."""
    return func.sum(case((ReleaseRow.restored, -ReleaseRow.amount), else_=ReleaseRow.amount))


def released_by_income(session: Session) -> dict[int, int]:
    """Fen released so far (less what was restricted again), per restricted income."""
    return {income_id: int(total) for income_id, total in session.execute(
        select(ReleaseRow.income_id, _net())
        .group_by(ReleaseRow.income_id))}


def released_for_grant(session: Session, grant_id: int) -> dict[int, int]:
    """Fen of each income released by a grant's commitment and not restricted again."""
    return {income_id: int(total) for income_id, total in session.execute(
        select(ReleaseRow.income_id, _net())
        .where(ReleaseRow.grant_id == grant_id).group_by(ReleaseRow.income_id))}


def restricted_incomes(session: Session) -> list[IncomeRow]:
    return list(session.scalars(select(IncomeRow).where(IncomeRow.restriction != "none")
                                .order_by(IncomeRow.id)))


def committed_by_round(session: Session) -> dict[int, int]:
    """Fen committed (the amounts of grants approved) per round."""
    return {round_id: int(total) for round_id, total in session.execute(
        select(GrantRow.round_id, func.sum(GrantRow.amount)).group_by(GrantRow.round_id))}


def rounds_in(session: Session, statuses: tuple[str, ...]) -> list[RoundRow]:
    return list(session.scalars(select(RoundRow).where(RoundRow.status.in_(statuses))
                                .order_by(RoundRow.id)))


def paid_total(session: Session, grant_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(TrancheRow.amount), 0)).where(
        TrancheRow.grant_id == grant_id, TrancheRow.entry_seq.is_not(None))) or 0)


def clawed_back_total(session: Session, grant_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(ClawbackRow.amount), 0)).where(
        ClawbackRow.grant_id == grant_id)) or 0)


def next_id(session: Session, model: type[IncomeRow | GrantRow]) -> int:
    """The id the next row will take. Only safe while holding the books' write lock."""
    return (session.scalar(select(func.max(model.id))) or 0) + 1
