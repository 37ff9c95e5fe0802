"""Typed rows. Amounts are integer minor units (fen); debit and credit are separate columns.

The schema is created only by the Alembic migrations in `ledger/migrations`; these classes
must describe exactly what the migrations build (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in code; timestamptz on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


ACCOUNT_TYPES = (
    "asset", "liability", "net_assets_unrestricted", "net_assets_restricted", "income", "expense"
)
PERIOD_STATUSES = ("open", "closing", "closed")


class EntityRow(Base):
    """A reporting entity (one set of books)."""

    __tablename__ = "entities"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("kind IN ('mutual_aid_fund', 'foundation')", name="kind"),
    )


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16), ForeignKey("entities.code"))
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("entity", "code"),
        CheckConstraint(f"type IN {ACCOUNT_TYPES!r}", name="type"),
    )


class EntryRow(Base):
    """A posted journal entry (the header). Append-only; chained by `prev_hash` -> `hash`."""

    __tablename__ = "journal_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(16), ForeignKey("entities.code"))
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    memo: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    source_kind: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(100))
    reverses_seq: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("journal_entries.seq"), unique=True
    )
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    postings: Mapped[list[PostingRow]] = relationship(
        back_populates="entry", order_by="PostingRow.line", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="hash_length"),
        CheckConstraint("reverses_seq IS NULL OR reverses_seq < seq", name="reverses_earlier"),
        Index(None, "entity", "effective_date"),
        Index(None, "source_kind", "source_id"),
    )


class PostingRow(Base):
    """One line of an entry. Exactly one of debit / credit is positive; the other is zero."""

    __tablename__ = "postings"

    entry_seq: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("journal_entries.seq", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    )
    line: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: Copy of the entry's date, so balances as of a date are one index range scan.
    effective_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    memo: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[EntryRow] = relationship(back_populates="postings", lazy="raise")
    account: Mapped[AccountRow] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
        CheckConstraint(
            "(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)", name="one_side"
        ),
        CheckConstraint("length(currency) = 3", name="currency"),
        CheckConstraint("line > 0", name="line_positive"),
        Index(None, "account_id", "effective_date", "currency", "debit", "credit"),
    )


class AccountDayTotalRow(Base):
    """The sum of one account's postings on one day in one currency, kept by the database
    (a trigger on postings, migration 0010) so that balances read a few rows per account and
    day instead of every posting; `ledger verify` recomputes them from the postings."""

    __tablename__ = "account_day_totals"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    effective_date: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    debit: Mapped[int] = mapped_column(BigInteger)
    credit: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
    )


class PeriodRow(Base):
    """An accounting period of one entity; postings dated inside a closed one are refused."""

    __tablename__ = "periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16), ForeignKey("entities.code"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")

    __table_args__ = (
        UniqueConstraint("entity", "starts_on", "ends_on"),
        CheckConstraint("starts_on <= ends_on", name="dates"),
        CheckConstraint(f"status IN {PERIOD_STATUSES!r}", name="status"),
    )


class IdempotencyKeyRow(Base):
    """A client's Idempotency-Key: claimed while processing, completed with the response."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_location: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint("state IN ('processing', 'completed')", name="state"),
        CheckConstraint(
            "state = 'processing' OR response_status IS NOT NULL", name="completed_has_response"
        ),
    )


ROLES = ("admin", "fund_manager", "board_member", "auditor")
VOUCHER_STATUSES = ("submitted", "approved", "rejected")


class UserRow(Base):
    """A staff account. `session_version` goes up to end every session of the account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    roles: Mapped[list[UserRoleRow]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="UserRoleRow.role")


class UserRoleRow(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)


class ApiTokenRow(Base):
    """A personal access token, stored as the SHA-256 of the secret (shown once, at creation)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """One audit record. Append-only and hash-chained like the journal."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        Index(None, "action", "object_id", "at"),
        Index(None, "action", "address", "at"),
        Index(None, "at"),
    )


class VoucherRow(Base):
    """A manual journal entry awaiting review (制单 -> 审核): the preparer never approves it."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16), ForeignKey("entities.code"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    entry: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    entry_seq: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("journal_entries.seq"), unique=True)

    __table_args__ = (
        CheckConstraint(f"status IN {VOUCHER_STATUSES!r}", name="status"),
        CheckConstraint("decided_by IS NULL OR decided_by <> submitted_by", name="four_eyes"),
        CheckConstraint("(status = 'submitted') = (decided_by IS NULL)", name="decided"),
        CheckConstraint("(status = 'approved') = (entry_seq IS NOT NULL)", name="posted"),
        Index(None, "status", "id"),
    )


