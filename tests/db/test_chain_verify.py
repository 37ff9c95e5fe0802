"""`ledger.db.chain.verify` and `flask ledger verify`: good books pass; books changed behind
the service's back (triggers switched off in the tampering transaction) name the first bad
entry."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import bindparam, text

from ledger import books
from ledger.core.chain import GENESIS
from ledger.db.chain import ChainReport, verify, verify_audit
from ledger.db.models import UTCDateTime
from ledger.db.session import UnitOfWork

tampers = pytest.mark.tampers


@pytest.fixture
def five(post_some: Callable[..., list[Any]]) -> list[Any]:
    """Five good entries: #1..#5, fund and foundation alternating."""
    return [e for i in range(5) for e in post_some(1, entity=("fund", "foundation")[i % 2])]


def check(uow: UnitOfWork) -> ChainReport:
    return uow.read(verify)


def test_good_books_verify(uow: UnitOfWork, five: list[Any]):
    assert check(uow) == ChainReport(checked=5, head_seq=5, head_hash=five[-1].hash)
    assert [e.seq for e in five] == [1, 2, 3, 4, 5]
    assert five[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in pairwise(five))
    books.reverse_entry(uow, 2, actor="auditor")
    seen: list[int] = []
    report = uow.read(lambda s: verify(s, seen.append))
    assert (report.ok, report.checked, report.head_seq) == (True, 6, 6)
    assert seen == [6]  # progress reported once per batch, with the last entry checked


def test_empty_books_verify(uow: UnitOfWork):
    assert check(uow) == ChainReport(checked=0, head_seq=0, head_hash=GENESIS)


def assert_first_bad(uow: UnitOfWork, five: list[Any], seq: int, reason: str) -> ChainReport:
    report = check(uow)
    assert not report.ok
    assert report.first_bad == seq
    assert reason in (report.reason or "")
    # Everything before the bad entry verified, and the report says up to where.
    assert (report.checked, report.head_seq) == (seq - 1, seq - 1)
    assert report.head_hash == (five[seq - 2].hash if seq > 1 else GENESIS)
    return report


@tampers
def test_a_changed_amount_is_found(uow: UnitOfWork, five: list[Any], tamper: Any):
    with tamper() as conn:  # entry #3 still balances: debit and credit both + 1 fen
        changed = conn.execute(text(
            "UPDATE postings SET debit = debit + 1 WHERE entry_seq = 3 AND debit > 0")).rowcount
        changed += conn.execute(text(
            "UPDATE postings SET credit = credit + 1 WHERE entry_seq = 3 AND credit > 0")).rowcount
    assert changed == 2
    assert books.trial_balance(uow, five[2].entity).balanced  # nothing else would notice
    assert_first_bad(uow, five, 3, "was altered")


@tampers
def test_an_unbalancing_change_is_found(uow: UnitOfWork, five: list[Any], tamper: Any):
    with tamper() as conn:
        conn.execute(text("UPDATE postings SET credit = credit + 1 WHERE entry_seq = 3"
                          " AND credit > 0"))
    assert_first_bad(uow, five, 3, "does not balance")


@tampers
def test_a_changed_memo_is_found(uow: UnitOfWork, five: list[Any], tamper: Any):
    with tamper() as conn:
        conn.execute(text("UPDATE journal_entries SET memo = 'nothing to see' WHERE seq = 2"))
    assert_first_bad(uow, five, 2, "was altered")


@tampers
def test_a_changed_posting_memo_or_account_is_found(uow: UnitOfWork, five: list[Any],
                                                    tamper: Any, raw: Any):
    with tamper() as conn:
        conn.execute(text("UPDATE postings SET memo = 'x' WHERE entry_seq = 4 AND line = 2"))
        conn.execute(text("UPDATE postings SET account_id = :cash WHERE entry_seq = 5 AND"
                          " line = 1"), {"cash": raw.account_id("fund", "1001")})
    assert_first_bad(uow, five, 4, "was altered")


@tampers
def test_a_posting_moved_to_the_other_entity_is_found(uow: UnitOfWork, five: list[Any],
                                                      tamper: Any, raw: Any):
    # Entry #3 is the fund's; "1002" exists in both charts, so the hash alone would not see it.
    assert five[2].entity == "fund"
    with tamper() as conn:
        conn.execute(text("UPDATE postings SET account_id = :other WHERE entry_seq = 3 AND"
                          " line = 1"), {"other": raw.account_id("foundation", "1002")})
    assert_first_bad(uow, five, 3, "moved to another entity")


@tampers
def test_a_deleted_entry_is_found_as_a_gap(uow: UnitOfWork, five: list[Any], tamper: Any):
    with tamper() as conn:
        conn.execute(text("DELETE FROM postings WHERE entry_seq = 4"))
        conn.execute(text("DELETE FROM journal_entries WHERE seq = 4"))
    report = assert_first_bad(uow, five, 4, "is missing")
    assert "#5" in (report.reason or "")


@tampers
def test_swapped_entries_are_found_at_the_lower_number(uow: UnitOfWork, five: list[Any],
                                                       tamper: Any, raw: Any):
    with tamper() as conn:  # entries #2 and #4 trade places, postings and all
        for table, column in (("journal_entries", "seq"), ("postings", "entry_seq")):
            for old, new in ((2, 1000), (4, 2), (1000, 4)):
                conn.execute(text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                             {"old": old, "new": new})
    assert raw.scalar("SELECT hash FROM journal_entries WHERE seq = 2") == five[3].hash
    assert_first_bad(uow, five, 2, "does not link")


