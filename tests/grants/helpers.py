"""Helpers of the grant-programme tests: the foundation's staff and board as use-case actors,
builders for incomes, grantees, rounds and applications, the books and the funds as plain
strings, and raw reads of every table a refused use case must leave untouched."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from moneyed import Money
from sqlalchemy import Engine, inspect, text

from ledger import applications as apps
from ledger import books, foundation, grantees, reviews, rounds, staff
from ledger.core.credit_code import check_character
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
from ledger.core.money import format_amount, from_minor, parse_money
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

T = TypeVar("T")

PASSWORD = "a long test password 甲乙丙"
#: The round's scoring criteria: 需求 (need) 40 %, 设计 (design) 35 %, 能力 (capacity) 25 %.
CRITERIA = (Criterion("需求 need", 40), Criterion("设计 design", 35),
            Criterion("能力 capacity", 25))
NEED, DESIGN, CAPACITY = (c.name for c in CRITERIA)
#: Board members who review the rounds (in this order), and one who does not.
REVIEWERS = ("board1", "board2", "board3", "board4", "board5")
OUTSIDER = "board6"
OPENS, CLOSES = date(2026, 2, 1), date(2026, 2, 28)
#: The smallest file recognised as a PDF.
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
#: Tables whose rows a use case may change in place: a refusal leaves their rows as they were.
MUTABLE = {"grant_rounds": "id", "applications": "id", "grants": "id",
           "grant_tranches": "grant_id, number"}

_codes = itertools.count(1)


def yuan(value: str) -> Money:
    """An amount in CNY, zero allowed (for figures that must come to nothing)."""
    return parse_money(value, allow_zero=True)


def s(value: Money) -> str:
    """An amount as its canonical string: '105000.00'."""
    return format_amount(value)


def credit_code(number: int) -> str:
    """A valid unified social credit code of a social organisation (5 = civil affairs)."""
    first17 = f"51330400MJ{number:07d}"
    return first17 + check_character(first17)


def scores(need: int, design: int, capacity: int) -> dict[str, int]:
    return {NEED: need, DESIGN: design, CAPACITY: capacity}


def schedule(*amounts: str, first: date = date(2026, 4, 1)) -> list[Tranche]:
    """Tranches of the given amounts, due 90 days apart."""
    return [Tranche(n, first + timedelta(days=90 * (n - 1)), yuan(a))
            for n, a in enumerate(amounts, 1)]


@dataclass
class People:
    """The programme's staff accounts, as use-case actors."""

    users: dict[str, staff.StaffUser]

    def actor(self, username: str) -> Actor:
        user = self.users[username]
        role = (Role.ADMIN if username.startswith("admin") else
                Role.FUND_MANAGER if username.startswith("fm") else Role.BOARD_MEMBER)
        return user.actor(role)

    def user_id(self, username: str) -> int:
        return self.users[username].id


def create_people(uow: UnitOfWork) -> People:
    """A fund manager, an admin, five board reviewers and one board member who is not."""
    creator = Actor.system("test-setup")
    wanted = {"fm1": ["fund_manager"], "admin1": ["admin"],
              **{name: ["board_member"] for name in (*REVIEWERS, OUTSIDER)}}
    return People({name: staff.create_user(uow, creator, username=name,
                                           display_name=name.upper(), password=PASSWORD,
                                           roles=roles)
                   for name, roles in wanted.items()})


