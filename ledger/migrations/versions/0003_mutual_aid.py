"""The mutual-aid fund: members, split policy versions, deposits, transfers to the foundation.

The database refuses: a deposit whose operating and foundation shares do not add up to it;
changing or deleting a policy version or a transfer; changing a deposit's amounts, member,
policy or entry, deleting it, or moving it to another transfer or reversal once set.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _tables() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("legal_representative", sa.String(100), nullable=False),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_phone", sa.String(40), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("credit_code", name="uq_members_credit_code"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'withdrawn')",
                           name=op.f("ck_members_status")),
        sa.CheckConstraint("length(credit_code) = 18", name=op.f("ck_members_credit_code_length")),
    )
    op.create_table(
        "split_policies",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("operating_share_bp", sa.Integer(), nullable=False),
        sa.Column("remainder_rule", sa.String(20), nullable=False),
        sa.Column("service_amount", sa.BigInteger(), nullable=False),
        sa.Column("per_deposit", sa.BigInteger(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_split_policies"),
        sa.UniqueConstraint("effective_from", name="uq_split_policies_effective_from"),
        sa.CheckConstraint("operating_share_bp BETWEEN 0 AND 10000",
                           name=op.f("ck_split_policies_share")),
        sa.CheckConstraint("remainder_rule IN ('foundation', 'largest_remainder')",
                           name=op.f("ck_split_policies_rule")),
        sa.CheckConstraint("service_amount > 0 AND per_deposit > 0",
                           name=op.f("ck_split_policies_entitlement")),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fund_entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("foundation_entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
        sa.ForeignKeyConstraint(["fund_entry_seq"], ["journal_entries.seq"],
                                name="fk_transfers_fund_entry_seq_journal_entries"),
        sa.ForeignKeyConstraint(["foundation_entry_seq"], ["journal_entries.seq"],
                                name="fk_transfers_foundation_entry_seq_journal_entries"),
        sa.UniqueConstraint("fund_entry_seq", name="uq_transfers_fund_entry_seq"),
        sa.UniqueConstraint("foundation_entry_seq", name="uq_transfers_foundation_entry_seq"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_transfers_amount_positive")),
    )
    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("operating", sa.BigInteger(), nullable=False),
        sa.Column("foundation", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=True),
        sa.Column("reversal_seq", sa.BigInteger(), nullable=True),
        sa.Column("reversal_reason", sa.Text(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deposits"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_deposits_member_id_members"),
        sa.ForeignKeyConstraint(["policy_version"], ["split_policies.version"],
                                name="fk_deposits_policy_version_split_policies"),
        sa.ForeignKeyConstraint(["entry_seq"], ["journal_entries.seq"],
                                name="fk_deposits_entry_seq_journal_entries"),
        sa.ForeignKeyConstraint(["transfer_id"], ["transfers.id"],
                                name="fk_deposits_transfer_id_transfers"),
        sa.ForeignKeyConstraint(["reversal_seq"], ["journal_entries.seq"],
                                name="fk_deposits_reversal_seq_journal_entries"),
        sa.UniqueConstraint("entry_seq", name="uq_deposits_entry_seq"),
        sa.UniqueConstraint("reversal_seq", name="uq_deposits_reversal_seq"),
        sa.CheckConstraint("amount > 0 AND operating >= 0 AND foundation >= 0",
                           name=op.f("ck_deposits_amounts")),
        sa.CheckConstraint("operating + foundation = amount", name=op.f("ck_deposits_exact_split")),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'cash', 'wechat_pay', 'alipay', 'cheque')",
            name=op.f("ck_deposits_method")),
        sa.CheckConstraint("(reversal_seq IS NULL) = (reversal_reason IS NULL)",
                           name=op.f("ck_deposits_reversal")),
    )
    op.create_index("ix_deposits_member_id", "deposits", ["member_id"])
    op.create_index("ix_deposits_transfer_id", "deposits", ["transfer_id"])


_FIXED = ("NEW.member_id <> OLD.member_id OR NEW.amount <> OLD.amount"
          " OR NEW.operating <> OLD.operating OR NEW.foundation <> OLD.foundation"
          " OR NEW.policy_version <> OLD.policy_version OR NEW.entry_seq <> OLD.entry_seq"
          " OR NEW.received_on <> OLD.received_on"
          " OR (OLD.transfer_id IS NOT NULL AND NEW.transfer_id IS NOT OLD.transfer_id)"
          " OR (OLD.reversal_seq IS NOT NULL AND NEW.reversal_seq IS NOT OLD.reversal_seq)")
_FIXED_PG = _FIXED.replace("IS NOT OLD", "IS DISTINCT FROM OLD")

PG_UP = [
    f"""
    CREATE FUNCTION huzhu_deposit_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF {_FIXED_PG} THEN
        RAISE EXCEPTION 'mutual aid: a deposit''s amounts, member, policy and entry never '
          'change; reverse it instead' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER deposits_fixed BEFORE UPDATE ON deposits"
    " FOR EACH ROW EXECUTE FUNCTION huzhu_deposit_fixed()",
    *(f"CREATE TRIGGER {table}_append_only BEFORE {ops} ON {table}"
      " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
      for table, ops in (("deposits", "DELETE"), ("split_policies", "UPDATE OR DELETE"),
                         ("transfers", "UPDATE OR DELETE"))),
]

SQLITE_UP = [
    f"""
    CREATE TRIGGER deposits_fixed BEFORE UPDATE ON deposits WHEN {_FIXED}
    BEGIN
      SELECT RAISE(ABORT, 'mutual aid: a deposit''s amounts, member, policy and entry never
        change; reverse it instead');
    END
    """,
    *(f"CREATE TRIGGER {table}_no_{op_.lower()} BEFORE {op_} ON {table} BEGIN "
      f"SELECT RAISE(ABORT, 'mutual aid: {op_} on {table} refused: records are kept'); END"
      for table, ops in (("deposits", ("DELETE",)), ("split_policies", ("UPDATE", "DELETE")),
                         ("transfers", ("UPDATE", "DELETE")))
      for op_ in ops),
]


def upgrade() -> None:
    _tables()
    dialect = op.get_bind().dialect.name
    for statement in PG_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS huzhu_deposit_fixed() CASCADE")
    for table in ("deposits", "transfers", "split_policies", "members"):
        op.drop_table(table)
