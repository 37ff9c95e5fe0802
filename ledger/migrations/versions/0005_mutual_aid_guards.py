"""Tighter guards on the mutual-aid records.

- PostgreSQL: TRUNCATE of deposits, split policies, transfers and expenses is refused (row
  triggers do not fire on TRUNCATE).
- A recorded deposit's method, reference, author and time never change, nor its reversal
  reason once given.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEPT = ("deposits", "split_policies", "transfers", "expenses")
_FIXED = ("NEW.member_id <> OLD.member_id OR NEW.amount <> OLD.amount"
          " OR NEW.operating <> OLD.operating OR NEW.foundation <> OLD.foundation"
          " OR NEW.policy_version <> OLD.policy_version OR NEW.entry_seq <> OLD.entry_seq"
          " OR NEW.received_on <> OLD.received_on OR NEW.method <> OLD.method"
          " OR NEW.reference <> OLD.reference OR NEW.created_by <> OLD.created_by"
          " OR NEW.created_at <> OLD.created_at"
          " OR (OLD.transfer_id IS NOT NULL AND NEW.transfer_id IS NOT OLD.transfer_id)"
          " OR (OLD.reversal_seq IS NOT NULL AND NEW.reversal_seq IS NOT OLD.reversal_seq)"
          " OR (OLD.reversal_reason IS NOT NULL"
          " AND NEW.reversal_reason IS NOT OLD.reversal_reason)")
_MESSAGE = ("a deposit''s amounts, member, payment, policy and entry never change; reverse it "
            "instead")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in KEPT:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                       " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()")
        op.execute(f"""
            CREATE OR REPLACE FUNCTION huzhu_deposit_fixed() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF {_FIXED.replace("IS NOT OLD", "IS DISTINCT FROM OLD")} THEN
                RAISE EXCEPTION 'mutual aid: {_MESSAGE}' USING ERRCODE = 'restrict_violation';
              END IF;
              RETURN NEW;
            END $$""")
        return
    op.execute("DROP TRIGGER deposits_fixed")
    op.execute(f"""
        CREATE TRIGGER deposits_fixed BEFORE UPDATE ON deposits WHEN {_FIXED}
        BEGIN SELECT RAISE(ABORT, 'mutual aid: {_MESSAGE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in KEPT:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    # The narrower deposits_fixed of 0003 is not restored: a downgrade keeps the tighter guard.
