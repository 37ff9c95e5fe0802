"""A resident checks a receipt code: the payment is in the foundation's books, in which
periods, and, for each closed period that holds it, an inclusion proof against the period's
Merkle root (signed once an auditor signs the period off). Nothing names the household or
anybody else: the receipt already shows its own address, never a name or phone number."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.campaign_payments import Receipt, receipt
from ledger.core.campaigns import FOUNDATION
from ledger.core.merkle import Leaf, Proof
from ledger.core.periods import Period, PeriodStatus, month, year
from ledger.db import merkle as merkle_db
from ledger.db.models import EntryRow
from ledger.db.session import Session, UnitOfWork
from ledger.periods import PeriodState, period_row, state_in


@dataclass(frozen=True, slots=True)
class PeriodProof:
    """One period the payment is dated in: its state, and a proof once it is closed."""

    state: PeriodState
    proof: Proof | None

    @property
    def signed(self) -> bool:
        return self.state.signoff is not None


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    receipt: Receipt
    entry_hash: str
    periods: tuple[PeriodProof, ...]  # the month, then the year


def proof_in(session: Session, state: PeriodState, entry_seq: int) -> Proof | None:
    """The inclusion proof of an entry in a closed period's tree (None if the period is not
    closed, its close has no tree, or the entry is not in it)."""
    close = state.close
    if state.status != PeriodStatus.CLOSED or close is None or close.root is None:
        return None
    index = merkle_db.leaf_position(session, close.id, entry_seq)
    if index is None or close.size is None:
        return None
    leaf = _leaf(session, state.entity, state.period, entry_seq)
    return Proof(period=state.period.label, root=close.root, size=close.size, index=index,
                 leaf=leaf, path=tuple(merkle_db.path(session, close.id, close.size, index)))


def _leaf(session: Session, entity: str, period: Period, entry_seq: int) -> Leaf:
    for leaf in merkle_db.leaves(session, entity, period, only=entry_seq):
        return leaf
    raise LookupError(entry_seq)  # pragma: no cover - the tree holds it, so the books do


def check_receipt(uow: UnitOfWork, code: str) -> ReceiptCheck:
    """What the transparency page shows for a receipt code (ReceiptNotFound if no payment
    has it; InvalidInput if it is not a code)."""
    found = receipt(uow, code)

    def work(session: Session) -> ReceiptCheck:
        entry = session.get(EntryRow, found.entry_seq)
        assert entry is not None
        day = entry.effective_date
        periods = []
        for period in (month(day.year, day.month), year(day.year)):
            state = state_in(session, FOUNDATION, period, period_row(session, FOUNDATION, period))
            periods.append(PeriodProof(state, proof_in(session, state, found.entry_seq)))
        return ReceiptCheck(found, entry.hash, tuple(periods))

    return uow.read(work)