MEMBER_STATUSES = ("active", "suspended", "withdrawn")
PAYMENT_METHODS = ("bank_transfer", "cash", "wechat_pay", "alipay", "cheque")


class MemberRow(Base):
    """A member enterprise of the chamber's mutual-aid fund."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    joined_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES!r}", name="status"),
        CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
    )


class SplitPolicyRow(Base):
    """A version of the split and entitlement policy. Versions are added, never changed."""

    __tablename__ = "split_policies"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    operating_share_bp: Mapped[int] = mapped_column(Integer)  # basis points: 3000 = 30 %
    remainder_rule: Mapped[str] = mapped_column(String(20))
    service_amount: Mapped[int] = mapped_column(BigInteger)  # fen
    per_deposit: Mapped[int] = mapped_column(BigInteger)  # fen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("operating_share_bp BETWEEN 0 AND 10000", name="share"),
        CheckConstraint("remainder_rule IN ('foundation', 'largest_remainder')", name="rule"),
        CheckConstraint("service_amount > 0 AND per_deposit > 0", name="entitlement"),
    )


class TransferRow(Base):
    """A payment of deposits' foundation shares from the fund to the foundation."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    made_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    fund_entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    foundation_entry_seq: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class DepositRow(Base):
    """A mutual-aid deposit, split exactly (operating + foundation = amount, in fen)."""

    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    operating: Mapped[int] = mapped_column(BigInteger)
    foundation: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[int] = mapped_column(ForeignKey("split_policies.version"))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), index=True)
    reversal_seq: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.seq"), unique=True)
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0 AND operating >= 0 AND foundation >= 0", name="amounts"),
        CheckConstraint("operating + foundation = amount", name="exact_split"),
        CheckConstraint(f"method IN {PAYMENT_METHODS!r}", name="method"),
        CheckConstraint("(reversal_seq IS NULL) = (reversal_reason IS NULL)", name="reversal"),
    )


EXPENSE_CATEGORIES = ("administration", "programme", "other")
SERVICE_STATUSES = ("requested", "approved", "active", "repaid", "defaulted", "rejected")


class ExpenseRow(Base):
    """An operating expense of the mutual-aid fund, paid from its operating money."""

    __tablename__ = "expenses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    payee: Mapped[str] = mapped_column(String(200))
    memo: Mapped[str] = mapped_column(String(500))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"category IN {EXPENSE_CATEGORIES!r}", name="category"),
    )


class ServiceRow(Base):
    """A bridging service (续贷过桥) for a member's maturing bank loan."""

    __tablename__ = "bridging_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    bank: Mapped[str] = mapped_column(String(100))
    loan_amount: Mapped[int] = mapped_column(BigInteger)
    bridge_from: Mapped[date] = mapped_column(Date)
    bridge_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advance_entry_seq: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.seq"), unique=True)
    settle_entry_seq: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.seq"), unique=True)
    ended_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("loan_amount > 0", name="amount_positive"),
        CheckConstraint("bridge_from <= bridge_to", name="dates"),
        CheckConstraint(f"status IN {SERVICE_STATUSES!r}", name="status"),
        CheckConstraint("approved_by IS NULL OR approved_by <> requested_by", name="four_eyes"),
        CheckConstraint("status IN ('requested', 'rejected') OR approved_by IS NOT NULL",
                        name="approved"),
        CheckConstraint("settle_entry_seq IS NULL OR advance_entry_seq IS NOT NULL",
                        name="settles_an_advance"),
    )