class Programme:
    """The foundation's grant programme at use-case level, as fund manager fm1 by default."""

    def __init__(self, uow: UnitOfWork, engine: Engine, people: People) -> None:
        self.uow, self.engine, self.people = uow, engine, people
        self.fm = people.actor("fm1")

    def board(self, name: str) -> Actor:
        return self.people.actor(name)

    # --- income ---------------------------------------------------------------------------------
    def income(self, amount: str, *, source: IncomeSource = IncomeSource.WELFARE_LOTTERY,
               on: date = date(2026, 1, 5), restriction: Restriction = Restriction.NONE,
               purpose: str | None = None, round_id: int | None = None,
               donor: str = "浙江省福利彩票发行中心") -> foundation.Income:
        return foundation.record_income(self.uow, self.fm, source=source, donor=donor,
                                        amount=yuan(amount), received_on=on,
                                        restriction=restriction, purpose=purpose,
                                        round_id=round_id, reference=f"INC-{amount}")

    # --- grantees, rounds, applications ---------------------------------------------------------
    def grantee(self, name: str = "新塍镇社工服务中心") -> grantees.Grantee:
        number = next(_codes)
        return grantees.register_grantee(
            self.uow, self.fm, name_zh=f"{name} {number}", credit_code=credit_code(number),
            registration=Registration.REGISTERED, contact_name="王社工",
            contact_phone="0573-8300 5678", bank_name="嘉兴银行",
            bank_account=f"6222 0000 {number:04d}")

    def round(self, budget: str, *, quorum: int = 3, majority: Majority = Majority.TWO_THIRDS,
              reviewers: Sequence[str] = REVIEWERS, opens_on: date = OPENS,
              closes_on: date = CLOSES, open_it: bool = True) -> rounds.Round:
        found = rounds.create_round(
            self.uow, self.fm, title="2026 公益创投 venture philanthropy",
            description="社区为老服务与青少年项目", eligibility="登记或备案的社会组织",
            budget=yuan(budget), opens_on=opens_on, closes_on=closes_on, quorum=quorum,
            majority=majority, criteria=CRITERIA, reviewers=reviewers)
        return rounds.open_round(self.uow, self.fm, found.id) if open_it else found

    def apply(self, round_id: int, requested: str, *tranches: str, grantee_id: int | None = None,
              on: date = date(2026, 2, 10), title: str = "长者食堂 elderly canteen"
              ) -> apps.Application:
        """An application whose budget is one line and whose tranches are as given (the whole
        amount in one tranche if none are)."""
        return apps.submit_application(
            self.uow, self.fm, round_id=round_id,
            grantee_id=grantee_id if grantee_id is not None else self.grantee().id,
            title=title, need="独居老人午餐无人照应", requested=yuan(requested),
            budget=[BudgetLine("人员与食材 staff and food", yuan(requested))],
            tranches=schedule(*(tranches or (requested,))), submitted_on=on)

    # --- review ---------------------------------------------------------------------------------
    def declare(self, application_id: int, *names: str, conflicted: bool = False) -> None:
        for name in names:
            reviews.declare(self.uow, self.board(name), application_id, conflicted=conflicted,
                            note="担任申请机构理事 sits on its board" if conflicted else "")

    def vote(self, application_id: int, choices: Mapping[str, Choice]) -> None:
        for name, choice in choices.items():
            reviews.vote(self.uow, self.board(name), application_id, choice)

    def pass_votes(self, application_id: int, voters: Sequence[str] = ("board1", "board2", "board3")
                   ) -> None:
        """Each voter declares no conflict and votes for."""
        self.declare(application_id, *voters)
        self.vote(application_id, dict.fromkeys(voters, Choice.FOR))

    def resolve(self, application_id: int, on: date = date(2026, 3, 15),
                by: str = "board1") -> reviews.Resolution:
        return reviews.resolve(self.uow, self.board(by), application_id, on=on)

    # --- the books and the funds ----------------------------------------------------------------
    def trial_balance(self, as_of: date = date(2026, 12, 31)) -> dict[str, tuple[str, str]]:
        """The foundation's trial balance: account -> (debit column, credit column) of every
        account with postings; it must balance."""
        tb = books.trial_balance(self.uow, "foundation", as_of)
        assert tb.balanced, tb.totals()
        return {line.account.code: (s(from_minor(line.debit_column)),
                                    s(from_minor(line.credit_column)))
                for line in tb.lines}

    def funds(self) -> dict[str, str]:
        found = foundation.funds(self.uow)
        return {"balance": s(found.balance), "committed": s(found.committed),
                "reserved": s(found.reserved), "restricted": s(found.restricted),
                "available": s(found.available)}


def funds(balance: str, committed: str, reserved: str, restricted: str, available: str
          ) -> dict[str, str]:
    return {"balance": balance, "committed": committed, "reserved": reserved,
            "restricted": restricted, "available": available}


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


def posted(uow: UnitOfWork, seq: int) -> list[tuple[str, str, str]]:
    """(account, side, amount) of each posting of entry `seq`, which must be the
    foundation's."""
    entry = books.entry(uow, seq)
    assert entry.entity == "foundation"
    return [(p.account, p.side.value, s(p.amount)) for p in entry.postings]
