"""The review of an application: the reviewer declares, scores and votes, the quorum's
progress, the residents' assembly, the resolution and its minutes, the reviewer's queue."""

from __future__ import annotations

import pytest
from flask import Flask

from ledger import grants, reviews
from ledger.core.grants import ApplicationStatus, Choice

from .helpers import Books, Browser, flashes

SCORES = {"score-c0": "80", "score-c1": "65"}


def url(application_id: int, action: str = "") -> str:
    base = f"/staff/foundation/applications/{application_id}"
    return f"{base}/{action}" if action else base


def test_a_reviewer_declares_scores_and_votes(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "board1")
    page = browser.page(url(application.id))
    assert "0 of 2 needed have voted; 0 recused." in page
    assert "Record my declaration" in page
    assert "Record my scores" not in page

    page = browser.follow(browser.submit(url(application.id, "declaration"),
                                         {"declare-conflicted": "no"}))
    assert flashes(page) == ["Your declaration is recorded: no conflict of interest."]
    assert "Record my declaration" not in page
    assert "需求契合度 (weight 60%)" in page
    assert "Cast my vote" in page

    page = browser.follow(browser.submit(url(application.id, "scores"), SCORES))
    assert flashes(page) == ["Your scores are recorded; weighted, they give 74.00."]
    assert "Record my scores" not in page

    page = browser.follow(browser.submit(url(application.id, "vote"), {"vote-choice": "for"}))
    assert flashes(page) == ["Your vote is recorded: For."]
    assert "1 of 2 needed have voted; 0 recused." in page
    assert "Cast my vote" not in page
    assert "You have done your part; the resolution follows." in page
    state = reviews.review(books.uow, application.id)
    assert state.votes == (("board1", Choice.FOR),)


def test_a_conflicted_reviewer_is_recused_and_offered_neither_scores_nor_vote(
        app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "board2")
    no_note = browser.submit(url(application.id, "declaration"), {"declare-conflicted": "yes"})
    assert no_note.status_code == 422
    assert "Say what the interest is" in no_note.get_data(as_text=True)
    page = browser.follow(browser.submit(url(application.id, "declaration"), {
        "declare-conflicted": "yes", "declare-note": "我的亲属在该机构任职"}))
    assert ("Your conflict of interest is recorded: you are recused from scoring and voting "
            "on this application.") in flashes(page)
    assert "you are recused, and neither score nor vote" in page
    assert "Record my scores" not in page
    assert "Cast my vote" not in page
    assert "0 of 2 needed have voted; 1 recused." in page
    before = books.counts()
    for action, data in (("scores", SCORES), ("vote", {"vote-choice": "for"})):
        refused = browser.submit(url(application.id, action), data)
        assert refused.status_code == 409
        assert "you are recused: you neither score nor vote" in refused.get_data(as_text=True)
    assert books.counts() == before


def test_voting_before_declaring_and_bad_scores_are_refused(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "board1")
    before = books.counts()
    response = browser.submit(url(application.id, "vote"), {"vote-choice": "against"})
    assert response.status_code == 409
    assert ("Declare any conflict of interest on this application first."
            in response.get_data(as_text=True))
    assert books.counts() == before
    books.declare(application.id, "board1")
    before = books.counts()
    bad_score = browser.submit(url(application.id, "scores"), {"score-c0": "101",
                                                              "score-c1": "x"})
    assert bad_score.status_code == 422
    text = bad_score.get_data(as_text=True)
    assert "Enter a whole number from 0 to 100." in text
    assert "Enter a whole number, e.g. 3." in text
    assert books.counts() == before


