"""ledger/exports.py streams the books in batches of whole entries, in entry order: the text
does not depend on the batch size; `--entity` and `--to` (inclusive) select entries; entries
posted after prepare() are not written, so the file and the trial balance it must match are
one snapshot; the progress callback counts every posting once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from ledger import books, exports
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import UnknownEntity
from ledger.core.money import parse_money
from ledger.db.session import UnitOfWork

from .helpers import assert_same, balances, export_text, ours, write

START = date(2026, 5, 1)
TO = date(2026, 5, 10)


def post(uow: UnitOfWork, entity: str, day: date, amount: str, lines: int = 1) -> int:
    """An entry of `lines` debits to the bank and one credit, on `day`."""
    each = parse_money(amount, "CNY")
    total = parse_money(str(each.amount * lines), "CNY")
    debits = tuple(Posting.debit("1002", each, f"line {i}") for i in range(lines))
    return books.post(uow, JournalEntry(
        entity=entity, effective_date=day, memo=f"{entity} {day} {amount}", actor="tester",
        postings=(*debits, Posting.credit("490101", total)))).seq


@pytest.fixture
def journal(uow: UnitOfWork) -> list[tuple[int, str, date]]:
    """25 entries alternating between the entities, dated out of entry order (a later entry
    may be dated earlier), some across --to."""
    made = []
    for i in range(25):
        entity = "fund" if i % 3 else "foundation"
        day = START + timedelta(days=(i * 7) % 20)
        made.append((post(uow, entity, day, f"{i + 1}.0{i % 10}", lines=1 + i % 4), entity, day))
    return made


def seqs_in(text: str, fmt: str) -> list[int]:
    transaction = r"^\d{4}-\d\d-\d\d \* \((\d+)\)"
    pattern = {"ledger": transaction, "hledger": transaction,
               "beancount": r"^  entry: (\d+)$"}[fmt]
    return [int(n) for n in re.findall(pattern, text, re.MULTILINE)]


@pytest.mark.parametrize("fmt", ["ledger", "hledger", "beancount", "csv"])
def test_the_text_does_not_depend_on_the_batch_size(uow: UnitOfWork, journal: object,
                                                   fmt: str) -> None:
    plan = exports.prepare(uow, fmt)
    whole = list(exports.chunks(uow, plan))
    assert len(whole) == 2  # the header and one batch
    small = list(exports.chunks(uow, plan, batch=4))
    assert len(small) == 1 + 7  # 25 entries in batches of 4
    assert "".join(small) == "".join(whole)


def test_entity_and_date_select_the_entries(uow: UnitOfWork, tmp_path: Path,
                                            journal: list[tuple[int, str, date]]) -> None:
    for entity in ("fund", "foundation", None):
        for to in (TO, None):
            plan, text = export_text(uow, "beancount", entity=entity, to=to, batch=3)
            wanted = [seq for seq, e, day in journal
                      if entity in (None, e) and (to is None or day <= to)]
            assert seqs_in(text, "beancount") == wanted  # entry order, --to inclusive
            assert (plan.entries, plan.last_seq) == (len(wanted), journal[-1][0])
            assert plan.postings == sum(2 + (seq_index % 4) for seq_index, (seq, e, day)
                                        in enumerate(journal) if seq in wanted)
            entities = (entity,) if entity else ("fund", "foundation")
            assert_same(f"beancount {entity} {to}", balances(write(tmp_path, plan, text), plan),
                        ours(uow, entities, to))
    assert any(day == TO for _, _, day in journal)  # the boundary is in the books


def test_entries_posted_after_prepare_are_not_written(uow: UnitOfWork, tmp_path: Path,
                                                      journal: object) -> None:
    plan = exports.prepare(uow, "hledger")
    before = ours(uow, ("fund", "foundation"), None)
    late = post(uow, "fund", START, "999.99")  # dated inside the exported range
    text = "".join(exports.chunks(uow, plan, batch=5))
    assert late not in seqs_in(text, "hledger")
    assert_same("hledger", balances(write(tmp_path, plan, text), plan), before)
    assert ours(uow, ("fund", "foundation"), None) != before


def test_progress_counts_every_posting_once(uow: UnitOfWork, journal: object) -> None:
    plan = exports.prepare(uow, "csv")
    counted: list[int] = []
    text = "".join(exports.chunks(uow, plan, batch=6, progress=counted.append))
    assert sum(counted) == plan.postings == text.count("\r\n") - 1  # one row each, and a header
    assert len(counted) == 5


def test_empty_books_and_unknown_entities(uow: UnitOfWork, tmp_path: Path) -> None:
    for fmt in ("ledger", "hledger", "beancount"):
        plan, text = export_text(uow, fmt, to=TO)
        assert (plan.entries, plan.postings) == (0, 0)
        assert balances(write(tmp_path, plan, text), plan) == {}
    assert export_text(uow, "csv")[1].count("\r\n") == 1
    with pytest.raises(UnknownEntity):
        exports.prepare(uow, "csv", entity="nobody")
