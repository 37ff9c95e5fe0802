"""Staff accounts, roles, access tokens, the audit log and vouchers (maker-checker).

The database refuses: an UPDATE or DELETE of an audit record; an audit record that does not
follow the last one without a gap or does not link to its hash; a voucher decided by the
person who submitted it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _tables() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(40), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_roles_user_id_users"),
        sa.CheckConstraint(
            "role IN ('admin', 'fund_manager', 'board_member', 'auditor')",
            name=op.f("ck_user_roles_role"),
        ),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("revoked_at", utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", utc, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=True),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sa.UniqueConstraint("hash", name="uq_audit_log_hash"),
        sa.CheckConstraint("seq > 0", name=op.f("ck_audit_log_seq_positive")),
    )
    op.create_index("ix_audit_log_action_object_id_at", "audit_log",
                    ["action", "object_id", "at"])
    op.create_index("ix_audit_log_action_address_at", "audit_log", ["action", "address", "at"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", utc, nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", utc, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_vouchers"),
        sa.ForeignKeyConstraint(["entity"], ["entities.code"], name="fk_vouchers_entity_entities"),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"],
                                name="fk_vouchers_submitted_by_users"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name="fk_vouchers_decided_by_users"),
        sa.ForeignKeyConstraint(["entry_seq"], ["journal_entries.seq"],
                                name="fk_vouchers_entry_seq_journal_entries"),
        sa.UniqueConstraint("entry_seq", name="uq_vouchers_entry_seq"),
        sa.CheckConstraint("status IN ('submitted', 'approved', 'rejected')",
                           name=op.f("ck_vouchers_status")),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> submitted_by",
                           name=op.f("ck_vouchers_four_eyes")),
        sa.CheckConstraint("(status = 'submitted') = (decided_by IS NULL)",
                           name=op.f("ck_vouchers_decided")),
        sa.CheckConstraint("(status = 'approved') = (entry_seq IS NOT NULL)",
                           name=op.f("ck_vouchers_posted")),
    )
    op.create_index("ix_vouchers_status_id", "vouchers", ["status", "id"])


PG_UP = [
    f"""
    CREATE FUNCTION huzhu_audit_admissible() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE head_seq bigint; head_hash text;
    BEGIN
      PERFORM pg_advisory_xact_lock(-1);  -- audit writers take turns (entries use seq >= 1)
      SELECT seq, hash INTO head_seq, head_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
      IF NEW.seq <> coalesce(head_seq, 0) + 1 THEN
        RAISE EXCEPTION 'audit: record #% does not follow #% without a gap', NEW.seq,
          coalesce(head_seq, 0) USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.prev_hash <> coalesce(head_hash, '{GENESIS}') THEN
        RAISE EXCEPTION 'audit: prev_hash of record #% is not the hash of the one before it',
          NEW.seq USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()",
    "CREATE TRIGGER audit_log_admissible BEFORE INSERT ON audit_log"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_audit_admissible()",
]

SQLITE_UP = [
    *(
        f"CREATE TRIGGER audit_log_no_{op_.lower()} BEFORE {op_} ON audit_log BEGIN "
        f"SELECT RAISE(ABORT, 'audit: {op_} on audit_log refused: the audit log is "
        f"append-only'); END"
        for op_ in ("UPDATE", "DELETE")
    ),
    f"""
    CREATE TRIGGER audit_log_admissible BEFORE INSERT ON audit_log
    BEGIN
      SELECT RAISE(ABORT, 'audit: record number does not follow the last one without a gap')
        WHERE NEW.seq <> coalesce((SELECT max(seq) FROM audit_log), 0) + 1;
      SELECT RAISE(ABORT, 'audit: prev_hash is not the hash of the record before it')
        WHERE NEW.prev_hash <> coalesce(
          (SELECT hash FROM audit_log WHERE seq = NEW.seq - 1), '{GENESIS}');
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
        op.execute("DROP FUNCTION IF EXISTS huzhu_audit_admissible() CASCADE")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    for table in ("vouchers", "audit_log", "api_tokens", "user_roles", "users"):
        op.drop_table(table)
