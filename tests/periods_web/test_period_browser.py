"""A real browser (Chromium, in Chinese) drives an auditor through the sign-off of a closed
month: from the menu to the period, the live verification, the opinion and notes, the sign-off,
and the signed PDF downloaded (the stored file, its SHA-256 as ETag). Every page must load
without a console error or a Content-Security-Policy violation.

Chromium runs in a thread of its own, as in tests/campaigns_web/test_campaign_browser.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..browser.conftest import watched_page
from ..browser.threaded import Body, log_in
from .helpers import MONTH, Books

pytestmark = pytest.mark.browser


def test_an_auditor_signs_off_a_closed_month_and_downloads_the_pdf(
        in_chromium: Callable[[Body], None], live_server: str, books: Books,
        screenshots: Path) -> None:
    books.seed()
    books.close()

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server) as (page, problems):
            log_in(page, "aud1")
            page.get_by_role("navigation", name="主菜单").get_by_role(
                "link", name="会计期间").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("会计期间")
            page.get_by_role("table").get_by_role("link", name=MONTH, exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("未经审计草稿")
            expect(page.locator("main")).to_contain_text("账簿核验通过")
            expect(page.locator("#statement-position")).to_contain_text("4,245.50")

            page.get_by_label("保留意见", exact=True).check()
            page.get_by_label("审计说明", exact=True).fill("一笔银行手续费未入账。")
            page.get_by_label("确认签署本期报表。").check()
            page.screenshot(path=str(screenshots / "period-sign-off-zh.png"), full_page=True)
            page.get_by_role("button", name="审计签署").click()

            expect(page.locator(".flashes")).to_contain_text("已审计签署：保留意见。报表已定稿。")
            expect(page.get_by_role("heading", level=1)).to_contain_text("已审计")
            expect(page.get_by_role("heading", level=1)).not_to_contain_text("未经审计草稿")
            state = books.state()
            assert state.signoff is not None
            assert (state.signoff.opinion, state.signoff.notes, state.signoff.signed_by) == (
                "qualified", "一笔银行手续费未入账。", "aud1")

            href = page.get_by_role("link", name="财务报表（PDF，中文）").get_attribute("href")
            answer = page.request.get(href)
            assert answer.status == 200
            content = answer.body()
            assert content.startswith(b"%PDF")
            sha = hashlib.sha256(content).hexdigest()
            assert answer.headers["x-content-sha256"] == sha
            assert answer.headers["etag"] == f'"{sha}"'
            assert page.request.get(href).body() == content  # the stored file, every time
            page.screenshot(path=str(screenshots / "period-signed-zh.png"), full_page=True)
            assert problems.found == []

        with watched_page(browser, live_server, 360, 740) as (page, problems):
            log_in(page, "aud1")
            for name, where in (("list", "/staff/periods/"),
                                ("period", f"/staff/periods/fund/{MONTH}")):
                page.goto(where)
                expect(page.locator("h1")).to_be_visible()
                width = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(screenshots / f"period-{name}-360.png"),
                                full_page=True)
                assert width == 360, f"{where} scrolls sideways at 360 px ({width} px wide)"
            assert problems.found == []

    in_chromium(body)
