"""Issue 10, part 1: a Hypothesis state machine that drives both books through the use cases
(the functions the API calls) and compares them, after every step, with the model in
model_books.py and with the postings read back by raw SQL (model_checks.py).

Each example starts on a fresh copy of a seeded database (model_world.py). A step the model
expects to be refused must raise that domain error and leave every table as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moneyed import Money
from sqlalchemy import Engine

from ledger import applications, books, bridging, foundation, grants, mutual_aid, reviews, rounds
from ledger import campaign_completion as completion
from ledger import campaign_payments as payments
from ledger import campaigns as campaigns_uc
from ledger.core.campaigns import InvalidTransition, LeftoverRule, MissRule, PaymentMethod, Source
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import AlreadyReversed, Conflict, InvalidInput, LedgerError, NotReversible
from ledger.core.grants import (
    BeyondSchedule,
    BudgetLine,
    Choice,
    Criterion,
    EvaluationRequired,
    EvaluationResult,
    IncomeSource,
    Majority,
    OverCommitted,
    Tranche,
)
from ledger.core.money import from_minor, to_minor
from ledger.core.mutual_aid import PaymentMethod as DepositMethod
from ledger.core.mutual_aid import ServiceStatus
from ledger.db.chain import verify, verify_audit
from ledger.db.session import UnitOfWork
from ledger.expenses import InsufficientFunds, position
from ledger.mutual_aid import NothingToTransfer

from . import model_checks as checks
from .model_books import (
    FOUNDATION,
    FUND,
    Campaign,
    Deposit,
    Grant,
    Manual,
    Model,
    Service,
    operating_share,
    tranche_amounts,
)
from .model_world import Cast, Copies

START = date(2026, 1, 5)
AMOUNTS = st.integers(min_value=1, max_value=100_000_000)  # 0.01 to 1,000,000.00
PICK = st.integers(min_value=0, max_value=1_000)
PERCENT = st.integers(min_value=1, max_value=120)  # of what is left: above 100 is refused


def cny(fen: int) -> Money:
    return from_minor(fen)


@dataclass
class Stats:
    """What the runs did, summed over every example."""

    examples: int = 0
    steps: int = 0
    refusals: int = 0
    checks: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


class BooksMachine(RuleBasedStateMachine):
    """Deposits, transfers, bridging, income, grants, campaigns and reversals, against the
    model. Subclasses set COPIES, CAST and STATS (see `machine`)."""

    COPIES: ClassVar[Copies]
    CAST: ClassVar[Cast]
    STATS: ClassVar[Stats]

    def __init__(self) -> None:
        super().__init__()
        self._copy: AbstractContextManager[Engine] = self.COPIES.fresh()
        self.engine = self._copy.__enter__()
        self.uow = UnitOfWork(self.engine)
        self.model = Model()
        self.day = START
        self.seen = checks.Snapshot.take(self.engine)
        self.funds_seen: dict[str, int] | None = None
        self.STATS.examples += 1

    def teardown(self) -> None:
        try:
            assert self.uow.read(verify).ok, "the journal's chain does not verify"
            assert self.uow.read(verify_audit).ok, "the audit log's chain does not verify"
        finally:
            self._copy.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------------------
    def today(self) -> date:
        """Every step happens on a later day than the one before."""
        self.day += timedelta(days=1)
        self.STATS.steps += 1
        return self.day

    def refused(self, error: type[LedgerError], work: Callable[[], Any]) -> None:
        """`work` raises `error` (or a subclass) and writes nothing at all: no row added,
        none of the append-only or MUTABLE tables' rows changed."""
        before = checks.Snapshot.take(self.engine, mutable=True)
        try:
            work()
        except LedgerError as raised:
            if not isinstance(raised, error):
                raise AssertionError(f"expected {error.__name__}, got {raised!r}") from raised
        else:
            raise AssertionError(f"expected {error.__name__}: the service accepted it")
        after = checks.Snapshot.take(self.engine, mutable=True)
        assert after == before, "a refused use case wrote something"
        self.STATS.refusals += 1

    def skip(self, why: str) -> None:
        self.STATS.skipped[why] = self.STATS.skipped.get(why, 0) + 1

    # --- the mutual-aid fund ------------------------------------------------------------------
    @rule(amount=AMOUNTS)
    def deposit(self, amount: int) -> None:
        found = mutual_aid.record_deposit(
            self.uow, self.CAST.fm1, member_id=self.CAST.member_id, amount=cny(amount),
            received_on=self.today(), method=DepositMethod.BANK_TRANSFER,
            reference=f"DEP-{len(self.model.deposits) + 1}")
        operating = operating_share(amount)
        self.model.deposits.append(Deposit(found.id, amount, operating, amount - operating))
        self.model.balances[(FUND, "1002")] += amount
        self.model.balances[(FUND, "420101")] -= operating
        self.model.balances[(FUND, "2209")] -= amount - operating

    @rule(picks=st.none() | st.lists(PICK, min_size=1, max_size=3))
    def transfer(self, picks: list[int] | None) -> None:
        day = self.today()
        if picks is None or not self.model.deposits:
            chosen = [d for d in self.model.deposits if not (d.transferred or d.reversed)]
            ids = None
        else:
            chosen = list({d.id: d for d in (self.model.deposits[p % len(self.model.deposits)]
                                              for p in picks)}.values())
            ids = [d.id for d in chosen]
        pay = lambda: mutual_aid.transfer_to_foundation(  # noqa: E731
            self.uow, self.CAST.fm2, made_on=day, deposit_ids=ids)
        if not chosen:
            return self.refused(NothingToTransfer, pay)
        if any(d.transferred or d.reversed for d in chosen):
            return self.refused(Conflict, pay)
        total = sum(d.foundation for d in chosen)
        if total > self.model.fund_bank():  # the money went out as bridging advances
            return self.refused(InsufficientFunds, pay)
        pay()
        for d in chosen:
            d.transferred = True
        self.model.post(FUND, "2209", "1002", total)
        self.model.post(FOUNDATION, "1002", "410103", total)

    @precondition(lambda self: self.model.deposits)
    @rule(pick=PICK)
    def reverse_deposit(self, pick: int) -> None:
        d = self.model.deposits[pick % len(self.model.deposits)]
        day = self.today()
        undo = lambda: mutual_aid.reverse_deposit(  # noqa: E731
            self.uow, self.CAST.fm1, d.id, reason="recorded twice / 重复录入", on=day)
        if d.reversed:
            return self.refused(AlreadyReversed, undo)
        fund_out = d.operating if d.transferred else d.amount
        if self.model.fund_bank() < fund_out or (
                d.transferred and self.model.foundation_available() < d.foundation):
            return self.refused(InsufficientFunds, undo)  # the money was spent meanwhile
        undo()
        d.reversed = True
        self.model.balances[(FUND, "1002")] -= d.amount
        self.model.balances[(FUND, "420101")] += d.operating
        self.model.balances[(FUND, "2209")] += d.foundation
        if d.transferred:
            self.model.post(FOUNDATION, "410103", "1002", d.foundation)
            self.model.post(FUND, "1002", "2209", d.foundation)

    @precondition(lambda self: self.model.cap_left() > 0)
    @rule(percent=PERCENT)
    def bridge(self, percent: int) -> None:
        """A bridging service requested, approved by the second fund manager and started with
        an advance from the fund's bank."""
        amount = max(1, self.model.cap_left() * percent // 100)
        day = self.today()
        service = bridging.request_service(
            self.uow, self.CAST.fm1, member_id=self.CAST.member_id, bank="嘉兴银行",
            loan_amount=cny(amount), bridge_from=day, bridge_to=day + timedelta(days=30))
        approve = lambda: bridging.approve_service(self.uow, self.CAST.fm2, service.id)  # noqa
        if amount > self.model.cap_left():
            return self.refused(bridging.OverCap, approve)
        approve()
        self.model.services.append(Service(service.id, amount))
        start = lambda: bridging.activate_service(  # noqa: E731
            self.uow, self.CAST.fm2, service.id, advance=True, on=day)
        if amount > self.model.fund_bank():
            self.model.services[-1].status = "approved"
            return self.refused(InsufficientFunds, start)
        start()
        self.model.post(FUND, "1122", "1002", amount)

    @precondition(lambda self: any(s.status == "active" for s in self.model.services))
    @rule(pick=PICK, repaid=st.booleans())
    def settle(self, pick: int, repaid: bool) -> None:
        active = [s for s in self.model.services if s.status == "active"]
        s = active[pick % len(active)]
        status = ServiceStatus.REPAID if repaid else ServiceStatus.DEFAULTED
        bridging.end_service(self.uow, self.CAST.fm2, s.id, status=status, on=self.today())
        s.status = status.value
        self.model.post(FUND, "1002" if repaid else "5401", "1122", s.amount)

    # --- the foundation -----------------------------------------------------------------------
    @rule(amount=AMOUNTS)
    def income(self, amount: int) -> None:
        foundation.record_income(self.uow, self.CAST.fm1, source=IncomeSource.WELFARE_LOTTERY,
                                 donor="浙江省福利彩票发行中心", amount=cny(amount),
                                 received_on=self.today(), reference="INC")
        self.model.post(FOUNDATION, "1002", "450101", amount)

    @rule(amount=AMOUNTS, parts=st.integers(min_value=1, max_value=3))
    def grant(self, amount: int, parts: int) -> None:
        """A round with this budget opens (refused beyond the available funds), takes one
        application, which the board passes; the grant is committed and the round closed."""
        day, fm, board = self.today(), self.CAST.fm1, self.CAST.board1
        found = rounds.create_round(
            self.uow, fm, title="公益创投 model round", description="model", eligibility="any",
            budget=cny(amount), opens_on=day, closes_on=day + timedelta(days=30), quorum=1,
            majority=Majority.SIMPLE, criteria=[Criterion("need", 100)], reviewers=["board1"])
        open_it = lambda: rounds.open_round(self.uow, fm, found.id)  # noqa: E731
        if amount > self.model.foundation_available():
            return self.refused(OverCommitted, open_it)
        open_it()
        schedule = tranche_amounts(amount, min(parts, amount))
        application = applications.submit_application(
            self.uow, fm, round_id=found.id, grantee_id=self.CAST.grantee_id,
            title="长者食堂 elderly canteen", need="午餐", requested=cny(amount),
            budget=[BudgetLine("staff and food", cny(amount))],
            tranches=[Tranche(n, day + timedelta(days=90 * n), cny(a))
                      for n, a in enumerate(schedule, 1)], submitted_on=day)
        rounds.start_review(self.uow, fm, found.id)
        reviews.declare(self.uow, board, application.id, conflicted=False)
        reviews.vote(self.uow, board, application.id, Choice.FOR)
        resolution = reviews.resolve(self.uow, board, application.id, on=day)
        assert resolution.passed, resolution
        assert resolution.grant_id is not None
        rounds.close_round(self.uow, fm, found.id)
        self.model.grants.append(Grant(resolution.grant_id, amount, schedule))
        self.model.post(FOUNDATION, "5101", "220901", amount)

    def _active_grant(self, pick: int) -> Grant:
        active = [g for g in self.model.grants if g.active]
        return active[pick % len(active)]

    @precondition(lambda self: any(g.active for g in self.model.grants))
    @rule(pick=PICK, skip_ahead=st.booleans())
    def pay_tranche(self, pick: int, skip_ahead: bool) -> None:
        g = self._active_grant(pick)
        number = g.paid + (2 if skip_ahead else 1)
        amount = g.tranches[min(number, len(g.tranches)) - 1]
        pay = lambda: grants.pay_tranche(self.uow, self.CAST.fm1, g.id, number=number,  # noqa
                                         on=self.today())
        if number > len(g.tranches) or skip_ahead:
            return self.refused(BeyondSchedule, pay)
        if number == len(g.tranches) and not g.evaluated:
            return self.refused(EvaluationRequired, pay)
        if amount > self.model.balances[(FOUNDATION, "1002")]:
            return self.refused(InsufficientFunds, pay)
        pay()
        g.paid += 1
        g.active = g.paid < len(g.tranches)
        self.model.post(FOUNDATION, "220901", "1002", amount)

    @precondition(lambda self: any(g.active for g in self.model.grants))
    @rule(pick=PICK)
    def evaluate(self, pick: int) -> None:
        g = self._active_grant(pick)
        grants.evaluate(self.uow, self.CAST.fm1, g.id, evaluated_on=self.today(),
                        evaluators="社区评估小组", result=EvaluationResult.PASSED)
        g.evaluated = True

    @precondition(lambda self: any(g.active for g in self.model.grants))
    @rule(pick=PICK)
    def end_grant_early(self, pick: int) -> None:
        g = self._active_grant(pick)
        grants.close_grant(self.uow, self.CAST.fm1, g.id, on=self.today(),
                           reason="项目提前结束 ended early")
        g.active = False
        self.model.post(FOUNDATION, "220901", "5101", g.amount - g.paid_out)

    @precondition(lambda self: self.model.grants)
    @rule(pick=PICK, percent=PERCENT)
    def claw_back(self, pick: int, percent: int) -> None:
        g = self.model.grants[pick % len(self.model.grants)]
        left = g.paid_out - g.clawed
        amount = max(1, left * percent // 100)
        back = lambda: grants.claw_back(self.uow, self.CAST.fm1, g.id,  # noqa: E731
                                        amount=cny(amount), on=self.today(),
                                        reason="未用完的资金 unspent funds")
        if amount > left:
            return self.refused(Conflict, back)
        back()
        g.clawed += amount
        self.model.post(FOUNDATION, "1002", "5101", amount)

    # --- entries typed in, and their reversals -----------------------------------------------
    @precondition(lambda self: self.model.balances[(FOUNDATION, "1002")] > 0)
    @rule(percent=st.integers(min_value=1, max_value=100))
    def manual_entry(self, percent: int) -> None:
        """Cash drawn from the foundation's bank (Dr 1001 / Cr 1002), typed in by hand."""
        amount = max(1, self.model.balances[(FOUNDATION, "1002")] * percent // 100)
        posted = books.post_manual(self.uow, JournalEntry(
            entity=FOUNDATION, effective_date=self.today(), actor="fm1", memo="提现 cash",
            postings=(Posting.debit("1001", cny(amount)), Posting.credit("1002", cny(amount)))),
            by=self.CAST.fm1)
        self.model.manual.append(Manual(posted.seq, amount))
        self.model.post(FOUNDATION, "1001", "1002", amount)

    @precondition(lambda self: self.model.manual)
    @rule(pick=PICK)
    def reverse_manual(self, pick: int) -> None:
        entry = self.model.manual[pick % len(self.model.manual)]
        undo = lambda: books.reverse_entry(  # noqa: E731
            self.uow, entry.seq, actor="fm1", effective_date=self.today(), by=self.CAST.fm1)
        if entry.reversed:
            return self.refused(AlreadyReversed, undo)
        undo()
        entry.reversed = True
        self.model.post(FOUNDATION, "1002", "1001", entry.amount)

    @rule(pick=PICK)
    def reverse_owned_entry(self, pick: int) -> None:
        """An entry a business record posted is reversed only through that record."""
        owned = [seq for seq, kind in checks.entry_sources(self.engine)
                 if kind in books.OWNED_SOURCES]
        if not owned:
            return self.skip("reverse owned: no entry yet")
        seq = owned[pick % len(owned)]
        self.refused(NotReversible, lambda: books.reverse_entry(
            self.uow, seq, actor="fm1", effective_date=self.today(), by=self.CAST.fm1))

    # --- repair campaigns ---------------------------------------------------------------------
    @rule(cost=AMOUNTS, households=st.integers(min_value=1, max_value=4))
    def open_campaign(self, cost: int, households: int) -> None:
        found = campaigns_uc.create_campaign(
            self.uow, self.CAST.fm1, community="俞范东路小区", buildings="1幢",
            title="楼道窗户维修", repair="更换窗扇", contractor="明窗门窗", cost=cny(cost),
            subsidy=cny(0), subsidy_from="", match=cny(0), deadline=date(2026, 12, 31),
            miss_rule=MissRule.KEEP_RAISED, shortfall_source=Source.SUBSIDY,
            leftover_rule=LeftoverRule.REFUND)
        roll = "building,unit,room,contact,phone\r\n" + "".join(
            f"1,1,{100 + n},住户{n},1380000{1000 + n}\r\n" for n in range(1, households + 1))
        campaigns_uc.import_roll(self.uow, self.CAST.fm1, found.id, roll.encode())
        campaigns_uc.open_campaign(self.uow, self.CAST.fm1, found.id)
        ids = [h.id for h in campaigns_uc.households(self.uow, found.id)]
        assert len(ids) == households
        self.model.campaigns.append(Campaign(found.id, ids))
        self.today()

    @precondition(lambda self: self.model.campaigns)
    @rule(pick=PICK, house=PICK, amount=AMOUNTS)
    def campaign_payment(self, pick: int, house: int, amount: int) -> None:
        c = self.model.campaigns[pick % len(self.model.campaigns)]
        pay = lambda: payments.record_payment(  # noqa: E731
            self.uow, self.CAST.fm1, c.id, household_id=c.households[house % len(c.households)],
            amount=cny(amount), paid_on=self.today(), method=PaymentMethod.WECHAT,
            reference=f"WX-{self.STATS.steps}")
        if c.cancelled:
            return self.refused(InvalidInput, pay)
        pay()
        c.paid += amount
        self.model.post(FOUNDATION, "1002", "410102", amount)

    @precondition(lambda self: self.model.campaigns)
    @rule(pick=PICK)
    def cancel_campaign(self, pick: int) -> None:
        """Every payment is refunded, exactly what it paid in, from the bank (WeChat Pay)."""
        c = self.model.campaigns[pick % len(self.model.campaigns)]
        cancel = lambda: completion.cancel_campaign(  # noqa: E731
            self.uow, self.CAST.fm1, c.id, on=self.today(), reason="未达目标 target missed")
        if c.cancelled:
            return self.refused(InvalidTransition, cancel)
        if c.paid > self.model.balances[(FOUNDATION, "1002")]:  # cash drawn by hand
            return self.refused(InsufficientFunds, cancel)
        cancel()
        c.cancelled = True
        self.model.post(FOUNDATION, "410102", "1002", c.paid)

    # --- after every step -----------------------------------------------------------------------
    @invariant()
    def after_every_step(self) -> None:
        """The books, then (if anything was written) the funds and the splits."""
        self.books_agree()
        if self.seen.counts != self.funds_seen:  # a refusal or a read writes nothing
            self.funds_agree()
            self.splits_exact()
            self.funds_seen = self.seen.counts

    def books_agree(self) -> None:
        e = self.engine
        assert checks.unbalanced_entries(e) == [], "an entry does not balance"
        assert all(v == 0 for v in checks.net_by_currency(e).values()), "postings do not net"
        rebuilt = checks.from_postings(e)
        assert checks.from_service(self.uow) == rebuilt, "service balances != postings"
        assert checks.from_day_totals(e) == rebuilt, "daily totals != postings"
        net = {(ent, code): d - c for (ent, code, _), (d, c) in rebuilt.items() if d != c}
        assert net == self.model.net(), "the books differ from the model"
        now = checks.Snapshot.take(e)
        assert self.seen.changed_rows(now) == [], "a posted row was changed or deleted"
        self.seen = now
        self.STATS.checks += 1

    def funds_agree(self) -> None:
        funds = foundation.funds(self.uow)
        assert to_minor(funds.available) == self.model.foundation_available()
        assert funds.available.amount >= 0, f"the foundation's available is {funds.available}"
        fund = position(self.uow)
        assert (to_minor(fund.bank), to_minor(fund.operating_funds)) == (
            self.model.fund_bank(), self.model.operating_funds())
        assert fund.bank.amount >= 0, f"the fund's bank balance is {fund.bank}"
        exposure = bridging.exposure(self.uow, self.CAST.member_id)
        assert to_minor(exposure.available) == self.model.cap_left()

    def splits_exact(self) -> None:
        found = {d.id: d for d in mutual_aid.deposits(self.uow)}
        assert set(found) == {d.id for d in self.model.deposits}
        for d in self.model.deposits:
            got = found[d.id]
            parts = to_minor(got.operating), to_minor(got.foundation)
            assert sum(parts) == to_minor(got.amount) == d.amount, f"split of #{d.id}: {parts}"
            assert parts == (d.operating, d.foundation), f"30/70 split of #{d.id}: {parts}"


def machine(copies: Copies, cast: Cast, stats: Stats) -> type[BooksMachine]:
    """The machine on these databases, counting into `stats`."""
    return type("LedgerBooks", (BooksMachine,), {"COPIES": copies, "CAST": cast,
                                                 "STATS": stats})
