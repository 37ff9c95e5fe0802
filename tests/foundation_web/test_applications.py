"""Applications: the intake form on an open round, documents (upload and download) and
withdrawal."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from ledger import applications as apps
from ledger.books import today
from ledger.core.grants import ApplicationStatus

from .helpers import NOT_A_DOCUMENT, PDF, PNG, Books, Browser, flashes


def application_form(grantee_id: int, **changes: str) -> dict[str, str]:
    later = (today() + timedelta(days=60)).isoformat()
    data = {"grantee_id": str(grantee_id), "title": "楼道窗户修缮互助",
            "need": "315 户居民反映楼道窗户关不上。", "requested": "7,000.00",
            "submitted_on": today().isoformat(),
            "budget-0-item": "窗户五金", "budget-0-amount": "4500.00",
            "budget-1-item": "", "budget-1-amount": "",
            "budget-2-item": "人工", "budget-2-amount": "2500",
            "tranches-0-due_on": today().isoformat(), "tranches-0-amount": "3500.00",
            "tranches-1-due_on": later, "tranches-1-amount": "3500.00"}
    data.update(changes)
    return data


def test_an_application_is_taken_into_an_open_round(app: Flask, books: Books) -> None:
    books.income()
    made = books.round(status="open")
    grantee = books.grantee()
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/rounds/{made.id}/applications/new"
    assert "Proposed tranche schedule" in browser.page(f"{path}?grantee_id={grantee.id}")
    page = browser.follow(browser.submit(path, application_form(grantee.id)))
    taken = apps.applications(books.uow)[0]
    assert flashes(page) == [f"Application #{taken.id} “楼道窗户修缮互助” is received."]
    assert [(b.item, str(b.amount.amount)) for b in taken.budget] == [
        ("窗户五金", "4500.00"), ("人工", "2500.00")]
    assert [(t.number, str(t.amount.amount)) for t in taken.tranches] == [
        (1, "3500.00"), (2, "3500.00")]
    assert "0 of 2 needed have voted; 0 recused." in page


def test_an_application_that_does_not_add_up_is_refused(app: Flask, books: Books) -> None:
    books.income()
    made = books.round(status="open")
    grantee = books.grantee()
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/rounds/{made.id}/applications/new"
    before = books.counts()
    response = browser.submit(path, application_form(grantee.id, **{
        "budget-2-amount": "2000", "tranches-1-amount": "3000.00"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The budget lines add up to 6,500.00, not the 7,000.00 requested." in page
    assert "The tranches add up to 6,500.00, not the 7,000.00 requested." in page
    half_row = browser.submit(path, application_form(grantee.id, **{"budget-1-item": "宣传"}))
    assert "Budget row 2: enter an amount greater than zero" in half_row.get_data(as_text=True)
    late = browser.submit(path, application_form(
        grantee.id, submitted_on=(today() + timedelta(days=40)).isoformat()))
    assert late.status_code == 422
    assert "This round takes applications from" in late.get_data(as_text=True)
    assert books.counts() == before


def test_a_round_not_open_takes_no_application(app: Flask, books: Books) -> None:
    made = books.round()  # a draft
    grantee = books.grantee()
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/rounds/{made.id}/applications/new"
    assert "This round is not taking applications: it is “Draft”." in browser.page(path)
    response = browser.submit(path, application_form(grantee.id))
    assert response.status_code == 409
    assert "This round is not taking applications" in response.get_data(as_text=True)


def test_documents_are_attached_and_downloaded_safely(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "fm1")
    path = f"/staff/foundation/applications/{application.id}"
    response = browser.client.post(f"{path}/attachments", base_url=browser.base, data={
        "csrf_token": browser.session_csrf(),
        "attachment-file": (io.BytesIO(PDF), "../../预算 表.pdf")},
        content_type="multipart/form-data")
    page = browser.follow(response)
    assert flashes(page) == ["“预算 表.pdf” is attached."]
    found = apps.get_application(books.uow, application.id).attachments[0]
    download = Browser(app, "aud1").get(f"{path}/attachments/{found.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert browser.get(f"/staff/foundation/applications/999/attachments/{found.id}"
                       ).status_code == 404


def test_a_document_of_another_kind_or_too_big_is_refused(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "fm1")
    url = f"/staff/foundation/applications/{application.id}/attachments"
    before = books.counts()

    def upload(content: bytes, name: str) -> str:
        # encoded in memory: the test client's own temporary file would be left open
        boundary, body = encode_multipart({
            "csrf_token": browser.session_csrf(),
            "attachment-file": FileStorage(io.BytesIO(content), filename=name)})
        response = browser.client.post(url, base_url=browser.base, data=body,
                                       content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 422, response.status_code
        return response.get_data(as_text=True)

    assert "Attach a PDF, PNG or JPEG file of at most 5 MB" in upload(NOT_A_DOCUMENT,
                                                                       "budget.pdf")
    assert "This file is larger than 5 MB" in upload(PNG + b"\x00" * (5 * 1024 * 1024),
                                                     "photo.png")
    empty = browser.submit(url, {})
    assert empty.status_code == 422
    assert "Choose a file to attach." in empty.get_data(as_text=True)
    assert books.counts() == before


def test_an_application_is_withdrawn_after_confirming(app: Flask, books: Books) -> None:
    _, application = books.in_review()
    browser = Browser(app, "fm1")
    url = f"/staff/foundation/applications/{application.id}/withdraw"
    assert browser.submit(url, {}).status_code == 422
    page = browser.follow(browser.submit(url, {"withdraw-confirm": "y"}))
    assert f"Application #{application.id} is withdrawn." in page
    assert apps.get_application(books.uow, application.id).status is (
        ApplicationStatus.WITHDRAWN)


def test_board_members_and_auditors_neither_take_in_nor_attach(app: Flask, books: Books
                                                               ) -> None:
    the_round, application = books.in_review()
    for username in ("board1", "aud1"):
        browser = Browser(app, username)
        assert browser.get(f"/staff/foundation/rounds/{the_round.id}/applications/new"
                           ).status_code == 403
        assert browser.submit(f"/staff/foundation/applications/{application.id}/attachments",
                              {}).status_code == 403
        assert browser.submit(f"/staff/foundation/applications/{application.id}/withdraw",
                              {"withdraw-confirm": "y"}).status_code == 403
        page = browser.page(f"/staff/foundation/applications/{application.id}")
        assert "Attach" not in page
        assert "Withdraw the application" not in page
