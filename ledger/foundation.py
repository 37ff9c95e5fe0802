"""The foundation's income by source, its restrictions and their release, and the funds
available for new grant rounds (see `ledger.core.grants` for the formula)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from moneyed import Money
from sqlalchemy import select

from ledger.books import now, post
from ledger.core.campaigns import HOLDING
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.core.grants import (
    BANK,
    CASH,
    FOUNDATION,
    GRANTS_PAYABLE,
    RESERVING,
    Availability,
    IncomeSource,
    Restriction,
    RoundHold,
    availability,
    income_account,
    income_entry,
    release_entry,
    restore_entry,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.staff import Actor
from ledger.db import balances as balances_db
from ledger.db import campaigns as campaigns_db
from ledger.db import grants as db
from ledger.db.models import CampaignRow, IncomeRow, ReleaseRow, RoundRow
from ledger.db.session import Session, UnitOfWork
from ledger.recording import audit, text

ANONYMOUS = "匿名 / Anonymous"


class IncomeNotFound(NotFound):
    code = "income-not-found"
    title = "No such income"


class OverReleased(Conflict):
    code = "over-released"
    title = "More than the restricted money left"


@dataclass(frozen=True, slots=True)
class Income:
    id: int
    source: IncomeSource
    donor: str
    anonymous: bool
    amount: Money
    received_on: date
    restriction: Restriction
    purpose: str | None
    round_id: int | None
    account: str
    reference: str
    entry_seq: int
    released: Money
    created_by: str

    @property
    def restricted_left(self) -> Money:
        """What is still restricted (zero for unrestricted income)."""
        if self.restriction is Restriction.NONE:
            return Money(0, self.amount.currency)
        return self.amount - self.released

    @property
    def public_donor(self) -> str:
        """The donor's name as the public pages show it."""
        return ANONYMOUS if self.anonymous else self.donor


@dataclass(frozen=True, slots=True)
class Release:
    id: int
    income_id: int
    amount: Money
    released_on: date
    reason: str
    grant_id: int | None
    entry_seq: int
    restored: bool = False  # grant money that came back, restricted again


def _income(row: IncomeRow, released: int) -> Income:
    return Income(id=row.id, source=IncomeSource(row.source), donor=row.donor,
                  anonymous=row.anonymous, amount=from_minor(row.amount),
                  received_on=row.received_on, restriction=Restriction(row.restriction),
                  purpose=row.purpose, round_id=row.round_id, account=row.account,
                  reference=row.reference, entry_seq=row.entry_seq,
                  released=from_minor(released), created_by=row.created_by)


def _release(row: ReleaseRow) -> Release:
    return Release(id=row.id, income_id=row.income_id, amount=from_minor(row.amount),
                   released_on=row.released_on, reason=row.reason, grant_id=row.grant_id,
                   entry_seq=row.entry_seq, restored=row.restored)


def record_income(uow: UnitOfWork, actor: Actor, *, source: IncomeSource, donor: str,
                  amount: Money, received_on: date, restriction: Restriction = Restriction.NONE,
                  purpose: str | None = None, round_id: int | None = None,
                  anonymous: bool = False, reference: str = "") -> Income:
    """Money received: Dr bank / Cr the income account of its kind and restriction."""
    source, restriction = IncomeSource(source), Restriction(restriction)
    name = text(donor, "donor", 200)
    ref = text(reference, "reference", 100, required=False)
    aim = text(purpose, "purpose", 300, required=restriction is Restriction.PURPOSE) or None
    if restriction is Restriction.ROUND and round_id is None:
        raise InvalidInput("money restricted to a round names the round", field="round_id")
    if restriction is not Restriction.ROUND and round_id is not None:
        raise InvalidInput("only money restricted to a round names one", field="round_id")
    account = income_account(source, restriction)

    def work(session: Session) -> Income:
        if round_id is not None:
            found = session.get(RoundRow, round_id)
            if found is None:
                raise NotFound(f"there is no grant round #{round_id}", field="round_id")
            if found.status in ("closed", "cancelled"):
                raise Conflict(f"round #{round_id} is {found.status}; it takes no more money",
                               field="round_id")
        income_id = db.next_id(session, IncomeRow)
        posted = post(uow, income_entry(income_id=income_id, account=account, amount=amount,
                                        on=received_on, donor=name, actor=actor.username),
                      by=actor)
        row = IncomeRow(id=income_id, source=source.value, donor=name, anonymous=anonymous,
                        amount=to_minor(amount), received_on=received_on,
                        restriction=restriction.value, purpose=aim, round_id=round_id,
                        account=account, reference=ref, entry_seq=posted.seq,
                        created_at=now(), created_by=actor.username)
        session.add(row)
        session.flush()
        audit(session, actor, "income.recorded", "income", row.id, source=source.value,
              amount=str(amount.amount), restriction=restriction.value)
        return _income(row, 0)

    return uow.write(work)


def release_in(session: Session, uow: UnitOfWork, actor: Actor, income: IncomeRow, *,
               amount: Money, on: date, reason: str, grant_id: int | None = None) -> Release:
    """Post a release of part of a restricted income (in the caller's transaction)."""
    released = db.released_by_income(session).get(income.id, 0)
    left = from_minor(income.amount - released)
    if income.restriction == Restriction.NONE:
        raise InvalidInput(f"income #{income.id} is unrestricted; there is nothing to release",
                           field="income_id")
    if amount > left:
        raise OverReleased(f"income #{income.id} has {left.amount} restricted left, less "
                           f"than {amount.amount}", field="amount")
    if on < income.received_on:
        raise InvalidInput("a restriction is released on or after the money arrived",
                           field="on")
    posted = post(uow, release_entry(income_id=income.id, amount=amount, on=on, reason=reason,
                                     actor=actor.username), by=actor)
    return _record_release(session, actor, income, amount=amount, on=on, reason=reason,
                           grant_id=grant_id, entry_seq=posted.seq, restored=False)


