"""Helpers of the foundation's page tests: the books set up through the use cases (as the
people who would do it), a logged-in browser per account, and counts of every table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask
from moneyed import Money
from sqlalchemy import Engine

from ledger import applications, foundation, grantees, grants, reviews, rounds, staff
from ledger.books import today
from ledger.core.credit_code import check_character
from ledger.core.grants import (
    BudgetLine,
    Choice,
    Criterion,
    EvaluationResult,
    IncomeSource,
    Majority,
    Registration,
    Restriction,
    Tranche,
)
from ledger.core.money import parse_money
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

from ..auth.helpers import Web, row_counts
from ..conftest import PASSWORD, Staff

#: A PDF, a PNG and something else, recognised by their first bytes.
PDF = b"%PDF-1.4\n% minimal\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
NOT_A_DOCUMENT = b"MZ\x90\x00 an executable, not a document"
#: Extra board members (tests/conftest.py makes board1 and multi1, fund manager and board).
MORE_BOARD = ("board2", "board3")
FLASH = re.compile(r'<p class="alert success"[^>]*>(.*?)</p>', re.S)


def credit_code(serial: int) -> str:
    """A valid unified social credit code of a social organisation (type 5, 民政 5)."""
    first17 = f"53330400{serial:09d}"
    return first17 + check_character(first17)


def cny(text: str) -> Money:
    return parse_money(text, "CNY")


@dataclass
class Books:
    """The foundation's use cases as the staff would run them (fm1, board members, admin1)."""

    uow: UnitOfWork
    accounts: Staff
    engine: Engine

    def actor(self, username: str, role: str | None = None) -> Actor:
        user = staff.user(self.uow, username)
        return user.actor(Role(role) if role else min(user.roles))

    @property
    def fm(self) -> Actor:
        return self.actor("fm1", "fund_manager")

    def counts(self) -> dict[str, int]:
        return row_counts(self.engine)

    # --- income and grantees --------------------------------------------------------------
    def income(self, amount: str = "500000.00", *, source: IncomeSource = IncomeSource.FISCAL,
               donor: str = "宁波市北仑区财政局", restriction: Restriction = Restriction.NONE,
               purpose: str | None = None, round_id: int | None = None,
               received_on: date | None = None, anonymous: bool = False
               ) -> foundation.Income:
        return foundation.record_income(
            self.uow, self.fm, source=source, donor=donor, amount=cny(amount),
            received_on=received_on or today() - timedelta(days=30), restriction=restriction,
            purpose=purpose, round_id=round_id, anonymous=anonymous, reference="REF-1")

    def grantee(self, serial: int = 1, name: str = "北仑区阳光社工服务中心"
                ) -> grantees.Grantee:
        return grantees.register_grantee(
            self.uow, self.fm, name_zh=name, credit_code=credit_code(serial),
            registration=Registration.REGISTERED, contact_name="王社工",
            contact_phone="0574-8611 0000", bank_name="宁波银行", bank_account="6222000011112222")

    # --- rounds and applications ----------------------------------------------------------
    def round(self, *, reviewers: tuple[str, ...] = ("board1", "board2", "board3"),
              quorum: int = 2, budget: str = "200000.00", assembly: bool = False,
              status: str = "draft", majority: Majority = Majority.SIMPLE) -> rounds.Round:
        made = rounds.create_round(
            self.uow, self.fm, title="2026 社区公益创投", description="社区需求由居民提出。",
            eligibility="登记或备案的社会组织", budget=cny(budget),
            opens_on=today() - timedelta(days=10), closes_on=today() + timedelta(days=20),
            quorum=quorum, majority=majority,
            criteria=[Criterion("需求契合度", 60), Criterion("可行性", 40)],
            reviewers=list(reviewers), assembly_required=assembly)
        if status in ("open", "review"):
            made = rounds.open_round(self.uow, self.fm, made.id)
        if status == "review":
            made = rounds.start_review(self.uow, self.fm, made.id)
        return made

    def application(self, round_id: int, grantee_id: int, *, requested: str = "60000.00",
                    title: str = "楼道窗户修缮互助") -> applications.Application:
        amount = cny(requested)
        half = cny(str(amount.amount / 2))
        return applications.submit_application(
            self.uow, self.fm, round_id=round_id, grantee_id=grantee_id, title=title,
            need="楼道窗户关不上，居民提出修缮需求。", requested=amount,
            budget=[BudgetLine("材料", half), BudgetLine("人工", amount - half)],
            tranches=[Tranche(1, today(), half), Tranche(2, today() + timedelta(days=90),
                                                         amount - half)])

    def in_review(self, **kwargs: Any) -> tuple[rounds.Round, applications.Application]:
        """Money, a grantee, a round in review and one application in it."""
        self.income()
        made = self.round(**kwargs)
        made = rounds.open_round(self.uow, self.fm, made.id)
        application = self.application(made.id, self.grantee().id)
        return rounds.start_review(self.uow, self.fm, made.id), application

    # --- reviews ----------------------------------------------------------------------------
    def board(self, username: str) -> Actor:
        return self.actor(username, "board_member")

    def declare(self, application_id: int, username: str, conflicted: bool = False) -> None:
        reviews.declare(self.uow, self.board(username), application_id, conflicted=conflicted,
                        note="亲属任职" if conflicted else "")

    def vote(self, application_id: int, username: str, choice: Choice = Choice.FOR,
             *, declare: bool = True) -> None:
        if declare:
            self.declare(application_id, username)
        reviews.vote(self.uow, self.board(username), application_id, choice)

    def approved(self, **kwargs: Any) -> tuple[applications.Application, grants.Grant]:
        """An application voted through and resolved: its grant."""
        _, application = self.in_review(**kwargs)
        for name in ("board1", "board2"):
            self.vote(application.id, name)
        made = reviews.resolve(self.uow, self.board("board1"), application.id, on=today())
        assert made.passed, made
        assert made.grant_id is not None
        return application, grants.get_grant(self.uow, made.grant_id)

    def evaluate(self, grant_id: int, result: EvaluationResult = EvaluationResult.PASSED
                 ) -> None:
        grants.evaluate(self.uow, self.fm, grant_id, evaluated_on=today(),
                        evaluators="街道社会事务办", result=result)


def add_board_members(uow: UnitOfWork) -> None:
    creator = Actor.system("test-setup")
    for username in MORE_BOARD:
        staff.create_user(uow, creator, username=username, display_name=username.upper(),
                          password=PASSWORD, roles=["board_member"])


class Browser(Web):
    """A logged-in browser (tests/auth/helpers.Web) that posts forms with its CSRF token."""

    def __init__(self, app: Flask, username: str, *, language: str = "en") -> None:
        super().__init__(app)
        self.client.set_cookie("lang", language, domain="localhost")
        response = self.login(username, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)

    def page(self, path: str, status: int = 200) -> str:
        response = self.get(path)
        assert response.status_code == status, (path, response.status_code,
                                                response.get_data(as_text=True)[:2000])
        return response.get_data(as_text=True)

    def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.post(path, {"csrf_token": self.session_csrf(), **(data or {})}, **kwargs)

    def follow(self, response: Any) -> str:
        """The page a PRG redirect leads to."""
        assert response.status_code == 302, (response.status_code,
                                             response.get_data(as_text=True)[:3000])
        return self.page(response.headers["Location"])


def flashes(html: str) -> list[str]:
    return [m.strip() for m in FLASH.findall(html)]
