"""The foundation's income and venture-philanthropy grants (公益创投).

Income by source and restriction, releases of restrictions, grantees, rounds with criteria
and reviewers, applications (budget lines, proposed tranches, attachments), declarations of
interest, scores, votes, the assembly's vote, resolutions, grants with tranches, evaluations
and clawbacks.

The database refuses: a score or vote without a declaration of no conflict by one of the
round's reviewers; a second vote; commitments beyond a round's budget; releasing more than a
restricted income; paying the final tranche without a passed evaluation; changing what was
recorded (declarations, scores, votes, resolutions, evaluations, income, releases,
clawbacks, attachments, a tranche once paid, a grant's amount).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
#: Records kept as they were written: no UPDATE, DELETE or TRUNCATE.
KEPT = (
    "incomes",
    "restriction_releases",
    "declarations",
    "scores",
    "votes",
    "assembly_votes",
    "resolutions",
    "evaluations",
    "clawbacks",
    "attachments",
)
#: Rows that may change in set ways only, but are never deleted.
NOT_DELETED = (
    "grantees",
    "grant_rounds",
    "round_criteria",
    "round_reviewers",
    "applications",
    "application_budget_lines",
    "application_tranches",
    "grants",
    "grant_tranches",
)

# Conditions under which a row is refused (SQLite syntax; "IS NOT" becomes "IS DISTINCT FROM").
_REVIEWER = (
    "NOT EXISTS (SELECT 1 FROM round_reviewers r JOIN applications a"
    " ON a.round_id = r.round_id WHERE a.id = NEW.application_id"
    " AND r.user_id = NEW.user_id)"
)
_UNDECLARED = (
    "NOT EXISTS (SELECT 1 FROM declarations d WHERE d.application_id ="
    " NEW.application_id AND d.user_id = NEW.user_id AND NOT d.conflicted)"
)
_OTHER_ROUNDS_CRITERION = (
    "NOT EXISTS (SELECT 1 FROM round_criteria c JOIN applications a ON a.round_id = c.round_id"
    " WHERE c.id = NEW.criterion_id AND a.id = NEW.application_id)"
)
_OVER_BUDGET = (
    "(SELECT coalesce(sum(g.amount), 0) FROM grants g WHERE g.round_id ="
    " NEW.round_id) + NEW.amount > (SELECT budget FROM grant_rounds"
    " WHERE id = NEW.round_id)"
)
_NET_RELEASED = (
    "(SELECT coalesce(sum(CASE WHEN r.restored THEN -r.amount ELSE r.amount END), 0)"
    " FROM restriction_releases r WHERE r.income_id = NEW.income_id)"
)
_OVER_RELEASED = (
    f"(NOT NEW.restored AND {_NET_RELEASED} + NEW.amount > (SELECT amount FROM incomes i"
    " WHERE i.id = NEW.income_id))"
    f" OR (NEW.restored AND NEW.amount > {_NET_RELEASED})"
    " OR (SELECT restriction FROM incomes i WHERE i.id = NEW.income_id) = 'none'"
)
_GRANT_CHANGED = (
    "NEW.application_id <> OLD.application_id OR NEW.round_id <> OLD.round_id"
    " OR NEW.grantee_id <> OLD.grantee_id OR NEW.amount <> OLD.amount"
    " OR NEW.commit_entry_seq <> OLD.commit_entry_seq"
    " OR NEW.committed_on <> OLD.committed_on"
    " OR (OLD.unspent_entry_seq IS NOT NULL"
    " AND NEW.unspent_entry_seq IS NOT OLD.unspent_entry_seq)"
    " OR OLD.status <> 'active'"
)
_TRANCHE_CHANGED = (
    "NEW.grant_id <> OLD.grant_id OR NEW.number <> OLD.number"
    " OR NEW.due_on <> OLD.due_on OR NEW.amount <> OLD.amount"
    " OR NEW.final <> OLD.final OR OLD.entry_seq IS NOT NULL"
)
_BUDGET_BELOW_COMMITTED = (
    "NEW.budget < (SELECT coalesce(sum(g.amount), 0) FROM grants g WHERE g.round_id = NEW.id)"
)
_FINAL_UNEVALUATED = (
    "NEW.final AND NEW.entry_seq IS NOT NULL AND (SELECT e.result FROM"
    " evaluations e WHERE e.grant_id = NEW.grant_id ORDER BY"
    " e.evaluated_on DESC, e.id DESC LIMIT 1) IS NOT 'passed'"
)

RULES = (  # (name, table, events, condition, message)
    (
        "declarations_by_reviewer",
        "declarations",
        "INSERT",
        _REVIEWER,
        "only reviewers of the round declare interests",
    ),
    (
        "scores_need_declaration",
        "scores",
        "INSERT",
        f"{_REVIEWER} OR {_UNDECLARED} OR {_OTHER_ROUNDS_CRITERION}",
        "a score needs a reviewer who declared no conflict, on a criterion of the round",
    ),
    (
        "votes_need_declaration",
        "votes",
        "INSERT",
        f"{_REVIEWER} OR {_UNDECLARED}",
        "a vote needs a reviewer who declared no conflict",
    ),
    (
        "grants_within_budget",
        "grants",
        "INSERT",
        _OVER_BUDGET,
        "commitments would exceed the round budget",
    ),
    (
        "releases_within_income",
        "restriction_releases",
        "INSERT",
        _OVER_RELEASED,
        "more released than the restricted income",
    ),
    (
        "grants_fixed",
        "grants",
        "UPDATE",
        _GRANT_CHANGED,
        "a grant changes only its status, once, when it ends",
    ),
    (
        "tranches_fixed",
        "grant_tranches",
        "UPDATE",
        _TRANCHE_CHANGED,
        "a tranche is paid once and its schedule never changes",
    ),
    (
        "rounds_budget_covers_commitments",
        "grant_rounds",
        "UPDATE",
        _BUDGET_BELOW_COMMITTED,
        "commitments would exceed the round budget",
    ),
    (
        "final_tranche_evaluated_on_insert",
        "grant_tranches",
        "INSERT",
        _FINAL_UNEVALUATED,
        "the final tranche needs a passed evaluation",
    ),
    (
        "final_tranche_evaluated",
        "grant_tranches",
        "UPDATE",
        _FINAL_UNEVALUATED,
        "the final tranche needs a passed evaluation",
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
        for table in (*KEPT, *NOT_DELETED):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION huzhu_append_only()"
            )
        for name, table, event, condition, message in RULES:
            condition = condition.replace("IS NOT OLD", "IS DISTINCT FROM OLD").replace(
                "IS NOT 'passed'", "IS DISTINCT FROM 'passed'"
            )
            op.execute(f"""
                CREATE FUNCTION huzhu_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF {condition} THEN
                    RAISE EXCEPTION 'grants: {message}' USING ERRCODE = 'restrict_violation';
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
                f" BEGIN SELECT RAISE(ABORT, 'grants: {event} on {table} refused:"
                f" records are kept'); END"
            )
    for table in NOT_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
            f" BEGIN SELECT RAISE(ABORT, 'grants: DELETE on {table} refused:"
            f" records are kept'); END"
        )
    for name, table, event, condition, message in RULES:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition}"
            f" BEGIN SELECT RAISE(ABORT, 'grants: {message}'); END"
        )