# --- the foundation: income, grantees, grant rounds ---------------------------------------------
INCOME_SOURCES = ("welfare_lottery", "fiscal", "enterprise", "social_organisation", "individual")
RESTRICTIONS = ("none", "purpose", "round")
ROUND_STATUSES = ("draft", "open", "review", "closed", "cancelled")
APPLICATION_STATUSES = ("submitted", "approved", "rejected", "withdrawn")
GRANT_STATUSES = ("active", "completed", "closed")
ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class IncomeRow(Base):
    """Money the foundation received, by source, unrestricted or restricted."""

    __tablename__ = "incomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(24))
    donor: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    restriction: Mapped[str] = mapped_column(String(12))
    purpose: Mapped[str | None] = mapped_column(String(300))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("grant_rounds.id"), index=True)
    account: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(100))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"source IN {INCOME_SOURCES!r}", name="source"),
        CheckConstraint(f"restriction IN {RESTRICTIONS!r}", name="restriction"),
        CheckConstraint("(restriction = 'round') = (round_id IS NOT NULL)", name="round"),
        CheckConstraint("restriction <> 'purpose' OR purpose IS NOT NULL", name="purpose"),
    )


class ReleaseRow(Base):
    """Restricted income whose restriction was met, released to unrestricted net assets; or,
    with `restored`, grant money of a round that came back and is restricted again."""

    __tablename__ = "restriction_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    income_id: Mapped[int] = mapped_column(ForeignKey("incomes.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    released_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"))
    restored: Mapped[bool] = mapped_column(Boolean, default=False)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class GranteeRow(Base):
    """A social organisation (社会组织) that applies for grants."""

    __tablename__ = "grantees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    registration: Mapped[str] = mapped_column(String(12))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("registration IN ('registered', 'filed')", name="registration"),
        CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
    )


class RoundRow(Base):
    """An open call (公开征集) of the venture-philanthropy programme."""

    __tablename__ = "grant_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[str] = mapped_column(Text)
    budget: Mapped[int] = mapped_column(BigInteger)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    quorum: Mapped[int] = mapped_column(SmallInteger)
    majority: Mapped[str] = mapped_column(String(12))
    assembly_required: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("opens_on <= closes_on", name="window"),
        CheckConstraint("quorum >= 1", name="quorum"),
        CheckConstraint("majority IN ('simple', 'two_thirds')", name="majority"),
        CheckConstraint(f"status IN {ROUND_STATUSES!r}", name="status"),
    )


class CriterionRow(Base):
    __tablename__ = "round_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        UniqueConstraint("round_id", "position"),
        CheckConstraint("weight BETWEEN 1 AND 100", name="weight"),
    )


class ReviewerRow(Base):
    """A board member who reviews and votes in a round."""

    __tablename__ = "round_reviewers"

    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class ApplicationRow(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id"), index=True)
    grantee_id: Mapped[int] = mapped_column(ForeignKey("grantees.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    need: Mapped[str] = mapped_column(Text)
    requested: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    submitted_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("requested > 0", name="requested_positive"),
        CheckConstraint(f"status IN {APPLICATION_STATUSES!r}", name="status"),
    )


class BudgetLineRow(Base):
    __tablename__ = "application_budget_lines"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    item: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class ProposedTrancheRow(Base):
    __tablename__ = "application_tranches"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class AttachmentRow(Base):
    """A document of an application, type-checked by its content and size-limited."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(f"content_type IN {ATTACHMENT_TYPES!r}", name="content_type"),
        CheckConstraint(f"size BETWEEN 1 AND {MAX_ATTACHMENT_BYTES}", name="size"),
    )


class DeclarationRow(Base):
    """A reviewer's declaration of interest on one application, made before scoring."""

    __tablename__ = "declarations"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    conflicted: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(300))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreRow(Base):
    __tablename__ = "scores"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("round_criteria.id"), primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="score"),)


class VoteRow(Base):
    __tablename__ = "votes"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(8))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("choice IN ('for', 'against', 'abstain')", name="choice"),)


class AssemblyVoteRow(Base):
    """The residents' representative assembly's vote (居民代表大会) on an application."""

    __tablename__ = "assembly_votes"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    votes_for: Mapped[int] = mapped_column(Integer)
    against: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("votes_for >= 0 AND against >= 0 AND abstain >= 0", name="counts"),
    )


class ResolutionRow(Base):
    """The board's resolution on an application, with the tally it was decided on."""

    __tablename__ = "resolutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    decided_on: Mapped[date] = mapped_column(Date)
    votes_for: Mapped[int] = mapped_column(Integer)
    against: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    recused: Mapped[int] = mapped_column(Integer)
    quorum: Mapped[int] = mapped_column(SmallInteger)
    passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("NOT passed OR votes_for + against + abstain >= quorum",
                        name="quorum_met"),
    )


