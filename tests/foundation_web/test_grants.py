"""Grants: tranches paid in order (the final one after a passed evaluation), evaluations, an
early end that returns the unpaid commitment, and money returned by the grantee."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Flask

from ledger import foundation, grants
from ledger.books import today
from ledger.core.grants import EvaluationResult, GrantStatus

from .helpers import Books, Browser, flashes

TODAY = today().isoformat


def url(grant_id: int, action: str = "") -> str:
    base = f"/staff/foundation/grants/{grant_id}"
    return f"{base}/{action}" if action else base


def test_the_grants_list_and_page(app: Flask, books: Books) -> None:
    _, grant = books.approved()
    browser = Browser(app, "aud1")
    listing = browser.page("/staff/foundation/grants")
    assert "楼道窗户修缮互助" in listing
    assert "60,000.00" in listing
    assert "In progress" in listing
    page = browser.page(url(grant.id))
    assert "Tranches (分期拨付)" in page
    assert "30,000.00" in page
    assert "Pay tranche 1" not in page  # an auditor reads only


def test_tranches_are_paid_and_the_final_one_waits_for_a_passed_evaluation(
        app: Flask, books: Books) -> None:
    _, grant = books.approved()
    browser = Browser(app, "fm1")
    page = browser.follow(browser.submit(url(grant.id, "pay"), {
        "pay-number": "1", "pay-on": TODAY()}))
    assert flashes(page) == ["Tranche 1 (30,000.00) is paid and posted."]
    assert "Pay tranche 2" in page
    assert "This is the final tranche: it is paid only after the project passes" in page

    before = books.counts()
    refused = browser.submit(url(grant.id, "pay"), {"pay-number": "2", "pay-on": TODAY()})
    assert refused.status_code == 409
    assert ("The final tranche is paid only after the project passes its acceptance "
            "evaluation (验收评估). Record a passed evaluation first."
            in refused.get_data(as_text=True))
    # the language switch of the page shown after the POST returns to the grant's page
    assert f'name="next" value="/staff/foundation/grants/{grant.id}"' in refused.get_data(
        as_text=True)
    assert books.counts() == before

    books.evaluate(grant.id, EvaluationResult.FAILED)
    refused = browser.submit(url(grant.id, "pay"), {"pay-number": "2", "pay-on": TODAY()})
    assert refused.status_code == 409

    page = browser.follow(browser.submit(url(grant.id, "evaluation"), {
        "evaluation-evaluated_on": TODAY(), "evaluation-evaluators": "街道社会事务办、居民代表",
        "evaluation-result": "passed", "evaluation-notes": "窗户全部可关闭"}))
    assert flashes(page) == ["The acceptance evaluation is recorded: Passed."]
    page = browser.follow(browser.submit(url(grant.id, "pay"), {
        "pay-number": "2", "pay-on": TODAY()}))
    assert flashes(page) == ["Tranche 2 (30,000.00) is paid and posted; every tranche is "
                             "paid and the grant is completed."]
    assert grants.get_grant(books.uow, grant.id).status is GrantStatus.COMPLETED
    assert "Completed" in page
    assert "Tranche paid" in page


def test_a_tranche_paid_twice_is_refused(app: Flask, books: Books) -> None:
    _, grant = books.approved()
    browser = Browser(app, "fm1")
    browser.follow(browser.submit(url(grant.id, "pay"), {"pay-number": "1", "pay-on": TODAY()}))
    again = browser.submit(url(grant.id, "pay"), {"pay-number": "1", "pay-on": TODAY()})
    assert again.status_code == 409
    assert "This payment is not the next one of the tranche schedule" in again.get_data(
        as_text=True)
    missing = browser.submit(url(grant.id, "pay"), {"pay-on": TODAY()})
    assert missing.status_code == 422
    assert "Reload the page: it does not say which tranche to pay." in missing.get_data(
        as_text=True)


def test_an_evaluation_needs_its_evaluators(app: Flask, books: Books) -> None:
    _, grant = books.approved()
    browser = Browser(app, "fm1")
    before = books.counts()
    response = browser.submit(url(grant.id, "evaluation"), {
        "evaluation-evaluated_on": TODAY(), "evaluation-evaluators": " "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Fill in this field." in page
    assert "Choose passed or failed." in page
    assert books.counts() == before


def test_a_grant_ends_early_and_its_unpaid_commitment_returns(app: Flask, books: Books
                                                              ) -> None:
    _, grant = books.approved()
    grants.pay_tranche(books.uow, books.fm, grant.id, number=1, on=today())
    available = foundation.funds(books.uow).available
    browser = Browser(app, "fm1")
    page = browser.page(url(grant.id))
    assert "30,000.00 returns to the foundation's available funds (结余退回)" in page
    unticked = browser.submit(url(grant.id, "close"), {"close-on": TODAY(),
                                                       "close-reason": "项目提前完成"})
    assert unticked.status_code == 422
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    page = browser.follow(browser.submit(url(grant.id, "close"), {
        "close-on": TODAY(), "close-reason": "项目提前完成", "close-confirm": "y"}))
    assert flashes(page) == [f"Grant #{grant.id} has ended early; 30,000.00 not paid returns "
                             "to the available funds."]
    assert "Closed early" in page
    assert "End the grant early" not in page
    assert foundation.funds(books.uow).available - available == grant.amount / 2
    again = browser.submit(url(grant.id, "close"), {
        "close-on": TODAY(), "close-reason": "再次", "close-confirm": "y"})
    assert again.status_code == 409
    assert "This grant has ended" in again.get_data(as_text=True)


def test_money_returned_by_the_grantee(app: Flask, books: Books) -> None:
    _, grant = books.approved()
    browser = Browser(app, "fm1")
    assert "Money returned by the grantee" not in browser.page(url(grant.id))  # nothing paid
    grants.pay_tranche(books.uow, books.fm, grant.id, number=1, on=today())
    before = books.counts()
    too_much = browser.submit(url(grant.id, "clawback"), {
        "clawback-amount": "30000.01", "clawback-on": TODAY(), "clawback-reason": "未用完"})
    assert too_much.status_code == 409
    assert ("At most 30,000.00 can come back: what was paid and not yet returned."
            in too_much.get_data(as_text=True))
    assert books.counts() == before
    page = browser.follow(browser.submit(url(grant.id, "clawback"), {
        "clawback-amount": "1,200.50", "clawback-on": TODAY(), "clawback-reason": "未用完"}))
    assert flashes(page) == ["1,200.50 returned by the grantee is recorded and posted."]
    assert grants.get_grant(books.uow, grant.id).clawed_back.amount == Decimal("1200.50")


def test_only_fund_managers_and_admins_pay_evaluate_end_and_claw_back(app: Flask, books: Books
                                                                      ) -> None:
    _, grant = books.approved()
    grants.pay_tranche(books.uow, books.fm, grant.id, number=1, on=today())
    forms = {"pay": {"pay-number": "2", "pay-on": TODAY()},
             "evaluation": {"evaluation-evaluated_on": TODAY(),
                            "evaluation-evaluators": "x", "evaluation-result": "passed"},
             "close": {"close-on": TODAY(), "close-reason": "x", "close-confirm": "y"},
             "clawback": {"clawback-amount": "1.00", "clawback-on": TODAY(),
                          "clawback-reason": "x"}}
    browsers = [Browser(app, username) for username in ("board1", "aud1")]
    before = books.counts()
    for browser in browsers:
        for action, data in forms.items():
            assert browser.submit(url(grant.id, action), data).status_code == 403, action
    assert books.counts() == before
    admin = Browser(app, "admin1")
    assert admin.submit(url(grant.id, "evaluation"), forms["evaluation"]).status_code == 302


def test_a_payment_dated_before_the_grant_last_moved_is_refused(app: Flask, books: Books
                                                                ) -> None:
    _, grant = books.approved()
    grants.pay_tranche(books.uow, books.fm, grant.id, number=1,
                       on=today() + timedelta(days=5))
    browser = Browser(app, "fm1")
    before = books.counts()
    response = browser.submit(url(grant.id, "clawback"), {
        "clawback-amount": "100.00", "clawback-on": TODAY(), "clawback-reason": "未用完"})
    assert response.status_code == 422
    later = (today() + timedelta(days=5)).isoformat()
    assert (f"Grant #{grant.id} last moved on {later} (its commitment or latest payment): "
            "choose that day or a later one." in response.get_data(as_text=True))
    assert books.counts() == before
