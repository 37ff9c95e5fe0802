"""Periods closed, reopened and signed off; the statements of a signed period, stored.

The database refuses:
- an entry dated on or before the end of a closed period (closing a period locks every date up
  to its end, since its balances are the sum of all of them);
- a period's status moving but open -> closing -> closed -> open (or closing -> open), closing
  without a close record (chain head and balances), reopening without a reopening record;
- entries of business records (deposits, income, grants, campaigns...) dated inside a closing
  period, where only adjusting entries go (vouchers, admins' entries, reversals and the rest of
  a record's correction once its entry is reversed);
- a sign-off but of the latest close of a closed period; storing the statements of a sign-off
  a reopening voided;
- changing or deleting any of these records, or deleting a period.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
#: Records kept as they were written: no UPDATE, DELETE or TRUNCATE.
KEPT = ("period_closes", "period_reopens", "signoffs", "statement_files")
#: The source kinds of entries that business records post (see ledger.books.OWNED_SOURCES).
BUSINESS = ("deposit", "transfer", "expense", "service", "income", "grant", "campaign")


def _last(table: str, period: str) -> str:
    return f"(SELECT coalesce(max(id), 0) FROM {table} WHERE period_id = {period})"


def _status(period: str) -> str:
    return f"(SELECT status FROM periods p WHERE p.id = {period})"


def _count(table: str) -> str:
    return f"(SELECT count(*) FROM {table} WHERE period_id = NEW.id)"


# Each close is followed by at most one reopening: closing -> closed needs one close more than
# reopenings; closed -> open needs as many reopenings as closes; closing -> open (abandoned
# before it closed) needs nothing open to record.
_MOVES = (
    "NEW.entity <> OLD.entity OR NEW.starts_on <> OLD.starts_on OR NEW.ends_on <> OLD.ends_on"
    " OR (NEW.status <> OLD.status AND NOT ("
    "(OLD.status = 'open' AND NEW.status = 'closing')"
    " OR (OLD.status = 'closing' AND NEW.status = 'closed'"
    f" AND {_count('period_closes')} = {_count('period_reopens')} + 1)"
    " OR (OLD.status = 'closing' AND NEW.status = 'open'"
    f" AND {_count('period_reopens')} = {_count('period_closes')})"
    " OR (OLD.status = 'closed' AND NEW.status = 'open'"
    f" AND {_count('period_reopens')} = {_count('period_closes')})))"
)
_NOT_LATEST_CLOSE = (
    f"{_status('NEW.period_id')} <> 'closed'"
    f" OR NEW.close_id <> {_last('period_closes', 'NEW.period_id')}"
)
_SIGNOFF_VOID = (
    "(SELECT s.close_id FROM signoffs s WHERE s.id = NEW.signoff_id) <> "
    "(SELECT max(c.id) FROM period_closes c JOIN signoffs s ON s.period_id = c.period_id"
    " WHERE s.id = NEW.signoff_id)"
    " OR (SELECT p.status FROM periods p JOIN signoffs s ON s.period_id = p.id"
    " WHERE s.id = NEW.signoff_id) <> 'closed'"
)
_BUSINESS_IN_CLOSING = (
    f"NEW.reverses_seq IS NULL AND NEW.source_kind IN {BUSINESS!r}"
    " AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.source_kind = NEW.source_kind"
    " AND r.source_id = NEW.source_id AND r.reverses_seq IS NOT NULL)"
    " AND EXISTS (SELECT 1 FROM periods WHERE entity = NEW.entity AND status = 'closing'"
    " AND NEW.effective_date BETWEEN starts_on AND ends_on)"
)

RULES = (  # (name, table, event, condition, message)
    (
        "entries_after_closed_periods",
        "journal_entries",
        "INSERT",
        "EXISTS (SELECT 1 FROM periods WHERE entity = NEW.entity AND status = 'closed'"
        " AND NEW.effective_date <= ends_on)",
        "the date is not after a closed period (closing locks every date up to its end)",
    ),
    (
        "periods_start_open",
        "periods",
        "INSERT",
        "NEW.status NOT IN ('open', 'closing')",
        "a period starts open or closing; it is closed with a close record",
    ),
    (
        "periods_move_in_order",
        "periods",
        "UPDATE",
        _MOVES,
        "a period moves open, closing, closed (with a close record), open (with a reason)",
    ),
    (
        "period_closes_while_closing",
        "period_closes",
        "INSERT",
        f"{_status('NEW.period_id')} <> 'closing'",
        "a period is closed from closing",
    ),
    (
        "period_reopens_while_closed",
        "period_reopens",
        "INSERT",
        f"{_status('NEW.period_id')} <> 'closed'",
        "only a closed period is reopened",
    ),
    (
        "signoffs_of_latest_close",
        "signoffs",
        "INSERT",
        _NOT_LATEST_CLOSE,
        "a sign-off is of the latest close of a closed period",
    ),
    (
        "statement_files_signed",
        "statement_files",
        "INSERT",
        _SIGNOFF_VOID,
        "the statements stored are of a sign-off that still holds",
    ),
    (
        "entries_adjusting_while_closing",
        "journal_entries",
        "INSERT",
        _BUSINESS_IN_CLOSING,
        "only adjusting entries are dated inside a closing period",
    ),
)


def create_guards(dialect: str) -> None:
    if dialect == "postgresql":
        for table in KEPT:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
        op.execute(
            "CREATE TRIGGER periods_no_delete BEFORE DELETE ON periods"
            " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
        )
        for table in (*KEPT, "periods"):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()"
            )
        for name, table, event, condition, message in RULES:
            op.execute(f"""
                CREATE FUNCTION huzhu_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF {condition} THEN
                    RAISE EXCEPTION 'periods: {message}' USING ERRCODE = 'restrict_violation';
                  END IF;
                  RETURN NEW;
                END $$""")
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW"
                f" EXECUTE FUNCTION huzhu_{name}()"
            )
        return
    for table in KEPT:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, 'periods: {event} on {table} refused:"
                f" records are kept'); END"
            )
    op.execute(
        "CREATE TRIGGER periods_no_delete BEFORE DELETE ON periods"
        " BEGIN SELECT RAISE(ABORT, 'periods: DELETE on periods refused: records are kept'); END"
    )
    for name, table, event, condition, message in RULES:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition}"
            f" BEGIN SELECT RAISE(ABORT, 'periods: {message}'); END"
        )


def upgrade() -> None:
    op.create_table(
        "period_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("balances", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("head_seq >= 0", name=op.f("ck_period_closes_head_seq")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_period_closes_period_id_periods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_closes")),
    )
    op.create_index(
        op.f("ix_period_closes_period_id"), "period_closes", ["period_id"], unique=False
    )

    op.create_table(
        "period_reopens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_period_reopens_period_id_periods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_reopens")),
    )
    op.create_index(
        op.f("ix_period_reopens_period_id"), "period_reopens", ["period_id"], unique=False
    )

    op.create_table(
        "signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("opinion", sa.String(length=12), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "opinion IN ('unqualified', 'qualified', 'adverse', 'disclaimer')",
            name=op.f("ck_signoffs_opinion"),
        ),
        sa.ForeignKeyConstraint(
            ["close_id"], ["period_closes.id"], name=op.f("fk_signoffs_close_id_period_closes")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["periods.id"], name=op.f("fk_signoffs_period_id_periods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoffs")),
        sa.UniqueConstraint("close_id", name=op.f("uq_signoffs_close_id")),
    )
    op.create_index(op.f("ix_signoffs_period_id"), "signoffs", ["period_id"], unique=False)

    op.create_table(
        "statement_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signoff_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lang IN ('zh', 'en')", name=op.f("ck_statement_files_lang")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_statement_files_sha256")),
        sa.ForeignKeyConstraint(
            ["signoff_id"], ["signoffs.id"], name=op.f("fk_statement_files_signoff_id_signoffs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_files")),
        sa.UniqueConstraint("signoff_id", "lang", name=op.f("uq_statement_files_signoff_id_lang")),
    )
    create_guards(op.get_bind().dialect.name)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, *_ in RULES:
            op.execute(f"DROP FUNCTION IF EXISTS huzhu_{name}() CASCADE")
        op.execute("DROP TRIGGER IF EXISTS periods_no_delete ON periods")
        op.execute("DROP TRIGGER IF EXISTS periods_no_truncate ON periods")
    else:
        op.execute("DROP TRIGGER IF EXISTS periods_no_delete")
        op.execute("DROP TRIGGER IF EXISTS periods_move_in_order")
        op.execute("DROP TRIGGER IF EXISTS periods_start_open")
        op.execute("DROP TRIGGER IF EXISTS entries_after_closed_periods")
        op.execute("DROP TRIGGER IF EXISTS entries_adjusting_while_closing")
    for table in ("statement_files", "signoffs", "period_reopens", "period_closes"):
        op.drop_table(table)
