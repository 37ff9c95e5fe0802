"""The database itself refuses what the core refuses, even to raw SQL written by hand.

Each refusal is tried with a well-formed raw entry (which the database accepts, see
`test_a_well_formed_raw_entry_is_accepted`) that has exactly one thing wrong; the error message
must name the rule that refused it, and afterwards every row of the ledger's tables is as it
was. A fresh database costs ~0.5 s on PostgreSQL, so related cases share one test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger import books
from ledger.db.chain import verify
from ledger.db.session import UnitOfWork


def refused(raw: Any, work: Callable[[Connection], Any], match: str) -> DBAPIError:
    """Run `work` in one transaction; it must fail with IntegrityError and change nothing."""
    before = raw.snapshot()
    with pytest.raises(IntegrityError, match=match) as info, raw.engine.begin() as conn:
        work(conn)
    assert raw.snapshot() == before
    return info.value


def sql(statement: str, **params: Any) -> Callable[[Connection], Any]:
    return lambda conn: conn.execute(text(statement), params)


@pytest.fixture
def posted(post_some: Callable[..., list[Any]]) -> list[Any]:
    """Two good entries posted through the service (#1 and #2, both of the fund)."""
    return post_some(2)


# --- a control: the builders make entries the database accepts --------------------------------
def test_a_well_formed_raw_entry_is_accepted(raw: Any, posted: list[Any], uow: UnitOfWork):
    entry = raw.entry()
    assert (entry.seq, entry.prev_hash) == (3, posted[-1].hash)
    with raw.engine.begin() as conn:
        raw.write(conn, entry)
    assert raw.head() == (3, entry.hash)
    assert raw.counts() == (3, 6)
    report = uow.read(verify)
    assert (report.ok, report.checked, report.head_hash) == (True, 3, entry.hash)
    assert books.entry(uow, 3).hash == entry.hash


# --- posted entries never change -------------------------------------------------------------
UPDATES_AND_DELETES = [
    "UPDATE journal_entries SET memo = 'changed' WHERE seq = 1",
    "UPDATE journal_entries SET memo = memo WHERE seq = 2",  # even a no-op update
    "UPDATE journal_entries SET recorded_at = recorded_at, hash = hash",
    "UPDATE postings SET debit = debit + 1 WHERE entry_seq = 1 AND line = 1",
    "UPDATE postings SET credit = 1, debit = 0 WHERE entry_seq = 2 AND line = 1",
    "UPDATE postings SET memo = 'changed'",
    "UPDATE postings SET account_id = account_id",
    "DELETE FROM journal_entries WHERE seq = 2",
    "DELETE FROM journal_entries",
    "DELETE FROM postings WHERE entry_seq = 2",
    "DELETE FROM postings",
]


def test_posted_entries_cannot_be_updated_or_deleted(raw: Any, posted: list[Any]):
    for statement in UPDATES_AND_DELETES:
        refused(raw, sql(statement), match="append-only")

    def balanced_change(conn: Connection) -> None:  # both amounts of entry #1, still balanced
        conn.execute(text("UPDATE postings SET credit = credit + 1 "
                          "WHERE entry_seq = 1 AND credit > 0"))
        conn.execute(text("UPDATE postings SET debit = debit + 1 "
                          "WHERE entry_seq = 1 AND debit > 0"))

    refused(raw, balanced_change, match="append-only")

    def delete_whole_entry(conn: Connection) -> None:  # postings first, then the header
        conn.execute(text("DELETE FROM postings WHERE entry_seq = 2"))
        conn.execute(text("DELETE FROM journal_entries WHERE seq = 2"))

    refused(raw, delete_whole_entry, match="append-only")


def test_truncate_is_refused_on_postgresql(pg_only: None, raw: Any, posted: list[Any]):
    for tables in ("postings", "journal_entries CASCADE",
                   "postings, journal_entries, vouchers, deposits, transfers, expenses,"
                   " bridging_services, incomes, grants, grant_tranches, clawbacks,"
                   " restriction_releases, evaluations, campaigns, campaign_households,"
                   " campaign_payments, campaign_refunds, campaign_subsidies, campaign_imports,"
                   " campaign_contractor_payments, campaign_leftovers, campaign_shortfalls,"
                   " merkle_nodes, account_day_totals",
                   "postings RESTART IDENTITY"):
        refused(raw, sql(f"TRUNCATE {tables}"), match="append-only")
    # Without CASCADE PostgreSQL refuses even before the trigger (postings refer to entries).
    before = raw.snapshot()
    with pytest.raises(DBAPIError, match="foreign key"), raw.engine.begin() as conn:
        conn.execute(text("TRUNCATE journal_entries"))
    assert raw.snapshot() == before


# --- one posting's own rules (CHECK constraints) ----------------------------------------------
def test_a_posting_needs_exactly_one_positive_side(raw: Any, posted: list[Any]):
    cases = [
        (500, 500, "ck_postings_one_side"),  # both debit and credit
        (0, 0, "ck_postings_one_side"),  # neither
        (-500, 0, "ck_postings_(one_side|not_negative)"),  # negative (both CHECKs fail)
        (0, -500, "ck_postings_(one_side|not_negative)"),
        (-500, 1000, "ck_postings_not_negative"),  # one side positive, the other negative
    ]
    for debit, credit, match in cases:
        entry = raw.entry([raw.line("fund", "1002", debit=debit, credit=credit),
                           raw.line("fund", "420101", credit=500)])
        refused(raw, lambda conn, e=entry: raw.insert_postings(conn, e), match=match)
        refused(raw, lambda conn, e=entry: raw.write(conn, e), match=match)
    bad_currency = raw.entry([raw.line("fund", "1002", debit=500, currency="CN"),
                              raw.line("fund", "420101", credit=500, currency="CN")])
    refused(raw, lambda conn: raw.write(conn, bad_currency), match="ck_postings_currency")


# --- a whole entry's rules (checked when the header is written, or at commit) ----------------
def test_an_entry_must_balance_per_currency(raw: Any, posted: list[Any]):
    cases = [
        [("1002", 500, 0, "CNY"), ("420101", 0, 499, "CNY")],  # credit one fen short
        [("1002", 500, 0, "CNY"), ("420101", 0, 500, "CNY"), ("5201", 1, 0, "CNY")],
        [("1002", 500, 0, "CNY"), ("1001", 500, 0, "CNY")],  # debits only
        [("1002", 500, 0, "CNY"), ("420101", 0, 500, "USD")],  # balanced only across currencies
        [("1002", 500, 0, "CNY"), ("420101", 0, 500, "CNY"),
         ("1001", 300, 0, "USD"), ("420101", 0, 200, "USD")],
    ]
    for lines in cases:
        entry = raw.entry([raw.line("fund", c, debit=d, credit=k, currency=cur)
                           for c, d, k, cur in lines])
        refused(raw, lambda conn, e=entry: raw.write(conn, e), match="does not balance")


def test_an_entry_needs_at_least_two_postings(raw: Any, posted: list[Any]):
    for count in (0, 1):
        entry = raw.entry([raw.line("fund", "1002", debit=500)][:count])
        refused(raw, lambda conn, e=entry: raw.write(conn, e), match="two postings")


def test_an_unbalanced_entry_fails_at_the_latest_at_commit(raw: Any, posted: list[Any]):
    """On PostgreSQL the balance check is a deferred constraint trigger: the header's insert
    succeeds and the COMMIT fails; on SQLite the header's insert trigger fails at once."""
    entry = raw.entry([raw.line("fund", "1002", debit=500),
                       raw.line("fund", "420101", credit=400)])
    header_written = []

    def work(conn: Connection) -> None:
        raw.write(conn, entry)
        header_written.append(True)

    refused(raw, work, match="does not balance")
    assert header_written == ([True] if raw.dialect == "postgresql" else [])


def test_postings_without_a_header_fail_at_commit(raw: Any, posted: list[Any]):
    """The deferred foreign key: the inserts succeed, the commit does not."""
    entry = raw.entry()
    inserted = []

    def work(conn: Connection) -> None:
        raw.insert_postings(conn, entry)  # accepted for now: the header may still come
        inserted.append(conn.execute(text("SELECT count(*) FROM postings WHERE entry_seq = :s"),
                                     {"s": entry.seq}).scalar())

    refused(raw, work, match="FOREIGN KEY" if raw.dialect == "sqlite" else "fk_postings_entry_seq")
    assert inserted == [2]  # so it was the COMMIT that refused them


def test_postings_cannot_be_added_to_a_posted_entry(raw: Any, posted: list[Any]):
    # A balanced pair, with the right date and entity, added to #1: still refused.
    pair = raw.entry([raw.line("fund", "1001", debit=7), raw.line("fund", "420101", credit=7)],
                     seq=1)
    refused(raw, lambda conn: raw.insert_postings(conn, pair, first_line=3),
            match="already posted")
    # ... nor to the head, nor to an entry written earlier in the same transaction.
    refused(raw, lambda conn: raw.insert_postings(conn, replace(pair, seq=2), first_line=3),
            match="already posted")
    fresh = raw.entry()

    def same_transaction(conn: Connection) -> None:
        raw.write(conn, fresh)
        raw.insert_postings(conn, replace(pair, seq=fresh.seq), first_line=3)

    refused(raw, same_transaction, match="already posted")


def test_the_chain_admits_only_the_next_number_linked_to_the_head(raw: Any, uow: UnitOfWork):
    # Empty books: the first entry is #1 and links to the genesis hash.
    refused(raw, lambda conn: raw.write(conn, raw.entry(prev_hash="1" * 64)), match="prev_hash")
    refused(raw, lambda conn: raw.write(conn, raw.entry(seq=2)), match="without a gap")
    for _ in range(3):
        with raw.engine.begin() as conn:
            raw.write(conn, raw.entry())
    seq, head_hash = raw.head()
    assert seq == 3
    hashes = [h for (h,) in raw.rows("SELECT hash FROM journal_entries ORDER BY seq")]
    # A gap (or a number from the future) is refused...
    for gap in (seq + 2, seq + 100):
        refused(raw, lambda conn, g=gap: raw.write(conn, raw.entry(seq=g)), match="without a gap")
    # ... and so is a prev_hash that is not the head's hash.
    for wrong in ("0" * 64, hashes[0], hashes[1], raw.entry().hash, "f" * 64):
        assert wrong != head_hash
        refused(raw, lambda conn, w=wrong: raw.write(conn, raw.entry(prev_hash=w)),
                match="prev_hash")
    # A number already taken is refused too: the seal stops the postings first (PostgreSQL
    # checks the seal after each insert statement, so there the postings' key stops them).
    refused(raw, lambda conn: raw.write(conn, raw.entry(seq=seq, prev_hash=hashes[1])),
            match="already posted|pk_postings")
    assert uow.read(verify).checked == 3


def test_postings_must_belong_to_the_entrys_entity_and_date(raw: Any, posted: list[Any]):
    other_entity = raw.entry([raw.line("fund", "1002", debit=500),
                              raw.line("foundation", "410101", credit=500)])
    refused(raw, lambda conn: raw.write(conn, other_entity), match="another entity")
    # The same code in the other entity's chart ("1002" exists in both) is another account.
    same_code = raw.entry([raw.line("foundation", "1002", debit=500),
                           raw.line("fund", "420101", credit=500)])
    refused(raw, lambda conn: raw.write(conn, same_code), match="another entity")
    all_foreign = raw.entry([raw.line("foundation", "1002", debit=500),
                             raw.line("foundation", "410101", credit=500)], entity="fund")
    refused(raw, lambda conn: raw.write(conn, all_foreign), match="another entity")
    other_date = raw.entry([raw.line("fund", "1002", debit=500, effective_date=date(2026, 1, 1)),
                            raw.line("fund", "420101", credit=500)])
    refused(raw, lambda conn: raw.write(conn, other_date), match="dated otherwise")


def test_an_entry_dated_in_a_closed_period_is_refused(raw: Any, posted: list[Any]):
    with raw.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO periods (entity, starts_on, ends_on, status) VALUES "
            "('fund', '2026-10-01', '2026-10-31', 'closing'), "
            "('fund', '2026-12-01', '2026-12-31', 'open'), "
            "('fund', '2027-01-01', '2027-01-31', 'closing'), "
            "('foundation', '2026-11-01', '2026-11-30', 'closing')"))
        # closed the only way the database allows: a close record, then the status
        conn.execute(text(
            "INSERT INTO period_closes (period_id, head_seq, head_hash, balances, closed_at,"
            " closed_by) SELECT id, 0, :hash, '{}', '2026-11-01 00:00:00', 'test' FROM periods"
            " WHERE (entity, starts_on) IN (('fund', '2026-10-01'), ('foundation', '2026-11-01'))"),
            {"hash": "0" * 64})
        conn.execute(text("UPDATE periods SET status = 'closed' WHERE id IN"
                          " (SELECT period_id FROM period_closes)"))
    for day in (date(2026, 10, 1), date(2026, 10, 17), date(2026, 10, 31)):
        refused(raw, lambda conn, d=day: raw.write(conn, raw.entry(day=d)), match="closed period")
    # Closing locks every date up to the period's end: the day before is refused as well.
    refused(raw, lambda conn: raw.write(conn, raw.entry(day=date(2026, 9, 30))),
            match="closed period")
    # After it, in an open or closing period, in another entity's closed period: accepted.
    for day in (date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 5), date(2027, 1, 2)):
        with raw.engine.begin() as conn:
            raw.write(conn, raw.entry(day=day))
    assert raw.counts() == (6, 12)
    foundation = raw.entry([raw.line("foundation", "1002", debit=9),
                            raw.line("foundation", "410101", credit=9)],
                           entity="foundation", day=date(2026, 11, 30))
    refused(raw, lambda conn: raw.write(conn, foundation), match="closed period")


# --- accounts --------------------------------------------------------------------------------
def test_an_accounts_code_entity_and_type_never_change(raw: Any, posted: list[Any]):
    unused = raw.account_id("fund", "1001")  # no postings, so no foreign key is involved
    used = raw.account_id("fund", "1002")
    for account in (unused, used):
        for assignment in ("code = '1003'", "entity = 'foundation'", "type = 'liability'",
                           "entity = 'foundation', code = '9999'", "code = code || 'X'",
                           "type = 'expense', name_en = 'x'"):
            refused(raw, sql(f"UPDATE accounts SET {assignment} WHERE id = :id", id=account),
                    match="never change")
    # Names (and a no-op on the identity) may change.
    with raw.engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET name_en = 'Bank', code = code WHERE id = :id"),
                     {"id": used})
    assert raw.scalar("SELECT name_en FROM accounts WHERE id = :id", id=used) == "Bank"
    # An account that has postings cannot be deleted.
    refused(raw, sql("DELETE FROM accounts WHERE id = :id", id=used),
            match="FOREIGN KEY" if raw.dialect == "sqlite" else "fk_postings_account_id")
