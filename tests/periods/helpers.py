"""Helpers of the period and statement tests (issue 7): the staff as use-case actors, builders
of real books through the use cases (deposits and their 30/70 split, transfers, bridging
services, expenses, the foundation's income, releases, vouchers, grants and campaigns), a year
of both entities' books with hand-computed figures, and raw reads of every table a refused use
case must leave untouched."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from moneyed import Money
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from ledger import applications as apps
from ledger import books, bridging, expenses, foundation, grantees, reviews, rounds, staff
from ledger import campaign_completion as completion
from ledger import campaign_payments as pay_uc
from ledger import campaigns as campaigns_uc
from ledger import grants as grants_uc
from ledger import mutual_aid as ma
from ledger import periods as periods_uc
from ledger import vouchers as vouchers_uc
from ledger.core.campaigns import LeftoverRule, MissRule, PaymentMethod, Source
from ledger.core.credit_code import check_character
from ledger.core.entries import JournalEntry, Posting, SourceRef
from ledger.core.grants import (
    BudgetLine,
    Choice,
    Criterion,
    IncomeSource,
    Majority,
    Registration,
    Restriction,
    Tranche,
)
from ledger.core.money import format_amount, parse_money, to_minor
from ledger.core.mutual_aid import PaymentMethod as DepositMethod
from ledger.core.mutual_aid import ServiceStatus
from ledger.core.periods import Opinion
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

PASSWORD = "a long test password 甲乙丙"
#: username -> role of the staff accounts every test has.
STAFF = {"fm1": Role.FUND_MANAGER, "fm2": Role.FUND_MANAGER, "admin1": Role.ADMIN,
         "aud1": Role.AUDITOR, "board1": Role.BOARD_MEMBER, "board2": Role.BOARD_MEMBER,
         "board3": Role.BOARD_MEMBER}
REVIEWERS = ("board1", "board2", "board3")
#: Tables whose rows a use case changes in place: a refusal leaves their rows as they were.
MUTABLE = {"periods": "id", "vouchers": "id", "deposits": "id", "bridging_services": "id",
           "campaigns": "id", "grants": "id"}
_numbers = itertools.count(1)


def yuan(value: str) -> Money:
    """An amount in CNY, zero allowed."""
    return parse_money(value, allow_zero=True)


def fen(value: str) -> int:
    """An amount in CNY as integer fen: fen('105000.00') == 10500000, fen('-1.00') == -100."""
    if value.startswith("-"):
        return -to_minor(yuan(value[1:]))
    return to_minor(yuan(value))


def s(value: Money) -> str:
    return format_amount(value)


def credit_code(number: int, *, organisation: bool = False) -> str:
    """A valid unified social credit code: an enterprise (9) or a social organisation (5)."""
    first17 = (f"51330400MJ{number:07d}" if organisation else f"91330400MA{number:07d}")
    return first17 + check_character(first17)


@dataclass
class People:
    users: dict[str, staff.StaffUser]

    def actor(self, username: str) -> Actor:
        return self.users[username].actor(STAFF[username])


def create_people(uow: UnitOfWork) -> People:
    creator = Actor.system("test-setup")
    return People({name: staff.create_user(uow, creator, username=name,
                                           display_name=name.upper(), password=PASSWORD,
                                           roles=[role.value])
                   for name, role in STAFF.items()})


# --- the books, at use-case level -------------------------------------------------------------
class Books:
    """Both entities' books through the use cases: fund manager fm1 records, fm2 approves
    (four eyes), admin1 closes and reopens periods, auditor aud1 signs them off."""

    def __init__(self, uow: UnitOfWork, engine: Engine, people: People) -> None:
        self.uow, self.engine, self.people = uow, engine, people
        self.fm, self.fm2 = people.actor("fm1"), people.actor("fm2")
        self.admin, self.auditor = people.actor("admin1"), people.actor("aud1")

    # --- the fund --------------------------------------------------------------------------------
    def member(self, name: str = "嘉兴永耀纺织有限公司") -> ma.Member:
        number = next(_numbers)
        return ma.register_member(self.uow, self.fm, name_zh=f"{name} {number}",
                                  credit_code=credit_code(number), legal_representative="沈永耀",
                                  contact_name="沈会计", contact_phone="0573-8300 1234",
                                  joined_on=date(2025, 1, 2))

    def deposit(self, member_id: int, amount: str, on: date) -> ma.Deposit:
        return ma.record_deposit(self.uow, self.fm, member_id=member_id, amount=yuan(amount),
                                 received_on=on, method=DepositMethod.BANK_TRANSFER,
                                 reference=f"DEP-{next(_numbers)}")

    def transfer(self, on: date) -> ma.Transfer:
        return ma.transfer_to_foundation(self.uow, self.fm, made_on=on)

    def service(self, member_id: int, amount: str, start: date, *, advance_on: date | None,
                end: date | None = None) -> bridging.Service:
        """A bridging service, approved by a second person and active (with the fund's
        advance paid on `advance_on`, if given)."""
        found = bridging.request_service(self.uow, self.fm, member_id=member_id,
                                         bank="嘉兴银行", loan_amount=yuan(amount),
                                         bridge_from=start, bridge_to=end or start)
        bridging.approve_service(self.uow, self.fm2, found.id)
        return bridging.activate_service(self.uow, self.fm, found.id,
                                         advance=advance_on is not None,
                                         on=advance_on or start)

    def repay(self, service_id: int, on: date) -> bridging.Service:
        return bridging.end_service(self.uow, self.fm, service_id, status=ServiceStatus.REPAID,
                                    on=on)

    def expense(self, amount: str, on: date, category: str = "administration"
                ) -> expenses.Expense:
        return expenses.record_expense(self.uow, self.fm, category=category, amount=yuan(amount),
                                       spent_on=on, payee="嘉兴办公用品公司", memo="办公用品")

    # --- the foundation --------------------------------------------------------------------------
    def income(self, amount: str, on: date, *, source: IncomeSource = IncomeSource.FISCAL,
               restriction: Restriction = Restriction.NONE, purpose: str | None = None
               ) -> foundation.Income:
        return foundation.record_income(self.uow, self.fm, source=source, donor="新塍镇财政所",
                                        amount=yuan(amount), received_on=on,
                                        restriction=restriction, purpose=purpose,
                                        reference=f"INC-{next(_numbers)}")

    def release(self, income_id: int, amount: str, on: date) -> foundation.Release:
        return foundation.release_restriction(self.uow, self.fm, income_id, amount=yuan(amount),
                                              on=on, reason="用途已实现 purpose met")

    def grant(self, amount: str, *tranches: str, committed_on: date) -> grants_uc.Grant:
        """A round of one application passed by three board votes: the grant is committed on
        `committed_on` (the round's window is the month before)."""
        opens = date(committed_on.year, committed_on.month, 1)
        found = rounds.create_round(
            self.uow, self.fm, title="公益创投 venture philanthropy", description="社区为老服务",
            eligibility="登记或备案的社会组织", budget=yuan(amount), opens_on=opens,
            closes_on=committed_on, quorum=3, majority=Majority.SIMPLE,
            criteria=(Criterion("需求 need", 60), Criterion("能力 capacity", 40)),
            reviewers=REVIEWERS)
        rounds.open_round(self.uow, self.fm, found.id)
        number = next(_numbers)
        grantee = grantees.register_grantee(
            self.uow, self.fm, name_zh=f"新塍镇社工服务中心 {number}",
            credit_code=credit_code(number, organisation=True),
            registration=Registration.REGISTERED, contact_name="王社工",
            contact_phone="0573-8300 5678", bank_name="嘉兴银行",
            bank_account=f"6222 0000 {number:04d}")
        schedule = tranches or (amount,)
        application = apps.submit_application(
            self.uow, self.fm, round_id=found.id, grantee_id=grantee.id,
            title="长者食堂 elderly canteen", need="独居老人午餐无人照应",
            requested=yuan(amount), budget=[BudgetLine("人员与食材", yuan(amount))],
            tranches=[Tranche(n, date(committed_on.year + 1, 1, n), yuan(a))
                      for n, a in enumerate(schedule, 1)],
            submitted_on=opens)
        rounds.start_review(self.uow, self.fm, found.id)
        for name in REVIEWERS:
            reviews.declare(self.uow, self.people.actor(name), application.id, conflicted=False)
            reviews.vote(self.uow, self.people.actor(name), application.id, Choice.FOR)
        resolution = reviews.resolve(self.uow, self.people.actor("board1"), application.id,
                                     on=committed_on)
        assert resolution.passed, resolution
        assert resolution.grant_id is not None
        return grants_uc.get_grant(self.uow, resolution.grant_id)

    def tranche(self, grant_id: int, number: int, on: date) -> grants_uc.Grant:
        return grants_uc.pay_tranche(self.uow, self.fm, grant_id, number=number, on=on)

    def campaign(self, cost: str, subsidy: str, households: int) -> campaigns_uc.Campaign:
        """A repair campaign with a roll of `households` flats, opened."""
        found = campaigns_uc.create_campaign(
            self.uow, self.fm, community="俞范东路小区", buildings="1幢",
            title="俞范东路小区楼道窗户维修", repair="楼道窗户关不上，更换窗扇与五金",
            contractor="宁波镇海明窗门窗有限公司", cost=yuan(cost), subsidy=yuan(subsidy),
            subsidy_from="蛟川街道办事处" if yuan(subsidy).amount > 0 else "",
            match=yuan("0.00"), deadline=date(2026, 11, 30),
            miss_rule=MissRule.KEEP_RAISED, shortfall_source=Source.SUBSIDY,
            leftover_rule=LeftoverRule.REFUND)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("building", "unit", "room", "contact", "phone"))
        writer.writerows(("1", "1", f"{100 + n}", f"住户{n}", f"1380000{n:04d}")
                         for n in range(1, households + 1))
        campaigns_uc.import_roll(self.uow, self.fm, found.id, out.getvalue().encode())
        return campaigns_uc.open_campaign(self.uow, self.fm, found.id)

    def subsidy(self, campaign_id: int, amount: str, on: date) -> campaigns_uc.Campaign:
        return campaigns_uc.receive_subsidy(self.uow, self.fm, campaign_id,
                                            amount=yuan(amount), received_on=on)

    def pay(self, campaign_id: int, household: campaigns_uc.Household, on: date, *,
            method: PaymentMethod = PaymentMethod.WECHAT) -> pay_uc.Payment:
        return pay_uc.record_payment(self.uow, self.fm, campaign_id,
                                     household_id=household.id, amount=household.share,
                                     paid_on=on, method=method,
                                     reference=f"420000{next(_numbers):022d}")

    def roll(self, campaign_id: int) -> list[campaigns_uc.Household]:
        return campaigns_uc.households(self.uow, campaign_id)

    def contractor(self, campaign_id: int, amount: str, on: date) -> campaigns_uc.Campaign:
        return completion.pay_contractor(self.uow, self.fm, campaign_id, amount=yuan(amount),
                                         paid_on=on, reference=f"CON-{next(_numbers)}")

    # --- adjusting entries -----------------------------------------------------------------------
    def entry(self, entity: str, on: date, *lines: tuple[str, str, str], memo: str = "调整分录"
              ) -> JournalEntry:
        """An entry from (account, 'debit'|'credit', amount) lines."""
        return JournalEntry(entity=entity, effective_date=on, memo=memo, actor="fm1",
                            postings=tuple(Posting.debit(code, yuan(amount)) if side == "debit"
                                           else Posting.credit(code, yuan(amount))
                                           for code, side, amount in lines))

    def voucher(self, entity: str, on: date, *lines: tuple[str, str, str]
                ) -> vouchers_uc.Voucher:
        """A voucher prepared by fm1 and approved (posted) by fm2."""
        found = vouchers_uc.submit(self.uow, self.fm, self.entry(entity, on, *lines))
        return vouchers_uc.approve(self.uow, self.fm2, found.id)

    def manual(self, entity: str, on: date, *lines: tuple[str, str, str]) -> int:
        """An admin's manual entry (source 'import'); its sequence number."""
        entry = self.entry(entity, on, *lines, memo="管理员手工分录 admin's entry")
        return books.post_manual(self.uow, JournalEntry(
            entity=entry.entity, effective_date=on, memo=entry.memo, actor="admin1",
            postings=entry.postings, source=SourceRef("import", f"adm-{next(_numbers)}")),
            by=self.admin).seq

    # --- periods ---------------------------------------------------------------------------------
    def close(self, entity: str, label: str) -> periods_uc.PeriodState:
        periods_uc.start_closing(self.uow, self.admin, entity, label)
        return periods_uc.close_period(self.uow, self.admin, entity, label)

    def sign(self, entity: str, label: str, opinion: Opinion = Opinion.UNQUALIFIED
             ) -> periods_uc.PeriodState:
        return periods_uc.sign_off(self.uow, self.auditor, entity, label, opinion=opinion,
                                   notes="账务处理符合民间非营利组织会计制度")

    def reopen(self, entity: str, label: str, reason: str = "补记漏记的凭证 a voucher was missed"
               ) -> periods_uc.PeriodState:
        return periods_uc.reopen_period(self.uow, self.admin, entity, label, reason=reason)

    def state(self, entity: str, label: str) -> periods_uc.PeriodState:
        return periods_uc.period_state(self.uow, entity, label)

    # --- reading ---------------------------------------------------------------------------------
    def balances(self, entity: str, as_of: date) -> dict[str, int]:
        """Each account's balance (fen), debit positive, from the trial balance."""
        tb = books.trial_balance(self.uow, entity, as_of)
        assert tb.balanced, tb.totals()
        return {line.account.code: line.debits - line.credits for line in tb.lines}

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT seq, hash FROM journal_entries"
                                    " ORDER BY seq DESC LIMIT 1")).one()
        return int(row.seq), str(row.hash)

    def entry_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM journal_entries")).scalar_one())


