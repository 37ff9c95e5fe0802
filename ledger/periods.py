"""Period close, reopening and audit sign-off (see `ledger.core.periods`).

Closing records the chain head (number and hash of the last entry), the entity's balances
at the period's end, and the Merkle tree of the entries dated in the period (its root is what
residents' inclusion proofs lead to; ledger.core.merkle). Sign-off runs the verification
first: the chain verifies, the entry at the recorded head still has its hash, the balances
recomputed from the postings equal those recorded, the Merkle root recomputed from the
entries equals the one recorded, and the statements computed from the ledger tie (each
statement's own checks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ledger.books import now
from ledger.core.chart import entity as known_entity
from ledger.core.errors import InvalidInput, NotFound
from ledger.core.periods import (
    Opinion,
    Period,
    PeriodNotInState,
    PeriodStatus,
    VerificationFailed,
    check_period_transition,
    parse_period,
    period_of,
)
from ledger.core.staff import Actor
from ledger.core.statements import activities, cash_flows, financial_position
from ledger.db import chain as chain_db
from ledger.db import journal as journal_db
from ledger.db import merkle as merkle_db
from ledger.db import statements as statements_db
from ledger.db.models import (
    EntryRow,
    PeriodCloseRow,
    PeriodReopenRow,
    PeriodRow,
    SignOffRow,
    StatementFileRow,
)
from ledger.db.session import Session, UnitOfWork
from ledger.recording import audit, text


class PeriodNotFound(NotFound):
    code = "period-not-found"
    title = "No such period"


@dataclass(frozen=True, slots=True)
class Close:
    id: int
    head_seq: int
    head_hash: str
    closed_at: datetime
    closed_by: str
    #: The Merkle root of the entries dated in the period and their number (None for a close
    #: made before roots were recorded).
    root: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class SignOff:
    id: int
    close_id: int
    opinion: Opinion
    notes: str
    verification: dict[str, object]
    signed_at: datetime
    signed_by: str


@dataclass(frozen=True, slots=True)
class PeriodState:
    """A period of an entity as it stands: its status, latest close, and the sign-off that
    holds (None if unsigned, or if a reopening voided it)."""

    entity: str
    period: Period
    status: PeriodStatus
    close: Close | None
    signoff: SignOff | None
    reopened: int  # times reopened

    @property
    def audited(self) -> bool:
        return self.signoff is not None


@dataclass(frozen=True, slots=True)
class Verification:
    chain_ok: bool
    chain_detail: str
    head_ok: bool
    balances_ok: bool
    statements_ok: bool
    checks: dict[str, bool]
    root_ok: bool = True  # the Merkle root recomputed from the entries equals the stored one

    @property
    def ok(self) -> bool:
        return (self.chain_ok and self.head_ok and self.balances_ok and self.statements_ok
                and self.root_ok)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "chain": self.chain_ok, "chain_detail": self.chain_detail,
                "head": self.head_ok, "balances": self.balances_ok,
                "statements": self.statements_ok, "root": self.root_ok,
                "checks": self.checks}


# --- reading ----------------------------------------------------------------------------------
def period_row(session: Session, entity: str, period: Period) -> PeriodRow | None:
    return session.scalar(select(PeriodRow).where(
        PeriodRow.entity == entity, PeriodRow.starts_on == period.starts_on,
        PeriodRow.ends_on == period.ends_on))


def state_in(session: Session, entity: str, period: Period, row: PeriodRow | None
           ) -> PeriodState:
    if row is None:
        return PeriodState(entity, period, PeriodStatus.OPEN, None, None, 0)
    close_row = session.scalar(select(PeriodCloseRow).where(PeriodCloseRow.period_id == row.id)
                               .order_by(PeriodCloseRow.id.desc()).limit(1))
    close = None
    if close_row is not None:
        root = merkle_db.root_of(session, close_row.id)
        close = Close(close_row.id, close_row.head_seq, close_row.head_hash,
                      close_row.closed_at, close_row.closed_by,
                      root.root if root else None, root.size if root else None)
    signoff = None
    if close_row is not None and row.status == PeriodStatus.CLOSED:
        found = session.scalar(select(SignOffRow).where(SignOffRow.close_id == close_row.id))
        if found is not None:
            signoff = SignOff(found.id, found.close_id, Opinion(found.opinion), found.notes,
                              json.loads(found.verification), found.signed_at,
                              found.signed_by)
    reopened = len(session.scalars(select(PeriodReopenRow.id)
                                   .where(PeriodReopenRow.period_id == row.id)).all())
    return PeriodState(entity, period, PeriodStatus(row.status), close, signoff, reopened)


def period_state(uow: UnitOfWork, entity: str, label: str) -> PeriodState:
    known_entity(entity)
    period = parse_period(label)
    return uow.read(lambda session: state_in(session, entity, period,
                                           period_row(session, entity, period)))


def periods(uow: UnitOfWork, entity: str) -> list[PeriodState]:
    """The periods of an entity that were ever closing or closed, latest first."""
    known_entity(entity)

    def work(session: Session) -> list[PeriodState]:
        rows = session.scalars(select(PeriodRow).where(PeriodRow.entity == entity)
                               .order_by(PeriodRow.ends_on.desc(), PeriodRow.starts_on))
        return [state_in(session, entity, period_of(r.starts_on, r.ends_on), r) for r in rows]

    return uow.read(work)


# --- close and reopen -------------------------------------------------------------------------
def start_closing(uow: UnitOfWork, actor: Actor, entity: str, label: str) -> PeriodState:
    """open -> closing: from now on only adjusting entries may be dated inside the period."""
    known_entity(entity)
    period = parse_period(label)

    def work(session: Session) -> PeriodState:
        row = period_row(session, entity, period)
        if row is None:
            row = PeriodRow(entity=entity, starts_on=period.starts_on, ends_on=period.ends_on,
                            status=PeriodStatus.CLOSING.value)
            session.add(row)
        else:
            check_period_transition(PeriodStatus(row.status), PeriodStatus.CLOSING)
            row.status = PeriodStatus.CLOSING.value
        session.flush()
        audit(session, actor, "period.closing", "period", f"{entity}/{period}")
        return state_in(session, entity, period, row)

    return uow.write(work)


def _balances_json(session: Session, entity: str, period: Period, *,
                   from_postings: bool = False) -> str:
    lines = session.execute(statements_db.totals_query(entity, period.ends_on,
                                                       from_postings=from_postings))
    return json.dumps({code: [int(d), int(c)] for code, d, c in lines}, sort_keys=True)


def close_period(uow: UnitOfWork, actor: Actor, entity: str, label: str) -> PeriodState:
    """closing -> closed: record the chain head and the balances; nothing more may be dated
    inside the period (the database refuses it)."""
    known_entity(entity)
    period = parse_period(label)

    def work(session: Session) -> PeriodState:
        row = period_row(session, entity, period)
        if row is None:
            raise PeriodNotInState(f"{entity} {period} is open; start closing it first",
                                   field="period")
        check_period_transition(PeriodStatus(row.status), PeriodStatus.CLOSED)
        seq, head_hash = journal_db.head(session)
        close = PeriodCloseRow(period_id=row.id, head_seq=seq, head_hash=head_hash,
                               balances=_balances_json(session, entity, period),
                               closed_at=now(), closed_by=actor.username)
        session.add(close)
        session.flush()
        root = merkle_db.store(session, close.id, entity, period)
        row.status = PeriodStatus.CLOSED.value
        session.flush()
        audit(session, actor, "period.closed", "period", f"{entity}/{period}",
              head_seq=seq, head_hash=head_hash, merkle_root=root)
        return state_in(session, entity, period, row)

    return uow.write(work)


def reopen_period(uow: UnitOfWork, actor: Actor, entity: str, label: str, *, reason: str
                  ) -> PeriodState:
    """closed -> open, by an admin with a reason: the period's sign-off no longer holds. A
    period still closing goes back to open the same way (nothing was closed to record)."""
    known_entity(entity)
    period = parse_period(label)
    why = text(reason, "reason", 500)

    def work(session: Session) -> PeriodState:
        row = period_row(session, entity, period)
        if row is None:
            raise PeriodNotFound(f"{entity} {period} was never closed", field="period")
        check_period_transition(PeriodStatus(row.status), PeriodStatus.OPEN)
        had_signoff = state_in(session, entity, period, row).signoff is not None
        if row.status == PeriodStatus.CLOSED:  # a closing period was never closed: no record
            session.add(PeriodReopenRow(period_id=row.id, reason=why, reopened_at=now(),
                                        reopened_by=actor.username))
            session.flush()
        row.status = PeriodStatus.OPEN.value
        session.flush()
        audit(session, actor, "period.reopened", "period", f"{entity}/{period}", reason=why,
              signoff_voided=had_signoff)
        return state_in(session, entity, period, row)

    return uow.write(work)


# --- verification and sign-off ----------------------------------------------------------------
def verify_in(session: Session, entity: str, period: Period, close: PeriodCloseRow
              ) -> Verification:
    report = chain_db.verify(session)
    at_head = session.get(EntryRow, close.head_seq) if close.head_seq else None
    head_ok = (close.head_seq == 0 or (at_head is not None and at_head.hash == close.head_hash))
    balances_ok = (_balances_json(session, entity, period, from_postings=True)
                   == close.balances)
    now_figures = statements_db.period_figures(session, entity, period)
    before = statements_db.period_figures(session, entity, period.previous())
    checks = {name: ok for statement in (financial_position(now_figures, before),
                                         activities(now_figures, before),
                                         cash_flows(now_figures, before))
              for name, ok in statement.checks}
    stored = merkle_db.root_of(session, close.id)
    root_ok = stored is None or (
        merkle_db.compute(session, entity, period)[1][-1][0].hex() == stored.root)
    return Verification(chain_ok=report.ok,
                        chain_detail=report.reason or f"{report.checked} entries verify",
                        head_ok=head_ok, balances_ok=balances_ok,
                        statements_ok=all(checks.values()), checks=checks, root_ok=root_ok)


def verify_period(uow: UnitOfWork, entity: str, label: str) -> Verification:
    """Run the auditor's verification of a closed period without signing anything."""
    known_entity(entity)
    period = parse_period(label)

    def work(session: Session) -> Verification:
        _, close = _closed(session, entity, period)
        return verify_in(session, entity, period, close)

    return uow.read(work)


