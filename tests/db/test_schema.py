"""The schema: the Alembic migration builds what the models describe (plus the triggers), the
SQLite connection settings, and upgrade / downgrade round trips."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from ledger.core.chart import CHARTS, ENTITIES
from ledger.db import migrate
from ledger.db.chain import verify
from ledger.db.models import Base
from ledger.db.session import SQLITE_BUSY_TIMEOUT_MS, UnitOfWork, make_engine

TRIGGERS = {
    "postgresql": {
        ("accounts", "accounts_identity"),
        ("journal_entries", "journal_entries_admissible"),
        ("journal_entries", "journal_entries_append_only"),
        ("journal_entries", "journal_entries_balanced"),
        ("journal_entries", "journal_entries_no_truncate"),
        ("postings", "postings_append_only"),
        ("postings", "postings_no_truncate"),
        ("postings", "postings_sealed"),
        ("audit_log", "audit_log_admissible"),
        ("audit_log", "audit_log_append_only"),
        ("audit_log", "audit_log_no_truncate"),
        ("deposits", "deposits_fixed"),
        ("deposits", "deposits_append_only"),
        ("split_policies", "split_policies_append_only"),
        ("transfers", "transfers_append_only"),
        ("expenses", "expenses_append_only"),
        ("deposits", "deposits_no_truncate"),
        ("split_policies", "split_policies_no_truncate"),
        ("transfers", "transfers_no_truncate"),
        ("expenses", "expenses_no_truncate"),
    },
    "sqlite": {
        ("accounts", "accounts_identity"),
        ("journal_entries", "journal_entries_admissible"),
        ("journal_entries", "journal_entries_no_delete"),
        ("journal_entries", "journal_entries_no_update"),
        ("postings", "postings_no_delete"),
        ("postings", "postings_no_update"),
        ("postings", "postings_sealed"),
        ("audit_log", "audit_log_admissible"),
        ("audit_log", "audit_log_no_delete"),
        ("audit_log", "audit_log_no_update"),
        ("deposits", "deposits_fixed"),
        ("deposits", "deposits_no_delete"),
        ("split_policies", "split_policies_no_delete"),
        ("split_policies", "split_policies_no_update"),
        ("transfers", "transfers_no_delete"),
        ("transfers", "transfers_no_update"),
        ("expenses", "expenses_no_delete"),
        ("expenses", "expenses_no_update"),
    },
}
# The foundation's grant records (migration 0006): kept as written, or never deleted, plus
# the rules a row must meet.
GRANT_KEPT = ("incomes", "restriction_releases", "declarations", "scores", "votes",
              "assembly_votes", "resolutions", "evaluations", "clawbacks", "attachments")
GRANT_NOT_DELETED = ("grantees", "grant_rounds", "round_criteria", "round_reviewers",
                     "applications", "application_budget_lines", "application_tranches",
                     "grants", "grant_tranches")
GRANT_RULES = {("declarations", "declarations_by_reviewer"),
               ("scores", "scores_need_declaration"), ("votes", "votes_need_declaration"),
               ("grants", "grants_within_budget"),
               ("restriction_releases", "releases_within_income"),
               ("grants", "grants_fixed"), ("grant_tranches", "tranches_fixed"),
               ("grant_tranches", "final_tranche_evaluated"),
               ("grant_tranches", "final_tranche_evaluated_on_insert"),
               ("grant_rounds", "rounds_budget_covers_commitments")}
TRIGGERS["postgresql"] |= GRANT_RULES | {
    (t, f"{t}_append_only") for t in GRANT_KEPT} | {
    (t, f"{t}_no_delete") for t in GRANT_NOT_DELETED} | {
    (t, f"{t}_no_truncate") for t in (*GRANT_KEPT, *GRANT_NOT_DELETED)}
TRIGGERS["sqlite"] |= GRANT_RULES | {
    (t, f"{t}_no_{event}") for t in GRANT_KEPT for event in ("update", "delete")} | {
    (t, f"{t}_no_delete") for t in GRANT_NOT_DELETED}
#: Issue 6: repair campaigns (migration 0007).
CAMPAIGN_KEPT = ("campaign_imports", "campaign_subsidies", "campaign_payments",
                 "campaign_refunds", "campaign_shortfalls", "campaign_contractor_payments",
                 "campaign_leftovers")
CAMPAIGN_RULES = {("campaigns", "campaigns_terms_fixed"), ("campaigns", "campaigns_end_at_zero"),
                  ("campaign_households", "households_roll_in_draft"),
                  ("campaign_households", "households_fixed"),
                  ("campaign_households", "households_kept"),
                  ("campaign_payments", "payments_of_the_roll"),
                  ("campaign_subsidies", "subsidies_while_running"),
                  ("campaign_refunds", "refunds_within_payment"),
                  ("campaign_contractor_payments", "contractor_within_cost"),
                  ("campaign_shortfalls", "shortfall_within_unasked")}
TRIGGERS["postgresql"] |= CAMPAIGN_RULES | {
    (t, f"{t}_append_only") for t in CAMPAIGN_KEPT} | {("campaigns", "campaigns_no_delete")} | {
    (t, f"{t}_no_truncate") for t in (*CAMPAIGN_KEPT, "campaigns", "campaign_households")}
TRIGGERS["sqlite"] |= CAMPAIGN_RULES | {
    (t, f"{t}_no_{event}") for t in CAMPAIGN_KEPT for event in ("update", "delete")} | {
    ("campaigns", "campaigns_no_delete")}
#: Issue 7: periods closed, reopened and signed off (migration 0008).
PERIOD_KEPT = ("period_closes", "period_reopens", "signoffs", "statement_files")
PERIOD_RULES = {("periods", "periods_move_in_order"), ("periods", "periods_start_open"),
                ("journal_entries", "entries_after_closed_periods"),
                ("period_closes", "period_closes_while_closing"),
                ("period_reopens", "period_reopens_while_closed"),
                ("signoffs", "signoffs_of_latest_close"),
                ("statement_files", "statement_files_signed"),
                ("journal_entries", "entries_adjusting_while_closing")}
TRIGGERS["postgresql"] |= PERIOD_RULES | {
    (t, f"{t}_append_only") for t in PERIOD_KEPT} | {("periods", "periods_no_delete")} | {
    (t, f"{t}_no_truncate") for t in (*PERIOD_KEPT, "periods")}
TRIGGERS["sqlite"] |= PERIOD_RULES | {
    (t, f"{t}_no_{event}") for t in PERIOD_KEPT for event in ("update", "delete")} | {
    ("periods", "periods_no_delete")}
#: Issue 8: the Merkle tree of each close, for residents' inclusion proofs (migration 0009).
ROOT_KEPT = ("period_roots", "merkle_nodes")
TRIGGERS["postgresql"] |= {(t, f"{t}_append_only") for t in ROOT_KEPT} | {
    (t, f"{t}_no_truncate") for t in ROOT_KEPT}
TRIGGERS["sqlite"] |= {(t, f"{t}_no_{event}") for t in ROOT_KEPT
                       for event in ("update", "delete")}
#: Issue 9: daily totals per account kept by a trigger on postings (migration 0010); the seal
#: on PostgreSQL is a statement trigger (same name, new function).
TRIGGERS["postgresql"] |= {("postings", "postings_day_totals"),
                           ("account_day_totals", "account_day_totals_kept"),
                           ("account_day_totals", "account_day_totals_no_truncate")}
TRIGGERS["sqlite"] |= {("postings", "postings_day_totals"),
                       ("account_day_totals", "account_day_totals_no_delete"),
                       ("account_day_totals", "account_day_totals_same_key")}
PG_FUNCTIONS = {*(f"huzhu_{name}" for _, name in GRANT_RULES | CAMPAIGN_RULES | PERIOD_RULES),
                "huzhu_account_identity",
                "huzhu_append_only", "huzhu_entry_admissible", "huzhu_entry_balanced",
                "huzhu_postings_sealed", "huzhu_day_totals", "huzhu_audit_admissible",
                "huzhu_deposit_fixed"}
LEDGER_TABLES = {t.name for t in Base.metadata.sorted_tables}
HEAD = ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def schema_diff(engine: Engine) -> list[Any]:
    """Autogenerate's differences between the database and the models (types and server
    defaults included)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def _squash(sql: str) -> str:
    return " ".join(sql.replace("(", " ( ").replace(")", " ) ").split())


