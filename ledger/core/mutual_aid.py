"""The mutual-aid fund's rules: the split policy, entitlements, and the entries they post.

A member's deposit (互助资金) is split by the policy in force on the day it is received:
the operating share (default 30 %) stays with the fund as operating funds (运作经费); the
foundation share (default 70 %) is owed to the community foundation until a transfer pays it.

Remainder rules, for amounts that do not split evenly into fen:
- ``foundation`` (the default): the operating share is rounded down to the fen and the
  foundation gets the rest, so any odd fen goes to public benefit;
- ``largest_remainder``: `money.allocate` (each part within a fen of its exact share, the odd
  fen to the larger remainder, ties to the operating share).

The service cap (资金互助服务额度) is proportional: `service_amount` of bridging for every
`per_deposit` of deposits (5,000,000 for 350,000), rounded down to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from moneyed import Money

from .entries import JournalEntry, Posting, SourceRef
from .errors import InvalidInput
from .money import allocate, from_minor, to_minor
from .states import check_move

FUND, FOUNDATION = "fund", "foundation"
BANK, OPERATING_INCOME, PAYABLE_TO_FOUNDATION = "1002", "420101", "2209"
FOUNDATION_BANK, FROM_MUTUAL_AID_FUND = "1002", "410103"


class RemainderRule(StrEnum):
    FOUNDATION = "foundation"
    LARGEST_REMAINDER = "largest_remainder"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    CHEQUE = "cheque"


@dataclass(frozen=True, slots=True)
class SplitPolicy:
    """One version of the split and entitlement policy, in force from `effective_from`."""

    version: int
    effective_from: date
    operating_share: Decimal  # e.g. Decimal("0.30")
    remainder_rule: RemainderRule
    service_amount: Money  # e.g. 5,000,000.00 of bridging ...
    per_deposit: Money  # ... for every 350,000.00 deposited

    @property
    def foundation_share(self) -> Decimal:
        return 1 - self.operating_share

    def split(self, deposit: Money) -> tuple[Money, Money]:
        """(operating share, foundation share): exact, they always add up to the deposit."""
        if self.remainder_rule is RemainderRule.LARGEST_REMAINDER:
            operating, foundation = allocate(deposit, [self.operating_share,
                                                       self.foundation_share])
            return operating, foundation
        total = to_minor(deposit)
        operating_minor = int(Fraction(total) * Fraction(self.operating_share))  # floor
        return (from_minor(operating_minor, deposit.currency),
                from_minor(total - operating_minor, deposit.currency))

    def cap(self, deposits: Money) -> Money:
        """The bridging service these deposits entitle a member to (rounded down)."""
        ratio = Fraction(to_minor(self.service_amount), to_minor(self.per_deposit))
        return from_minor(int(Fraction(to_minor(deposits)) * ratio), deposits.currency)


def check_policy(operating_share: Decimal, service_amount: Money, per_deposit: Money) -> None:
    if not Decimal(0) <= operating_share <= Decimal(1):
        raise InvalidInput("the operating share is a fraction from 0 to 1, e.g. 0.30",
                           field="operating_share")
    if operating_share.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InvalidInput("the operating share has at most 4 decimals (0.3125)",
                           field="operating_share")
    if service_amount.amount <= 0 or per_deposit.amount <= 0:
        raise InvalidInput("the entitlement needs a positive service amount and deposit",
                           field="service_amount")


def deposit_entry(*, deposit_id: int, member: str, amount: Money, operating: Money,
                  foundation: Money, received_on: date, actor: str, memo: str = ""
                  ) -> JournalEntry:
    """Cash in; the operating share is the fund's income; the rest is owed to the foundation."""
    postings = [Posting.debit(BANK, amount)]
    if operating.amount:
        postings.append(Posting.credit(OPERATING_INCOME, operating))
    if foundation.amount:
        postings.append(Posting.credit(PAYABLE_TO_FOUNDATION, foundation))
    return JournalEntry(
        entity=FUND, effective_date=received_on, actor=actor,
        memo=memo or f"互助资金 {member} / mutual-aid deposit",
        postings=tuple(postings), source=SourceRef("deposit", str(deposit_id)))


def transfer_entries(*, transfer_id: int, amount: Money, made_on: date, actor: str,
                     memo: str = "") -> tuple[JournalEntry, JournalEntry]:
    """The fund pays what it owes the foundation; the foundation books it as income."""
    text = memo or "互助资金转入基金会 / mutual-aid deposits to the foundation"
    source = SourceRef("transfer", str(transfer_id))
    return (
        JournalEntry(entity=FUND, effective_date=made_on, actor=actor, memo=text, source=source,
                     postings=(Posting.debit(PAYABLE_TO_FOUNDATION, amount),
                               Posting.credit(BANK, amount))),
        JournalEntry(entity=FOUNDATION, effective_date=made_on, actor=actor, memo=text,
                     source=source,
                     postings=(Posting.debit(FOUNDATION_BANK, amount),
                               Posting.credit(FROM_MUTUAL_AID_FUND, amount))),
    )


