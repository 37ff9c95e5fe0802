"""The Merkle tree of each close's entries, for residents' inclusion proofs.

Closing a period stores the root and the size of a Merkle tree over the entries dated in it
(ledger.core.merkle) and every node of that tree. The database keeps them as written: no
UPDATE, DELETE or TRUNCATE.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
#: Records kept as they were written: no UPDATE, DELETE or TRUNCATE.
KEPT = ("period_roots", "merkle_nodes")


def create_guards(dialect: str) -> None:
    for table in KEPT:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()"
            )
            continue
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, 'periods: {event} on {table} refused:"
                f" records are kept'); END"
            )


def upgrade() -> None:
    op.create_table(
        "period_roots",
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(root) = 64", name=op.f("ck_period_roots_root")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_period_roots_size")),
        sa.ForeignKeyConstraint(
            ["close_id"], ["period_closes.id"], name=op.f("fk_period_roots_close_id_period_closes")
        ),
        sa.PrimaryKeyConstraint("close_id", name=op.f("pk_period_roots")),
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("close_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(level = 0) = (entry_seq IS NOT NULL)", name=op.f("ck_merkle_nodes_leaf_entry")
        ),
        sa.CheckConstraint("length(hash) = 64", name=op.f("ck_merkle_nodes_hash")),
        sa.CheckConstraint("level >= 0 AND position >= 0", name=op.f("ck_merkle_nodes_place")),
        sa.ForeignKeyConstraint(
            ["close_id"], ["period_closes.id"], name=op.f("fk_merkle_nodes_close_id_period_closes")
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_merkle_nodes_entry_seq_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("close_id", "level", "position", name=op.f("pk_merkle_nodes")),
        sa.UniqueConstraint(
            "close_id", "entry_seq", name=op.f("uq_merkle_nodes_close_id_entry_seq")
        ),
    )
    create_guards(op.get_bind().dialect.name)


def downgrade() -> None:
    for table in ("merkle_nodes", "period_roots"):
        op.drop_table(table)
