"""Operating expenses and bridging services of the mutual-aid fund.

The database refuses: changing or deleting an expense; a service approved by the person who
requested it; settling an advance that was never made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = sa.DateTime(timezone=True)
    op.create_table(
        "expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("payee", sa.String(200), nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expenses"),
        sa.ForeignKeyConstraint(["entry_seq"], ["journal_entries.seq"],
                                name="fk_expenses_entry_seq_journal_entries"),
        sa.UniqueConstraint("entry_seq", name="uq_expenses_entry_seq"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_expenses_amount_positive")),
        sa.CheckConstraint("category IN ('administration', 'programme', 'other')",
                           name=op.f("ck_expenses_category")),
    )
    op.create_table(
        "bridging_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(100), nullable=False),
        sa.Column("loan_amount", sa.BigInteger(), nullable=False),
        sa.Column("bridge_from", sa.Date(), nullable=False),
        sa.Column("bridge_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", utc, nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", utc, nullable=True),
        sa.Column("advance_entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("settle_entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bridging_services"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name="fk_bridging_services_member_id_members"),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"],
                                name="fk_bridging_services_requested_by_users"),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"],
                                name="fk_bridging_services_approved_by_users"),
        sa.ForeignKeyConstraint(["advance_entry_seq"], ["journal_entries.seq"],
                                name="fk_bridging_services_advance_entry_seq_journal_entries"),
        sa.ForeignKeyConstraint(["settle_entry_seq"], ["journal_entries.seq"],
                                name="fk_bridging_services_settle_entry_seq_journal_entries"),
        sa.UniqueConstraint("advance_entry_seq", name="uq_bridging_services_advance_entry_seq"),
        sa.UniqueConstraint("settle_entry_seq", name="uq_bridging_services_settle_entry_seq"),
        sa.CheckConstraint("loan_amount > 0", name=op.f("ck_bridging_services_amount_positive")),
        sa.CheckConstraint("bridge_from <= bridge_to", name=op.f("ck_bridging_services_dates")),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'active', 'repaid', 'defaulted', 'rejected')",
            name=op.f("ck_bridging_services_status")),
        sa.CheckConstraint("approved_by IS NULL OR approved_by <> requested_by",
                           name=op.f("ck_bridging_services_four_eyes")),
        sa.CheckConstraint("status IN ('requested', 'rejected') OR approved_by IS NOT NULL",
                           name=op.f("ck_bridging_services_approved")),
        sa.CheckConstraint("settle_entry_seq IS NULL OR advance_entry_seq IS NOT NULL",
                           name=op.f("ck_bridging_services_settles_an_advance")),
    )
    op.create_index("ix_bridging_services_member_id", "bridging_services", ["member_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER expenses_append_only BEFORE UPDATE OR DELETE ON expenses"
                   " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()")
    else:
        for op_ in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER expenses_no_{op_.lower()} BEFORE {op_} ON expenses "
                       f"BEGIN SELECT RAISE(ABORT, 'mutual aid: {op_} on expenses refused: "
                       f"records are kept'); END")


def downgrade() -> None:
    op.drop_table("bridging_services")
    op.drop_table("expenses")