def test_the_quorum_can_become_unreachable(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    books.declare(application.id, "board2", conflicted=True)
    books.declare(application.id, "board3", conflicted=True)
    page = Browser(app, "aud1").page(url(application.id))
    assert "0 of 2 needed have voted; 2 recused." in page
    assert "The quorum can no longer be reached: only 1 reviewer(s) have no conflict" in page


def test_a_reviewer_resolves_and_the_grant_is_committed(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    books.vote(application.id, "board1")
    browser = Browser(app, "board3")
    page = browser.page(url(application.id))
    assert "No quorum: the application stays undecided" in page  # if resolved now
    page = browser.follow(browser.submit(url(application.id, "resolution"), {
        "resolve-on": books_today()}))
    assert flashes(page) == []  # no quorum: told as information
    assert "The resolution is recorded: No quorum" in page
    books.vote(application.id, "board2")
    page = browser.follow(browser.submit(url(application.id, "resolution"), {
        "resolve-on": books_today()}))
    committed = grants.grants(books.uow)[0]
    assert flashes(page) == [f"The resolution passed: grant #{committed.id} is committed."]
    assert "Minutes of the resolutions (PDF)" in page
    assert f"Grant #{committed.id}" in page


def test_who_may_resolve(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    books.vote(application.id, "board1")
    books.vote(application.id, "board2", Choice.AGAINST)
    data = {"resolve-on": books_today()}
    assert Browser(app, "fm1").submit(url(application.id, "resolution"), data
                                      ).status_code == 403
    outsider = Browser(app, "multi1")  # a board member, not a reviewer of this round
    assert "Resolve now" not in outsider.page(url(application.id))
    refused = outsider.submit(url(application.id, "resolution"), data)
    assert refused.status_code == 409
    assert "Only the round&#39;s board reviewers may do this." in refused.get_data(as_text=True)
    admin = Browser(app, "admin1")
    assert "Resolve now" in admin.page(url(application.id))
    page = admin.follow(admin.submit(url(application.id, "resolution"), data))
    assert "The majority rule was not met: the application is rejected" in page
    assert books_status(books, application.id) is ApplicationStatus.REJECTED


def test_the_residents_assembly_vote_is_recorded(app: Flask, books: Books) -> None:
    _, application = books.in_review(assembly=True)
    browser = Browser(app, "fm1")
    zeros = {"assembly-held_on": books_today(), "assembly-votes_for": "0",
             "assembly-against": "0", "assembly-abstain": "0"}
    before = books.counts()
    refused = browser.submit(url(application.id, "assembly"), zeros)
    assert refused.status_code == 422
    assert "Enter the assembly&#39;s counts: whole numbers, not all zero." in refused.get_data(
        as_text=True)
    assert books.counts() == before
    page = browser.follow(browser.submit(url(application.id, "assembly"), {
        **zeros, "assembly-votes_for": "31", "assembly-against": "4", "assembly-abstain": "2"}))
    assert "The residents&#39; assembly&#39;s vote is recorded." in page
    assert "31 for, 4 against, 2 abstaining" in page
    assert Browser(app, "board1").submit(url(application.id, "assembly"), zeros
                                         ).status_code == 403


def test_the_minutes_are_served_inline_as_pdf(app: Flask, books: Books,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import minutes

    _, application = books.in_review()
    asked: list[int] = []

    def fake(uow: object, application_id: int) -> bytes:
        asked.append(application_id)
        return b"%PDF-1.7 minutes"

    monkeypatch.setattr(minutes, "minutes_pdf", fake)
    response = Browser(app, "aud1").get(url(application.id, "minutes.pdf"))
    assert response.status_code == 200
    assert (response.mimetype, response.data, asked) == (
        "application/pdf", b"%PDF-1.7 minutes", [application.id])
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert Browser(app, "aud1").get(url(999, "minutes.pdf")).status_code == 404


def test_the_real_minutes_are_a_pdf(app: Flask, books: Books) -> None:
    from reports import minutes

    _, application = books.in_review()
    books.vote(application.id, "board1")
    reviews.resolve(books.uow, books.board("board1"), application.id, on=books_date())
    try:
        minutes.minutes_pdf(books.uow, application.id)
    except NotImplementedError:
        pytest.skip("reports.minutes.minutes_pdf is still a stub")
    response = Browser(app, "board1").get(url(application.id, "minutes.pdf"))
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")


def test_the_queue_tells_a_reviewer_what_is_left(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "board1")
    dashboard = browser.page("/staff/")
    assert "Your grant reviews" in dashboard
    assert "Open my review queue" in dashboard
    page = browser.page("/staff/foundation/reviews")
    assert "1 application(s) need something from you." in page
    assert "Declare any conflict of interest" in page
    assert "楼道窗户修缮互助" in page
    books.declare(application.id, "board1")
    page = browser.page("/staff/foundation/reviews")
    assert "Declare any conflict of interest</li>" not in page
    assert "<li>Score</li>" in page
    assert "<li>Vote</li>" in page
    books.vote(application.id, "board1", declare=False)
    assert "<li>Score</li>" in browser.page("/staff/foundation/reviews")
    reviews.score(books.uow, books.board("board1"), application.id,
                  {"需求契合度": 80, "可行性": 60})
    page = browser.page("/staff/foundation/reviews")
    assert "0 application(s) need something from you." in page
    assert "Nothing: waiting for the resolution" in page


def test_the_queue_is_for_board_members_only(app: Flask, books: Books) -> None:
    books.in_review()
    for username in ("fm1", "aud1", "admin1"):
        browser = Browser(app, username)
        assert browser.get("/staff/foundation/reviews").status_code == 403
        assert "Your grant reviews" not in browser.page("/staff/")
        assert "My reviews" not in browser.page("/staff/foundation/rounds")


def test_fund_managers_and_auditors_neither_declare_score_nor_vote(app: Flask, books: Books
                                                                  ) -> None:
    _, application = books.in_review()
    browsers = [Browser(app, username) for username in ("fm1", "aud1", "admin1")]
    before = books.counts()
    for browser in browsers:
        assert "Your review" not in browser.page(url(application.id))
        for action, data in (("declaration", {"declare-conflicted": "no"}),
                             ("scores", SCORES), ("vote", {"vote-choice": "for"})):
            assert browser.submit(url(application.id, action), data).status_code == 403
    assert books.counts() == before


def books_today() -> str:
    return books_date().isoformat()


def books_date():  # type: ignore[no-untyped-def]
    from ledger.books import today

    return today()


def books_status(books: Books, application_id: int) -> ApplicationStatus:
    from ledger import applications as apps

    return apps.get_application(books.uow, application_id).status


def test_a_recused_reviewer_is_offered_no_resolution(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    books.declare(application.id, "board3", conflicted=True)
    books.vote(application.id, "board1")
    books.vote(application.id, "board2")
    browser = Browser(app, "board3")
    assert "Resolve now" not in browser.page(url(application.id))
    before = books.counts()
    refused = browser.submit(url(application.id, "resolution"), {"resolve-on": books_today()})
    assert refused.status_code == 409
    assert ("you are recused and cannot record its resolution"
            in refused.get_data(as_text=True))
    assert books.counts() == before
