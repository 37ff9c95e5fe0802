"""Grantees: the social organisations (社会组织) that apply for the foundation's grants,
identified by their unified social credit code (GB 32100-2015)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ledger.books import now
from ledger.core.credit_code import normalise
from ledger.core.errors import AlreadyExists, NotFound
from ledger.core.grants import Registration
from ledger.core.staff import Actor
from ledger.db.models import GranteeRow
from ledger.db.session import Session, UnitOfWork
from ledger.recording import audit, text


class GranteeNotFound(NotFound):
    code = "grantee-not-found"
    title = "No such grantee"


@dataclass(frozen=True, slots=True)
class Grantee:
    id: int
    name_zh: str
    name_en: str | None
    credit_code: str
    registration: Registration
    contact_name: str
    contact_phone: str
    bank_name: str
    bank_account: str


def _grantee(row: GranteeRow) -> Grantee:
    return Grantee(id=row.id, name_zh=row.name_zh, name_en=row.name_en,
                   credit_code=row.credit_code, registration=Registration(row.registration),
                   contact_name=row.contact_name, contact_phone=row.contact_phone,
                   bank_name=row.bank_name, bank_account=row.bank_account)


def grantee_row(session: Session, grantee_id: int) -> GranteeRow:
    row = session.get(GranteeRow, grantee_id)
    if row is None:
        raise GranteeNotFound(f"there is no grantee #{grantee_id}", field="grantee_id")
    return row


def register_grantee(uow: UnitOfWork, actor: Actor, *, name_zh: str, credit_code: str,
                     registration: Registration, contact_name: str, contact_phone: str,
                     bank_name: str, bank_account: str, name_en: str | None = None) -> Grantee:
    code = normalise(credit_code)
    fields = {
        "name_zh": text(name_zh, "name_zh", 200),
        "name_en": text(name_en, "name_en", 200, required=False) or None,
        "contact_name": text(contact_name, "contact_name", 100),
        "contact_phone": text(contact_phone, "contact_phone", 40),
        "bank_name": text(bank_name, "bank_name", 100),
        "bank_account": text(bank_account, "bank_account", 40),
    }

    def work(session: Session) -> Grantee:
        if session.scalar(select(GranteeRow.id).where(GranteeRow.credit_code == code)):
            raise AlreadyExists(f"a grantee with credit code {code} is already registered",
                                field="credit_code")
        row = GranteeRow(credit_code=code, registration=Registration(registration).value,
                         created_at=now(), created_by=actor.username, **fields)
        session.add(row)
        session.flush()
        audit(session, actor, "grantee.registered", "grantee", row.id, credit_code=code)
        return _grantee(row)

    return uow.write(work)


def grantees(uow: UnitOfWork) -> list[Grantee]:
    return uow.read(lambda session: [
        _grantee(r) for r in session.scalars(select(GranteeRow).order_by(GranteeRow.id))])


def grantee(uow: UnitOfWork, grantee_id: int) -> Grantee:
    return uow.read(lambda session: _grantee(grantee_row(session, grantee_id)))