def check_constraints(engine: Engine) -> dict[str, dict[str, str | None]]:
    """table -> CHECK constraint name -> its SQL (SQLite only: PostgreSQL rewrites the SQL)."""
    inspector = inspect(engine)
    sqlite = engine.dialect.name == "sqlite"
    return {t: {c["name"]: _squash(c["sqltext"]) if sqlite else None
                for c in inspector.get_check_constraints(t)} for t in LEDGER_TABLES}


def model_check_constraints(dialect: str) -> dict[str, dict[str, str | None]]:
    """The same, from the models (their names have been through the naming convention)."""
    found: dict[str, dict[str, str | None]] = {}
    for table in Base.metadata.sorted_tables:
        found[table.name] = {}
        for c in table.constraints:
            if isinstance(c, CheckConstraint):
                sql = _squash(str(c.sqltext)) if dialect == "sqlite" else None
                found[table.name][str(c.name)] = sql
    return found


def triggers(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"))
        else:
            rows = conn.execute(text(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
        return {(table, name) for table, name in rows}


def pg_functions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'huzhu%'")).scalars())


def reference_data(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT a.id, a.entity, a.code, a.type, a.restricted, a.name_zh, a.name_en, e.kind"
            " FROM accounts a JOIN entities e ON e.code = a.entity ORDER BY a.id"))]


def test_the_migration_builds_exactly_what_the_models_describe(engine: Engine):
    assert schema_diff(engine) == []
    assert set(inspect(engine).get_table_names()) == LEDGER_TABLES | {"alembic_version"}
    # Autogenerate does not compare CHECK constraints: their names and SQL are compared here.
    assert check_constraints(engine) == model_check_constraints(engine.dialect.name)
    # The deferred foreign key the write order depends on (postings first, header last).
    (fk,) = [fk for fk in inspect(engine).get_foreign_keys("postings")
             if fk["referred_table"] == "journal_entries"]
    assert fk["name"] == "fk_postings_entry_seq_journal_entries"
    if engine.dialect.name == "postgresql":  # SQLite's reflection does not report these
        assert fk["options"] == {"deferrable": True, "initially": "DEFERRED"}
    else:
        with engine.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'postings'"))
            assert "DEFERRABLE INITIALLY DEFERRED" in ddl.scalar_one()
    assert triggers(engine) == TRIGGERS[engine.dialect.name]
    if engine.dialect.name == "postgresql":
        assert pg_functions(engine) == PG_FUNCTIONS
    # Reference data: both entities and every account of their charts.
    rows = reference_data(engine)
    assert {(r[1], r[2], r[3], bool(r[4])) for r in rows} == {
        (e.code, a.code, a.type.value, a.restricted)
        for e in ENTITIES.values() for a in CHARTS[e.kind]}


def test_the_check_constraints_are_the_models_check_constraints(engine: Engine):
    # Autogenerate (above) does not compare CHECK constraints at all; compare them here.
    assert check_constraints(engine) == model_check_constraints(engine.dialect.name)


def test_sqlite_connection_settings(sqlite_only: None, engine: Engine):
    with engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")}
    assert pragma["journal_mode"] == "wal"
    assert pragma["foreign_keys"] == 1
    assert pragma["synchronous"] == 2  # FULL
    assert pragma["busy_timeout"] == SQLITE_BUSY_TIMEOUT_MS > 0
    # The settings hold on every pooled connection, not just the first one.
    with engine.connect() as one, engine.connect() as two:
        for conn in (one, two):
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    # Write transactions begin IMMEDIATE: the write lock is taken at BEGIN, not at first write.
    other = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        def while_writing(session: Any) -> None:
            session.execute(text("SELECT 1"))  # a read only: a deferred BEGIN locks nothing yet
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")

        UnitOfWork(engine).write(while_writing)
        other.execute("BEGIN IMMEDIATE")  # and released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_upgrade_is_idempotent(engine: Engine, post_some: Any, raw: Any):
    post_some(3)
    before = raw.snapshot(), triggers(engine), reference_data(engine)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert (raw.snapshot(), triggers(engine), reference_data(engine)) == before
    assert migrate.current_revision(engine) == HEAD
    assert schema_diff(engine) == []
    assert UnitOfWork(engine).read(verify).checked == 3


def test_downgrade_to_base_and_upgrade_again(engine: Engine, db_url: str, raw: Any,
                                              post_some: Any):
    accounts = reference_data(engine)
    post_some(2)
    config = migrate.alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert triggers(engine) == set()
    if engine.dialect.name == "postgresql":
        assert pg_functions(engine) == set()
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    assert schema_diff(engine) == []
    assert triggers(engine) == TRIGGERS[engine.dialect.name]
    assert reference_data(engine) == accounts
    assert raw.counts() == (0, 0)
    # The rebuilt books work, and the rebuilt triggers guard them.
    post_some(2)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE journal_entries SET memo = 'x' WHERE seq = 1"))
    # Downgrade and upgrade again on a fresh engine, as `flask db upgrade` would.
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    engine.dispose()
    fresh = make_engine(db_url)
    try:
        migrate.upgrade(fresh)
        assert schema_diff(fresh) == []
        assert reference_data(fresh) == accounts
    finally:
        fresh.dispose()
