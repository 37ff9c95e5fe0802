"""The double-entry ledger: entities, accounts, entries, postings, periods, idempotency keys.

The database itself refuses what the core refuses:
- UPDATE, DELETE (and on PostgreSQL TRUNCATE) of journal entries and postings;
- a posting with both or neither of debit / credit, or a negative amount (CHECK);
- a posting added to an entry that is already posted (entries are written postings first,
  header last, and the header seals them; on PostgreSQL writers of the same entry number take
  an advisory transaction lock on it, so an uncommitted header seals it too);
- an entry with fewer than two postings or whose postings do not balance per currency
  (PostgreSQL: a deferred constraint trigger checked at commit; SQLite, which has no deferred
  triggers: the header's insert trigger checks the postings already written, the seal stops
  later additions, and the deferred foreign key stops postings without a header at commit);
- an entry whose number does not follow the last one without a gap or whose prev_hash is not
  the previous entry's hash;
- an entry dated inside a closed period of its entity, or posting to another entity's account.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _tables() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "entities",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_entities"),
        sa.CheckConstraint("kind IN ('mutual_aid_fund', 'foundation')", name=op.f("ck_entities_kind")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.ForeignKeyConstraint(["entity"], ["entities.code"], name="fk_accounts_entity_entities"),
        sa.UniqueConstraint("entity", "code", name="uq_accounts_entity_code"),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'net_assets_unrestricted', 'net_assets_restricted',"
            " 'income', 'expense')",
            name=op.f("ck_accounts_type"),
        ),
    )
    op.create_table(
        "journal_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", utc, nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("source_kind", sa.String(40), nullable=True),
        sa.Column("source_id", sa.String(100), nullable=True),
        sa.Column("reverses_seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_journal_entries"),
        sa.ForeignKeyConstraint(
            ["entity"], ["entities.code"], name="fk_journal_entries_entity_entities"
        ),
        sa.ForeignKeyConstraint(
            ["reverses_seq"], ["journal_entries.seq"],
            name="fk_journal_entries_reverses_seq_journal_entries",
        ),
        sa.UniqueConstraint("reverses_seq", name="uq_journal_entries_reverses_seq"),
        sa.UniqueConstraint("hash", name="uq_journal_entries_hash"),
        sa.CheckConstraint("seq > 0", name=op.f("ck_journal_entries_seq_positive")),
        sa.CheckConstraint(
            "length(hash) = 64 AND length(prev_hash) = 64", name=op.f("ck_journal_entries_hash_length")
        ),
        sa.CheckConstraint(
            "reverses_seq IS NULL OR reverses_seq < seq", name=op.f("ck_journal_entries_reverses_earlier")
        ),
    )
    op.create_index(
        "ix_journal_entries_entity_effective_date", "journal_entries", ["entity", "effective_date"]
    )
    op.create_index(
        "ix_journal_entries_source_kind_source_id", "journal_entries", ["source_kind", "source_id"]
    )
    op.create_table(
        "postings",
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entry_seq", "line", name="pk_postings"),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["journal_entries.seq"], name="fk_postings_entry_seq_journal_entries",
            deferrable=True, initially="DEFERRED",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_postings_account_id_accounts"
        ),
        sa.CheckConstraint("debit >= 0 AND credit >= 0", name=op.f("ck_postings_not_negative")),
        sa.CheckConstraint(
            "(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)", name=op.f("ck_postings_one_side")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_postings_currency")),
        sa.CheckConstraint("line > 0", name=op.f("ck_postings_line_positive")),
    )
    op.create_index(
        "ix_postings_account_id_effective_date_currency_debit_credit",
        "postings",
        ["account_id", "effective_date", "currency", "debit", "credit"],
    )
    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_periods"),
        sa.ForeignKeyConstraint(["entity"], ["entities.code"], name="fk_periods_entity_entities"),
        sa.UniqueConstraint(
            "entity", "starts_on", "ends_on", name="uq_periods_entity_starts_on_ends_on"
        ),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_periods_dates")),
        sa.CheckConstraint(
            "status IN ('open', 'closing', 'closed')", name=op.f("ck_periods_status")
        ),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("locked_until", utc, nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_location", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
        sa.CheckConstraint(
            "state IN ('processing', 'completed')", name=op.f("ck_idempotency_keys_state")
        ),
        sa.CheckConstraint(
            "state = 'processing' OR response_status IS NOT NULL",
            name=op.f("ck_idempotency_keys_completed_has_response"),
        ),
    )


# --- PostgreSQL ------------------------------------------------------------------------------
PG_UP = [
    """
    CREATE FUNCTION huzhu_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger: % on % refused: posted entries are append-only; post a reversing entry',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE FUNCTION huzhu_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- Wait for any other transaction writing this entry: its header may not be committed yet.
      PERFORM pg_advisory_xact_lock(NEW.entry_seq);
      IF EXISTS (SELECT 1 FROM journal_entries WHERE seq = NEW.entry_seq) THEN
        RAISE EXCEPTION 'ledger: entry #% is already posted; postings cannot be added to it',
          NEW.entry_seq USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    f"""
    CREATE FUNCTION huzhu_entry_admissible() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE head_seq bigint; head_hash text;
    BEGIN
      SELECT seq, hash INTO head_seq, head_hash FROM journal_entries ORDER BY seq DESC LIMIT 1;
      IF NEW.seq <> coalesce(head_seq, 0) + 1 THEN
        RAISE EXCEPTION 'ledger: entry #% does not follow #% without a gap', NEW.seq,
          coalesce(head_seq, 0) USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.prev_hash <> coalesce(head_hash, '{GENESIS}') THEN
        RAISE EXCEPTION 'ledger: prev_hash of entry #% is not the hash of the entry before it',
          NEW.seq USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM periods WHERE entity = NEW.entity AND status = 'closed'
                 AND NEW.effective_date BETWEEN starts_on AND ends_on) THEN
        RAISE EXCEPTION 'ledger: % falls in a closed period of %', NEW.effective_date, NEW.entity
          USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
                 WHERE p.entry_seq = NEW.seq
                   AND (a.entity <> NEW.entity OR p.effective_date <> NEW.effective_date)) THEN
        RAISE EXCEPTION 'ledger: a posting of entry #% is in another entity or dated otherwise',
          NEW.seq USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION huzhu_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT count(*) FROM postings WHERE entry_seq = NEW.seq) < 2 THEN
        RAISE EXCEPTION 'ledger: entry #% has fewer than two postings', NEW.seq
          USING ERRCODE = 'check_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM postings WHERE entry_seq = NEW.seq
                 GROUP BY currency HAVING sum(debit) <> sum(credit)) THEN
        RAISE EXCEPTION 'ledger: entry #% does not balance: debits differ from credits', NEW.seq
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION huzhu_account_identity() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.entity <> OLD.entity OR NEW.code <> OLD.code OR NEW.type <> OLD.type THEN
        RAISE EXCEPTION 'ledger: an account''s entity, code and type never change'
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER postings_sealed BEFORE INSERT ON postings"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_posting_sealed()",
    "CREATE TRIGGER journal_entries_admissible BEFORE INSERT ON journal_entries"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_entry_admissible()",
    "CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION huzhu_entry_balanced()",
    "CREATE TRIGGER accounts_identity BEFORE UPDATE ON accounts"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_account_identity()",
]
PG_DOWN = [
    "DROP FUNCTION IF EXISTS huzhu_append_only() CASCADE",
    "DROP FUNCTION IF EXISTS huzhu_posting_sealed() CASCADE",
    "DROP FUNCTION IF EXISTS huzhu_entry_admissible() CASCADE",
    "DROP FUNCTION IF EXISTS huzhu_entry_balanced() CASCADE",
    "DROP FUNCTION IF EXISTS huzhu_account_identity() CASCADE",
]

# --- SQLite ----------------------------------------------------------------------------------
_REFUSE = "SELECT RAISE(ABORT, 'ledger: {op} on {table} refused: posted entries are append-only; post a reversing entry')"
SQLITE_UP = [
    *(
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN {_REFUSE.format(op=op, table=table)}; END"
        for table in ("journal_entries", "postings")
        for op in ("UPDATE", "DELETE")
    ),
    """
    CREATE TRIGGER postings_sealed BEFORE INSERT ON postings
    WHEN EXISTS (SELECT 1 FROM journal_entries WHERE seq = NEW.entry_seq)
    BEGIN
      SELECT RAISE(ABORT, 'ledger: the entry is already posted; postings cannot be added to it');
    END
    """,
    f"""
    CREATE TRIGGER journal_entries_admissible BEFORE INSERT ON journal_entries
    BEGIN
      SELECT RAISE(ABORT, 'ledger: entry number does not follow the last one without a gap')
        WHERE NEW.seq <> coalesce((SELECT max(seq) FROM journal_entries), 0) + 1;
      SELECT RAISE(ABORT, 'ledger: prev_hash is not the hash of the entry before it')
        WHERE NEW.prev_hash <> coalesce(
          (SELECT hash FROM journal_entries WHERE seq = NEW.seq - 1), '{GENESIS}');
      SELECT RAISE(ABORT, 'ledger: the date falls in a closed period')
        WHERE EXISTS (SELECT 1 FROM periods WHERE entity = NEW.entity AND status = 'closed'
                      AND NEW.effective_date BETWEEN starts_on AND ends_on);
      SELECT RAISE(ABORT, 'ledger: an entry needs at least two postings')
        WHERE (SELECT count(*) FROM postings WHERE entry_seq = NEW.seq) < 2;
      SELECT RAISE(ABORT, 'ledger: the entry does not balance: debits differ from credits')
        WHERE EXISTS (SELECT 1 FROM postings WHERE entry_seq = NEW.seq
                      GROUP BY currency HAVING sum(debit) <> sum(credit));
      SELECT RAISE(ABORT, 'ledger: a posting is in another entity or dated otherwise')
        WHERE EXISTS (SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
                      WHERE p.entry_seq = NEW.seq
                        AND (a.entity <> NEW.entity OR p.effective_date <> NEW.effective_date));
    END
    """,
    """
    CREATE TRIGGER accounts_identity BEFORE UPDATE ON accounts
    WHEN NEW.entity <> OLD.entity OR NEW.code <> OLD.code OR NEW.type <> OLD.type
    BEGIN
      SELECT RAISE(ABORT, 'ledger: an account''s entity, code and type never change');
    END
    """,
]


def upgrade() -> None:
    _tables()
    dialect = op.get_bind().dialect.name
    for statement in PG_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
    for table in ("idempotency_keys", "periods", "postings", "journal_entries", "accounts",
                  "entities"):
        op.drop_table(table)