def upgrade() -> None:
    op.create_table(
        "grant_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("eligibility", sa.Text(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("quorum", sa.SmallInteger(), nullable=False),
        sa.Column("majority", sa.String(length=12), nullable=False),
        sa.Column("assembly_required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "majority IN ('simple', 'two_thirds')", name=op.f("ck_grant_rounds_majority")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'review', 'closed', 'cancelled')",
            name=op.f("ck_grant_rounds_status"),
        ),
        sa.CheckConstraint("budget > 0", name=op.f("ck_grant_rounds_budget_positive")),
        sa.CheckConstraint("opens_on <= closes_on", name=op.f("ck_grant_rounds_window")),
        sa.CheckConstraint("quorum >= 1", name=op.f("ck_grant_rounds_quorum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_rounds")),
    )
    op.create_table(
        "grantees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("registration", sa.String(length=12), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("bank_account", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "registration IN ('registered', 'filed')", name=op.f("ck_grantees_registration")
        ),
        sa.CheckConstraint("length(credit_code) = 18", name=op.f("ck_grantees_credit_code_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grantees")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_grantees_credit_code")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("grantee_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("requested", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_applications_status"),
        ),
        sa.CheckConstraint("requested > 0", name=op.f("ck_applications_requested_positive")),
        sa.ForeignKeyConstraint(
            ["grantee_id"], ["grantees.id"], name=op.f("fk_applications_grantee_id_grantees")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["grant_rounds.id"], name=op.f("fk_applications_round_id_grant_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index("ix_applications_grantee_id", "applications", ["grantee_id"], unique=False)
    op.create_index("ix_applications_round_id", "applications", ["round_id"], unique=False)

    op.create_table(
        "round_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_round_criteria_weight")),
        sa.ForeignKeyConstraint(
            ["round_id"], ["grant_rounds.id"], name=op.f("fk_round_criteria_round_id_grant_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_criteria")),
        sa.UniqueConstraint("round_id", "name", name=op.f("uq_round_criteria_round_id_name")),
        sa.UniqueConstraint(
            "round_id", "position", name=op.f("uq_round_criteria_round_id_position")
        ),
    )
    op.create_table(
        "round_reviewers",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["grant_rounds.id"], name=op.f("fk_round_reviewers_round_id_grant_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_round_reviewers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_round_reviewers")),
    )
    op.create_table(
        "application_budget_lines",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_application_budget_lines_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_budget_lines_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "position", name=op.f("pk_application_budget_lines")
        ),
    )
    op.create_table(
        "application_tranches",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_application_tranches_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_tranches_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", "number", name=op.f("pk_application_tranches")),
    )
    op.create_table(
        "assembly_votes",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("against", sa.Integer(), nullable=False),
        sa.Column("abstain", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "votes_for >= 0 AND against >= 0 AND abstain >= 0",
            name=op.f("ck_assembly_votes_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_assembly_votes_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_assembly_votes")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_attachments_content_type"),
        ),
        sa.CheckConstraint("size BETWEEN 1 AND 5242880", name=op.f("ck_attachments_size")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_attachments_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(
        "ix_attachments_application_id", "attachments", ["application_id"], unique=False
    )

    op.create_table(
        "declarations",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("conflicted", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_declarations_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_declarations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("application_id", "user_id", name=op.f("pk_declarations")),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("grantee_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("commit_entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("unspent_entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("committed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'closed')", name=op.f("ck_grants_status")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_grants_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_grants_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["commit_entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_grants_commit_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grantee_id"], ["grantees.id"], name=op.f("fk_grants_grantee_id_grantees")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["grant_rounds.id"], name=op.f("fk_grants_round_id_grant_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["unspent_entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_grants_unspent_entry_seq_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint("application_id", name=op.f("uq_grants_application_id")),
        sa.UniqueConstraint("commit_entry_seq", name=op.f("uq_grants_commit_entry_seq")),
        sa.UniqueConstraint("unspent_entry_seq", name=op.f("uq_grants_unspent_entry_seq")),
    )
    op.create_index("ix_grants_grantee_id", "grants", ["grantee_id"], unique=False)
    op.create_index("ix_grants_round_id", "grants", ["round_id"], unique=False)

    op.create_table(
        "incomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("donor", sa.String(length=200), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("restriction", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.String(length=300), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(restriction = 'round') = (round_id IS NOT NULL)", name=op.f("ck_incomes_round")
        ),
        sa.CheckConstraint(
            "restriction <> 'purpose' OR purpose IS NOT NULL", name=op.f("ck_incomes_purpose")
        ),
        sa.CheckConstraint(
            "restriction IN ('none', 'purpose', 'round')", name=op.f("ck_incomes_restriction")
        ),
        sa.CheckConstraint(
            "source IN ('welfare_lottery', 'fiscal', 'enterprise', 'social_organisation', 'individual')",
            name=op.f("ck_incomes_source"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_incomes_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_incomes_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["grant_rounds.id"], name=op.f("fk_incomes_round_id_grant_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incomes")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_incomes_entry_seq")),
    )
    op.create_index("ix_incomes_round_id", "incomes", ["round_id"], unique=False)

    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("against", sa.Integer(), nullable=False),
        sa.Column("abstain", sa.Integer(), nullable=False),
        sa.Column("recused", sa.Integer(), nullable=False),
        sa.Column("quorum", sa.SmallInteger(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "NOT passed OR votes_for + against + abstain >= quorum",
            name=op.f("ck_resolutions_quorum_met"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_resolutions_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolutions")),
    )
    op.create_index(
        "ix_resolutions_application_id", "resolutions", ["application_id"], unique=False
    )

    op.create_table(
        "scores",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_scores_score")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_scores_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["round_criteria.id"],
            name=op.f("fk_scores_criterion_id_round_criteria"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_scores_user_id_users")),
        sa.PrimaryKeyConstraint(
            "application_id", "user_id", "criterion_id", name=op.f("pk_scores")
        ),
    )
    op.create_table(
        "votes",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("choice IN ('for', 'against', 'abstain')", name=op.f("ck_votes_choice")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_votes_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_votes_user_id_users")),
        sa.PrimaryKeyConstraint("application_id", "user_id", name=op.f("pk_votes")),
    )
    op.create_table(
        "clawbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_clawbacks_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_clawbacks_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_clawbacks_grant_id_grants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clawbacks")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_clawbacks_entry_seq")),
    )
    op.create_index("ix_clawbacks_grant_id", "clawbacks", ["grant_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("evaluators", sa.String(length=300), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("result IN ('passed', 'failed')", name=op.f("ck_evaluations_result")),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_evaluations_grant_id_grants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index("ix_evaluations_grant_id", "evaluations", ["grant_id"], unique=False)

    op.create_table(
        "grant_tranches",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(paid_on IS NULL) = (entry_seq IS NULL)", name=op.f("ck_grant_tranches_paid")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_grant_tranches_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_grant_tranches_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_grant_tranches_grant_id_grants")
        ),
        sa.PrimaryKeyConstraint("grant_id", "number", name=op.f("pk_grant_tranches")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_grant_tranches_entry_seq")),
    )
    op.create_table(
        "restriction_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("income_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("restored", sa.Boolean(), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_restriction_releases_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entry_seq"],
            ["journal_entries.seq"],
            name=op.f("fk_restriction_releases_entry_seq_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_restriction_releases_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["income_id"], ["incomes.id"], name=op.f("fk_restriction_releases_income_id_incomes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction_releases")),
        sa.UniqueConstraint("entry_seq", name=op.f("uq_restriction_releases_entry_seq")),
    )
    op.create_index(
        "ix_restriction_releases_income_id", "restriction_releases", ["income_id"], unique=False
    )
    create_guards(op.get_bind().dialect.name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, *_ in RULES:
            op.execute(f"DROP FUNCTION IF EXISTS huzhu_{name}() CASCADE")
    op.drop_table("restriction_releases")
    op.drop_table("grant_tranches")
    op.drop_table("evaluations")
    op.drop_table("clawbacks")
    op.drop_table("votes")
    op.drop_table("scores")
    op.drop_table("resolutions")
    op.drop_table("incomes")
    op.drop_table("grants")
    op.drop_table("declarations")
    op.drop_table("attachments")
    op.drop_table("assembly_votes")
    op.drop_table("application_tranches")
    op.drop_table("application_budget_lines")
    op.drop_table("round_reviewers")
    op.drop_table("round_criteria")
    op.drop_table("applications")
    op.drop_table("grantees")
    op.drop_table("grant_rounds")
