"""Grant money of a round that comes back (an early end, a clawback) is restricted to the
round again, up to what the grant released; money the grant did not release stays
unrestricted. A cancelled round leaves no application undecided."""

from __future__ import annotations

from datetime import date

from ledger import applications as apps
from ledger import foundation, reviews, rounds
from ledger import grants as grants_uc
from ledger.core.grants import ApplicationStatus, IncomeSource, Majority, Restriction

from .helpers import Programme, funds, yuan


def test_returned_round_money_is_restricted_again(prog: Programme) -> None:
    prog.income("500000.00")
    found = prog.round("300000.00", quorum=1, majority=Majority.SIMPLE, reviewers=("board1",),
                       open_it=False)
    given = prog.income("80000.00", source=IncomeSource.ENTERPRISE, on=date(2026, 1, 10),
                        restriction=Restriction.ROUND, round_id=found.id)
    rounds.open_round(prog.uow, prog.fm, found.id)
    application = prog.apply(found.id, "100000.00", "60000.00", "40000.00")
    rounds.start_review(prog.uow, prog.fm, found.id)
    prog.pass_votes(application.id, ("board1",))
    grant = prog.resolve(application.id).grant_id
    assert grant is not None
    # the commitment spends the round's 80,000.00 first: all of it is released
    assert foundation.income(prog.uow, given.id).restricted_left == yuan("0.00")
    grants_uc.pay_tranche(prog.uow, prog.fm, grant, number=1, on=date(2026, 4, 1))

    # 25,000.00 paid back: restricted to the round again
    grants_uc.claw_back(prog.uow, prog.fm, grant, amount=yuan("25000.00"),
                        on=date(2026, 5, 1), reason="未用完 unspent")
    assert foundation.income(prog.uow, given.id).restricted_left == yuan("25000.00")
    # the early end returns 40,000.00 of commitment, but only 55,000.00 is left released:
    # 40,000.00 more is restricted again (65,000.00), the rest of the grant was general money
    grants_uc.close_grant(prog.uow, prog.fm, grant, on=date(2026, 6, 1), reason="提前结束")
    assert foundation.income(prog.uow, given.id).restricted_left == yuan("65000.00")
    tb = prog.trial_balance()
    assert tb["3102"] == ("15000.00", "0.00")  # 80,000.00 released, 65,000.00 back
    assert tb["3101"] == ("0.00", "15000.00")
    assert tb["410102"] == ("0.00", "80000.00")
    # the round is still in review: it holds the larger of its reservation (200,000.00 left
    # of 300,000.00) and the 65,000.00 given for it
    assert prog.funds() == funds("545000.00", "0.00", "200000.00", "0.00", "345000.00")
    rounds.close_round(prog.uow, prog.fm, found.id)
    assert prog.funds() == funds("545000.00", "0.00", "0.00", "65000.00", "480000.00")
    restored = [r for r in foundation.releases(prog.uow, given.id) if r.restored]
    assert [(r.amount, r.grant_id) for r in restored] == [
        (yuan("25000.00"), grant), (yuan("40000.00"), grant)]


def test_cancelling_an_open_round_withdraws_its_applications(prog: Programme) -> None:
    prog.income("500000.00")
    found = prog.round("300000.00")
    first = prog.apply(found.id, "100000.00")
    second = prog.apply(found.id, "50000.00")
    apps.withdraw_application(prog.uow, prog.fm, second.id)
    assert prog.funds()["reserved"] == "300000.00"
    rounds.cancel_round(prog.uow, prog.fm, found.id)
    assert [a.status for a in apps.applications(prog.uow, found.id)] == [
        ApplicationStatus.WITHDRAWN, ApplicationStatus.WITHDRAWN]
    assert prog.funds() == funds("500000.00", "0.00", "0.00", "0.00", "500000.00")
    actions = [r.action for r in grants_uc.history(prog.uow, "application", first.id)]
    assert actions == ["application.submitted", "application.withdrawn"]
    assert reviews.queue(prog.uow, prog.board("board1")) == []
