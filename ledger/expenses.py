"""Operating expenses of the mutual-aid fund. The fund never spends operating money it does
not have: an expense must fit in its operating funds (operating income less expenses so far)
and in its bank balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money

from ledger.books import now, post
from ledger.core.audit import AuditEvent
from ledger.core.errors import Conflict, InvalidInput
from ledger.core.money import from_minor, to_minor
from ledger.core.mutual_aid import (
    BANK,
    EXPENSE_ACCOUNT_CODES,
    EXPENSE_ACCOUNTS,
    FUND,
    OPERATING_INCOME_ACCOUNTS,
    expense_entry,
)
from ledger.core.staff import Actor
from ledger.db import audit as audit_db
from ledger.db import balances as balances_db
from ledger.db import mutual_aid as db
from ledger.db.models import ExpenseRow
from ledger.db.session import Session, UnitOfWork


class InsufficientFunds(Conflict):
    """The fund does not have the money this would spend."""

    code = "insufficient-funds"
    title = "Not enough money"


@dataclass(frozen=True, slots=True)
class Expense:
    id: int
    category: str
    amount: Money
    spent_on: date
    payee: str
    memo: str
    entry_seq: int
    created_by: str


@dataclass(frozen=True, slots=True)
class OperatingPosition:
    """What the fund may spend: operating income less expenses, and cash in the bank."""

    operating_funds: Money
    bank: Money


def _net(session: Session, codes: tuple[str, ...], *, credit_normal: bool) -> int:
    total = 0
    for code in codes:
        for line in balances_db.account_balance(session, FUND, code, date.max):
            total += line.credits - line.debits if credit_normal else line.debits - line.credits
    return total


def position_in(session: Session) -> OperatingPosition:
    income = _net(session, OPERATING_INCOME_ACCOUNTS, credit_normal=True)
    spent = _net(session, EXPENSE_ACCOUNT_CODES, credit_normal=False)
    bank = _net(session, (BANK,), credit_normal=False)
    return OperatingPosition(operating_funds=from_minor(income - spent), bank=from_minor(bank))


def position(uow: UnitOfWork) -> OperatingPosition:
    return uow.read(position_in)


OPERATING_SIGNS = {**dict.fromkeys(OPERATING_INCOME_ACCOUNTS, -1),
                   **dict.fromkeys(EXPENSE_ACCOUNT_CODES, -1)}


def refuse_overspending(session: Session, amount: Money, *, on: date, operating: bool) -> None:
    """Raise InsufficientFunds if paying `amount` on day `on` would send the bank balance (or
    the operating funds) below zero on that day or any later one: money cannot be spent before
    it arrives, nor spent twice by a later payment dated earlier."""
    checks = [("bank balance", {BANK: 1})]
    if operating:
        checks.insert(0, ("operating money", OPERATING_SIGNS))
    for what, signs in checks:
        room = from_minor(balances_db.lowest_from(session, FUND, signs, on))
        if amount > room:
            raise InsufficientFunds(
                f"from {on} on, the fund's {what} is at most {room.amount} on some day, less "
                f"than {amount.amount}", field="amount")


def record_expense(uow: UnitOfWork, actor: Actor, *, category: str, amount: Money,
                   spent_on: date, payee: str, memo: str) -> Expense:
    if category not in EXPENSE_ACCOUNTS:
        raise InvalidInput(f"category is one of {', '.join(EXPENSE_ACCOUNTS)}",
                           field="category")
    who, what = payee.strip(), memo.strip()
    if not who or len(who) > 200 or not what or len(what) > 300:
        raise InvalidInput("payee (1-200 characters) and memo (1-300) are required",
                           field="payee" if not who or len(who) > 200 else "memo")

    def work(session: Session) -> Expense:
        refuse_overspending(session, amount, on=spent_on, operating=True)
        expense_id = db.next_id(session, ExpenseRow)
        posted = post(uow, expense_entry(expense_id=expense_id, category=category,
                                         amount=amount, spent_on=spent_on, payee=who,
                                         memo=what, actor=actor.username), by=actor)
        row = ExpenseRow(id=expense_id, category=category, amount=to_minor(amount),
                         spent_on=spent_on, payee=who, memo=what, entry_seq=posted.seq,
                         created_at=now(), created_by=actor.username)
        session.add(row)
        session.flush()
        audit_db.record(session, AuditEvent(
            actor=actor, action="expense.recorded", object_type="expense",
            object_id=str(row.id), details={"amount": str(amount.amount),
                                            "category": category}), at=now())
        return _expense(row)

    return uow.write(work)


def _expense(row: ExpenseRow) -> Expense:
    return Expense(id=row.id, category=row.category, amount=from_minor(row.amount),
                   spent_on=row.spent_on, payee=row.payee, memo=row.memo,
                   entry_seq=row.entry_seq, created_by=row.created_by)


def expenses(uow: UnitOfWork) -> list[Expense]:
    return uow.read(lambda session: [_expense(r) for r in session.scalars(db.expenses())])