def restore_in(session: Session, uow: UnitOfWork, actor: Actor, income: IncomeRow, *,
               amount: Money, on: date, reason: str, grant_id: int) -> Release:
    """Restrict again money a grant released and gave back (in the caller's transaction)."""
    posted = post(uow, restore_entry(income_id=income.id, amount=amount, on=on, reason=reason,
                                     actor=actor.username), by=actor)
    return _record_release(session, actor, income, amount=amount, on=on, reason=reason,
                           grant_id=grant_id, entry_seq=posted.seq, restored=True)


def _record_release(session: Session, actor: Actor, income: IncomeRow, *, amount: Money,
                    on: date, reason: str, grant_id: int | None, entry_seq: int,
                    restored: bool) -> Release:
    row = ReleaseRow(income_id=income.id, amount=to_minor(amount), released_on=on,
                     reason=reason, grant_id=grant_id, restored=restored, entry_seq=entry_seq,
                     created_at=now(), created_by=actor.username)
    session.add(row)
    session.flush()
    audit(session, actor, "income.restored" if restored else "income.released", "income",
          income.id, amount=str(amount.amount), grant_id=grant_id)
    return _release(row)


def release_restriction(uow: UnitOfWork, actor: Actor, income_id: int, *, amount: Money,
                        on: date, reason: str) -> Release:
    """The restriction is met: move this much to unrestricted net assets."""
    why = text(reason, "reason", 300)

    def work(session: Session) -> Release:
        row = session.get(IncomeRow, income_id)
        if row is None:
            raise IncomeNotFound(f"there is no income #{income_id}", field="income_id")
        return release_in(session, uow, actor, row, amount=amount, on=on, reason=why)

    return uow.write(work)


def incomes(uow: UnitOfWork) -> list[Income]:
    def work(session: Session) -> list[Income]:
        released = db.released_by_income(session)
        return [_income(r, released.get(r.id, 0))
                for r in session.scalars(select(IncomeRow).order_by(IncomeRow.id))]

    return uow.read(work)


def income(uow: UnitOfWork, income_id: int) -> Income:
    def work(session: Session) -> Income:
        row = session.get(IncomeRow, income_id)
        if row is None:
            raise IncomeNotFound(f"there is no income #{income_id}", field="income_id")
        return _income(row, db.released_by_income(session).get(row.id, 0))

    return uow.read(work)


def releases(uow: UnitOfWork, income_id: int | None = None) -> list[Release]:
    def work(session: Session) -> list[Release]:
        query = select(ReleaseRow).order_by(ReleaseRow.id)
        if income_id is not None:
            query = query.where(ReleaseRow.income_id == income_id)
        return [_release(r) for r in session.scalars(query)]

    return uow.read(work)


# --- available funds --------------------------------------------------------------------------
def _balance(session: Session, code: str) -> Money:
    """An account's balance on its normal side, all dates."""
    return from_minor(sum(line.net for line in
                          balances_db.account_balance(session, FOUNDATION, code, date.max)))


def reservation_of(row: RoundRow, committed: int) -> int:
    """Fen a round still reserves: its budget less its commitments while it is open or in
    review; nothing once it is closed or cancelled."""
    return max(row.budget - committed, 0) if row.status in RESERVING else 0


def availability_in(session: Session) -> Availability:
    committed_by_round = db.committed_by_round(session)
    released = db.released_by_income(session)
    restricted_for_round: dict[int, int] = {}
    other_restricted = 0
    for row in db.restricted_incomes(session):
        left = row.amount - released.get(row.id, 0)
        if row.round_id is None:
            other_restricted += left
        else:
            restricted_for_round[row.round_id] = restricted_for_round.get(row.round_id, 0) + left
    holds = []
    reserving = {r.id: r for r in db.rounds_in(session, tuple(s.value for s in RESERVING))}
    for round_id in set(reserving) | set(restricted_for_round):
        row = reserving.get(round_id)
        reservation = reservation_of(row, committed_by_round.get(round_id, 0)) if row else 0
        holds.append(RoundHold(reservation=from_minor(reservation),
                               restricted=from_minor(restricted_for_round.get(round_id, 0))))
    campaigns_restricted, campaigns_held = _campaign_holds(session)
    return availability(
        balance=_balance(session, CASH) + _balance(session, BANK),
        committed=_balance(session, GRANTS_PAYABLE),
        rounds=holds, other_restricted=from_minor(other_restricted),
        campaigns_restricted=campaigns_restricted, campaigns_held=campaigns_held)


def _campaign_holds(session: Session) -> tuple[Money, Money]:
    """Money restricted to repair campaigns, and the foundation's matches still held for the
    campaigns that run."""
    sums = campaigns_db.sums(session)
    restricted = held = from_minor(0)
    for row in session.scalars(select(CampaignRow)):
        figures = campaigns_db.figures_of(row, sums.get(row.id, campaigns_db.Sums()))
        restricted += figures.restricted
        if row.status in HOLDING:
            held += figures.match_left
    return restricted, held


def funds(uow: UnitOfWork) -> Availability:
    """The foundation's money: balance, committed, reserved, restricted, available."""
    return uow.read(availability_in)
