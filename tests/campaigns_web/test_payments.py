"""Households' payments: by hand with the receipt code and its PDF, and a payment export
previewed, reconciled line by line and then recorded, with the files imported and their
reports."""

from __future__ import annotations

import io
import re

from flask import Flask

from ledger import campaign_payments, campaigns
from ledger.books import today
from ledger.core.campaigns import PaymentMethod

from .helpers import CAMPAIGN, Books, Browser, errors_of, flashes, payments_csv, value_of

CODE = re.compile(r"Receipt code: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\.")
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def payment_form(household_id: int, **changes: str) -> dict[str, str]:
    return {"household_id": str(household_id), "amount": "", "method": "cash",
            "reference": "现金-001", "paid_on": today().isoformat(), **changes}


def test_a_payment_by_hand_shows_its_receipt_code_and_links_the_pdf(app: Flask, books: Books
                                                                     ) -> None:
    made = books.opened()
    household = books.households(made.id)[0]
    browser = Browser(app, "fm1")
    form = browser.page(f"{CAMPAIGN}/{made.id}/payments/new?household_id={household.id}")
    assert value_of(form, "amount") == "22.09"
    assert f"{household.key} {household.contact}, owes 22.09" in form
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/payments/new",
                                         payment_form(household.id)))
    message = flashes(page)[0]
    assert message.startswith(f"22.09 from household {household.key} is recorded and posted.")
    code = CODE.search(message)
    assert code, message
    assert f"/staff/campaigns/{made.id}/receipts/{code[1]}/pdf" in page
    assert f'<code class="receipt-code">{code[1]}</code>' in page
    paid = campaign_payments.payments(books.uow, made.id)
    assert [(p.amount.amount, p.method, p.reference, p.receipt_code) for p in paid] == [
        (paid[0].amount.amount, PaymentMethod.CASH, "现金-001", code[1])]
    assert str(paid[0].amount.amount) == "22.09"
    listing = browser.page(f"{CAMPAIGN}/{made.id}/payments")
    assert code[1] in listing
    assert "现金-001" in listing


def test_the_receipt_pdf_is_served(app: Flask, books: Books) -> None:
    made = books.opened(5)
    paid = books.pay(made.id, books.households(made.id)[0])
    response = Browser(app, "aud1").get(
        f"{CAMPAIGN}/{made.id}/receipts/{paid.receipt_code}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    assert Browser(app, "aud1").get(
        f"{CAMPAIGN}/{made.id + 1}/receipts/{paid.receipt_code}/pdf").status_code == 404
    assert Browser(app, "aud1").get(
        f"{CAMPAIGN}/{made.id}/receipts/NOPE/pdf").status_code == 404


def test_a_refused_payment_says_why_and_writes_nothing(app: Flask, books: Books) -> None:
    made = books.opened(5)
    first, second = books.households(made.id)[:2]
    books.pay(made.id, first, reference="WX-1")
    browser = Browser(app, "fm1")
    before = books.counts()
    duplicate = browser.submit(f"{CAMPAIGN}/{made.id}/payments/new",
                               payment_form(second.id, reference="WX-1", method="wechat"))
    assert duplicate.status_code == 409
    assert errors_of(duplicate.get_data(as_text=True)) == [
        "A payment with this reference is recorded already on this campaign."]
    nothing = browser.submit(f"{CAMPAIGN}/{made.id}/payments/new",
                             payment_form(0, amount="-3", reference="", method="cheque"))
    assert nothing.status_code == 422
    assert errors_of(nothing.get_data(as_text=True)) == [
        "Choose a household asked to pay.",
        "Enter an amount greater than zero with at most two decimals, e.g. 1200.50.",
        "Choose one of the listed ways of paying.", "Fill in this field."]
    paid_up = browser.submit(f"{CAMPAIGN}/{made.id}/payments/new", payment_form(first.id))
    assert paid_up.status_code == 422
    assert errors_of(paid_up.get_data(as_text=True)) == [
        "This household owes nothing; enter the amount it paid."]
    assert books.counts() == before


def test_a_draft_takes_no_payment(app: Flask, books: Books) -> None:
    made = books.with_roll(5)
    html = Browser(app, "fm1").page(f"{CAMPAIGN}/{made.id}/payments/new")
    assert "This campaign takes payments once it is open, until it closes." in html
    assert 'name="reference"' not in html


# --- importing payments -----------------------------------------------------------------------
def export(books: Books, campaign_id: int) -> bytes:
    """Six lines: matched, partial, overpaid, unmatched, a reference recorded already, and the
    same reference twice in the file."""
    roll = books.households(campaign_id)
    day = today().isoformat()
    books.pay(campaign_id, roll[4], reference="WX-OLD")
    return payments_csv([
        ("WX-1", "1幢", "1", "101", "22.09", f"{day} 10:01:00"),
        ("WX-2", "1幢", "1", "102", "10.00", day),
        ("WX-3", "1幢", "1", "201", "30.00", day),
        ("WX-4", "9幢", "1", "101", "22.09", day),
        ("WX-OLD", "1幢", "1", "202", "22.09", day),
        ("WX-1", "1幢", "1", "301", "22.09", day),
    ])


