"""The database guards of migration 0008, tried with raw SQL behind the use cases' back, on
SQLite and on PostgreSQL: a period starts open or closing; it moves open -> closing -> closed
(with a close record) -> open (with a reopening record) and never changes its entity or dates;
periods and the kept records (closes, reopenings, sign-offs, statement files) are never changed,
deleted or truncated; a sign-off is of the latest close of a closed period; the statements
stored are of a sign-off that still holds; a business record's entry is never dated inside a
closing period.

Every attempt runs in a transaction of its own. A refused one must name the rule that refused
it; a control that must be accepted is rolled back afterwards, and so is anything a guard
wrongly lets through, so the books stay sound for the after-test checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger import periods as uc

from ..raw_sql import Guards, attempt
from .helpers import Books, raw_entry, snapshot

KEPT = ("period_closes", "period_reopens", "signoffs", "statement_files")
KEPT_WORDS = ("records are kept", "append-only")  # SQLite's message, PostgreSQL's
STARTS = ("a period starts open or closing",)
MOVES = ("a period moves open, closing, closed (with a close record), open (with a reason)",)
CLOSES = ("a period is closed from closing",)
REOPENS = ("only a closed period is reopened",)
SIGNOFF = ("a sign-off is of the latest close of a closed period",)
FILES = ("the statements stored are of a sign-off that still holds",)
STAMP = "2026-11-22 08:00:00+00:00"
PDF = b"%PDF-1.7\n%raw\n"


@dataclass
class Kept:
    ids: dict[str, Any]


@pytest.fixture
def kept(bk: Books) -> Kept:
    """Periods at every stage, and a row in every table of 0008:
    `closed` (the fund's 2026-01): closed, signed off (`signoff1`, its zh statements stored),
    reopened, closed again (`close2`) and signed off again (`signoff2`);
    `closing` (the fund's 2026-02); `reopened` (the fund's 2026-03): closed (`close3`), signed
    off (`signoff3`) and reopened; `unsigned` (the foundation's 2026-01): closed (`close4`),
    not signed off."""
    member = bk.member()
    bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.close("fund", "2026-01")
    bk.sign("fund", "2026-01")
    stored = uc.signed_statement(bk.uow, "fund", "2026-01", "zh", lambda state: PDF)
    assert stored is not None
    bk.reopen("fund", "2026-01")
    bk.close("fund", "2026-01")
    bk.sign("fund", "2026-01")
    uc.start_closing(bk.uow, bk.admin, "fund", "2026-02")
    bk.close("fund", "2026-03")
    bk.sign("fund", "2026-03")
    bk.reopen("fund", "2026-03")
    bk.close("foundation", "2026-01")
    with bk.engine.connect() as conn:
        periods = {f"{e}/{s}": i for i, e, s in conn.execute(text(
            "SELECT id, entity, starts_on FROM periods"))}
        ids: dict[str, Any] = {
            "closed": periods["fund/2026-01-01"], "closing": periods["fund/2026-02-01"],
            "reopened": periods["fund/2026-03-01"],
            "unsigned": periods["foundation/2026-01-01"]}
        closes = [tuple(r) for r in conn.execute(text(
            "SELECT id, period_id FROM period_closes ORDER BY id"))]
        signoffs = [tuple(r) for r in conn.execute(text(
            "SELECT id, close_id FROM signoffs ORDER BY id"))]
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in KEPT}
    assert [p for _, p in closes] == [ids["closed"], ids["closed"], ids["reopened"],
                                      ids["unsigned"]]
    ids |= {"close1": closes[0][0], "close2": closes[1][0], "close3": closes[2][0],
            "close4": closes[3][0], "signoff1": signoffs[0][0], "signoff2": signoffs[1][0],
            "signoff3": signoffs[2][0], "pdf": PDF}
    assert [c for _, c in signoffs] == [ids["close1"], ids["close2"], ids["close3"]]
    assert counts == {"period_closes": 4, "period_reopens": 2, "signoffs": 3,
                      "statement_files": 1}
    return Kept(ids)


# --- running raw SQL --------------------------------------------------------------------------
_guards = Guards(snapshot)
refused, accepted = _guards.refused, _guards.accepted


def period(status: str, month: int = 5, entity: str = "fund") -> str:
    return ("INSERT INTO periods (entity, starts_on, ends_on, status) VALUES"
            f" ('{entity}', '2026-{month:02d}-01', '2026-{month:02d}-28', '{status}')")


def close(of: str) -> str:
    return ("INSERT INTO period_closes (period_id, head_seq, head_hash, balances, closed_at,"
            f" closed_by) VALUES (:{of}, 0, '{'0' * 64}', '{{}}', '{STAMP}', 'raw')")


def reopen(of: str) -> str:
    return ("INSERT INTO period_reopens (period_id, reason, reopened_at, reopened_by) VALUES"
            f" (:{of}, 'raw', '{STAMP}', 'raw')")


def signoff(of: str, close_id: str) -> str:
    return ("INSERT INTO signoffs (period_id, close_id, opinion, notes, verification, signed_at,"
            f" signed_by) VALUES (:{of}, :{close_id}, 'unqualified', '', '{{}}', '{STAMP}',"
            " 'raw')")


def statement_file(of: str, lang: str = "en") -> str:
    return ("INSERT INTO statement_files (signoff_id, lang, sha256, content, created_at) VALUES"
            f" (:{of}, '{lang}', '{'e' * 64}', :pdf, '{STAMP}')")


# --- periods ----------------------------------------------------------------------------------
def periods_start_open(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [period("closed"), period("closed", entity="foundation")], STARTS)
    accepted(engine, kept, period("open"))
    accepted(engine, kept, period("closing"))


def periods_move_in_order(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE periods SET status = 'closed' WHERE id = :closing",  # without a close record
        "UPDATE periods SET status = 'open' WHERE id = :closed",  # without a reopen record
        "UPDATE periods SET status = 'closed' WHERE id = :reopened",  # open -> closed
        "UPDATE periods SET status = 'closing' WHERE id = :closed",  # closed -> closing
        "UPDATE periods SET status = 'open' WHERE id = :unsigned",
        # a period never changes its entity or dates, whatever its status
        "UPDATE periods SET ends_on = '2026-01-30' WHERE id = :closed",
        "UPDATE periods SET starts_on = '2026-01-02' WHERE id = :closed",
        "UPDATE periods SET starts_on = '2026-03-02' WHERE id = :reopened",
        "UPDATE periods SET ends_on = '2026-02-27' WHERE id = :closing",
        "UPDATE periods SET entity = 'foundation' WHERE id = :closing",
        "UPDATE periods SET entity = 'fund' WHERE id = :unsigned",
    ], MOVES)
    # a move counts the records: closed with one close more than reopenings, open with as
    # many reopenings as closes (two records where one is due do not do)
    for statements in ([close("closing"), close("closing"),
                        "UPDATE periods SET status = 'closed' WHERE id = :closing"],
                       [reopen("closed"), reopen("closed"),
                        "UPDATE periods SET status = 'open' WHERE id = :closed"],
                       ["UPDATE periods SET status = 'closing' WHERE id = :reopened",
                        "UPDATE periods SET status = 'closed' WHERE id = :reopened"]):
        message = attempt(engine, statements, kept.ids)
        assert message is not None
        assert MOVES[0] in message, message
    refused(engine, kept, [close("closed"), close("reopened"), close("unsigned")], CLOSES)
    refused(engine, kept, [reopen("closing"), reopen("reopened")], REOPENS)
    # controls: the moves the use cases make, with their records
    accepted(engine, kept, close("closing"),
             "UPDATE periods SET status = 'closed' WHERE id = :closing")
    accepted(engine, kept, reopen("closed"),
             "UPDATE periods SET status = 'open' WHERE id = :closed")
    accepted(engine, kept, reopen("unsigned"),
             "UPDATE periods SET status = 'open' WHERE id = :unsigned")
    accepted(engine, kept, "UPDATE periods SET status = 'closing' WHERE id = :reopened",
             close("reopened"), "UPDATE periods SET status = 'closed' WHERE id = :reopened")
    accepted(engine, kept, "UPDATE periods SET status = status WHERE id = :closed")


# --- kept records -----------------------------------------------------------------------------
def kept_records_are_never_changed_or_deleted(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE period_closes SET balances = '{}' WHERE id = :close2",
        "UPDATE period_closes SET head_seq = 0",
        "UPDATE period_closes SET head_hash = head_hash",  # even a no-op
        "UPDATE period_reopens SET reason = 'x'",
        "UPDATE signoffs SET opinion = 'adverse' WHERE id = :signoff2",
        "UPDATE signoffs SET close_id = :close2 WHERE id = :signoff1",
        "UPDATE statement_files SET content = :pdf",
        "UPDATE statement_files SET sha256 = sha256",
        *[f"DELETE FROM {table}" for table in KEPT],
        "DELETE FROM signoffs WHERE id = :signoff2",
        "DELETE FROM periods WHERE id = :reopened",
        "DELETE FROM periods WHERE id = :closing",
        "DELETE FROM periods",
    ], KEPT_WORDS)


def truncate_is_refused_on_postgresql(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [f"TRUNCATE {table} CASCADE" for table in (*KEPT, "periods")],
            ("append-only",))


# --- sign-offs and statement files ------------------------------------------------------------
def signoffs_of_the_latest_close(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        signoff("closed", "close1"),  # an older close of the period
        signoff("closing", "close2"),  # a period that is not closed
        signoff("reopened", "close3"),  # reopened: open
        signoff("unsigned", "close2"),  # another period's close
    ], SIGNOFF)
    accepted(engine, kept, signoff("unsigned", "close4"))


def files_of_a_signoff_that_holds(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        statement_file("signoff1"),  # voided by the reopening: the period closed again since
        statement_file("signoff1", "zh"),
        statement_file("signoff3"),  # voided: the period is open
    ], FILES)
    accepted(engine, kept, statement_file("signoff2"))
    accepted(engine, kept, statement_file("signoff2", "zh"))


def business_entries_stay_out_of_a_closing_period(engine: Engine) -> None:
    closing = "only adjusting entries are dated inside a closing period"
    for kind in ("deposit", "transfer", "expense", "service", "income", "grant", "campaign"):
        assert closing in (raw_entry(engine, "fund", "2026-02-14", kind) or ""), kind
    for kind in ("voucher", "import", None):
        assert raw_entry(engine, "fund", "2026-02-14", kind) is None, kind
    assert raw_entry(engine, "fund", "2026-02-14", "deposit", reverses=1) is None
    assert raw_entry(engine, "foundation", "2026-02-14", "income") is None
    assert raw_entry(engine, "fund", "2026-03-14", "deposit") is None  # reopened: open
    assert "closed period" in (raw_entry(engine, "fund", "2026-01-14", "voucher") or "")


# --- the tests --------------------------------------------------------------------------------
def test_periods_start_open_and_move_in_order(engine: Engine, kept: Kept) -> None:
    periods_start_open(engine, kept)
    periods_move_in_order(engine, kept)


def test_records_are_never_changed_deleted_or_truncated(engine: Engine, kept: Kept) -> None:
    kept_records_are_never_changed_or_deleted(engine, kept)
    if engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE (DELETE is tried above)
        truncate_is_refused_on_postgresql(engine, kept)


def test_signoffs_files_and_entries_follow_the_rules(engine: Engine, kept: Kept) -> None:
    signoffs_of_the_latest_close(engine, kept)
    files_of_a_signoff_that_holds(engine, kept)
    business_entries_stay_out_of_a_closing_period(engine)
