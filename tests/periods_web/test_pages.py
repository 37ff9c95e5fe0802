"""The periods' staff pages, in English and Chinese: the list per entity with status and audit
state, a period's statements with the previous period's figures, its downloads, the
verification, and the forms that start closing and close (fund managers, admins), reopen with a
reason (admins) and sign off (auditors), each with its CSRF token. A refusal is shown on the
form in the reader's language with the status the API would answer, never as a server error."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import text

from ledger import periods
from ledger.core.chart import ENTITIES

from .helpers import (
    MONTH,
    PAGE,
    Books,
    Browser,
    alerts_of,
    errors_of,
    flash_texts,
    text_of,
)

FUND_ZH = ENTITIES["fund"].name_zh


def test_the_list_and_a_period_in_english_and_chinese(app: Flask, books: Books) -> None:
    books.seed()
    books.close()
    english = Browser(app, "board1")
    listed = english.page("/staff/periods/")
    assert '<a href="/staff/periods/"' in listed  # the menu entry, for every staff role
    words = text_of(listed)
    assert "Periods" in words
    assert "2026-10 Closed Unaudited draft" in words
    assert "No period has been closed yet: every period is open." in words  # the foundation
    page = english.page(PAGE)
    words = text_of(page)
    assert "Unaudited draft No auditor has signed off this period" in words
    assert "Cash and bank deposits 4,245.50 1,200.00" in words  # October beside September
    assert "End of period 2026-10 End of period 2026-09" in words
    assert "Cash at the end of the period 4,245.50 1,200.00" in words
    assert "Closing started fm1 Fund manager" in words
    assert "awaits an auditor's verification and sign-off" in words
    assert "<form" not in page.split('<main id="main">')[1]  # a board member only reads
    for link in ("statements.pdf?lang=zh", "statements.pdf?lang=en", "statements.csv",
                 "statements.json"):
        assert f'href="{PAGE}/{link}"' in page

    chinese = Browser(app, "board1", language="zh_Hans")
    words = text_of(chinese.page("/staff/periods/"))
    assert "会计期间" in words
    assert "2026-10 已结账 未经审计草稿" in words
    words = text_of(chinese.page(PAGE))
    assert "未经审计草稿 本期间尚未经审计员签署" in words
    assert "货币资金 4,245.50 1,200.00" in words
    assert "期末数 2026-10 期末数 2026-09" in words


def test_a_manager_starts_closing_then_closes(app: Flask, books: Books) -> None:
    books.seed()
    fm = Browser(app, "fm1")
    page = fm.page(PAGE)
    assert f'action="{PAGE}/closing"' in page
    assert f'action="{PAGE}/close"' not in page
    before = books.counts()
    no_token = fm.post(f"{PAGE}/closing", {"closing-confirm": "y"})
    assert no_token.status_code == 400
    unconfirmed = fm.submit(f"{PAGE}/closing")
    assert unconfirmed.status_code == 422
    assert errors_of(unconfirmed.get_data(as_text=True)) == ["Tick the box to confirm."]
    assert books.counts() == before

    done = fm.follow(fm.submit(f"{PAGE}/closing", {"closing-confirm": "y"}))
    assert flash_texts(done) == [
        "Chamber of Commerce Mutual-Aid Fund 2026-10 is closing: from now on only adjusting "
        "entries may be dated inside it."]
    assert books.state().status == "closing"
    assert f'action="{PAGE}/close"' in done
    done = fm.follow(fm.submit(f"{PAGE}/close", {"close-confirm": "y"}))
    closed = books.state()
    assert closed.status == "closed"
    assert closed.close is not None
    assert flash_texts(done) == [
        f"Chamber of Commerce Mutual-Aid Fund 2026-10 is closed at entry no. "
        f"{closed.close.head_seq}: nothing more may be dated inside it. It awaits the "
        f"auditor's sign-off."]
    assert "<form" not in done.split('<main id="main">')[1]  # nothing more for a manager


def test_an_auditor_signs_off_and_an_admin_reopens(app: Flask, books: Books) -> None:
    books.seed()
    books.close()
    auditor = Browser(app, "aud1", language="zh_Hans")
    page = auditor.page(PAGE)
    words = text_of(page)
    assert "账簿核验通过" in words  # the verification, run now for the auditor
    assert f'action="{PAGE}/sign-off"' in page
    before = books.counts()
    refused = auditor.submit(f"{PAGE}/sign-off", {"signoff-notes": "无", **{
        "signoff-confirm": "y"}})
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True)) == ["请选择审计意见。"]
    wrong = auditor.submit(f"{PAGE}/sign-off", {"signoff-opinion": "clean",
                                                "signoff-confirm": "y"})
    assert wrong.status_code == 422
    assert errors_of(wrong.get_data(as_text=True)) == ["请从列出的审计意见中选择。"]
    assert books.counts() == before

    done = auditor.follow(auditor.submit(f"{PAGE}/sign-off", {
        "signoff-opinion": "qualified", "signoff-notes": "一笔手续费未入账。",
        "signoff-confirm": "y"}))
    assert flash_texts(done) == [f"{FUND_ZH} 2026-10 已审计签署：保留意见。报表已定稿。"]
    signed = books.state()
    assert signed.signoff is not None
    assert signed.signoff.opinion == "qualified"
    assert signed.signoff.notes == "一笔手续费未入账。"
    words = text_of(done)
    assert "未经审计草稿" not in words
    assert "一笔手续费未入账。" in words

    admin = Browser(app, "admin1")
    assert admin.submit(f"{PAGE}/sign-off", {"signoff-opinion": "unqualified",
                                             "signoff-confirm": "y"}).status_code == 403
    page = admin.page(PAGE)
    assert f'action="{PAGE}/reopen"' in page
    assert "The auditor's sign-off no longer holds" in text_of(page)
    before = books.counts()
    no_reason = admin.submit(f"{PAGE}/reopen", {"reopen-confirm": "y"})
    assert no_reason.status_code == 422
    assert errors_of(no_reason.get_data(as_text=True)) == ["Fill in this field."]
    assert books.counts() == before
    done = admin.follow(admin.submit(f"{PAGE}/reopen", {"reopen-reason": "补记 10 月手续费",
                                                        "reopen-confirm": "y"}))
    assert flash_texts(done) == [
        "Chamber of Commerce Mutual-Aid Fund 2026-10 is open again. Its statements are an "
        "unaudited draft until it is closed and signed off anew."]
    assert books.state().signoff is None
    words = text_of(done)
    assert "Unaudited draft No auditor has signed off this period" in words
    assert "The period was reopened; any earlier sign-off no longer holds." in words
    assert "Reopened admin1 Administrator Reason 补记 10 月手续费 Sign-off voided Yes" in words


def test_refusals_are_shown_on_the_form_in_the_readers_language(app: Flask, books: Books
                                                               ) -> None:
    books.seed()
    fm = Browser(app, "fm1", language="zh_Hans")
    fm.page(PAGE)
    stale = fm.submit(f"{PAGE}/close", {"close-confirm": "y"})  # still open
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert alerts_of(html) == ["只有正在结账的期间才能结账：请先开始结账。"]
    assert f'name="next" value="{PAGE}"' in html  # the language switch goes back to the page

    books.start_closing()
    admin = Browser(app, "admin1")
    assert f'action="{PAGE}/reopen"' in admin.page(PAGE)  # a closing period may go back
    back = admin.follow(admin.submit(f"{PAGE}/reopen", {"reopen-reason": "还有收入未录入",
                                                        "reopen-confirm": "y"}))
    assert "is open again" in flash_texts(back)[0]
    stale = admin.submit(f"{PAGE}/reopen", {"reopen-reason": "x", "reopen-confirm": "y"})
    assert stale.status_code == 409  # open already: the form of a page left open
    assert alerts_of(stale.get_data(as_text=True)) == [
        "Only a period that is closing or closed can be reopened."]
    books.start_closing()

    periods.close_period(books.uow, books.actor("fm1", "fund_manager"), "fund", MONTH)
    with books.engine.begin() as conn:  # the balances recorded at the close are tampered with
        conn.execute(text("DROP TRIGGER IF EXISTS period_closes_append_only ON period_closes")
                     if conn.dialect.name == "postgresql" else
                     text("DROP TRIGGER IF EXISTS period_closes_no_update"))
        conn.execute(text("UPDATE period_closes SET balances = '{}'"))
    auditor = Browser(app, "aud1")
    page = auditor.page(PAGE)
    assert "The books do not verify" in text_of(page)
    before = books.counts()
    refused = auditor.submit(f"{PAGE}/sign-off", {"signoff-opinion": "unqualified",
                                                  "signoff-confirm": "y"})
    assert refused.status_code == 409
    assert alerts_of(refused.get_data(as_text=True)) == [
        "The books do not verify, so the period cannot be signed off: see the verification "
        "below."]
    assert books.counts() == before


def test_who_may_see_and_post_what(app: Flask, books: Books) -> None:
    books.seed()
    anonymous = app.test_client()
    to_login = anonymous.get(PAGE)
    assert to_login.status_code == 302
    assert "/staff/login" in to_login.headers["Location"]
    browsers = {who: Browser(app, who) for who in ("board1", "aud1", "fm1", "admin1")}
    before = books.counts()  # after logging in (which is audited)
    for who, step, data in (("board1", "closing", {"closing-confirm": "y"}),
                            ("aud1", "closing", {"closing-confirm": "y"}),
                            ("fm1", "reopen", {"reopen-reason": "x", "reopen-confirm": "y"}),
                            ("admin1", "sign-off", {"signoff-opinion": "unqualified",
                                                    "signoff-confirm": "y"})):
        assert browsers[who].submit(f"{PAGE}/{step}", data).status_code == 403, (who, step)
    assert books.counts() == before
    # The period is open: nothing for an auditor to sign yet.
    assert "<form" not in browsers["aud1"].page(PAGE).split('<main id="main">')[1]


def test_finding_a_period_and_bad_addresses(app: Flask, books: Books) -> None:
    fm = Browser(app, "fm1")
    found = fm.get("/staff/periods/?entity=foundation&period=2026")
    assert found.status_code == 302
    assert found.headers["Location"].endswith("/staff/periods/foundation/2026")
    page = fm.page("/staff/periods/foundation/2026")
    assert "Community Development Foundation · 2026 Open Unaudited draft" in text_of(page)
    assert "Charity spending ratios, year to date" in text_of(page)
    bad = fm.get("/staff/periods/?entity=fund&period=2026-13")
    assert bad.status_code == 422
    assert errors_of(bad.get_data(as_text=True)) == ["Write a year (2026) or a month (2026-10)."]
    assert fm.get("/staff/periods/treasury/2026").status_code == 404
    assert fm.get("/staff/periods/fund/2026-13").status_code == 422
    assert fm.get("/staff/periods/fund/2026-13/statements.csv").status_code == 422
    assert fm.submit("/staff/periods/fund/26/closing", {"closing-confirm": "y"}
                     ).status_code == 422
    listed = fm.page("/staff/periods/")
    assert 'href="/staff/periods/fund/2026"' in listed  # this year, among the suggestions


def test_the_figures_download_as_csv_and_json(app: Flask, books: Books) -> None:
    books.seed()
    board = Browser(app, "board1")
    as_csv = board.get(f"{PAGE}/statements.csv")
    assert as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    assert "attachment" in as_csv.headers["Content-Disposition"]
    assert "position,cash,货币资金" in as_csv.get_data(as_text=True)
    as_json = board.get(f"{PAGE}/statements.json")
    assert as_json.status_code == 200
    assert as_json.mimetype == "application/json"
    assert "statements-fund-2026-10-draft.json" in as_json.headers["Content-Disposition"]
    assert json.loads(as_json.get_data(as_text=True))["period"]["label"] == MONTH