def transfer_return_entries(*, deposit_id: int, amount: Money, on: date, actor: str
                            ) -> tuple[JournalEntry, JournalEntry]:
    """Undo a reversed deposit's foundation share that was already transferred: the
    foundation gives it back and the fund's payable is restored (then cleared by the
    deposit's own reversal)."""
    memo = f"冲销已转入的互助资金 #{deposit_id} / return of a reversed deposit's share"
    source = SourceRef("deposit", str(deposit_id))
    return (
        JournalEntry(entity=FOUNDATION, effective_date=on, actor=actor, memo=memo, source=source,
                     postings=(Posting.debit(FROM_MUTUAL_AID_FUND, amount),
                               Posting.credit(FOUNDATION_BANK, amount))),
        JournalEntry(entity=FUND, effective_date=on, actor=actor, memo=memo, source=source,
                     postings=(Posting.debit(BANK, amount),
                               Posting.credit(PAYABLE_TO_FOUNDATION, amount))),
    )


# --- operating expenses and bridging services -----------------------------------------------
ADVANCES, OTHER_EXPENSES = "1122", "5401"
#: Expense categories and the account each is charged to.
EXPENSE_ACCOUNTS = {"administration": "5201", "programme": "5101", "other": "5401"}
#: The accounts whose balance is the fund's operating money: income less expenses.
OPERATING_INCOME_ACCOUNTS = ("420101", "490101")
EXPENSE_ACCOUNT_CODES = ("5101", "5201", "5401")


class ServiceStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    ACTIVE = "active"
    REPAID = "repaid"
    DEFAULTED = "defaulted"
    REJECTED = "rejected"


#: Services that hold part of a member's cap: approved and not repaid. A default is never
#: repaid, so it holds its part for good; only repayment (or rejection) restores the cap.
OUTSTANDING = (ServiceStatus.APPROVED, ServiceStatus.ACTIVE, ServiceStatus.DEFAULTED)
TRANSITIONS = {
    ServiceStatus.REQUESTED: (ServiceStatus.APPROVED, ServiceStatus.REJECTED),
    ServiceStatus.APPROVED: (ServiceStatus.ACTIVE, ServiceStatus.REPAID),
    ServiceStatus.ACTIVE: (ServiceStatus.REPAID, ServiceStatus.DEFAULTED),
}


def check_transition(current: ServiceStatus, new: ServiceStatus) -> None:
    check_move(TRANSITIONS, current, new, what="service", error=InvalidInput)


def expense_entry(*, expense_id: int, category: str, amount: Money, spent_on: date,
                  payee: str, memo: str, actor: str) -> JournalEntry:
    try:
        account = EXPENSE_ACCOUNTS[category]
    except KeyError:
        raise InvalidInput(f"category is one of {', '.join(EXPENSE_ACCOUNTS)}",
                           field="category") from None
    return JournalEntry(
        entity=FUND, effective_date=spent_on, actor=actor, memo=f"{payee}: {memo}"[:500],
        source=SourceRef("expense", str(expense_id)),
        postings=(Posting.debit(account, amount), Posting.credit(BANK, amount)))


def advance_entry(*, service_id: int, member: str, amount: Money, on: date, actor: str
                  ) -> JournalEntry:
    """The fund bridges a maturing loan: cash out, a receivable from the member."""
    return JournalEntry(
        entity=FUND, effective_date=on, actor=actor,
        memo=f"续贷过桥垫款 {member} / bridging advance", source=SourceRef("service",
                                                                      str(service_id)),
        postings=(Posting.debit(ADVANCES, amount), Posting.credit(BANK, amount)))


def repayment_entry(*, service_id: int, member: str, amount: Money, on: date, actor: str
                    ) -> JournalEntry:
    return JournalEntry(
        entity=FUND, effective_date=on, actor=actor,
        memo=f"过桥垫款归还 {member} / bridging advance repaid",
        source=SourceRef("service", str(service_id)),
        postings=(Posting.debit(BANK, amount), Posting.credit(ADVANCES, amount)))


def default_entry(*, service_id: int, member: str, amount: Money, on: date, actor: str
                  ) -> JournalEntry:
    """An advance the member will not repay is written off as an expense of the fund."""
    return JournalEntry(
        entity=FUND, effective_date=on, actor=actor,
        memo=f"过桥垫款核销 {member} / bridging advance written off",
        source=SourceRef("service", str(service_id)),
        postings=(Posting.debit(OTHER_EXPENSES, amount), Posting.credit(ADVANCES, amount)))