class GrantRow(Base):
    """A committed grant: the amount of a passed application, paid in tranches."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id"), index=True)
    grantee_id: Mapped[int] = mapped_column(ForeignKey("grantees.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    commit_entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"),
                                                  unique=True)
    unspent_entry_seq: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.seq"),
                                                          unique=True)
    committed_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN {GRANT_STATUSES!r}", name="status"),
    )


class TrancheRow(Base):
    """A scheduled payment of a grant; `entry_seq` is set once, when it is paid."""

    __tablename__ = "grant_tranches"

    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    final: Mapped[bool] = mapped_column(Boolean)
    paid_on: Mapped[date | None] = mapped_column(Date)
    entry_seq: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.seq"),
                                                  unique=True)

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(paid_on IS NULL) = (entry_seq IS NULL)", name="paid"),
    )


class EvaluationRow(Base):
    """An acceptance evaluation (验收评估) of a grant's project."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    evaluated_on: Mapped[date] = mapped_column(Date)
    evaluators: Mapped[str] = mapped_column(String(300))
    result: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("result IN ('passed', 'failed')", name="result"),)


class ClawbackRow(Base):
    """Grant money the grantee paid back."""

    __tablename__ = "clawbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    returned_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


CAMPAIGN_STATUSES = ("draft", "open", "funded", "contractor_paid", "closed", "cancelled")
CAMPAIGN_SOURCES = ("subsidy", "foundation", "households")
HOUSEHOLD_STATUSES = ("asked", "vacant", "unreachable", "exempt")
PAYMENT_METHODS = ("cash", "wechat", "alipay", "bank")


class CampaignRow(Base):
    """A repair co-funded by a subsidy, the foundation's match and the households (众筹)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community: Mapped[str] = mapped_column(String(100))
    buildings: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(200))
    repair: Mapped[str] = mapped_column(Text)
    contractor: Mapped[str] = mapped_column(String(200))
    cost: Mapped[int] = mapped_column(BigInteger)
    subsidy: Mapped[int] = mapped_column(BigInteger)
    subsidy_from: Mapped[str] = mapped_column(String(200))
    match: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    miss_rule: Mapped[str] = mapped_column(String(16))
    shortfall_source: Mapped[str | None] = mapped_column(String(12))
    leftover_rule: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("cost > 0", name="cost_positive"),
        CheckConstraint("subsidy >= 0 AND match >= 0", name="sources_not_negative"),
        CheckConstraint("subsidy + match < cost", name="gap_positive"),
        CheckConstraint("miss_rule IN ('all_or_nothing', 'keep_raised')", name="miss_rule"),
        CheckConstraint(f"shortfall_source IS NULL OR shortfall_source IN {CAMPAIGN_SOURCES!r}",
                        name="shortfall_source"),
        CheckConstraint("miss_rule <> 'keep_raised' OR shortfall_source IS NOT NULL",
                        name="keep_raised_names_source"),
        CheckConstraint("leftover_rule IN ('refund', 'foundation')", name="leftover_rule"),
        CheckConstraint(f"status IN {CAMPAIGN_STATUSES!r}", name="status"),
    )


class HouseholdRow(Base):
    """A household on a campaign's roll, in roll order (`position`), with its share in fen."""

    __tablename__ = "campaign_households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    position: Mapped[int] = mapped_column(Integer)
    building: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    room: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40))
    share: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("campaign_id", "building", "unit", "room"),
        UniqueConstraint("campaign_id", "position"),
        CheckConstraint("share >= 0", name="share_not_negative"),
        CheckConstraint(f"status IN {HOUSEHOLD_STATUSES!r}", name="status"),
        CheckConstraint("status = 'asked' OR reason IS NOT NULL", name="reason"),
    )


class CampaignImportRow(Base):
    """An imported roll or payment file that wrote something, with its report (JSON)."""

    __tablename__ = "campaign_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    report: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("kind IN ('roll', 'payments')", name="kind"),)