def _closed(session: Session, entity: str, period: Period) -> tuple[PeriodRow, PeriodCloseRow]:
    row = period_row(session, entity, period)
    if row is None or row.status != PeriodStatus.CLOSED:
        raise PeriodNotInState(f"{entity} {period} is not closed", field="period")
    close = session.scalar(select(PeriodCloseRow).where(PeriodCloseRow.period_id == row.id)
                           .order_by(PeriodCloseRow.id.desc()).limit(1))
    assert close is not None  # a trigger keeps a closed period's close record
    return row, close


def sign_off(uow: UnitOfWork, actor: Actor, entity: str, label: str, *, opinion: Opinion,
             notes: str = "") -> PeriodState:
    """An auditor signs off the latest close of a closed period, once the verification
    passes; the opinion and notes go on the statements."""
    known_entity(entity)
    period = parse_period(label)
    opinion = Opinion(opinion)
    remark = text(notes, "notes", 4000, required=False)

    def work(session: Session) -> PeriodState:
        row, close = _closed(session, entity, period)
        if session.scalar(select(SignOffRow.id).where(SignOffRow.close_id == close.id)):
            raise PeriodNotInState(f"{entity} {period} is signed off already", field="period")
        found = verify_in(session, entity, period, close)
        if not found.ok:
            raise VerificationFailed(
                f"{entity} {period} does not verify: " + "; ".join(
                    name for name, ok in (("chain", found.chain_ok), ("head", found.head_ok),
                                          ("balances", found.balances_ok),
                                          ("statements", found.statements_ok)) if not ok),
                field="period")
        session.add(SignOffRow(period_id=row.id, close_id=close.id, opinion=opinion.value,
                               notes=remark, verification=json.dumps(found.as_dict()),
                               signed_at=now(), signed_by=actor.username))
        session.flush()
        audit(session, actor, "period.signed_off", "period", f"{entity}/{period}",
              opinion=opinion.value, head_seq=close.head_seq)
        return state_in(session, entity, period, row)

    return uow.write(work)


