"""Grantees (register, list, detail) and grant rounds (set up, open, review, close, cancel)."""

from __future__ import annotations

from flask import Flask

from ledger import grantees, reviews, rounds
from ledger.books import today
from ledger.core.grants import Majority, RoundStatus

from .helpers import Books, Browser, credit_code, flashes

NEW_GRANTEE = "/staff/foundation/grantees/new"
NEW_ROUND = "/staff/foundation/rounds/new"


def grantee_form(**changes: str) -> dict[str, str]:
    return {"name_zh": "北仑区阳光社工服务中心", "name_en": "Sunshine Social Work Centre",
            "credit_code": credit_code(7).lower(), "registration": "filed",
            "contact_name": "王社工", "contact_phone": "0574-8611 0000", "bank_name": "宁波银行",
            "bank_account": "6222000011112222", **changes}


def round_form(**changes: str) -> dict[str, str]:
    data = {"title": "2026 社区公益创投", "description": "居民提出需求，社区设计项目。",
            "eligibility": "登记或备案的社会组织", "budget": "200000.00",
            "opens_on": today().isoformat(), "closes_on": today().isoformat(), "quorum": "2",
            "majority": "two_thirds", "assembly_required": "y",
            "criteria-0-name": "需求契合度", "criteria-0-weight": "50",
            "criteria-1-name": "", "criteria-1-weight": "",
            "criteria-2-name": "可行性", "criteria-2-weight": "30",
            "criteria-3-name": "居民参与", "criteria-3-weight": "20",
            "criteria-4-name": "", "criteria-4-weight": ""}
    data.update(changes)
    return data


