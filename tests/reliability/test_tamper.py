"""Tamper evidence (issue 10, part 5), the CI subset of `python -m bench.tamper`: a book of 500
entries posted through the posting path, every kind of tampering twice behind the service's
back, each time restored from a pristine copy; `verify`, `verify_audit` and
`flask ledger verify` must fail and name the first bad record. Weakened verifiers are caught
by the same harness, and what a hash chain cannot see without an outside anchor is shown."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from ledger.db import chain

BOOK = 500
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tamper(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))  # bench/ is not an installed package
    return importlib.import_module("bench.tamper")


def copies_of(tamper: ModuleType, backend: str, engine: Engine, folder: Path) -> Any:
    """The test's database becomes the pristine book; tamperings happen on a copy of it
    (PostgreSQL: cloned once, then its tables copied back; `bench.tamper` clones each time)."""
    engine.dispose()  # PostgreSQL clones only a database nobody is connected to
    if backend == "sqlite":
        tamper.pristine_sqlite(engine, folder / "pristine.sqlite3")
        return tamper.SQLiteCopies(folder / "pristine.sqlite3", folder)
    return tamper.PostgresCopies(engine.url.render_as_string(hide_password=False), tables=True)


@pytest.fixture
def book(tamper: ModuleType, backend: str, engine: Engine, tmp_path: Path) -> tuple[Any, Any]:
    tamper.build(engine, BOOK)
    snap = tamper.Snapshot.load(engine)
    return copies_of(tamper, backend, engine, tmp_path), snap


def test_every_kind_of_tampering_is_caught_and_named(tamper: ModuleType, book: Any):
    copies, snap = book
    tally = tamper.run(copies, snap, 2 * len(tamper.KINDS), seed=5, each=True, cli_every=3)
    kinds = set(tamper.KINDS) - ({"file bytes (SQLite)"} if copies.dialect != "sqlite" else set())
    assert {o.kind for o in tally.outcomes} == kinds
    assert not tally.misses, tally.table()
    assert not tally.misnamed, tally.table()
    assert all(o.named for o in tally.outcomes), tally.table()


class _Same(str):
    """A hash equal to every other: the comparison is skipped."""

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False


WEAKENED: dict[str, tuple[str, Any, tuple[str, ...]]] = {
    # name: (attribute of ledger.db.chain, replacement, kinds of tampering tried)
    "entry hashes not compared": (
        "link", lambda *a, **k: _Same(), ("amount, balanced", "memo or other field")),
    "audit hashes not compared": ("audit_link", lambda *a, **k: _Same(), ("audit altered",)),
    "daily totals not recomputed": (
        "_day_total_differing", lambda session: None, ("daily total",)),
    "audit log's posted entries ignored": (
        "_last_recorded_entry", lambda session: None, ("entry deleted",)),
    "a broken link blamed where it shows": (
        "_broken_link", lambda session, table, seq, prev, hash_as, what: (seq, "no link"),
        ("entry forged", "audit forged")),
}


@pytest.mark.parametrize("weakness", sorted(WEAKENED))
def test_a_weakened_verifier_is_caught(tamper: ModuleType, weakness: str, backend: str,
                                       request: Any,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if backend != "sqlite":
        pytest.skip("the harness itself is checked once; it runs the same code on PostgreSQL")
    engine = request.getfixturevalue("engine")
    tamper.build(engine, 60)
    snap = tamper.Snapshot.load(engine)
    copies = copies_of(tamper, backend, engine, tmp_path)
    attribute, replacement, kinds = WEAKENED[weakness]
    monkeypatch.setattr(chain, attribute, replacement)
    weak = tamper.run(copies, snap, 6, seed=3, kinds={k: tamper.KINDS[k] for k in kinds},
                      cli_every=6)  # the full verifier names every one (the test above)
    assert weak.misses or weak.misnamed, f"the harness did not notice: {weakness}\n" \
        + weak.table()


def _append_rehashed(tamper: ModuleType, copies: Any, snap: Any, rng: Any) -> Any:
    seq = snap.last + 1
    header, lines = tamper._forged_entry(snap, seq, snap.entries[snap.last]["hash"], rng,
                                         rehash=True)
    with copies.tampering() as conn:
        conn.execute(insert(tamper.P), lines)
        conn.execute(insert(tamper.E), [header])
        if copies.dialect == "postgresql":  # triggers off: the forger adds to the totals
            for p in lines:
                if not conn.execute(tamper.T.update().where(tamper._line_key(p)).values(
                        debit=tamper.T.c.debit + p["debit"],
                        credit=tamper.T.c.credit + p["credit"])).rowcount:
                    conn.execute(insert(tamper.T), [{k: p[k] for k in (
                        "account_id", "effective_date", "currency", "debit", "credit")}])
    return tamper.Expected(tamper.ENTRY, seq, "forged entry appended, hash recomputed")


def _tail_and_its_record_removed(tamper: ModuleType, copies: Any, snap: Any, rng: Any) -> Any:
    last_audit = max(snap.audit)
    first = int(snap.audit[last_audit]["object_id"].partition("-")[0])
    with copies.tampering() as conn:
        conn.execute(tamper.P.delete().where(tamper.P.c.entry_seq >= first))
        conn.execute(tamper.E.delete().where(tamper.E.c.seq >= first))
        conn.execute(tamper.A.delete().where(tamper.A.c.seq == last_audit))
        for p in (p for seq in range(first, snap.last + 1) for p in snap.postings[seq]):
            conn.execute(tamper.T.update().where(tamper._line_key(p)).values(
                debit=tamper.T.c.debit - p["debit"], credit=tamper.T.c.credit - p["credit"]))
        conn.execute(tamper.T.delete().where((tamper.T.c.debit == 0) & (tamper.T.c.credit == 0)))
    return tamper.Expected(tamper.ENTRY, first, "last batch and its audit record removed")


def test_what_a_chain_cannot_see_without_an_anchor(tamper: ModuleType, backend: str,
                                                    request: Any, tmp_path: Path):
    """Known limits (documented in bench/tamper.py): a forger who recomputes the hash of an
    appended entry, or removes the last entries with the audit record of them (and corrects
    the daily totals), leaves books that verify. A published head hash or a signed period's
    Merkle root is what catches those. (SQLite only: the same on both, and CI time.)"""
    if backend != "sqlite":
        pytest.skip("shown once")
    engine = request.getfixturevalue("engine")
    tamper.build(engine, 30)
    snap = tamper.Snapshot.load(engine)
    copies = copies_of(tamper, backend, engine, tmp_path)
    limits = {name: functools.partial(kind, tamper) for name, kind in
              (("appended", _append_rehashed), ("truncated", _tail_and_its_record_removed))}
    tally = tamper.run(copies, snap, 2, kinds=limits, each=True)
    assert len(tally.misses) == 2, tally.table()
