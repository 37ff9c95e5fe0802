"""A close's Merkle tree in the database: its leaves read from the books, its nodes stored,
and a leaf's path read back with one query (see ledger.core.merkle)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import and_, insert, or_, select

from ledger.core.merkle import Leaf, Step, code_digest, leaf_hash, levels
from ledger.core.periods import Period
from ledger.db.models import (
    AccountRow,
    CampaignPaymentRow,
    EntryRow,
    MerkleNodeRow,
    PeriodRootRow,
    PostingRow,
)
from ledger.db.session import Session

BATCH = 5_000


def leaves(session: Session, entity: str, period: Period, *, only: int | None = None
           ) -> Iterator[Leaf]:
    """The leaves of `entity`'s entries dated in `period`, by entry number (of entry `only`
    alone, if given)."""
    query = (
        select(EntryRow.seq, EntryRow.effective_date, EntryRow.hash,
               CampaignPaymentRow.receipt_code, AccountRow.code, PostingRow.currency,
               PostingRow.debit, PostingRow.credit)
        .join(PostingRow, PostingRow.entry_seq == EntryRow.seq)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .outerjoin(CampaignPaymentRow, CampaignPaymentRow.entry_seq == EntryRow.seq)
        .where(EntryRow.entity == entity,
               EntryRow.effective_date.between(period.starts_on, period.ends_on))
        .order_by(EntryRow.seq, PostingRow.line))
    if only is not None:
        query = query.where(EntryRow.seq == only)
    rows = session.execute(query.execution_options(yield_per=BATCH))
    current: tuple[int, str, str, str] | None = None
    postings: list[tuple[str, str, int, int]] = []
    for seq, day, entry_hash, code, account, currency, debit, credit in rows:
        if current is None or current[0] != seq:
            if current is not None:
                yield Leaf(entity, current[0], current[1], current[2], current[3],
                           tuple(postings))
            current = (seq, day.isoformat(), entry_hash, code_digest(code) if code else "")
            postings = []
        postings.append((account, currency, int(debit), int(credit)))
    if current is not None:
        yield Leaf(entity, current[0], current[1], current[2], current[3], tuple(postings))


def compute(session: Session, entity: str, period: Period
            ) -> tuple[list[int], list[list[bytes]]]:
    """The entry numbers of the leaves and every level of the tree."""
    seqs, hashes = [], []
    for leaf in leaves(session, entity, period):
        seqs.append(leaf.seq)
        hashes.append(leaf_hash(leaf))
    return seqs, levels(hashes)


def store(session: Session, close_id: int, entity: str, period: Period) -> str:
    """Compute and store the tree of a close; its root."""
    seqs, tree = compute(session, entity, period)
    root = tree[-1][0].hex()
    session.add(PeriodRootRow(close_id=close_id, root=root, size=len(seqs)))
    session.flush()
    if not seqs:
        return root
    rows = [{"close_id": close_id, "level": level, "position": position, "hash": node.hex(),
             "entry_seq": seqs[position] if level == 0 else None}
            for level, nodes in enumerate(tree) for position, node in enumerate(nodes)]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(MerkleNodeRow), rows[start:start + BATCH])
    return root


def root_of(session: Session, close_id: int) -> PeriodRootRow | None:
    return session.get(PeriodRootRow, close_id)


def leaf_position(session: Session, close_id: int, entry_seq: int) -> int | None:
    return session.scalar(select(MerkleNodeRow.position).where(
        MerkleNodeRow.close_id == close_id, MerkleNodeRow.entry_seq == entry_seq))


def path(session: Session, close_id: int, size: int, index: int) -> list[Step]:
    """The stored siblings of leaf `index` of a tree of `size` leaves, bottom up."""
    wanted: list[tuple[int, int, str]] = []  # level, position, side
    level = 0
    while size > 1:
        sibling = index ^ 1
        if sibling < size:
            wanted.append((level, sibling, "L" if sibling < index else "R"))
        index, size, level = index // 2, (size + 1) // 2, level + 1
    if not wanted:
        return []
    found = {(lv, pos): h for lv, pos, h in session.execute(
        select(MerkleNodeRow.level, MerkleNodeRow.position, MerkleNodeRow.hash).where(
            MerkleNodeRow.close_id == close_id,
            or_(*(and_(MerkleNodeRow.level == lv, MerkleNodeRow.position == pos)
                  for lv, pos, _ in wanted))))}
    return [Step(side, found[(lv, pos)]) for lv, pos, side in wanted]
