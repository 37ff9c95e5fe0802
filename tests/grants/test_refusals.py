"""What the grant programme refuses, at use-case level on SQLite and on PostgreSQL: each
refusal raises exactly the expected error class and writes nothing (the row counts of every
table, and the rows of the tables that change in place, are as they were)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from ledger import applications as apps
from ledger import foundation, grantees, reviews, rounds
from ledger import grants as grants_uc
from ledger.core.errors import AlreadyExists, Conflict, InvalidInput
from ledger.core.grants import (
    AlreadyVoted,
    ApplicationNotInState,
    BeyondSchedule,
    BudgetLine,
    Choice,
    ConflictOfInterest,
    Criterion,
    DeclarationMissing,
    EvaluationRequired,
    EvaluationResult,
    IncomeSource,
    Majority,
    NotAReviewer,
    OverCommitted,
    Registration,
    Restriction,
    RoundNotInState,
    Tranche,
)
from ledger.core.money import parse_money
from ledger.db.models import MAX_ATTACHMENT_BYTES
from ledger.expenses import InsufficientFunds
from ledger.foundation import IncomeNotFound, OverReleased
from ledger.grantees import GranteeNotFound
from ledger.grants import GrantEnded
from ledger.rounds import RoundNotFound

from .helpers import (
    DESIGN,
    NEED,
    Programme,
    credit_code,
    funds,
    refused,
    scores,
    snapshot,
    yuan,
)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@dataclass
class Stage:
    """A round in review: `granted` passed (its grant has tranches of 100,000.00, 60,000.00
    and 40,000.00), `voted` has two votes for but the budget left cannot take it, `pending`
    has a clear declaration by board1 and a conflicted one by board2 (board3 has not
    declared). 1,000,000.00 unrestricted and 50,000.00 restricted to a purpose came in."""

    round_id: int
    granted: int
    voted: int
    pending: int
    grant_id: int
    lottery: int
    purpose: int


@pytest.fixture
def stage(prog: Programme) -> Stage:
    lottery = prog.income("1000000.00")
    purpose = prog.income("50000.00", source=IncomeSource.FISCAL, on=date(2026, 1, 12),
                          restriction=Restriction.PURPOSE, purpose="应急救援队装备")
    found = prog.round("300000.00", quorum=2, majority=Majority.SIMPLE,
                       reviewers=("board1", "board2", "board3", "board4"))
    granted = prog.apply(found.id, "200000.00", "100000.00", "60000.00", "40000.00")
    voted = prog.apply(found.id, "150000.00")
    pending = prog.apply(found.id, "50000.00")
    rounds.start_review(prog.uow, prog.fm, found.id)
    for application in (granted, voted):
        prog.pass_votes(application.id, ("board1", "board2"))
    prog.declare(pending.id, "board1")
    prog.declare(pending.id, "board2", conflicted=True)
    resolution = prog.resolve(granted.id)
    assert resolution.passed
    assert resolution.grant_id is not None
    assert prog.funds() == funds("1050000.00", "200000.00", "100000.00", "50000.00",
                                 "700000.00")
    return Stage(found.id, granted.id, voted.id, pending.id, resolution.grant_id, lottery.id,
                 purpose.id)


# --- declarations, scores and votes -----------------------------------------------------------
def conflicted_or_undeclared_members_neither_score_nor_vote(prog: Programme,
                                                            stage: Stage) -> None:
    uow, engine, app = prog.uow, prog.engine, stage.pending
    conflicted, undeclared = prog.board("board2"), prog.board("board3")
    refused(engine, ConflictOfInterest, lambda: reviews.score(uow, conflicted, app,
                                                               scores(90, 90, 90)))
    refused(engine, ConflictOfInterest, lambda: reviews.vote(uow, conflicted, app, Choice.FOR))
    refused(engine, DeclarationMissing, lambda: reviews.score(uow, undeclared, app,
                                                               scores(90, 90, 90)))
    refused(engine, DeclarationMissing, lambda: reviews.vote(uow, undeclared, app,
                                                              Choice.AGAINST))
    # a declaration is made once: the conflicted member cannot declare again to clear it
    refused(engine, AlreadyExists, lambda: reviews.declare(uow, conflicted, app,
                                                           conflicted=False))
    refused(engine, AlreadyExists, lambda: reviews.declare(uow, prog.board("board1"), app,
                                                           conflicted=False))
    state = reviews.review(uow, app)
    assert (state.tally.recused, state.tally.cast, state.scores) == (1, 0, ())


def only_the_rounds_reviewers_take_part(prog: Programme, stage: Stage) -> None:
    uow, engine, app = prog.uow, prog.engine, stage.pending
    for who in (prog.board("board6"), prog.board("board5"), prog.fm):  # board5: not this round
        refused(engine, NotAReviewer, lambda who=who: reviews.declare(uow, who, app,
                                                                      conflicted=False))
        refused(engine, NotAReviewer, lambda who=who: reviews.score(uow, who, app,
                                                                    scores(1, 2, 3)))
        refused(engine, NotAReviewer, lambda who=who: reviews.vote(uow, who, app,
                                                                   Choice.FOR))
        refused(engine, NotAReviewer, lambda who=who: reviews.resolve(
            uow, who, stage.voted, on=date(2026, 3, 15)))


def one_vote_and_one_set_of_scores_per_member(prog: Programme, stage: Stage) -> None:
    uow, engine, board1 = prog.uow, prog.engine, prog.board("board1")
    refused(engine, AlreadyVoted, lambda: reviews.vote(uow, board1, stage.voted, Choice.FOR))
    refused(engine, AlreadyVoted, lambda: reviews.vote(uow, board1, stage.voted,
                                                       Choice.AGAINST))
    reviews.score(uow, board1, stage.pending, scores(60, 70, 80))
    refused(engine, AlreadyExists, lambda: reviews.score(uow, board1, stage.pending,
                                                         scores(90, 90, 90)))
    assert [v for _, v in reviews.review(uow, stage.voted).votes] == [Choice.FOR] * 2


def scores_must_cover_every_criterion_from_0_to_100(prog: Programme, stage: Stage) -> None:
    for marks in [
        {NEED: 80, DESIGN: 70},  # a criterion missing
        {**scores(80, 70, 60), "影响 impact": 50},  # one the round does not have
        scores(80, 70, 101),
        scores(-1, 70, 60),
    ]:
        error = refused(prog.engine, InvalidInput, lambda marks=marks: reviews.score(
            prog.uow, prog.board("board1"), stage.pending, marks))
        assert error.field == "scores"  # type: ignore[attr-defined]


def decided_applications_and_rounds_not_in_review(prog: Programme, stage: Stage) -> None:
    uow, engine, board1 = prog.uow, prog.engine, prog.board("board1")
    refused(engine, ApplicationNotInState, lambda: reviews.resolve(
        uow, board1, stage.granted, on=date(2026, 3, 20)))
    refused(engine, ApplicationNotInState, lambda: reviews.vote(
        uow, prog.board("board3"), stage.granted, Choice.FOR))
    refused(engine, ApplicationNotInState, lambda: apps.withdraw_application(
        uow, prog.fm, stage.granted))
    # votes are cast in review, not during the open call
    other = prog.round("10000.00", quorum=1, reviewers=("board1",))
    early = prog.apply(other.id, "10000.00")
    reviews.declare(uow, board1, early.id, conflicted=False)  # declaring early is fine
    refused(engine, RoundNotInState, lambda: reviews.vote(uow, board1, early.id, Choice.FOR))
    refused(engine, RoundNotInState, lambda: reviews.resolve(uow, board1, early.id,
                                                             on=date(2026, 3, 15)))
    # a round closes only when every application is decided
    refused(engine, ApplicationNotInState, lambda: rounds.close_round(uow, prog.fm,
                                                                      stage.round_id))
    refused(engine, RoundNotInState, lambda: rounds.open_round(uow, prog.fm, stage.round_id))
    refused(engine, RoundNotInState, lambda: rounds.cancel_round(uow, prog.fm,
                                                                 stage.round_id))


def test_the_boards_refusals(prog: Programme, stage: Stage) -> None:
    """Conflicted, undeclared and outside members; duplicates; incomplete scores; decided
    applications and rounds not in review."""
    conflicted_or_undeclared_members_neither_score_nor_vote(prog, stage)
    only_the_rounds_reviewers_take_part(prog, stage)
    scores_must_cover_every_criterion_from_0_to_100(prog, stage)
    one_vote_and_one_set_of_scores_per_member(prog, stage)
    decided_applications_and_rounds_not_in_review(prog, stage)


# --- budgets and available funds --------------------------------------------------------------
def a_resolution_the_round_budget_cannot_take_is_refused(prog: Programme,
                                                         stage: Stage) -> None:
    before = reviews.review(prog.uow, stage.voted)
    error = refused(prog.engine, OverCommitted, lambda: prog.resolve(stage.voted))
    assert "100000.00" in str(error)
    assert reviews.review(prog.uow, stage.voted) == before  # still undecided, no resolution
    assert apps.get_application(prog.uow, stage.voted).status == "submitted"


def opening_a_round_the_foundation_cannot_fund_is_refused(prog: Programme,
                                                          stage: Stage) -> None:
    too_big = prog.round("700000.01", open_it=False)
    refused(prog.engine, OverCommitted, lambda: rounds.open_round(prog.uow, prog.fm,
                                                                  too_big.id))
    assert rounds.get_round(prog.uow, too_big.id).status == "draft"
    just_right = prog.round("700000.00")
    assert just_right.reserved == yuan("700000.00")
    assert prog.funds() == funds("1050000.00", "200000.00", "800000.00", "50000.00", "0.00")
    tiny = prog.round("0.01", open_it=False)
    refused(prog.engine, OverCommitted, lambda: rounds.open_round(prog.uow, prog.fm, tiny.id))


def releasing_more_than_is_restricted_is_refused(prog: Programme, stage: Stage) -> None:
    uow, engine, fm = prog.uow, prog.engine, prog.fm

    def release(income_id: int, amount: str, on: date = date(2026, 2, 1)) -> object:
        return foundation.release_restriction(uow, fm, income_id, amount=yuan(amount), on=on,
                                              reason="项目完成 done")

    refused(engine, OverReleased, lambda: release(stage.purpose, "50000.01"))
    release(stage.purpose, "30000.00")
    refused(engine, OverReleased, lambda: release(stage.purpose, "20000.01"))
    refused(engine, InvalidInput, lambda: release(stage.lottery, "1.00"))  # unrestricted
    refused(engine, InvalidInput, lambda: release(stage.purpose, "1.00", date(2026, 1, 11)))
    refused(engine, IncomeNotFound, lambda: release(999, "1.00"))
    release(stage.purpose, "20000.00")
    refused(engine, OverReleased, lambda: release(stage.purpose, "0.01"))
    assert foundation.income(uow, stage.purpose).restricted_left == yuan("0.00")


def incomes_that_break_a_rule_are_refused(prog: Programme, stage: Stage) -> None:
    engine = prog.engine
    refused(engine, InvalidInput, lambda: prog.income("1.00", restriction=Restriction.ROUND))
    refused(engine, InvalidInput, lambda: prog.income("1.00", round_id=stage.round_id))
    refused(engine, InvalidInput, lambda: prog.income("1.00",
                                                      restriction=Restriction.PURPOSE))
    refused(engine, InvalidInput, lambda: prog.income("1.00", donor=" "))
    other = prog.round("1.00", open_it=False)
    rounds.cancel_round(prog.uow, prog.fm, other.id)
    refused(engine, Conflict, lambda: prog.income("1.00", restriction=Restriction.ROUND,
                                                  round_id=other.id))


def test_budgets_funds_and_restricted_money(prog: Programme, stage: Stage) -> None:
    """The round's budget, the foundation's available funds, restricted income."""
    a_resolution_the_round_budget_cannot_take_is_refused(prog, stage)
    opening_a_round_the_foundation_cannot_fund_is_refused(prog, stage)
    releasing_more_than_is_restricted_is_refused(prog, stage)
    incomes_that_break_a_rule_are_refused(prog, stage)


# --- tranches ---------------------------------------------------------------------------------
def test_payments_beyond_the_schedule_are_refused(prog: Programme, stage: Stage) -> None:
    uow, engine, fm, grant = prog.uow, prog.engine, prog.fm, stage.grant_id

    def pay(number: int, amount: str | None = None, on: date = date(2026, 4, 1)) -> object:
        return grants_uc.pay_tranche(uow, fm, grant, number=number, on=on,
                                     amount=None if amount is None else yuan(amount))

    refused(engine, BeyondSchedule, lambda: pay(4))  # no such tranche
    refused(engine, BeyondSchedule, lambda: pay(0))
    refused(engine, BeyondSchedule, lambda: pay(2))  # out of order
    refused(engine, BeyondSchedule, lambda: pay(1, "100000.01"))  # not its amount
    refused(engine, BeyondSchedule, lambda: pay(1, "60000.00"))
    refused(engine, InvalidInput, lambda: pay(1, on=date(2026, 3, 14)))  # before the commitment
    pay(1, "100000.00")
    refused(engine, BeyondSchedule, lambda: pay(1))  # paid already
    refused(engine, BeyondSchedule, lambda: pay(1, "100000.00"))
    pay(2)
    # the final tranche: not without an evaluation, not when the latest one failed
    refused(engine, EvaluationRequired, lambda: pay(3))

    def evaluate(on: date, result: EvaluationResult) -> object:
        return grants_uc.evaluate(uow, fm, grant, evaluated_on=on, evaluators="评估组",
                                  result=result)

    evaluate(date(2026, 6, 1), EvaluationResult.PASSED)
    evaluate(date(2026, 6, 20), EvaluationResult.FAILED)
    refused(engine, EvaluationRequired, lambda: pay(3, on=date(2026, 7, 1)))
    refused(engine, InvalidInput, lambda: evaluate(date(2026, 6, 19), EvaluationResult.PASSED))
    evaluate(date(2026, 6, 20), EvaluationResult.PASSED)  # the same day counts as later
    assert grants_uc.get_grant(uow, grant).evaluation_passed
    done = pay(3, "40000.00", on=date(2026, 7, 1))
    assert (done.status, done.paid) == ("completed", yuan("200000.00"))
    # once completed: no more payments, evaluations or early close
    refused(engine, GrantEnded, lambda: pay(3))
    refused(engine, GrantEnded, lambda: evaluate(date(2026, 7, 2), EvaluationResult.PASSED))
    refused(engine, GrantEnded, lambda: grants_uc.close_grant(uow, fm, grant,
                                                              on=date(2026, 7, 2), reason="x"))
    # a clawback returns at most what was paid out and not yet returned
    grants_uc.claw_back(uow, fm, grant, amount=yuan("150000.00"), on=date(2026, 8, 1),
                        reason="审计调整")
    refused(engine, Conflict, lambda: grants_uc.claw_back(
        uow, fm, grant, amount=yuan("50000.01"), on=date(2026, 8, 2), reason="再退"))


def test_a_tranche_the_bank_cannot_cover_on_its_date_and_a_closed_grant(prog: Programme
                                                                         ) -> None:
    """The money for the round arrives on 2026-03-20: a tranche dated before that would
    overdraw the bank on that day. Then the grant is closed early."""
    uow, fm = prog.uow, prog.fm
    prog.income("100000.00", on=date(2026, 3, 20))
    found = prog.round("100000.00", quorum=1, reviewers=("board1",))
    application = prog.apply(found.id, "100000.00", "60000.00", "40000.00")
    rounds.start_review(uow, fm, found.id)
    prog.pass_votes(application.id, ("board1",))
    grant = prog.resolve(application.id, on=date(2026, 3, 15)).grant_id
    assert grant is not None
    error = refused(prog.engine, InsufficientFunds, lambda: grants_uc.pay_tranche(
        uow, fm, grant, number=1, on=date(2026, 3, 16)))
    assert "less than 60000.00" in str(error)
    paid = grants_uc.pay_tranche(uow, fm, grant, number=1, on=date(2026, 3, 20))
    assert paid.paid == yuan("60000.00")
    # its money moves in date order: nothing dated before the last payment
    refused(prog.engine, InvalidInput, lambda: grants_uc.close_grant(
        uow, fm, grant, on=date(2026, 3, 19), reason="backdated"))
    refused(prog.engine, InvalidInput, lambda: grants_uc.claw_back(
        uow, fm, grant, amount=yuan("1.00"), on=date(2026, 3, 19), reason="backdated"))
    # the grant ends early: no more payments, and no more back than was paid out
    closed = grants_uc.close_grant(uow, fm, grant, on=date(2026, 4, 1),
                                   reason="机构注销 dissolved")
    assert (closed.status, closed.unspent_returned) == ("closed", yuan("40000.00"))
    refused(prog.engine, GrantEnded, lambda: grants_uc.pay_tranche(
        uow, fm, grant, number=2, on=date(2026, 4, 2)))
    refused(prog.engine, GrantEnded, lambda: grants_uc.close_grant(
        uow, fm, grant, on=date(2026, 4, 2), reason="again"))
    refused(prog.engine, Conflict, lambda: grants_uc.claw_back(
        uow, fm, grant, amount=yuan("60000.01"), on=date(2026, 4, 2), reason="多退"))


# --- applications -----------------------------------------------------------------------------
def applications_only_to_an_open_round_within_its_window(prog: Programme) -> None:
    engine = prog.engine
    draft = prog.round("100000.00", open_it=False)
    grantee = prog.grantee().id
    refused(engine, RoundNotInState, lambda: prog.apply(draft.id, "1000.00",
                                                        grantee_id=grantee))
    found = prog.round("100000.00")
    refused(engine, InvalidInput, lambda: prog.apply(found.id, "1000.00", grantee_id=grantee,
                                                     on=date(2026, 1, 31)))
    refused(engine, InvalidInput, lambda: prog.apply(found.id, "1000.00", grantee_id=grantee,
                                                     on=date(2026, 3, 1)))
    refused(engine, RoundNotFound, lambda: prog.apply(999, "1000.00", grantee_id=grantee))
    refused(engine, GranteeNotFound, lambda: prog.apply(found.id, "1000.00", grantee_id=999))
    first = prog.apply(found.id, "1000.00", grantee_id=grantee, on=date(2026, 2, 1))
    last = prog.apply(found.id, "1000.00", grantee_id=grantee, on=date(2026, 2, 28))
    assert (first.submitted_on, last.submitted_on) == (date(2026, 2, 1), date(2026, 2, 28))
    rounds.start_review(prog.uow, prog.fm, found.id)
    refused(engine, RoundNotInState, lambda: prog.apply(found.id, "1000.00",
                                                        grantee_id=grantee))


def submit(prog: Programme, round_id: int, requested: str, lines: list[BudgetLine],
           tranches: list[Tranche]) -> apps.Application:
    """An application by the first grantee (registered if there is none yet)."""
    known = grantees.grantees(prog.uow)
    grantee = known[0].id if known else prog.grantee().id
    return apps.submit_application(prog.uow, prog.fm, round_id=round_id,
                                   grantee_id=grantee, title="社区花园", need="绿地",
                                   requested=yuan(requested), budget=lines, tranches=tranches,
                                   submitted_on=date(2026, 2, 10))


def budgets_and_schedules_that_do_not_add_up_are_refused(prog: Programme) -> None:
    found = prog.round("100000.00")
    prog.grantee()
    line = [BudgetLine("苗木", yuan("1000.00"))]
    tranche = [Tranche(1, date(2026, 4, 1), yuan("1000.00"))]
    for lines, tranches in [
        ([BudgetLine("苗木", yuan("999.99"))], tranche),
        (line, [Tranche(1, date(2026, 4, 1), yuan("1000.01"))]),
        (line, [Tranche(2, date(2026, 4, 1), yuan("1000.00"))]),
        (line, [Tranche(1, date(2026, 5, 1), yuan("500.00")),
                Tranche(2, date(2026, 4, 1), yuan("500.00"))]),
        ([], tranche), (line, []),
    ]:
        refused(prog.engine, InvalidInput, lambda lines=lines, tranches=tranches: submit(
            prog, found.id, "1000.00", lines, tranches))
    assert submit(prog, found.id, "1000.00", line, tranche).requested == yuan("1000.00")


def test_a_negative_tranche_is_refused_as_invalid_input(prog: Programme) -> None:
    """A schedule that adds up thanks to a negative tranche is refused by the rules, not by
    the database's CHECK (an IntegrityError)."""
    prog.income("1000000.00")
    found = prog.round("100000.00")
    prog.grantee()
    negative = parse_money("-500.00", allow_negative=True)
    before = snapshot(prog.engine)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the class is the point
        submit(prog, found.id, "1000.00", [BudgetLine("苗木", yuan("1000.00"))],
               [Tranche(1, date(2026, 4, 1), yuan("1500.00")),
                Tranche(2, date(2026, 5, 1), negative)])
    assert snapshot(prog.engine) == before
    assert not isinstance(caught.value, IntegrityError), repr(caught.value)
    assert type(caught.value) is InvalidInput


