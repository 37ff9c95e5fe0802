"""Rows and queries of the mutual-aid fund: members, policies, deposits, transfers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ledger.core.money import from_minor
from ledger.core.mutual_aid import RemainderRule, SplitPolicy

from .models import DepositRow, ExpenseRow, MemberRow, ServiceRow, SplitPolicyRow, TransferRow


def to_policy(row: SplitPolicyRow) -> SplitPolicy:
    return SplitPolicy(
        version=row.version, effective_from=row.effective_from,
        operating_share=Decimal(row.operating_share_bp).scaleb(-4),
        remainder_rule=RemainderRule(row.remainder_rule),
        service_amount=from_minor(row.service_amount), per_deposit=from_minor(row.per_deposit))


def policy_on(session: Session, day: date) -> SplitPolicyRow | None:
    """The policy version in force on a day: the latest that took effect on or before it."""
    return session.scalar(select(SplitPolicyRow).where(SplitPolicyRow.effective_from <= day)
                          .order_by(SplitPolicyRow.effective_from.desc()).limit(1))


def policies(session: Session) -> list[SplitPolicyRow]:
    return list(session.scalars(select(SplitPolicyRow).order_by(SplitPolicyRow.version)))


def next_policy_version(session: Session) -> int:
    return (session.scalar(select(func.max(SplitPolicyRow.version))) or 0) + 1


def member_by_code(credit_code: str) -> Select[tuple[MemberRow]]:
    return select(MemberRow).where(MemberRow.credit_code == credit_code)


def members() -> Select[tuple[MemberRow]]:
    return select(MemberRow).order_by(MemberRow.id)


def deposits(member_id: int | None = None) -> Select[tuple[DepositRow]]:
    query = select(DepositRow).order_by(DepositRow.id)
    return query if member_id is None else query.where(DepositRow.member_id == member_id)


def untransferred(ids: list[int] | None) -> Select[tuple[DepositRow]]:
    """Deposits whose foundation share is still owed (not transferred, not reversed)."""
    query = select(DepositRow).where(
        DepositRow.transfer_id.is_(None), DepositRow.reversal_seq.is_(None),
        DepositRow.foundation > 0).order_by(DepositRow.id)
    return query if ids is None else query.where(DepositRow.id.in_(ids))


def transfers() -> Select[tuple[TransferRow]]:
    return select(TransferRow).order_by(TransferRow.id)


def active_deposit_total(session: Session, member_id: int) -> int:
    """Fen deposited by a member and not reversed."""
    return int(session.scalar(select(func.coalesce(func.sum(DepositRow.amount), 0)).where(
        DepositRow.member_id == member_id, DepositRow.reversal_seq.is_(None))) or 0)


def next_id(session: Session, model: type[DepositRow | TransferRow | ExpenseRow]) -> int:
    """The id the next row will take. Only safe while holding the books' write lock."""
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def deposit_ids_by_transfer(session: Session) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for deposit_id, transfer_id in session.execute(
            select(DepositRow.id, DepositRow.transfer_id)
            .where(DepositRow.transfer_id.is_not(None)).order_by(DepositRow.id)):
        found.setdefault(transfer_id, []).append(deposit_id)
    return found


def expenses() -> Select[tuple[ExpenseRow]]:
    return select(ExpenseRow).order_by(ExpenseRow.id)


def services(member_id: int | None = None) -> Select[tuple[ServiceRow]]:
    query = select(ServiceRow).order_by(ServiceRow.id)
    return query if member_id is None else query.where(ServiceRow.member_id == member_id)


def outstanding_total(session: Session, member_id: int, statuses: tuple[str, ...]) -> int:
    """Fen of a member's services that hold part of its cap."""
    return int(session.scalar(select(func.coalesce(func.sum(ServiceRow.loan_amount), 0)).where(
        ServiceRow.member_id == member_id, ServiceRow.status.in_(statuses))) or 0)


def transfer_date(session: Session, transfer_id: int) -> date:
    row = session.get(TransferRow, transfer_id)
    assert row is not None  # foreign key
    return row.made_on


def latest_received_on(session: Session) -> date | None:
    """The date of the latest deposit recorded (reversed ones included: they were split)."""
    return session.scalar(select(func.max(DepositRow.received_on)))
