"""Repair crowdfunding (众筹): campaigns, the household roll, subsidy received, households'
payments with their receipt codes, refunds, shortfall assigned to sources, payments to the
contractor, leftovers given to the foundation, and the imported files that wrote something.

The database refuses: a payment by a household that is not on the campaign's roll and asked
to pay, or while the campaign takes no payments; a refund beyond what was paid; paying the
contractor beyond the quoted cost; assigning more shortfall than the households not asked
leave; changing the roll once the campaign is open (a share only grows, by a top-up; a
household that paid is not marked vacant, unreachable or exempt); changing a campaign's terms
once it is open, or a closed or cancelled campaign at all; closing or cancelling a campaign
whose restricted balance is not zero; changing or deleting any money record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
#: Records kept as they were written: no UPDATE, DELETE or TRUNCATE.
KEPT = (
    "campaign_imports",
    "campaign_subsidies",
    "campaign_payments",
    "campaign_refunds",
    "campaign_shortfalls",
    "campaign_contractor_payments",
    "campaign_leftovers",
)
#: Rows that may change in set ways only, but are never deleted.
NOT_DELETED = ("campaigns",)

_STATUS = "(SELECT status FROM campaigns c WHERE c.id = NEW.campaign_id)"


def _sum(table: str, column: str = "amount", where: str = "campaign_id = NEW.id") -> str:
    return f"(SELECT coalesce(sum({column}), 0) FROM {table} WHERE {where})"


_RESTRICTED_BALANCE = (
    f"{_sum('campaign_subsidies')} + {_sum('campaign_payments')} - {_sum('campaign_refunds')}"
    f" - {_sum('campaign_contractor_payments', 'restricted')} - {_sum('campaign_leftovers')}"
)
_MOVES = (
    "draft>open",
    "draft>cancelled",
    "open>funded",
    "open>cancelled",
    "funded>contractor_paid",
    "funded>cancelled",
    "contractor_paid>closed",
)
_TERMS_CHANGED = (
    "OLD.status IN ('closed', 'cancelled') OR (OLD.status <> 'draft' AND ("
    "NEW.cost <> OLD.cost OR NEW.subsidy <> OLD.subsidy OR NEW.match <> OLD.match"
    " OR NEW.miss_rule <> OLD.miss_rule OR NEW.shortfall_source IS NOT OLD.shortfall_source"
    " OR NEW.leftover_rule <> OLD.leftover_rule))"
    " OR (NEW.status <> OLD.status"
    f" AND OLD.status || '>' || NEW.status NOT IN {_MOVES!r})"
)
_HOUSEHOLD_CHANGED = (
    "NEW.campaign_id <> OLD.campaign_id OR NEW.position <> OLD.position"
    " OR NEW.building <> OLD.building OR NEW.unit <> OLD.unit OR NEW.room <> OLD.room"
    " OR NEW.share < OLD.share"
    " OR (NEW.status <> 'asked' AND EXISTS (SELECT 1 FROM campaign_payments p"
    " WHERE p.household_id = NEW.id))"
    " OR (SELECT status FROM campaigns c WHERE c.id = NEW.campaign_id)"
    " IN ('closed', 'cancelled')"
)
_NOT_ON_ROLL = (
    "NOT EXISTS (SELECT 1 FROM campaign_households h WHERE h.id = NEW.household_id"
    " AND h.campaign_id = NEW.campaign_id AND h.status = 'asked')"
    f" OR {_STATUS} NOT IN ('open', 'funded', 'contractor_paid')"
)
_OVER_REFUNDED = (
    "(NEW.payment_id IS NOT NULL AND ("
    f"{_sum('campaign_refunds', where='payment_id = NEW.payment_id')} + NEW.amount"
    " > (SELECT amount FROM campaign_payments p WHERE p.id = NEW.payment_id)"
    " OR (SELECT campaign_id FROM campaign_payments p WHERE p.id = NEW.payment_id)"
    " <> NEW.campaign_id))"
    " OR (NEW.subsidy_id IS NOT NULL AND ("
    f"{_sum('campaign_refunds', where='subsidy_id = NEW.subsidy_id')} + NEW.amount"
    " > (SELECT amount FROM campaign_subsidies s WHERE s.id = NEW.subsidy_id)"
    " OR (SELECT campaign_id FROM campaign_subsidies s WHERE s.id = NEW.subsidy_id)"
    " <> NEW.campaign_id))"
)
_OVER_COST = (
    f"{_sum('campaign_contractor_payments', where='campaign_id = NEW.campaign_id')}"
    " + NEW.amount > (SELECT cost FROM campaigns c WHERE c.id = NEW.campaign_id)"
    f" OR {_STATUS} <> 'funded'"
)
_UNASKED = "campaign_id = NEW.campaign_id AND status <> 'asked'"
_OVER_SHORTFALL = (
    f"{_sum('campaign_shortfalls', where='campaign_id = NEW.campaign_id')} + NEW.amount"
    f" > {_sum('campaign_households', 'share', _UNASKED)}"
)

RULES = (  # (name, table, event, condition, message)
    (
        "campaigns_terms_fixed",
        "campaigns",
        "UPDATE",
        _TERMS_CHANGED,
        "a campaign keeps its terms once open, moves forward only, and ends for good",
    ),
    (
        "campaigns_end_at_zero",
        "campaigns",
        "UPDATE",
        f"NEW.status IN ('closed', 'cancelled') AND {_RESTRICTED_BALANCE} <> 0",
        "a campaign ends with its restricted balance at zero",
    ),
    (
        "households_roll_in_draft",
        "campaign_households",
        "INSERT",
        f"{_STATUS} <> 'draft'",
        "the roll is imported while the campaign is a draft",
    ),
    (
        "households_fixed",
        "campaign_households",
        "UPDATE",
        _HOUSEHOLD_CHANGED,
        "a household keeps its place, its share only grows, and a payer stays asked",
    ),
    (
        "households_kept",
        "campaign_households",
        "DELETE",
        "(SELECT status FROM campaigns c WHERE c.id = OLD.campaign_id) <> 'draft'",
        "the roll is kept once the campaign is open",
    ),
    (
        "payments_of_the_roll",
        "campaign_payments",
        "INSERT",
        _NOT_ON_ROLL,
        "a payment comes from a household asked to pay, while the campaign takes payments",
    ),
    (
        "subsidies_while_running",
        "campaign_subsidies",
        "INSERT",
        f"{_STATUS} NOT IN ('draft', 'open', 'funded')",
        "subsidy is received before the contractor is paid",
    ),
    (
        "refunds_within_payment",
        "campaign_refunds",
        "INSERT",
        _OVER_REFUNDED,
        "a refund is at most what that payer paid, on the same campaign",
    ),
    (
        "contractor_within_cost",
        "campaign_contractor_payments",
        "INSERT",
        _OVER_COST,
        "the contractor is paid, once funded, at most the quoted cost",
    ),
    (
        "shortfall_within_unasked",
        "campaign_shortfalls",
        "INSERT",
        _OVER_SHORTFALL,
        "more shortfall assigned than the households not asked leave",
    ),
)


def create_guards(dialect: str) -> None:
    if dialect == "postgresql":
        for table in KEPT:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
        for table in NOT_DELETED:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
        for table in (*KEPT, *NOT_DELETED, "campaign_households"):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()"
            )
        for name, table, event, condition, message in RULES:
            condition = condition.replace("IS NOT OLD", "IS DISTINCT FROM OLD")
            op.execute(f"""
                CREATE FUNCTION huzhu_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF {condition} THEN
                    RAISE EXCEPTION 'campaigns: {message}' USING ERRCODE = 'restrict_violation';
                  END IF;
                  IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
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
                f" BEGIN SELECT RAISE(ABORT, 'campaigns: {event} on {table} refused:"
                f" records are kept'); END"
            )
    for table in NOT_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
            f" BEGIN SELECT RAISE(ABORT, 'campaigns: DELETE on {table} refused:"
            f" records are kept'); END"
        )
    for name, table, event, condition, message in RULES:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition}"
            f" BEGIN SELECT RAISE(ABORT, 'campaigns: {message}'); END"
        )


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("buildings", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("repair", sa.Text(), nullable=False),
        sa.Column("contractor", sa.String(length=200), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("subsidy", sa.BigInteger(), nullable=False),
        sa.Column("subsidy_from", sa.String(length=200), nullable=False),
        sa.Column("match", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("miss_rule", sa.String(length=16), nullable=False),
        sa.Column("shortfall_source", sa.String(length=12), nullable=True),
        sa.Column("leftover_rule", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "leftover_rule IN ('refund', 'foundation')", name=op.f("ck_campaigns_leftover_rule")
        ),
        sa.CheckConstraint(
            "miss_rule <> 'keep_raised' OR shortfall_source IS NOT NULL",
            name=op.f("ck_campaigns_keep_raised_names_source"),
        ),
        sa.CheckConstraint(
            "miss_rule IN ('all_or_nothing', 'keep_raised')", name=op.f("ck_campaigns_miss_rule")
        ),
        sa.CheckConstraint(
            "shortfall_source IS NULL OR shortfall_source IN"
            " ('subsidy', 'foundation', 'households')",
            name=op.f("ck_campaigns_shortfall_source"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'funded', 'contractor_paid', 'closed', 'cancelled')",
            name=op.f("ck_campaigns_status"),
        ),
        sa.CheckConstraint("cost > 0", name=op.f("ck_campaigns_cost_positive")),
        sa.CheckConstraint("subsidy + match < cost", name=op.f("ck_campaigns_gap_positive")),
        sa.CheckConstraint(
            "subsidy >= 0 AND match >= 0", name=op.f("ck_campaigns_sources_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("building", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("room", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "status = 'asked' OR reason IS NOT NULL", name=op.f("ck_campaign_households_reason")
        ),
        sa.CheckConstraint(
            "status IN ('asked', 'vacant', 'unreachable', 'exempt')",
            name=op.f("ck_campaign_households_status"),
        ),
        sa.CheckConstraint("share >= 0", name=op.f("ck_campaign_households_share_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_households_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_households")),
        sa.UniqueConstraint(
            "campaign_id",
            "building",
            "unit",
            "room",
            name=op.f("uq_campaign_households_campaign_id_building_unit_room"),
        ),
        sa.UniqueConstraint(
            "campaign_id", "position", name=op.f("uq_campaign_households_campaign_id_position")
        ),
    )
    op.create_table(
        "campaign_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('roll', 'payments')", name=op.f("ck_campaign_imports_kind")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_imports_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_imports")),
    )
    op.create_index(
        op.f("ix_campaign_imports_campaign_id"), "campaign_imports", ["campaign_id"], unique=False
    )

    op.create_table(
        "campaign_shortfalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "source IN ('subsidy', 'foundation', 'households')",
            name=op.f("ck_campaign_shortfalls_source"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_campaign_shortfalls_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_shortfalls_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_shortfalls")),
    )
    op.create_index(
        op.f("ix_campaign_shortfalls_campaign_id"),
        "campaign_shortfalls",
        ["campaign_id"],
        unique=False,
    )

    op.create_table(
        "campaign_contractor_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("restricted", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("release_entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(restricted > 0) = (release_entry_seq IS NOT NULL)",
            name=op.f("ck_campaign_contractor_payments_released"),
        ),
        sa.CheckConstraint(
            "amount > 0", name=op.f("ck_campaign_contractor_payments_amount_positive")
        ),
        sa.CheckConstraint(
            "restricted >= 0 AND restricted <= amount",
            name=op.f("ck_campaign_contractor_payments_restricted_part"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_contractor_payments_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_contractor_payments_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["release_entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_contractor_payments_release_entry_seq_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contractor_payments")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_campaign_contractor_payments_entry_seq")),
        sa.UniqueConstraint(
            "release_entry_seq", name=op.f("uq_campaign_contractor_payments_release_entry_seq")
        ),
    )
    op.create_index(
        op.f("ix_campaign_contractor_payments_campaign_id"),
        "campaign_contractor_payments",
        ["campaign_id"],
        unique=False,
    )

    op.create_table(
        "campaign_leftovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("disclosure", sa.Text(), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_campaign_leftovers_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_leftovers_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_leftovers_entry_seq_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_leftovers")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_campaign_leftovers_entry_seq")),
    )
    op.create_index(
        op.f("ix_campaign_leftovers_campaign_id"),
        "campaign_leftovers",
        ["campaign_id"],
        unique=False,
    )

    op.create_table(
        "campaign_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("receipt_code", sa.String(length=14), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "method IN ('cash', 'wechat', 'alipay', 'bank')",
            name=op.f("ck_campaign_payments_method"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_campaign_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_payments_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_payments_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["campaign_households.id"],
            name=op.f("fk_campaign_payments_household_id_campaign_households"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["campaign_imports.id"],
            name=op.f("fk_campaign_payments_import_id_campaign_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_payments")),
        sa.UniqueConstraint(
            "campaign_id", "reference", name=op.f("uq_campaign_payments_campaign_id_reference")
        ),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_campaign_payments_entry_seq")),
        sa.UniqueConstraint("receipt_code", name=op.f("uq_campaign_payments_receipt_code")),
    )
    op.create_index(
        op.f("ix_campaign_payments_household_id"),
        "campaign_payments",
        ["household_id"],
        unique=False,
    )

    op.create_table(
        "campaign_subsidies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_campaign_subsidies_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_subsidies_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_subsidies_entry_seq_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_subsidies")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_campaign_subsidies_entry_seq")),
    )
    op.create_index(
        op.f("ix_campaign_subsidies_campaign_id"),
        "campaign_subsidies",
        ["campaign_id"],
        unique=False,
    )

    op.create_table(
        "campaign_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("subsidy_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(payment_id IS NULL) <> (subsidy_id IS NULL)",
            name=op.f("ck_campaign_refunds_one_payer"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_campaign_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_refunds_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_campaign_refunds_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["campaign_payments.id"],
            name=op.f("fk_campaign_refunds_payment_id_campaign_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["subsidy_id"],
            ["campaign_subsidies.id"],
            name=op.f("fk_campaign_refunds_subsidy_id_campaign_subsidies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_refunds")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_campaign_refunds_entry_seq")),
    )
    op.create_index(
        op.f("ix_campaign_refunds_campaign_id"), "campaign_refunds", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_refunds_payment_id"), "campaign_refunds", ["payment_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_refunds_subsidy_id"), "campaign_refunds", ["subsidy_id"], unique=False
    )

    create_guards(op.get_bind().dialect.name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, *_ in RULES:
            op.execute(f"DROP FUNCTION IF EXISTS huzhu_{name}() CASCADE")
    for table in (
        "campaign_refunds",
        "campaign_subsidies",
        "campaign_payments",
        "campaign_leftovers",
        "campaign_contractor_payments",
        "campaign_shortfalls",
        "campaign_imports",
        "campaign_households",
        "campaigns",
    ):
        op.drop_table(table)
