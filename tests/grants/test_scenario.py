"""One venture-philanthropy round (公益创投) end to end at use-case level, on SQLite and on
PostgreSQL: the foundation's income, the open call, three applications, review with a
recusal, scores and ranking, resolutions (without quorum, passed, rejected), tranches against
an acceptance evaluation, an early close, a clawback and the round's close. The foundation's
trial balance and funds are checked to the fen at every step, and each object's history holds
every change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger import applications as apps
from ledger import foundation, reviews, rounds
from ledger import grants as grants_uc
from ledger.core.grants import (
    ApplicationStatus,
    Choice,
    ConflictOfInterest,
    EvaluationRequired,
    EvaluationResult,
    GrantStatus,
    IncomeSource,
    Majority,
    Restriction,
    RoundStatus,
)

from .helpers import Programme, funds, posted, refused, s, scores, yuan


def actions(prog: Programme, object_type: str, object_id: int) -> list[str]:
    return [r.action for r in grants_uc.history(prog.uow, object_type, object_id)]


def test_a_round_from_the_first_income_to_its_close(prog: Programme) -> None:
    uow, fm = prog.uow, prog.fm
    tb: dict[str, tuple[str, str]] = {}

    # --- income: welfare-lottery money, unrestricted --------------------------------------------
    lottery = prog.income("800000.00", on=date(2026, 1, 5))
    assert (lottery.account, lottery.restriction, lottery.restricted_left) == (
        "450101", Restriction.NONE, yuan("0.00"))
    assert posted(uow, lottery.entry_seq) == [("1002", "debit", "800000.00"),
                                             ("450101", "credit", "800000.00")]
    tb |= {"1002": ("800000.00", "0.00"), "450101": ("0.00", "800000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("800000.00", "0.00", "0.00", "0.00", "800000.00")

    # --- the round in draft reserves nothing ---------------------------------------------------
    draft = prog.round("500000.00", quorum=3, majority=Majority.TWO_THIRDS, open_it=False)
    assert (draft.status, draft.reserved, draft.committed) == (
        RoundStatus.DRAFT, yuan("0.00"), yuan("0.00"))
    assert draft.reviewers == ("board1", "board2", "board3", "board4", "board5")
    assert prog.funds() == funds("800000.00", "0.00", "0.00", "0.00", "800000.00")

    # --- an enterprise gives 200,000.00 for the round: restricted, held for it -------------------
    for_round = prog.income("200000.00", source=IncomeSource.ENTERPRISE, on=date(2026, 1, 10),
                            restriction=Restriction.ROUND, round_id=draft.id,
                            donor="嘉兴永耀纺织有限公司")
    assert (for_round.account, for_round.round_id) == ("410102", draft.id)
    tb |= {"1002": ("1000000.00", "0.00"), "410102": ("0.00", "200000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1000000.00", "0.00", "0.00", "200000.00", "800000.00")

    # --- fiscal money restricted to a purpose, then partly released by hand ----------------------
    kit = prog.income("50000.00", source=IncomeSource.FISCAL, on=date(2026, 1, 12),
                      restriction=Restriction.PURPOSE, purpose="应急救援队装备 rescue-team kit",
                      donor="蛟川街道办事处")
    assert kit.account == "450102"
    tb |= {"1002": ("1050000.00", "0.00"), "450102": ("0.00", "50000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "0.00", "0.00", "250000.00", "800000.00")

    release = foundation.release_restriction(uow, fm, kit.id, amount=yuan("30000.00"),
                                             on=date(2026, 1, 20), reason="装备已采购 kit bought")
    assert (release.income_id, release.amount, release.grant_id) == (
        kit.id, yuan("30000.00"), None)
    assert posted(uow, release.entry_seq) == [("3102", "debit", "30000.00"),
                                             ("3101", "credit", "30000.00")]
    assert (foundation.income(uow, kit.id).released,
            foundation.income(uow, kit.id).restricted_left) == (yuan("30000.00"),
                                                                yuan("20000.00"))
    tb |= {"3102": ("30000.00", "0.00"), "3101": ("0.00", "30000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "0.00", "0.00", "220000.00", "830000.00")

    # --- the open call reserves the budget; the round's own money counts towards it ---------------
    opened = rounds.open_round(uow, fm, draft.id)
    assert (opened.status, opened.reserved) == (RoundStatus.OPEN, yuan("500000.00"))
    assert prog.trial_balance() == tb  # a reservation is not in the books
    assert prog.funds() == funds("1050000.00", "0.00", "500000.00", "20000.00", "530000.00")

    # --- three applications -------------------------------------------------------------------
    weak = prog.apply(opened.id, "120000.00", on=date(2026, 2, 5), title="广场舞 square dance")
    canteen = prog.apply(opened.id, "240000.00", "80000.00", "80000.00", "80000.00",
                         on=date(2026, 2, 10), title="长者食堂 elderly canteen")
    homework = prog.apply(opened.id, "150000.00", "100000.00", "50000.00",
                          on=date(2026, 2, 20), title="四点半课堂 after-school club")
    assert [a.id for a in apps.applications(uow, opened.id)] == [weak.id, canteen.id,
                                                                  homework.id]
    assert {a.status for a in apps.applications(uow, opened.id)} == {
        ApplicationStatus.SUBMITTED}
    assert [t.amount for t in canteen.tranches] == [yuan("80000.00")] * 3
    assert prog.funds() == funds("1050000.00", "0.00", "500000.00", "20000.00", "530000.00")

    # --- review: declarations, one recusal ------------------------------------------------------
    assert rounds.start_review(uow, fm, opened.id).status is RoundStatus.REVIEW
    prog.declare(canteen.id, "board1", "board2", "board3", "board4")
    prog.declare(canteen.id, "board5", conflicted=True)
    prog.declare(weak.id, "board1", "board2", "board3")
    prog.declare(homework.id, "board1", "board2", "board3")
    b5 = prog.board("board5")
    refused(prog.engine, ConflictOfInterest, lambda: reviews.score(
        uow, b5, canteen.id, scores(100, 100, 100)))
    refused(prog.engine, ConflictOfInterest, lambda: reviews.vote(
        uow, b5, canteen.id, Choice.FOR))

    # --- scores and ranking by mean weighted score ----------------------------------------------
    weighted = {
        (canteen.id, "board1"): (scores(90, 80, 70), "81.50"),
        (canteen.id, "board2"): (scores(85, 75, 80), "80.25"),
        (canteen.id, "board3"): (scores(95, 85, 60), "82.75"),
        (canteen.id, "board4"): (scores(80, 90, 75), "82.25"),
        (homework.id, "board1"): (scores(70, 70, 70), "70.00"),
        (homework.id, "board2"): (scores(60, 80, 90), "74.50"),
        (homework.id, "board3"): (scores(75, 65, 85), "74.00"),
        (weak.id, "board1"): (scores(50, 40, 60), "49.00"),
        (weak.id, "board2"): (scores(55, 45, 35), "46.50"),
    }
    for (application_id, name), (marks, expected) in weighted.items():
        got = reviews.score(uow, prog.board(name), application_id, marks)
        assert (got.reviewer, got.weighted) == (name, Decimal(expected))
    ranked = reviews.ranking(uow, opened.id)
    assert [(r.application_id, r.score, r.scored_by) for r in ranked] == [
        (canteen.id, Decimal("81.69"), 4), (homework.id, Decimal("72.83"), 3),
        (weak.id, Decimal("47.75"), 2)]
    state = reviews.review(uow, canteen.id)
    assert (state.score, state.tally.recused, state.tally.cast) == (Decimal("81.69"), 1, 0)
    assert [(d.reviewer, d.conflicted) for d in state.declarations] == [
        ("board1", False), ("board2", False), ("board3", False), ("board4", False),
        ("board5", True)]
    assert "board5" not in {sc.reviewer for sc in state.scores}

    # --- a resolution without quorum leaves the application undecided ----------------------------
    prog.vote(canteen.id, {"board1": Choice.FOR, "board2": Choice.FOR})
    early = prog.resolve(canteen.id, on=date(2026, 3, 10))
    assert (early.passed, early.reason, early.votes_for, early.against, early.abstain,
            early.recused, early.quorum, early.grant_id) == (
        False, "no_quorum", 2, 0, 0, 1, 3, None)
    assert apps.get_application(uow, canteen.id).status is ApplicationStatus.SUBMITTED
    assert grants_uc.grants(uow) == []
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "0.00", "500000.00", "20000.00", "530000.00")

    # --- with a quorum it passes (3 of 4, two thirds): the grant is committed --------------------
    prog.vote(canteen.id, {"board3": Choice.FOR, "board4": Choice.AGAINST})
    passed = prog.resolve(canteen.id, on=date(2026, 3, 15))
    assert (passed.passed, passed.reason, passed.votes_for, passed.against, passed.recused
            ) == (True, "passed", 3, 1, 1)
    assert passed.grant_id is not None
    first = grants_uc.get_grant(uow, passed.grant_id)
    assert (first.application_id, first.round_id, first.amount, first.status, first.paid,
            first.committed_on) == (canteen.id, opened.id, yuan("240000.00"),
                                    GrantStatus.ACTIVE, yuan("0.00"), date(2026, 3, 15))
    assert [(t.number, t.amount, t.final, t.paid_on) for t in first.tranches] == [
        (1, yuan("80000.00"), False, None), (2, yuan("80000.00"), False, None),
        (3, yuan("80000.00"), True, None)]
    assert apps.get_application(uow, canteen.id).status is ApplicationStatus.APPROVED
    assert [r.passed for r in reviews.review(uow, canteen.id).resolutions] == [False, True]
    # the expense and the payable, and the round's own money released (Dr 3102 / Cr 3101)
    released = foundation.releases(uow, for_round.id)
    assert [(r.amount, r.grant_id, r.released_on) for r in released] == [
        (yuan("200000.00"), first.id, date(2026, 3, 15))]
    assert posted(uow, released[0].entry_seq) == [("3102", "debit", "200000.00"),
                                                 ("3101", "credit", "200000.00")]
    assert foundation.income(uow, for_round.id).restricted_left == yuan("0.00")
    tb |= {"5101": ("240000.00", "0.00"), "220901": ("0.00", "240000.00"),
           "3102": ("230000.00", "0.00"), "3101": ("0.00", "230000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "240000.00", "260000.00", "20000.00",
                                 "530000.00")
    now_round = rounds.get_round(uow, opened.id)
    assert (now_round.committed, now_round.reserved) == (yuan("240000.00"),
                                                         yuan("260000.00"))

    # --- 2 for, 1 abstaining: exactly two thirds, passes -----------------------------------------
    prog.vote(homework.id, {"board1": Choice.FOR, "board2": Choice.FOR, "board3": Choice.ABSTAIN})
    second_resolution = prog.resolve(homework.id, on=date(2026, 3, 15), by="board2")
    assert (second_resolution.passed, second_resolution.abstain) == (True, 1)
    assert second_resolution.grant_id is not None
    second = grants_uc.get_grant(uow, second_resolution.grant_id)
    assert second.amount == yuan("150000.00")
    assert foundation.releases(uow, for_round.id) == released  # nothing left to release
    tb |= {"5101": ("390000.00", "0.00"), "220901": ("0.00", "390000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "390000.00", "110000.00", "20000.00",
                                 "530000.00")

    # --- 1 for, 2 against: quorate, majority not met, rejected -----------------------------------
    prog.vote(weak.id, {"board1": Choice.FOR, "board2": Choice.AGAINST, "board3": Choice.AGAINST})
    rejected = prog.resolve(weak.id, on=date(2026, 3, 16))
    assert (rejected.passed, rejected.reason, rejected.grant_id) == (
        False, "majority_against", None)
    assert apps.get_application(uow, weak.id).status is ApplicationStatus.REJECTED
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("1050000.00", "390000.00", "110000.00", "20000.00",
                                 "530000.00")

    # --- tranches --------------------------------------------------------------------------------
    paid = grants_uc.pay_tranche(uow, fm, first.id, number=1, on=date(2026, 4, 1))
    assert posted(uow, paid.tranches[0].entry_seq or 0) == [
        ("220901", "debit", "80000.00"), ("1002", "credit", "80000.00")]
    tb |= {"1002": ("970000.00", "0.00"), "220901": ("0.00", "310000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("970000.00", "310000.00", "110000.00", "20000.00",
                                 "530000.00")

    grants_uc.pay_tranche(uow, fm, second.id, number=1, on=date(2026, 4, 15),
                          amount=yuan("100000.00"))
    tb |= {"1002": ("870000.00", "0.00"), "220901": ("0.00", "210000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("870000.00", "210000.00", "110000.00", "20000.00",
                                 "530000.00")

    paid = grants_uc.pay_tranche(uow, fm, first.id, number=2, on=date(2026, 7, 1))
    assert (paid.paid, paid.status) == (yuan("160000.00"), GrantStatus.ACTIVE)
    tb |= {"1002": ("790000.00", "0.00"), "220901": ("0.00", "130000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("790000.00", "130000.00", "110000.00", "20000.00",
                                 "530000.00")

    # --- a failed evaluation blocks the final tranche, a passed one allows it ---------------------
    failed = grants_uc.evaluate(uow, fm, first.id, evaluated_on=date(2026, 9, 20),
                                evaluators="嘉兴学院 评估组", result=EvaluationResult.FAILED,
                                notes="台账不全 records incomplete")
    assert failed.evaluation_passed is False
    refused(prog.engine, EvaluationRequired, lambda: grants_uc.pay_tranche(
        uow, fm, first.id, number=3, on=date(2026, 9, 25)))
    grants_uc.evaluate(uow, fm, first.id, evaluated_on=date(2026, 10, 10),
                       evaluators="嘉兴学院 评估组", result=EvaluationResult.PASSED)
    done = grants_uc.pay_tranche(uow, fm, first.id, number=3, on=date(2026, 10, 12))
    assert (done.status, done.ended_on, done.paid, done.evaluation_passed) == (
        GrantStatus.COMPLETED, date(2026, 10, 12), yuan("240000.00"), True)
    assert [e.result for e in done.evaluations] == [EvaluationResult.FAILED,
                                                    EvaluationResult.PASSED]
    tb |= {"1002": ("710000.00", "0.00"), "220901": ("0.00", "50000.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("710000.00", "50000.00", "110000.00", "20000.00",
                                 "530000.00")

    # --- the second grant ends early: its unpaid commitment comes back --------------------------
    closed = grants_uc.close_grant(uow, fm, second.id, on=date(2026, 10, 15),
                                   reason="志愿者不足，项目提前结束 ended early")
    assert (closed.status, closed.paid, closed.unspent_returned, closed.ended_on) == (
        GrantStatus.CLOSED, yuan("100000.00"), yuan("50000.00"), date(2026, 10, 15))
    tb |= {"220901": ("0.00", "0.00"), "5101": ("340000.00", "0.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("710000.00", "0.00", "110000.00", "20000.00", "580000.00")

    # --- and pays back 20,000.00 it did not spend ---------------------------------------------
    clawed = grants_uc.claw_back(uow, fm, second.id, amount=yuan("20000.00"),
                                 on=date(2026, 10, 20), reason="结余退回 unspent")
    assert clawed.clawed_back == yuan("20000.00")
    tb |= {"1002": ("730000.00", "0.00"), "5101": ("320000.00", "0.00")}
    assert prog.trial_balance() == tb
    assert prog.funds() == funds("730000.00", "0.00", "110000.00", "20000.00", "600000.00")

    # --- the round closes: the rest of its reservation is void ------------------------------------
    ended = rounds.close_round(uow, fm, opened.id)
    assert (ended.status, ended.committed, ended.reserved) == (
        RoundStatus.CLOSED, yuan("390000.00"), yuan("0.00"))
    assert prog.trial_balance() == tb == {
        "1002": ("730000.00", "0.00"), "220901": ("0.00", "0.00"),
        "3101": ("0.00", "230000.00"), "3102": ("230000.00", "0.00"),
        "410102": ("0.00", "200000.00"), "450101": ("0.00", "800000.00"),
        "450102": ("0.00", "50000.00"), "5101": ("320000.00", "0.00")}
    assert prog.funds() == funds("730000.00", "0.00", "0.00", "20000.00", "710000.00")
    assert [(s(g.amount), s(g.paid), g.status) for g in grants_uc.grants(uow, opened.id)] == [
        ("240000.00", "240000.00", GrantStatus.COMPLETED),
        ("150000.00", "100000.00", GrantStatus.CLOSED)]

    # --- every change is in the history ---------------------------------------------------------
    assert actions(prog, "round", opened.id) == [
        "round.created", "round.opened", "round.review", "round.closed"]
    assert grants_uc.history(uow, "round", opened.id)[-1].details == {
        "reservation_void": "110000.00"}
    assert actions(prog, "application", canteen.id) == [
        "application.submitted", *["application.declared"] * 5,
        *["application.scored"] * 4, *["application.voted"] * 2, "application.resolved",
        *["application.voted"] * 2, "application.resolved"]
    resolved = [r.details for r in grants_uc.history(uow, "application", canteen.id)
                if r.action == "application.resolved"]
    assert resolved == [{"passed": False, "reason": "no_quorum", "grant_id": None},
                        {"passed": True, "reason": "passed", "grant_id": first.id}]
    assert actions(prog, "application", weak.id) == [
        "application.submitted", *["application.declared"] * 3,
        *["application.scored"] * 2, *["application.voted"] * 3, "application.resolved"]
    assert actions(prog, "grant", first.id) == [
        "grant.committed", "grant.tranche_paid", "grant.tranche_paid",
        "grant.evaluation_failed", "grant.evaluation_passed", "grant.tranche_paid",
        "grant.completed"]
    assert actions(prog, "grant", second.id) == [
        "grant.committed", "grant.tranche_paid", "grant.closed", "grant.clawed_back"]
    assert actions(prog, "income", kit.id) == ["income.recorded", "income.released"]
    assert actions(prog, "income", for_round.id) == ["income.recorded", "income.released"]
    assert all(r.actor.username == "fm1" for r in grants_uc.history(uow, "grant", second.id)
               if r.action != "grant.committed")
    assert grants_uc.history(uow, "grant", second.id)[0].actor.username == "board2"