class SubsidyReceiptRow(Base):
    """Subsidy money received for a campaign (restricted to it)."""

    __tablename__ = "campaign_subsidies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    payer: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class CampaignPaymentRow(Base):
    """A household's payment, with the code on its receipt."""

    __tablename__ = "campaign_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("campaign_households.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(64))
    receipt_code: Mapped[str] = mapped_column(String(14), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_imports.id"))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("campaign_id", "reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"method IN {PAYMENT_METHODS!r}", name="method"),
    )


class CampaignRefundRow(Base):
    """Money given back: a household's payment or subsidy (cancellation, leftover)."""

    __tablename__ = "campaign_refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_payments.id"),
                                                   index=True)
    subsidy_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_subsidies.id"),
                                                   index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(payment_id IS NULL) <> (subsidy_id IS NULL)", name="one_payer"),
    )


class ShortfallRow(Base):
    """Shortfall (the shares of households not asked to pay) assigned to a source."""

    __tablename__ = "campaign_shortfalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"source IN {CAMPAIGN_SOURCES!r}", name="source"),
    )


class ContractorPaymentRow(Base):
    """A payment to the contractor; `restricted` fen of it came from the campaign's
    restricted money (released by `release_entry_seq`), the rest from the foundation's match."""

    __tablename__ = "campaign_contractor_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    restricted: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    release_entry_seq: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.seq"),
                                                          unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("restricted >= 0 AND restricted <= amount", name="restricted_part"),
        CheckConstraint("(restricted > 0) = (release_entry_seq IS NOT NULL)", name="released"),
    )


class LeftoverReleaseRow(Base):
    """Leftover restricted money given to the foundation, with its disclosure."""

    __tablename__ = "campaign_leftovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    released_on: Mapped[date] = mapped_column(Date)
    disclosure: Mapped[str] = mapped_column(Text)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("journal_entries.seq"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


OPINIONS = ("unqualified", "qualified", "adverse", "disclaimer")


class PeriodCloseRow(Base):
    """A period's close: the chain head then, and the entity's balances at the period's end
    (JSON: account code -> [debits, credits] in fen, CNY)."""

    __tablename__ = "period_closes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    balances: Mapped[str] = mapped_column(Text)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("head_seq >= 0", name="head_seq"),)


class PeriodRootRow(Base):
    """The Merkle root of a close's entries (those dated in the period, by number): what a
    sign-off of that close signs, and what a resident's inclusion proof leads to."""

    __tablename__ = "period_roots"

    close_id: Mapped[int] = mapped_column(ForeignKey("period_closes.id"), primary_key=True)
    root: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("length(root) = 64", name="root"),
        CheckConstraint("size >= 0", name="size"),
    )


class MerkleNodeRow(Base):
    """A node of a close's Merkle tree: level 0 holds the leaves (with their entry's number),
    the last level the root (see ledger.core.merkle)."""

    __tablename__ = "merkle_nodes"

    close_id: Mapped[int] = mapped_column(ForeignKey("period_closes.id"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    entry_seq: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.seq"))

    __table_args__ = (
        CheckConstraint("length(hash) = 64", name="hash"),
        CheckConstraint("level >= 0 AND position >= 0", name="place"),
        CheckConstraint("(level = 0) = (entry_seq IS NOT NULL)", name="leaf_entry"),
        UniqueConstraint("close_id", "entry_seq"),
    )


class PeriodReopenRow(Base):
    """An admin reopened a closed period, with a reason (its sign-off no longer holds)."""

    __tablename__ = "period_reopens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reopened_by: Mapped[str] = mapped_column(String(100))


class SignOffRow(Base):
    """An auditor's sign-off of one close of a period, with the verification it ran (JSON)."""

    __tablename__ = "signoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("period_closes.id"), unique=True)
    opinion: Mapped[str] = mapped_column(String(12))
    notes: Mapped[str] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint(f"opinion IN {OPINIONS!r}", name="opinion"),)


class StatementFileRow(Base):
    """The statements of a signed period as a PDF, generated once and served as stored."""

    __tablename__ = "statement_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signoff_id: Mapped[int] = mapped_column(ForeignKey("signoffs.id"))
    lang: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("signoff_id", "lang"),
        CheckConstraint("lang IN ('zh', 'en')", name="lang"),
        CheckConstraint("length(sha256) = 64", name="sha256"),
    )