# --- a year of books --------------------------------------------------------------------------
@dataclass
class Year:
    """What `build_year` recorded (ids), for the tests to refer to."""

    yongyao: ma.Member
    other: ma.Member
    deposit: ma.Deposit
    first_service: bridging.Service
    second_service: bridging.Service
    kit: foundation.Income
    grant: grants_uc.Grant
    campaign: campaigns_uc.Campaign


def build_year(bk: Books) -> Year:
    """2025: a member deposits 100,000.00 (30,000.00 / 70,000.00) on 20 Nov and its share goes
    to the foundation on 10 Dec; the foundation gets 200,000.00 of welfare-lottery money on
    1 Jun 2025.

    2026, the fund: 永耀 deposits 350,000.00 on 10 Jan (105,000.00 operating / 245,000.00
    foundation), transferred on 20 Jan; a bridging advance of 100,000.00 on 3 Feb, repaid on
    15 Mar; an administrative expense of 5,000.00 on 10 Apr; a second advance of 50,000.00 on
    20 Nov, outstanding at the year's end.

    2026, the foundation: 245,000.00 from the fund on 20 Jan; fiscal money 300,000.00 on 5 Feb
    (unrestricted, 450101); an enterprise's 50,000.00 restricted to a purpose on 10 Feb
    (410102), 30,000.00 of it released on 1 Mar; a grant of 120,000.00 committed on 15 Apr
    (two tranches of 60,000.00; the first paid on 1 May); a voucher of administrative costs of
    2,000.00 on 30 Jun; a campaign of 1,000.00: subsidy 400.00 on 20 Sep (450102), four
    households of 150.00 on 2 Oct (three by WeChat to the bank, one in cash), the contractor
    paid 1,000.00 from the bank on 10 Nov (and 1,000.00 released)."""
    other = bk.member("嘉兴新塍丝绸有限公司")
    bk.income("200000.00", date(2025, 6, 1), source=IncomeSource.WELFARE_LOTTERY)
    bk.deposit(other.id, "100000.00", date(2025, 11, 20))
    bk.transfer(date(2025, 12, 10))

    yongyao = bk.member()
    deposit = bk.deposit(yongyao.id, "350000.00", date(2026, 1, 10))
    bk.transfer(date(2026, 1, 20))
    first = bk.service(yongyao.id, "100000.00", date(2026, 2, 3), advance_on=date(2026, 2, 3),
                       end=date(2026, 3, 15))
    first = bk.repay(first.id, date(2026, 3, 15))
    bk.income("300000.00", date(2026, 2, 5))
    kit = bk.income("50000.00", date(2026, 2, 10), source=IncomeSource.ENTERPRISE,
                    restriction=Restriction.PURPOSE, purpose="应急救援队装备 rescue-team kit")
    bk.release(kit.id, "30000.00", date(2026, 3, 1))
    bk.expense("5000.00", date(2026, 4, 10))
    grant = bk.grant("120000.00", "60000.00", "60000.00", committed_on=date(2026, 4, 15))
    grant = bk.tranche(grant.id, 1, date(2026, 5, 1))
    bk.voucher("foundation", date(2026, 6, 30), ("5201", "debit", "2000.00"),
               ("1002", "credit", "2000.00"))
    campaign = bk.campaign("1000.00", "400.00", households=4)
    bk.subsidy(campaign.id, "400.00", date(2026, 9, 20))
    roll = bk.roll(campaign.id)
    for household in roll[:3]:
        bk.pay(campaign.id, household, date(2026, 10, 2))
    bk.pay(campaign.id, roll[3], date(2026, 10, 2), method=PaymentMethod.CASH)
    campaign = bk.contractor(campaign.id, "1000.00", date(2026, 11, 10))
    second = bk.service(other.id, "50000.00", date(2026, 11, 20), advance_on=date(2026, 11, 20),
                        end=date(2027, 2, 20))
    return Year(yongyao, other, deposit, first, second, kit, grant, campaign)


