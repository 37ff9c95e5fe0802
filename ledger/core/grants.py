"""The foundation's rules: income by source and restriction, and venture-philanthropy grants
(公益创投): rounds, scoring, resolutions with a quorum, commitments, tranches.

How the foundation's money is held (a two-phase reservation, like a pending transfer):
- a round that opens *reserves* its budget (pending, not in the books);
- a passed resolution *commits* a grant: the expense is recognised and a grant payable
  (220901) is posted, taking the amount out of the round's reservation;
- each tranche paid settles part of the payable; unspent commitments and clawed-back money come
  back by posted entries;
- a round that closes voids what is left of its reservation.

    available = cash and bank - grants payable - open reservations - restricted money

where money restricted to a round counts once: a round holds the larger of its open
reservation and the restricted money given for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

from moneyed import Money

from .entries import JournalEntry, Posting, SourceRef
from .errors import Conflict, InvalidInput
from .states import check_move

FOUNDATION = "foundation"
CASH, BANK = "1001", "1002"
GRANTS_PAYABLE, PROGRAMME_COSTS = "220901", "5101"
UNRESTRICTED_NET_ASSETS, RESTRICTED_NET_ASSETS = "3101", "3102"


class IncomeSource(StrEnum):
    """Where the foundation's income comes from (seed 001)."""

    WELFARE_LOTTERY = "welfare_lottery"  # 福彩公益金
    FISCAL = "fiscal"  # 财政资金
    ENTERPRISE = "enterprise"  # 企业资金
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织专项资金
    INDIVIDUAL = "individual"  # 个人捐赠


#: Public money is a government grant (补助收入); the rest is a donation (捐赠收入).
GOVERNMENT_SOURCES = (IncomeSource.WELFARE_LOTTERY, IncomeSource.FISCAL)


class Restriction(StrEnum):
    NONE = "none"  # 非限定性
    PURPOSE = "purpose"  # 限定性: to a stated purpose
    ROUND = "round"  # 限定性: to a grant round


def income_account(source: IncomeSource, restriction: Restriction) -> str:
    """The income account a receipt is credited to: by kind of income and restriction."""
    government = source in GOVERNMENT_SOURCES
    restricted = restriction is not Restriction.NONE
    return {(True, False): "450101", (True, True): "450102",
            (False, False): "410101", (False, True): "410102"}[(government, restricted)]


class RoundStatus(StrEnum):
    DRAFT = "draft"  # being set up
    OPEN = "open"  # open call: budget reserved, applications taken
    REVIEW = "review"  # applications closed; the board declares, scores, votes, resolves
    CLOSED = "closed"  # decided; what is left of the reservation is void
    CANCELLED = "cancelled"


ROUND_TRANSITIONS = {
    RoundStatus.DRAFT: (RoundStatus.OPEN, RoundStatus.CANCELLED),
    RoundStatus.OPEN: (RoundStatus.REVIEW, RoundStatus.CANCELLED),
    RoundStatus.REVIEW: (RoundStatus.CLOSED,),
}
#: Rounds whose budget is reserved.
RESERVING = (RoundStatus.OPEN, RoundStatus.REVIEW)