@tampers
def test_a_changed_recorded_at_is_found(uow: UnitOfWork, five: list[Any], tamper: Any):
    earlier = five[2].recorded_at - timedelta(microseconds=1)
    with tamper() as conn:
        conn.execute(text("UPDATE journal_entries SET recorded_at = :at WHERE seq = 3")
                     .bindparams(bindparam("at", earlier, type_=UTCDateTime())))
    assert books.entry(uow, 3).recorded_at == earlier
    assert_first_bad(uow, five, 3, "was altered")


@tampers
def test_a_rewritten_tail_with_a_broken_link_is_found(uow: UnitOfWork, five: list[Any],
                                                      tamper: Any):
    with tamper() as conn:  # the forger recomputes nothing: only the head's link is changed
        conn.execute(text("UPDATE journal_entries SET prev_hash = :h WHERE seq = 5"),
                     {"h": "0" * 64})
    assert_first_bad(uow, five, 5, "does not link")


# --- the command line ------------------------------------------------------------------------
def test_cli_verify_ok(runner: Any, five: list[Any]):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert f"ok: 5 entries verified; head #5 {five[-1].hash}" in result.stdout


@tampers
def test_cli_verify_names_the_first_bad_entry(runner: Any, five: list[Any], tamper: Any):
    with tamper() as conn:
        conn.execute(text("UPDATE postings SET debit = debit + 1 WHERE entry_seq = 3 AND"
                          " debit > 0"))
        conn.execute(text("UPDATE postings SET credit = credit + 1 WHERE entry_seq = 3 AND"
                          " credit > 0"))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "FAILED at entry #3" in result.stderr
    assert "2 entries before it verified" in result.stderr
    assert "ok:" not in result.stdout


@tampers
def test_postings_that_belong_to_no_entry_are_found(uow: UnitOfWork, five: list[Any],
                                                    raw: Any, tamper: Any, engine: Any):
    cash, income = raw.account_id("fund", "1002"), raw.account_id("fund", "420101")
    orphans = ("INSERT INTO postings (entry_seq, line, account_id, effective_date, currency,"
               " debit, credit, memo) VALUES (99, 1, :cash, :day, 'CNY', 100000000, 0, ''),"
               " (99, 2, :income, :day, 'CNY', 0, 100000000, '')")
    params = {"cash": cash, "income": income, "day": five[0].effective_date.isoformat()}
    if raw.dialect == "postgresql":
        with tamper() as conn:  # replica role: no seal, no deferred foreign key
            conn.execute(text(orphans), params)
    else:  # any plain sqlite3 connection, e.g. the sqlite3 shell, has foreign keys off
        with closing(sqlite3.connect(engine.url.database)) as conn, conn:
            conn.execute(orphans, params)
    assert raw.counts() == (5, 12)
    fund = books.account_balance(uow, "fund", "1002", five[0].effective_date)
    # The money is in the books: on SQLite the day totals' trigger counted it; PostgreSQL's
    # replica role skipped that trigger, so there the totals no longer match the postings...
    assert (fund[0].debits > 100000000) is (raw.dialect == "sqlite")
    report = check(uow)
    assert not report.ok, "... but verify says the books are fine"


# --- naming the first bad entry when a link breaks --------------------------------------------
def _insert_triggers_off(conn: Any, dialect: str) -> None:
    """The tamper fixture keeps SQLite's insert checks; a forger inserting mid-chain drops
    them too (PostgreSQL's replica role has already switched them off)."""
    if dialect == "sqlite":
        for trigger in ("journal_entries_admissible", "postings_sealed"):
            conn.execute(text(f"DROP TRIGGER {trigger}"))


@tampers
def test_an_entry_replaced_with_a_recomputed_hash_is_named(uow: UnitOfWork, five: list[Any],
                                                           tamper: Any, raw: Any):
    # #3 links correctly and matches its own hash; only #4's link shows the change.
    forged = replace(raw.entry(), seq=3, prev_hash=five[1].hash).rehash()
    with tamper() as conn:
        _insert_triggers_off(conn, raw.dialect)
        conn.execute(text("DELETE FROM postings WHERE entry_seq = 3"))
        conn.execute(text("DELETE FROM journal_entries WHERE seq = 3"))
        raw.write(conn, forged)
    assert_first_bad(uow, five, 3, "entry #3 was rewritten")


@tampers
def test_an_entry_inserted_mid_chain_is_named(uow: UnitOfWork, five: list[Any], tamper: Any,
                                              raw: Any):
    forged = replace(raw.entry(), seq=3, prev_hash=five[1].hash).rehash()
    with tamper() as conn:  # #3..#5 become #4..#6, a forged #3 links to #2
        _insert_triggers_off(conn, raw.dialect)
        for table, column in (("journal_entries", "seq"), ("postings", "entry_seq")):
            for old in (5, 4, 3):
                conn.execute(text(f"UPDATE {table} SET {column} = {old + 1} WHERE {column} ="
                                  f" {old}"))
        raw.write(conn, forged)
    assert_first_bad(uow, five, 3, "entry #3 was inserted: #4 links to #2")


@tampers
def test_the_last_entry_removed_is_found_by_the_audit_log(uow: UnitOfWork, five: list[Any],
                                                          tamper: Any):
    with tamper() as conn:  # the chain alone ends well at #4; the audit log recorded #5
        conn.execute(text("DELETE FROM postings WHERE entry_seq = 5"))
        conn.execute(text("DELETE FROM journal_entries WHERE seq = 5"))
    assert_first_bad(uow, five, 5, "entry #5 is missing: audit record")


@tampers
def test_an_unreadable_audit_record_is_named(uow: UnitOfWork, five: list[Any], tamper: Any,
                                             raw: Any):
    with tamper() as conn:  # details no longer JSON
        if raw.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET details = '{' WHERE seq = 2"))
    report = uow.read(verify_audit)
    assert (report.first_bad, report.checked) == (2, 1)
    assert "beyond reading" in (report.reason or "")