# --- refusals ---------------------------------------------------------------------------------
def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every table, and the rows of the tables that change in place."""
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                  for t in tables}
        rows = {t: [tuple(str(v) for v in row) for row in conn.execute(
                    text(f"SELECT * FROM {t} ORDER BY {order}"))]
                for t, order in MUTABLE.items()}
    return {"counts": counts, "rows": rows}


def refused(engine: Engine, error: type[Exception], work: Callable[[], Any]) -> Exception:
    """`work` raises exactly `error` (not a subclass or a parent) and writes nothing."""
    before = snapshot(engine)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the exact class is checked below
        work()
    assert type(caught.value) is error, f"{type(caught.value).__name__}: {caught.value}"
    assert snapshot(engine) == before, "a refused use case wrote something"
    return caught.value


def audit_of(engine: Engine, entity: str, label: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, username, details) of the audit records of a period, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT action, username, details FROM audit_log WHERE object_type = 'period'"
            " AND object_id = :id ORDER BY seq"), {"id": f"{entity}/{label}"})
        return [(r.action, r.username, json.loads(r.details)) for r in rows]


def raw_entry(engine: Engine, entity: str, on: str, source_kind: str | None, *,
              reverses: int | None = None) -> str | None:
    """Insert a balanced entry (Dr 1002 / Cr 5401 of 1.00) at the head of the chain by raw
    SQL: the database's error message (lower case), or None if it accepted it (it is rolled
    back either way)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            seq, prev = conn.execute(text(
                "SELECT seq, hash FROM journal_entries ORDER BY seq DESC LIMIT 1")).one()
            for line, code, debit, credit in ((1, "1002", 100, 0), (2, "5401", 0, 100)):
                conn.execute(text(
                    "INSERT INTO postings (entry_seq, line, account_id, effective_date,"
                    " currency, debit, credit, memo) VALUES (:seq, :line, (SELECT id FROM"
                    " accounts WHERE entity = :entity AND code = :code), :on, 'CNY', :debit,"
                    " :credit, '')"), {"seq": seq + 1, "line": line, "entity": entity,
                                       "code": code, "on": on, "debit": debit,
                                       "credit": credit})
            conn.execute(text(
                "INSERT INTO journal_entries (seq, entity, effective_date, recorded_at, memo,"
                " actor, source_kind, source_id, reverses_seq, prev_hash, hash) VALUES"
                " (:seq, :entity, :on, '2026-11-22 08:00:00+00:00', 'raw', 'raw', :kind,"
                " :id, :reverses, :prev, :hash)"),
                {"seq": seq + 1, "entity": entity, "on": on, "kind": source_kind,
                 "id": "1" if source_kind else None, "reverses": reverses, "prev": prev,
                 "hash": "f" * 64})
            if engine.dialect.name == "postgresql":  # fire the deferred balance check now
                conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        except DBAPIError as error:
            transaction.rollback()
            return str(error.orig).lower()
        transaction.rollback()
        return None