def upload(browser: Browser, campaign_id: int, content: bytes, method: str = "wechat"):  # type: ignore[no-untyped-def]
    return browser.submit(f"{CAMPAIGN}/{campaign_id}/payments/import",
                          {"file": (io.BytesIO(content), "微信支付账单.csv"), "method": method},
                          content_type="multipart/form-data")


def results(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<td class="num" data-label="Line">(\d+)</td>.*?'
                      r'<span class="badge status-\w+">([^<]+)</span>', html, re.S)


def test_an_import_is_previewed_then_recorded_and_its_report_kept(app: Flask, books: Books
                                                                  ) -> None:
    made = books.opened()
    content = export(books, made.id)
    browser = Browser(app, "fm1")
    assert "Import payments" in browser.page(f"{CAMPAIGN}/{made.id}/payments/import")
    before = books.counts()
    preview = upload(browser, made.id, content)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:3000]
    assert "Nothing has been recorded yet." in html
    counts = dict(re.findall(r'<div class="match-(\w+)"><dt>[^<]+</dt><dd>(\d+)</dd>', html))
    assert counts == {"matched": "1", "partial": "1", "overpaid": "1", "unmatched": "1",
                      "duplicate": "2"}
    expected = [("2", "Matched"), ("3", "Partial"), ("4", "Overpaid"), ("5", "Unmatched"),
                ("6", "Duplicate"), ("7", "Duplicate")]
    assert results(html) == expected
    assert books.counts() == before

    token = TOKEN.search(html)
    assert token
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/payments/import/confirm",
                                         {"token": token[1]}))
    assert flashes(page) == ["3 payments from “微信支付账单.csv” are recorded and posted."]
    assert results(page) == expected
    paid = campaign_payments.payments(books.uow, made.id)
    assert sorted(p.reference for p in paid) == ["WX-1", "WX-2", "WX-3", "WX-OLD"]
    assert {p.method for p in paid if p.reference != "WX-OLD"} == {PaymentMethod.WECHAT}

    listing = browser.page(f"{CAMPAIGN}/{made.id}/payments")
    assert "3 recorded" in listing
    assert "317 households" in listing
    report = campaign_payments.imports(books.uow, made.id)[0]
    assert f"/imports/{report['id']}" in listing

    # the same file again: every line recorded is a duplicate, nothing more is recorded
    again = upload(browser, made.id, content).get_data(as_text=True)
    assert [r for _line, r in results(again)] == [
        "Duplicate", "Duplicate", "Duplicate", "Unmatched", "Duplicate", "Duplicate"]
    assert 'name="token"' not in again
    assert len(campaign_payments.payments(books.uow, made.id)) == 4


def test_an_import_with_bad_lines_shows_them_and_records_nothing(app: Flask, books: Books
                                                                 ) -> None:
    made = books.opened(10)
    content = payments_csv([("WX-1", "1幢", "1", "101", "12.345", "2026-13-01"),
                            ("", "1幢", "1", "102", "700.00", today().isoformat())])
    browser = Browser(app, "fm1", language="zh_Hans")
    before = books.counts()
    response = upload(browser, made.id, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "文件中的问题（3）" in html
    assert "“2026-13-01”不是日期（YYYY-MM-DD）。" in html
    assert "请输入大于零、最多两位小数的金额，例如 1200.50。" in html
    assert "请填写 1 至 64 个字符的凭据号。" in html
    assert books.counts() == before


def test_the_upload_form_refuses_an_unknown_method(app: Flask, books: Books) -> None:
    made = books.opened(10)
    refused = upload(Browser(app, "fm1"), made.id, b"x", method="cheque")
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True)) == [
        "Choose one of the listed ways of paying."]


def test_the_reconciliation_reads_in_chinese(app: Flask, books: Books) -> None:
    made = books.opened(3)
    roll = campaigns.households(books.uow, made.id)
    day = today().isoformat()
    content = payments_csv([
        ("A1", roll[0].key.building, roll[0].key.unit, roll[0].key.room,
         str(roll[0].share.amount), day),
        ("A2", roll[1].key.building, roll[1].key.unit, roll[1].key.room, "1.00", day),
        ("A3", "9幢", "9", "909", "1.00", day), ("A1", "9幢", "9", "909", "1.00", day)])
    html = upload(Browser(app, "fm1", language="zh_Hans"), made.id, content).get_data(
        as_text=True)
    assert [r for _line, r in re.findall(
        r'<td class="num" data-label="行号">(\d+)</td>.*?'
        r'<span class="badge status-\w+">([^<]+)</span>', html, re.S)] == [
        "已匹配", "部分缴纳", "未匹配", "重复"]
    assert "是否登记已匹配、部分缴纳和多缴的 2 行" in html
