"""The household roll: an import previewed before anything is written, then confirmed; a bad
file's every problem shown; the roll with shares, payments and marks; the door-to-door list."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask

from api.web import campaign_uploads
from ledger import campaigns
from ledger.core.campaigns import HouseholdStatus

from .helpers import (
    BUILDINGS,
    CAMPAIGN,
    HOUSEHOLDS,
    Books,
    Browser,
    errors_of,
    flashes,
    households_by_building,
    roll_csv,
)

TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def upload(browser: Browser, campaign_id: int, content: bytes, name: str = "roll.csv"):  # type: ignore[no-untyped-def]
    return browser.submit(f"{CAMPAIGN}/{campaign_id}/roll/import",
                          {"file": (io.BytesIO(content), name)},
                          content_type="multipart/form-data")


def token_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html[-3000:]
    return found.group(1)


def test_the_preview_writes_nothing_and_the_confirmation_writes_317_households(
        app: Flask, books: Books) -> None:
    made = books.campaign()
    browser = Browser(app, "fm1")
    assert "Import the household roll" in browser.page(f"{CAMPAIGN}/{made.id}/roll/import")
    before = books.counts()
    preview = upload(browser, made.id, roll_csv())
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:3000]
    assert "Nothing has been written yet." in html
    assert "64 households × 22.09 + 253 households × 22.08" in html
    assert html.count('data-label="Share due"') == HOUSEHOLDS
    assert books.counts() == before
    assert campaigns.households(books.uow, made.id) == []

    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/roll/confirm",
                                         {"token": token_of(html)}))
    assert flashes(page) == ["The roll of 317 households is imported from “roll.csv”: "
                             "64 households × 22.09 + 253 households × 22.08."]
    roll = campaigns.households(books.uow, made.id)
    assert len(roll) == HOUSEHOLDS
    assert sum(h.share.amount for h in roll) == 7000
    # the held file is gone: confirming again writes nothing more
    again = browser.submit(f"{CAMPAIGN}/{made.id}/roll/confirm", {"token": token_of(html)})
    assert again.status_code == 422
    assert "upload the file again" in again.get_data(as_text=True)


BAD_ROWS = [("1幢", "1", "101", "重复户", "13800000001"),  # line 319: 1幢-1-101 again
            ("2幢", "", "909", "", "not a phone")]  # line 320: unit, contact, phone


def test_a_bad_file_shows_every_problem_and_writes_nothing(app: Flask, books: Books) -> None:
    made = books.campaign()
    browser = Browser(app, "fm1")
    before = books.counts()
    response = upload(browser, made.id, roll_csv(extra=BAD_ROWS))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Problems in the file (4)" in html
    cells = re.findall(r'<td class="num" data-label="Line">(\d+)</td>\s*'
                       r'<td data-label="Column">([^<]*)</td>\s*'
                       r'<td data-label="Problem">([^<]*)</td>', html)
    assert cells == [
        ("319", "Room", "Household 1幢-1-101 is on the roll already (line 2)."),
        ("320", "Unit", "This cell is empty."),
        ("320", "Contact", "This cell is empty."),
        ("320", "Phone", "“not a phone” is not a phone number."),
    ]
    assert 'action="/staff/campaigns/1/roll/confirm"' not in html
    assert books.counts() == before


def test_the_problems_read_in_chinese(app: Flask, books: Books) -> None:
    made = books.campaign()
    browser = Browser(app, "fm1", language="zh_Hans")
    html = upload(browser, made.id, roll_csv(extra=BAD_ROWS[1:])).get_data(as_text=True)
    assert "文件中的问题（3）" in html
    assert "此单元格为空。" in html
    assert "“not a phone”不是电话号码。" in html
    missing = upload(browser, made.id, "楼栋,单元,联系人\n1幢,1,张三\n".encode())
    assert missing.status_code == 422
    assert "没有“室”列" in missing.get_data(as_text=True)


def test_a_file_that_is_not_a_table_is_refused_on_the_form(app: Flask, books: Books) -> None:
    made = books.campaign()
    browser = Browser(app, "fm1")
    old_excel = upload(browser, made.id, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
                       "roll.xls")
    assert old_excel.status_code == 422
    assert errors_of(old_excel.get_data(as_text=True)) == [
        "Upload a CSV file (UTF-8 or GB18030) or an Excel .xlsx workbook; old .xls workbooks "
        "are not read."]
    nothing = browser.submit(f"{CAMPAIGN}/{made.id}/roll/import", {})
    assert nothing.status_code == 422
    assert errors_of(nothing.get_data(as_text=True)) == ["Choose a file to upload."]


def test_an_excel_workbook_and_a_gb18030_csv_are_read(app: Flask, books: Books) -> None:
    from openpyxl import Workbook

    made = books.campaign()
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "单元", "室", "联系人", "电话"])
    for room in (101, 102, 201):
        sheet.append(["5幢", 1, room, f"住户{room}", "13900000000"])
    content = io.BytesIO()
    book.save(content)
    browser = Browser(app, "fm1")
    preview = upload(browser, made.id, content.getvalue(), "名册.xlsx")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:2000]
    assert "1 households × 2,333.34 + 2 households × 2,333.33" in html
    browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/roll/confirm",
                                  {"token": token_of(html)}))
    assert [str(h.key) for h in campaigns.households(books.uow, made.id)] == [
        "5幢-1-101", "5幢-1-102", "5幢-1-201"]
    gb = "楼栋,单元,室,联系人,电话\r\n6幢,1,101,王五,\r\n".encode("gb18030")
    assert "6幢" in upload(browser, made.id, gb, "gb.csv").get_data(as_text=True)


def test_a_held_file_is_only_for_its_uploader_and_its_campaign(app: Flask, books: Books
                                                                ) -> None:
    made, other = books.campaign(), books.campaign()
    token = token_of(upload(Browser(app, "fm1"), made.id, roll_csv(5)).get_data(as_text=True))
    fm2 = Browser(app, "fm2")
    refused = fm2.submit(f"{CAMPAIGN}/{made.id}/roll/confirm", {"token": token})
    assert refused.status_code == 422
    fm1 = Browser(app, "fm1")
    assert fm1.submit(f"{CAMPAIGN}/{other.id}/roll/confirm",
                      {"token": token}).status_code == 422
    assert fm1.submit(f"{CAMPAIGN}/{made.id}/roll/confirm",
                      {"token": "../../secret_key"}).status_code == 422
    assert campaigns.households(books.uow, made.id) == []
    assert fm1.submit(f"{CAMPAIGN}/{made.id}/roll/confirm",
                      {"token": token}).status_code == 302
    assert len(campaigns.households(books.uow, made.id)) == 5


def test_a_held_file_expires_after_an_hour_and_is_swept(
        app: Flask, books: Books, uploads_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = books.campaign()
    browser = Browser(app, "fm1")
    token = token_of(upload(browser, made.id, roll_csv(5)).get_data(as_text=True))
    held = sorted(p.name for p in uploads_folder.iterdir())
    assert held == [f"{token}.data", f"{token}.json"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in uploads_folder.iterdir())
    monkeypatch.setattr(campaign_uploads, "KEEP_SECONDS", -1)
    late = browser.submit(f"{CAMPAIGN}/{made.id}/roll/confirm", {"token": token})
    assert late.status_code == 422
    assert "an hour has passed" in late.get_data(as_text=True)
    upload(browser, made.id, roll_csv(5))  # holding another file sweeps the old one
    assert f"{token}.data" not in {p.name for p in uploads_folder.iterdir()}
    assert campaigns.households(books.uow, made.id) == []


def test_an_open_campaign_previews_a_roll_but_does_not_take_it(app: Flask, books: Books
                                                                ) -> None:
    made = books.opened(10)
    browser = Browser(app, "fm1")
    html = upload(browser, made.id, roll_csv(12)).get_data(as_text=True)
    assert "The roll is imported while the campaign is a draft" in html
    assert 'name="token"' not in html
    assert len(campaigns.households(books.uow, made.id)) == 10


# --- the roll ---------------------------------------------------------------------------------
def test_the_roll_shows_shares_paid_owed_and_status(app: Flask, books: Books) -> None:
    made = books.opened(6)  # 7,000.00 / 6: 4 × 1,166.67 + 2 × 1,166.66
    first, second = books.households(made.id)[:2]
    books.pay(made.id, first)
    books.pay(made.id, second, "500.00")
    browser = Browser(app, "aud1")
    html = browser.page(f"{CAMPAIGN}/{made.id}/roll")
    assert "4 households × 1,166.67 + 2 households × 1,166.66" in html
    rows = re.findall(r'<td class="nowrap" data-label="Household">([^<]+)</td>.*?'
                      r'data-label="Share due">([^<]+)</td>\s*.*?'
                      r'data-label="Paid so far">([^<]+)</td>\s*.*?'
                      r'data-label="Owed">([^<]+)</td>', html, re.S)
    assert rows[:3] == [("1幢-1-101", "1,166.67", "1,166.67", "0.00"),
                        ("1幢-1-102", "1,166.67", "500.00", "666.67"),
                        ("1幢-1-201", "1,166.67", "0.00", "1,166.67")]
    assert "Mark a household" not in html  # the auditor reads only


def test_a_household_is_marked_vacant_with_a_reason_and_asked_again(app: Flask, books: Books
                                                                    ) -> None:
    made = books.opened(6)
    household = books.households(made.id)[2]
    browser = Browser(app, "fm1")
    page = browser.page(f"{CAMPAIGN}/{made.id}/roll?household_id={household.id}")
    assert f'<option selected value="{household.id}">' in page
    no_reason = browser.submit(f"{CAMPAIGN}/{made.id}/households/mark", {
        "mark-household_id": str(household.id), "mark-status": "vacant", "mark-reason": ""})
    assert no_reason.status_code == 422
    assert errors_of(no_reason.get_data(as_text=True)) == ["Say why (up to 300 characters)."]
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/households/mark", {
        "mark-household_id": str(household.id), "mark-status": "vacant",
        "mark-reason": "常年空置"}))
    assert flashes(page) == ["Household 1幢-1-201 is marked “Vacant”: its share of 1,166.67 "
                             "becomes shortfall, to be assigned to a source."]
    assert "常年空置" in page
    marked = books.households(made.id)[2]
    assert (marked.status, marked.reason) == (HouseholdStatus.VACANT, "常年空置")
    assert campaigns.campaign(books.uow, made.id).figures.unassigned.amount > 0
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/households/mark", {
        "mark-household_id": str(household.id), "mark-status": "asked", "mark-reason": ""}))
    assert flashes(page) == ["Household 1幢-1-201 is asked to pay again: its share is "
                             "1,166.67."]
    assert books.households(made.id)[2].status is HouseholdStatus.ASKED
    history = browser.page(f"{CAMPAIGN}/{made.id}")
    assert history.count("Household marked") == 2
    assert "<dt>Household</dt><dd>1幢-1-201</dd>" in history


def test_a_household_that_has_paid_stays_asked(app: Flask, books: Books) -> None:
    made = books.opened(6)
    household = books.households(made.id)[0]
    books.pay(made.id, household, "100.00")
    browser = Browser(app, "fm1", language="zh_Hans")
    refused = browser.submit(f"{CAMPAIGN}/{made.id}/households/mark", {
        "mark-household_id": str(household.id), "mark-status": "exempt",
        "mark-reason": "低保户"})
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True)) == [
        "住户 1幢-1-101 已缴纳 100.00，须保持“须缴费”状态。"]
    assert books.households(made.id)[0].status is HouseholdStatus.ASKED


# --- the door-to-door list --------------------------------------------------------------------
def test_the_door_to_door_list_shows_exactly_the_unpaid_households_by_building(
        app: Flask, books: Books) -> None:
    made = books.opened()
    roll = books.households(made.id)
    paid = {roll[0].id, roll[5].id, roll[100].id, roll[316].id}
    for household in roll:
        if household.id in paid:
            books.pay(made.id, household)
    books.pay(made.id, roll[200], "10.00")  # partly paid: still on the list, owing 12.08
    campaigns.mark_household(books.uow, books.fm, made.id, roll[300].id,
                             status=HouseholdStatus.VACANT, reason="空置")
    browser = Browser(app, "board1")
    html = browser.page(f"{CAMPAIGN}/{made.id}/door-to-door")
    sections = re.findall(r'<section class="building-sheet".*?</section>', html, re.S)
    expected = {b: n for b, n in households_by_building().items()}
    expected["1幢"] -= 2
    expected["2幢"] -= 1
    expected["4幢"] -= 2  # one paid, one vacant
    assert len(sections) == len(BUILDINGS)
    for building, section in zip(BUILDINGS, sections, strict=True):
        assert f"Building {building}" in section
        assert section.count("<tr>") - 1 == expected[building], building
    listed = set(re.findall(r"<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(住户\d+)</td>", html))
    unpaid = {(h.key.unit, h.key.room, h.contact) for h in roll
              if h.id not in paid and h.id != roll[300].id}
    assert listed == unpaid
    assert "12.08" in sections[2]
    assert f"{sum(expected.values())} households still owe" in html
    assert 'href="/static/campaigns.css"' in html


def test_the_door_to_door_list_filters_by_building(app: Flask, books: Books) -> None:
    made = books.opened(100)
    browser = Browser(app, "fm1", language="zh_Hans")
    html = browser.page(f"{CAMPAIGN}/{made.id}/door-to-door?building=2幢")
    assert html.count('<section class="building-sheet"') == 1
    assert "楼栋 2幢" in html
    assert html.count("<tr>") - 1 == 20
    assert "打印" in html
    unknown = browser.page(f"{CAMPAIGN}/{made.id}/door-to-door?building=9幢")
    assert unknown.count('<section class="building-sheet"') == 2


def test_the_door_to_door_list_is_in_floor_order(app: Flask, books: Books) -> None:
    made = books.opened(40)  # 1幢, unit 1: rooms 101, 102 ... 2002
    html = Browser(app, "fm1").page(f"{CAMPAIGN}/{made.id}/door-to-door")
    rooms = re.findall(r"<td>1</td>\s*<td>(\d+)</td>", html)
    assert rooms[:4] == ["101", "102", "201", "202"]