class Majority(StrEnum):
    SIMPLE = "simple"  # more than half of the votes cast are for
    TWO_THIRDS = "two_thirds"  # at least two thirds of the votes cast are for


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Choice(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class GrantStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # every tranche paid
    CLOSED = "closed"  # ended early; the unpaid commitment went back to available funds


class Registration(StrEnum):
    REGISTERED = "registered"  # 登记
    FILED = "filed"  # 备案


class EvaluationResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


def check_round_transition(current: RoundStatus, new: RoundStatus) -> None:
    check_move(ROUND_TRANSITIONS, current, new, what="round", error=RoundNotInState)


# --- errors -----------------------------------------------------------------------------------
class RoundNotInState(Conflict):
    code = "round-state"
    title = "The round is not at that stage"


class ApplicationNotInState(Conflict):
    code = "application-state"
    title = "The application is not at that stage"


class OverCommitted(Conflict):
    """A commitment beyond what the round's budget or the foundation's funds leave."""

    code = "over-committed"
    title = "Not enough uncommitted funds"


class NotAReviewer(Conflict):
    code = "not-a-reviewer"
    title = "Only the round's board reviewers may do this"


class ConflictOfInterest(Conflict):
    code = "conflict-of-interest"
    title = "A conflicted member may not score or vote"


class DeclarationMissing(Conflict):
    code = "declaration-missing"
    title = "Declare any conflict of interest first"


class AlreadyVoted(Conflict):
    code = "already-voted"
    title = "This member has already voted on the application"


class BeyondSchedule(Conflict):
    code = "beyond-schedule"
    title = "The payment is not in the tranche schedule"


class EvaluationRequired(Conflict):
    code = "evaluation-required"
    title = "The final tranche needs a passed acceptance evaluation"


# --- scoring ----------------------------------------------------------------------------------
MAX_SCORE = 100
MAX_CRITERIA = 10


@dataclass(frozen=True, slots=True)
class Criterion:
    """A scoring criterion; weights are whole percentages adding up to 100."""

    name: str
    weight: int


def check_criteria(criteria: Sequence[Criterion]) -> None:
    if not 1 <= len(criteria) <= MAX_CRITERIA:
        raise InvalidInput(f"a round has 1 to {MAX_CRITERIA} scoring criteria",
                           field="criteria")
    names = [c.name.strip() for c in criteria]
    if any(not n or len(n) > 100 for n in names):
        raise InvalidInput("each criterion has a name of 1 to 100 characters", field="criteria")
    if len(set(names)) != len(names):
        raise InvalidInput("criteria names are unique within a round", field="criteria")
    if any(not 1 <= c.weight <= 100 for c in criteria):
        raise InvalidInput("each weight is a whole percentage from 1 to 100", field="criteria")
    if sum(c.weight for c in criteria) != 100:
        raise InvalidInput(f"the weights add up to {sum(c.weight for c in criteria)}, "
                           f"not 100", field="criteria")


def check_scores(scores: Mapping[str, int], criteria: Sequence[Criterion]) -> None:
    """One score from 0 to 100 for every criterion of the round, and nothing else."""
    expected = {c.name for c in criteria}
    if set(scores) != expected:
        missing, extra = expected - set(scores), set(scores) - expected
        detail = "; ".join(filter(None, [
            f"missing {', '.join(sorted(missing))}" if missing else "",
            f"unknown {', '.join(sorted(extra))}" if extra else ""]))
        raise InvalidInput(f"score every criterion of the round once ({detail})",
                           field="scores")
    if any(not 0 <= s <= MAX_SCORE for s in scores.values()):
        raise InvalidInput(f"each score is a whole number from 0 to {MAX_SCORE}",
                           field="scores")


def weighted_score(scores: Mapping[str, int], criteria: Sequence[Criterion]) -> Decimal:
    """One reviewer's score of an application: the weighted mean, 0 to 100, two decimals."""
    total = sum(Decimal(scores[c.name]) * c.weight for c in criteria) / 100
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def mean_score(per_reviewer: Sequence[Decimal]) -> Decimal | None:
    """An application's score: the mean of its reviewers' weighted scores (half up)."""
    if not per_reviewer:
        return None
    return (sum(per_reviewer, Decimal(0)) / len(per_reviewer)).quantize(
        Decimal("0.01"), ROUND_HALF_UP)


# --- resolutions ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Tally:
    """The votes on one application by non-conflicted reviewers, and the recusals."""

    votes_for: int
    against: int
    abstain: int
    recused: int

    @property
    def cast(self) -> int:
        return self.votes_for + self.against + self.abstain


@dataclass(frozen=True, slots=True)
class Outcome:
    passed: bool
    quorate: bool
    reason: str  # passed | no_quorum | majority_against | assembly_missing | assembly_against


def majority_met(votes_for: int, cast: int, rule: Majority | str) -> bool:
    if Majority(rule) is Majority.TWO_THIRDS:
        return cast > 0 and 3 * votes_for >= 2 * cast
    return 2 * votes_for > cast


def decide(tally: Tally, *, quorum: int, majority: Majority | str,
           assembly: Tally | None = None, assembly_required: bool = False) -> Outcome:
    """A resolution passes with a quorum of distinct non-conflicted members voting, the
    majority rule met among their votes, and, if the round requires it, a residents'
    representative assembly with more votes for than against and abstaining together."""
    if tally.cast < quorum:
        return Outcome(False, False, "no_quorum")
    if not majority_met(tally.votes_for, tally.cast, majority):
        return Outcome(False, True, "majority_against")
    if assembly_required and assembly is None:
        return Outcome(False, True, "assembly_missing")
    if assembly is not None and not majority_met(assembly.votes_for, assembly.cast,
                                                 Majority.SIMPLE):
        return Outcome(False, True, "assembly_against")
    return Outcome(True, True, "passed")


# --- applications -----------------------------------------------------------------------------
MAX_TRANCHES = 20
MAX_BUDGET_LINES = 50


@dataclass(frozen=True, slots=True)
class BudgetLine:
    item: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Tranche:
    """A payment in a grant's schedule; the last one is paid only after a passed evaluation."""

    number: int
    due_on: date
    amount: Money


def check_budget(requested: Money, lines: Sequence[BudgetLine]) -> None:
    if not 1 <= len(lines) <= MAX_BUDGET_LINES:
        raise InvalidInput(f"the budget has 1 to {MAX_BUDGET_LINES} lines", field="budget")
    if any(line.amount.amount <= 0 for line in lines):
        raise InvalidInput("each budget line is a positive amount", field="budget")
    if any(not line.item.strip() or len(line.item) > 200 for line in lines):
        raise InvalidInput("each budget line names its item (1 to 200 characters)",
                           field="budget")
    total = sum((line.amount for line in lines), Money(0, requested.currency))
    if total != requested:
        raise InvalidInput(f"the budget lines add up to {total.amount}, not the "
                           f"{requested.amount} requested", field="budget")


def check_schedule(requested: Money, tranches: Sequence[Tranche]) -> None:
    """Tranches numbered 1..n, due in order, adding up exactly to the amount requested."""
    if not 1 <= len(tranches) <= MAX_TRANCHES:
        raise InvalidInput(f"the schedule has 1 to {MAX_TRANCHES} tranches", field="tranches")
    if any(t.amount.amount <= 0 for t in tranches):
        raise InvalidInput("each tranche is a positive amount", field="tranches")
    if [t.number for t in tranches] != list(range(1, len(tranches) + 1)):
        raise InvalidInput("tranches are numbered 1, 2, 3 ... in order", field="tranches")
    if any(b.due_on < a.due_on for a, b in pairwise(tranches)):
        raise InvalidInput("tranches fall due in order", field="tranches")
    total = sum((t.amount for t in tranches), Money(0, requested.currency))
    if total != requested:
        raise InvalidInput(f"the tranches add up to {total.amount}, not the "
                           f"{requested.amount} requested", field="tranches")


# --- available funds --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RoundHold:
    """What one round holds: its open reservation and the restricted money given for it."""

    reservation: Money
    restricted: Money


@dataclass(frozen=True, slots=True)
class Availability:
    balance: Money  # cash and bank
    committed: Money  # grants payable: approved, not yet paid
    reserved: Money  # open rounds' budgets not yet committed
    restricted: Money  # restricted money not covered by a reservation
    available: Money


def availability(*, balance: Money, committed: Money, rounds: Sequence[RoundHold],
                 other_restricted: Money, campaigns_restricted: Money | None = None,
                 campaigns_held: Money | None = None) -> Availability:
    """`campaigns_restricted`: money restricted to repair campaigns; `campaigns_held`: the
    foundation's matches of running campaigns not yet spent (counted as reserved)."""
    zero = balance - balance
    reserved = sum((r.reservation for r in rounds), campaigns_held or zero)
    # Restricted money for a round beyond its reservation is still held for that round.
    restricted = other_restricted + (campaigns_restricted or zero) + sum(
        (max(r.restricted - r.reservation, zero) for r in rounds), zero)
    return Availability(balance=balance, committed=committed, reserved=reserved,
                        restricted=restricted,
                        available=balance - committed - reserved - restricted)


# --- entries ----------------------------------------------------------------------------------
def _entry(kind: str, ref: int, on: date, actor: str, memo: str, *postings: Posting
           ) -> JournalEntry:
    return JournalEntry(entity=FOUNDATION, effective_date=on, actor=actor, memo=memo[:500],
                        postings=postings, source=SourceRef(kind, str(ref)))


def income_entry(*, income_id: int, account: str, amount: Money, on: date, donor: str,
                 actor: str) -> JournalEntry:
    return _entry("income", income_id, on, actor, f"收入 {donor} / income",
                  Posting.debit(BANK, amount), Posting.credit(account, amount))


def release_entry(*, income_id: int, amount: Money, on: date, reason: str, actor: str
                  ) -> JournalEntry:
    """The restriction is met: restricted net assets become unrestricted (限定性净资产转为
    非限定性净资产)."""
    return _entry("income", income_id, on, actor, f"限定解除 / restriction released: {reason}",
                  Posting.debit(RESTRICTED_NET_ASSETS, amount),
                  Posting.credit(UNRESTRICTED_NET_ASSETS, amount))


def restore_entry(*, income_id: int, amount: Money, on: date, reason: str, actor: str
                  ) -> JournalEntry:
    """Grant money of a round comes back unspent: it is restricted to the round again."""
    return _entry("income", income_id, on, actor, f"重新限定 / restricted again: {reason}",
                  Posting.debit(UNRESTRICTED_NET_ASSETS, amount),
                  Posting.credit(RESTRICTED_NET_ASSETS, amount))


def commitment_entry(*, grant_id: int, amount: Money, on: date, grantee: str, actor: str
                     ) -> JournalEntry:
    """A passed resolution: the grant expense and the payable to the grantee."""
    return _entry("grant", grant_id, on, actor, f"公益创投资助 {grantee} / grant committed",
                  Posting.debit(PROGRAMME_COSTS, amount), Posting.credit(GRANTS_PAYABLE, amount))


def tranche_entry(*, grant_id: int, number: int, amount: Money, on: date, grantee: str,
                  actor: str) -> JournalEntry:
    return _entry("grant", grant_id, on, actor,
                  f"资助款第{number}期 {grantee} / grant tranche {number} paid",
                  Posting.debit(GRANTS_PAYABLE, amount), Posting.credit(BANK, amount))


def unspent_entry(*, grant_id: int, amount: Money, on: date, grantee: str, actor: str
                  ) -> JournalEntry:
    """The grant ends with tranches unpaid: the commitment not paid is undone."""
    return _entry("grant", grant_id, on, actor,
                  f"资助结余退回 {grantee} / unpaid commitment returned",
                  Posting.debit(GRANTS_PAYABLE, amount), Posting.credit(PROGRAMME_COSTS, amount))


def clawback_entry(*, grant_id: int, amount: Money, on: date, grantee: str, actor: str
                   ) -> JournalEntry:
    """The grantee pays back money it did not spend (or may not keep)."""
    return _entry("grant", grant_id, on, actor, f"资助款收回 {grantee} / grant money returned",
                  Posting.debit(BANK, amount), Posting.credit(PROGRAMME_COSTS, amount))