# --- the statements of a signed period, stored once -------------------------------------------
@dataclass(frozen=True, slots=True)
class StoredFile:
    content: bytes
    sha256: str
    created_at: datetime


def _stored(session: Session, signoff_id: int, lang: str) -> StoredFile | None:
    row = session.scalar(select(StatementFileRow).where(
        StatementFileRow.signoff_id == signoff_id, StatementFileRow.lang == lang))
    return StoredFile(row.content, row.sha256, row.created_at) if row else None


def signed_statement(uow: UnitOfWork, entity: str, label: str, lang: str,
                     render: Callable[[PeriodState], bytes]) -> StoredFile | None:
    """The statements PDF of a signed-off period in `lang`: rendered by `render` the first
    time (outside any transaction), stored with its SHA-256, and the stored bytes ever after.
    None if the period is not signed off (its statements are then a draft, never stored)."""
    known_entity(entity)
    period = parse_period(label)
    if lang not in ("zh", "en"):
        raise InvalidInput("lang is zh or en", field="lang")

    def look(session: Session) -> tuple[PeriodState, StoredFile | None]:
        state = state_in(session, entity, period, period_row(session, entity, period))
        if state.signoff is None:
            return state, None
        return state, _stored(session, state.signoff.id, lang)

    state, found = uow.read(look)
    if state.signoff is None or found is not None:
        return found
    content = render(state)
    signoff_id = state.signoff.id

    def store(session: Session) -> StoredFile:
        existing = _stored(session, signoff_id, lang)
        if existing is not None:  # another request stored it first: serve that one
            return existing
        row = StatementFileRow(signoff_id=signoff_id, lang=lang, content=content,
                               sha256=hashlib.sha256(content).hexdigest(), created_at=now())
        session.add(row)
        session.flush()
        return StoredFile(row.content, row.sha256, row.created_at)

    return uow.write(store, lock_ledger=False)


def stored_digests(uow: UnitOfWork, entity: str, label: str) -> dict[str, str]:
    """lang -> SHA-256 of the stored statements of a signed-off period (only the languages
    rendered so far; empty if the period is not signed off). Reads no PDF content."""
    known_entity(entity)
    period = parse_period(label)

    def work(session: Session) -> dict[str, str]:
        state = state_in(session, entity, period, period_row(session, entity, period))
        if state.signoff is None:
            return {}
        rows = session.execute(select(StatementFileRow.lang, StatementFileRow.sha256).where(
            StatementFileRow.signoff_id == state.signoff.id))
        return {lang: sha for lang, sha in rows}

    return uow.read(work)
