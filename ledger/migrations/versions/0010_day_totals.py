"""Daily totals per account, kept by the database; postings sealed once per statement.

- `account_day_totals` holds, per account, day and currency, the sum of the debits and of the
  credits of its postings. A trigger on postings adds every new posting to its row, so a
  balance as of a date reads one row per account and day with postings (a few thousand a
  year) instead of every posting. It is filled from the postings already there. The rows
  change only by that trigger: PostgreSQL refuses UPDATE and DELETE from anywhere else
  (`pg_trigger_depth()`) and TRUNCATE; SQLite refuses DELETE and changing a row's key, but it
  cannot tell the trigger's UPDATE from anyone else's, so `ledger verify` recomputes every row
  from the postings and names the first that differs.
- PostgreSQL: the seal on posted entries is checked once per INSERT statement on postings
  (a statement trigger over the inserted rows) instead of once per row. It takes the books'
  writer lock (`LOCK TABLE journal_entries IN EXCLUSIVE MODE`, which every writer already
  holds) instead of one advisory lock per entry number, so a transaction may post any number
  of entries (the per-entry locks ran out of shared memory at about 12,000) and another
  writer's uncommitted headers still seal their postings: the insert waits for that writer.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FILL = (
    "INSERT INTO account_day_totals (account_id, effective_date, currency, debit, credit)"
    " SELECT account_id, effective_date, currency, sum(debit), sum(credit) FROM postings"
    " GROUP BY account_id, effective_date, currency"
)

PG_UP = [
    "DROP TRIGGER postings_sealed ON postings",
    "DROP FUNCTION huzhu_posting_sealed()",
    """
    CREATE FUNCTION huzhu_postings_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Wait for any other writer: the headers it is inserting may seal these entries.
      LOCK TABLE journal_entries IN EXCLUSIVE MODE;
      IF EXISTS (SELECT 1 FROM added a JOIN journal_entries e ON e.seq = a.entry_seq) THEN
        RAISE EXCEPTION 'ledger: entry #% is already posted; postings cannot be added to it',
          (SELECT min(a.entry_seq) FROM added a JOIN journal_entries e ON e.seq = a.entry_seq)
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER postings_sealed AFTER INSERT ON postings REFERENCING NEW TABLE AS added"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_postings_sealed()",
    """
    CREATE FUNCTION huzhu_day_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO account_day_totals AS t (account_id, effective_date, currency, debit, credit)
      SELECT account_id, effective_date, currency, sum(debit), sum(credit) FROM added
      GROUP BY account_id, effective_date, currency
      ON CONFLICT (account_id, effective_date, currency) DO UPDATE
        SET debit = t.debit + EXCLUDED.debit, credit = t.credit + EXCLUDED.credit;
      RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER postings_day_totals AFTER INSERT ON postings REFERENCING NEW TABLE AS added"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_day_totals()",
    "CREATE TRIGGER account_day_totals_kept BEFORE UPDATE OR DELETE ON account_day_totals"
    " FOR EACH ROW WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER account_day_totals_no_truncate BEFORE TRUNCATE ON account_day_totals"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()",
]

SQLITE_UP = [
    """
    CREATE TRIGGER postings_day_totals AFTER INSERT ON postings
    BEGIN
      INSERT INTO account_day_totals (account_id, effective_date, currency, debit, credit)
      VALUES (NEW.account_id, NEW.effective_date, NEW.currency, NEW.debit, NEW.credit)
      ON CONFLICT (account_id, effective_date, currency) DO UPDATE
        SET debit = debit + excluded.debit, credit = credit + excluded.credit;
    END
    """,
    """
    CREATE TRIGGER account_day_totals_no_delete BEFORE DELETE ON account_day_totals
    BEGIN
      SELECT RAISE(ABORT, 'ledger: DELETE on account_day_totals refused: they follow the postings');
    END
    """,
    """
    CREATE TRIGGER account_day_totals_same_key BEFORE UPDATE ON account_day_totals
    WHEN NEW.account_id <> OLD.account_id OR NEW.effective_date <> OLD.effective_date
      OR NEW.currency <> OLD.currency OR NEW.debit < OLD.debit OR NEW.credit < OLD.credit
    BEGIN
      SELECT RAISE(ABORT, 'ledger: a day total only grows, by the postings added to its day');
    END
    """,
]


def upgrade() -> None:
    op.create_table(
        "account_day_totals",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0", name=op.f("ck_account_day_totals_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_day_totals_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "effective_date", "currency", name=op.f("pk_account_day_totals")
        ),
    )
    op.execute(FILL)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_UP if postgresql else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER postings_sealed ON postings")
        op.execute("DROP FUNCTION huzhu_postings_sealed()")
        op.execute("DROP FUNCTION huzhu_day_totals() CASCADE")
        op.execute("""
    CREATE FUNCTION huzhu_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(NEW.entry_seq);
      IF EXISTS (SELECT 1 FROM journal_entries WHERE seq = NEW.entry_seq) THEN
        RAISE EXCEPTION 'ledger: entry #% is already posted; postings cannot be added to it',
          NEW.entry_seq USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$
    """)
        op.execute("CREATE TRIGGER postings_sealed BEFORE INSERT ON postings"
                   " FOR EACH ROW EXECUTE FUNCTION huzhu_posting_sealed()")
    else:
        op.execute("DROP TRIGGER postings_day_totals")
    op.drop_table("account_day_totals")
