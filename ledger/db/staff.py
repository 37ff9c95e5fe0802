"""Queries over staff accounts and their tokens."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import ApiTokenRow, UserRow, VoucherRow


def select_user(username: str) -> Select[tuple[UserRow]]:
    return select(UserRow).where(UserRow.username == username)


def select_users() -> Select[tuple[UserRow]]:
    return select(UserRow).order_by(UserRow.username)


def token_rows(user_id: int) -> Select[tuple[ApiTokenRow]]:
    return select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)


def token_by_digest(digest: str) -> Select[tuple[ApiTokenRow]]:
    return select(ApiTokenRow).where(ApiTokenRow.token_hash == digest)


def usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    return dict(session.execute(
        select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted))).all())


def select_vouchers(status: str | None, limit: int) -> Select[tuple[VoucherRow]]:
    query = select(VoucherRow).order_by(VoucherRow.id.desc()).limit(limit)
    return query if not status else query.where(VoucherRow.status == status)