def attachments_are_pdf_png_or_jpeg_up_to_5_mb(prog: Programme) -> None:
    found = prog.round("100000.00")
    application = prog.apply(found.id, "1000.00").id
    engine, uow, fm = prog.engine, prog.uow, prog.fm

    def attach(name: str, content: bytes, to: int = application) -> apps.AttachmentInfo:
        return apps.add_attachment(uow, fm, to, filename=name, content=content)

    for name, content in [
        ("plan.pdf", b"MZ\x90\x00 an executable named .pdf"),
        ("plan.pdf", b"plain text"),
        ("photo.png", b"GIF89a" + b"\x00" * 10),
        ("empty.pdf", b""),
        ("big.pdf", PDF + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1)),
        (" ", PDF),
    ]:
        refused(engine, InvalidInput, lambda name=name, content=content: attach(name, content))
    refused(engine, apps.AttachmentNotFound, lambda: apps.attachment(uow, 1))
    refused(engine, apps.ApplicationNotFound, lambda: attach("plan.pdf", PDF, to=999))

    largest = PDF + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PDF))
    kept = [attach("C:\\scans\\budget.pdf", largest), attach("site.png", PNG),
            attach("team.jpg", JPEG)]
    assert [(a.filename, a.content_type, a.size) for a in kept] == [
        ("budget.pdf", "application/pdf", MAX_ATTACHMENT_BYTES),
        ("site.png", "image/png", len(PNG)), ("team.jpg", "image/jpeg", len(JPEG))]
    assert apps.attachment(uow, kept[1].id)[1] == PNG
    for n in range(7):
        attach(f"page{n}.png", PNG)
    refused(engine, InvalidInput, lambda: attach("eleventh.png", PNG))