# --- grantees -------------------------------------------------------------------------------
def test_a_grantee_is_registered_and_shown(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    page = browser.follow(browser.submit(NEW_GRANTEE, grantee_form()))
    assert flashes(page) == ["Sunshine Social Work Centre is registered as a grantee."]
    made = grantees.grantees(books.uow)[0]
    assert made.credit_code == credit_code(7)  # normalised to capitals
    assert "Filed (备案)" in page
    assert credit_code(7) in page
    assert "Sunshine Social Work Centre" in browser.page("/staff/foundation/grantees")


def test_a_wrong_credit_code_is_explained_and_nothing_is_written(app: Flask, books: Books
                                                                 ) -> None:
    browser = Browser(app, "fm1")
    before = books.counts()
    wrong = credit_code(7)[:17] + ("1" if credit_code(7)[17] != "1" else "2")
    response = browser.submit(NEW_GRANTEE, grantee_form(credit_code=wrong))
    assert response.status_code == 422
    assert "the check character) does not match the first 17" in response.get_data(as_text=True)
    short = browser.submit(NEW_GRANTEE, grantee_form(credit_code="5333"))
    assert "has 18 characters; this one has 4" in short.get_data(as_text=True)
    assert books.counts() == before


def test_a_credit_code_is_registered_once(app: Flask, books: Books) -> None:
    books.grantee(7)
    browser = Browser(app, "fm1")
    response = browser.submit(NEW_GRANTEE, grantee_form())
    assert response.status_code == 409
    assert ("A grantee with this credit code is registered already."
            in response.get_data(as_text=True))


# --- rounds ---------------------------------------------------------------------------------
def test_a_round_is_set_up_with_its_criteria_and_reviewers(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    form = browser.page(NEW_ROUND)
    for reviewer in ("board1", "board2", "board3", "multi1"):
        assert f'value="{reviewer}"' in form
    assert 'value="fm1"' not in form  # only board members review
    data = round_form()
    response = browser.client.post(NEW_ROUND, base_url=browser.base, data={
        "csrf_token": browser.session_csrf(), **data,
        "reviewers": ["board1", "board2", "board3"]})
    page = browser.follow(response)
    made = rounds.rounds(books.uow)[0]
    assert flashes(page) == [f"Round #{made.id} “2026 社区公益创投” is set up as a draft. "
                             "Opening it reserves its budget."]
    assert [(c.name, c.weight) for c in made.criteria] == [
        ("需求契合度", 50), ("可行性", 30), ("居民参与", 20)]  # the blank row is ignored
    assert (made.reviewers, made.quorum, made.majority, made.assembly_required) == (
        ("board1", "board2", "board3"), 2, Majority.TWO_THIRDS, True)
    assert "Two-thirds majority" in page
    assert "BOARD2" in page


def test_a_round_whose_weights_do_not_add_up_is_refused(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    before = books.counts()
    response = browser.client.post(NEW_ROUND, base_url=browser.base, data={
        "csrf_token": browser.session_csrf(), **round_form(**{"criteria-3-weight": "10"}),
        "reviewers": ["board1", "board2"]})
    assert response.status_code == 422
    assert "The weights add up to 90; they must add up to 100." in response.get_data(
        as_text=True)
    no_weight = browser.client.post(NEW_ROUND, base_url=browser.base, data={
        "csrf_token": browser.session_csrf(), **round_form(**{"criteria-4-name": "创新"}),
        "reviewers": ["board1"]})
    assert "Row 5: give the criterion a weight." in no_weight.get_data(as_text=True)
    too_many = browser.client.post(NEW_ROUND, base_url=browser.base, data={
        "csrf_token": browser.session_csrf(), **round_form(quorum="3"),
        "reviewers": ["board1", "board2"]})
    assert too_many.status_code == 422
    assert ("The quorum is at least 1 and at most the number of reviewers chosen (2)."
            in too_many.get_data(as_text=True))
    nobody = browser.submit(NEW_ROUND, round_form())
    assert "Choose at least one reviewer." in nobody.get_data(as_text=True)
    assert books.counts() == before


def test_a_round_opens_starts_its_review_and_closes(app: Flask, books: Books) -> None:
    books.income()
    made = books.round()
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/rounds/{made.id}"
    unticked = browser.submit(f"{path}/open", {})
    assert unticked.status_code == 422
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert rounds.get_round(books.uow, made.id).status is RoundStatus.DRAFT
    page = browser.follow(browser.submit(f"{path}/open", {"open-confirm": "y"}))
    assert "The call is open and the round&#39;s budget is reserved." in page
    assert "Take in an application" in page
    application = books.application(made.id, books.grantee().id)
    browser.follow(browser.submit(f"{path}/review", {"review-confirm": "y"}))
    refused = browser.submit(f"{path}/close", {"close-confirm": "y"})
    assert refused.status_code == 409
    assert ("Every application must be decided first: resolve or withdraw the undecided ones."
            in refused.get_data(as_text=True))
    assert rounds.get_round(books.uow, made.id).status is RoundStatus.REVIEW
    browser.follow(browser.submit(f"/staff/foundation/applications/{application.id}/withdraw",
                                  {"withdraw-confirm": "y"}))
    page = browser.follow(browser.submit(f"{path}/close", {"close-confirm": "y"}))
    assert "The round is closed; what it did not commit is available again." in page
    assert rounds.get_round(books.uow, made.id).status is RoundStatus.CLOSED


def test_opening_beyond_the_available_funds_is_refused_in_words(app: Flask, books: Books
                                                                ) -> None:
    books.income("50000.00")
    made = books.round(budget="200000.00")
    browser = Browser(app, "fm1")
    before = books.counts()
    response = browser.submit(f"/staff/foundation/rounds/{made.id}/open", {"open-confirm": "y"})
    assert response.status_code == 409
    assert ("The foundation has 50,000.00 available; this round&#39;s budget is 200,000.00."
            in response.get_data(as_text=True))
    assert books.counts() == before


def test_a_round_is_cancelled(app: Flask, books: Books) -> None:
    made = books.round()
    browser = Browser(app, "admin1")
    page = browser.follow(browser.submit(f"/staff/foundation/rounds/{made.id}/cancel",
                                         {"cancel-confirm": "y"}))
    assert "The round is cancelled; its reservation is void." in page
    assert "Cancel the round" not in page  # nothing more to do with it


def test_the_round_ranks_its_applications_by_score(app: Flask, books: Books) -> None:
    books.income()
    made = books.round(status="open")
    first = books.application(made.id, books.grantee(1).id, title="楼道窗户修缮互助")
    second = books.application(made.id, books.grantee(2, "蛟川街道应急救援队").id,
                               title="应急救援队装备")
    rounds.start_review(books.uow, books.fm, made.id)
    for application, marks in ((first, (60, 50)), (second, (90, 70))):
        books.declare(application.id, "board1")
        reviews.score(books.uow, books.board("board1"), application.id,
                      {"需求契合度": marks[0], "可行性": marks[1]})
    page = Browser(app, "aud1").page(f"/staff/foundation/rounds/{made.id}")
    assert "82.00" in page
    assert "56.00" in page
    assert "(1 scored)" in page
    assert page.index("应急救援队装备") < page.index("楼道窗户修缮互助")  # best first