def grantees_need_a_valid_unique_credit_code(prog: Programme) -> None:
    def register(code: str) -> grantees.Grantee:
        return grantees.register_grantee(
            prog.uow, prog.fm, name_zh="新塍镇社工服务中心", credit_code=code,
            registration=Registration.FILED, contact_name="王社工", contact_phone="0573-1",
            bank_name="嘉兴银行", bank_account="6222")

    code = credit_code(424242)
    wrong_check = code[:17] + ("0" if code[17] != "0" else "1")
    for bad in (wrong_check, code[:17], code + "0", code[:2] + "A" + code[3:],
                code[:10] + "I" + code[11:], ""):
        refused(prog.engine, InvalidInput, lambda bad=bad: register(bad))
    first = register(f"  {code.lower()}  ")
    assert first.credit_code == code
    refused(prog.engine, AlreadyExists, lambda: register(code))
    refused(prog.engine, AlreadyExists, lambda: register(code.lower()))
    refused(prog.engine, GranteeNotFound, lambda: grantees.grantee(prog.uow, 999))
    assert [g.id for g in grantees.grantees(prog.uow)] == [first.id]


def rounds_that_break_a_rule_are_refused(prog: Programme) -> None:
    def create(**changes: object) -> rounds.Round:
        fields: dict[str, object] = {
            "title": "2027 公益创投", "description": "d", "eligibility": "e",
            "budget": yuan("1000.00"), "opens_on": date(2027, 2, 1),
            "closes_on": date(2027, 2, 28), "quorum": 2, "majority": Majority.SIMPLE,
            "criteria": [Criterion("需求", 100)], "reviewers": ["board1", "board2"],
            **changes}
        return rounds.create_round(prog.uow, prog.fm, **fields)  # type: ignore[arg-type]

    for changes in [{"reviewers": ["board1", "fm1"]},  # not a board member
                    {"reviewers": ["board1", "nobody"]},
                    {"reviewers": ["board1", "board1"]},
                    {"quorum": 3}, {"quorum": 0},
                    {"closes_on": date(2027, 1, 31)},
                    {"criteria": [Criterion("需求", 99)]}]:
        refused(prog.engine, InvalidInput, lambda changes=changes: create(**changes))
    refused(prog.engine, RoundNotFound, lambda: rounds.open_round(prog.uow, prog.fm, 999))
    assert create().status == "draft"


def test_grantees_rounds_applications_and_attachments(prog: Programme) -> None:
    """Registration, set-up and intake, before any review."""
    grantees_need_a_valid_unique_credit_code(prog)  # first: it expects no other grantee
    rounds_that_break_a_rule_are_refused(prog)
    prog.income("1000000.00")
    applications_only_to_an_open_round_within_its_window(prog)
    budgets_and_schedules_that_do_not_add_up_are_refused(prog)
    attachments_are_pdf_png_or_jpeg_up_to_5_mb(prog)
