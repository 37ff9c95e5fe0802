"""A real browser (Chromium, in Chinese) drives a fund manager through a campaign: the roll
uploaded and previewed before anything is written, then imported; the campaign opened; a
payment recorded at the door with its receipt code and PDF; and the door-to-door list printed
(print media: A4, no menu). Every page must load without a console error or a
Content-Security-Policy violation.

Chromium runs in a thread of its own, as in tests/foundation_web/test_reviewer_browser.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger import campaign_payments, campaigns

from ..browser.conftest import watched_page
from ..browser.threaded import Body, log_in
from .helpers import HOUSEHOLDS, Books, roll_csv

pytestmark = pytest.mark.browser


def test_a_fund_manager_imports_the_roll_takes_a_payment_and_prints_the_list(
        in_chromium: Callable[[Body], None], live_server: str, books: Books,
        screenshots: Path, tmp_path: Path) -> None:
    books.income()
    made = books.campaign()
    roll = tmp_path / "裕帆名册.csv"
    roll.write_bytes(roll_csv())

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server) as (page, problems):
            log_in(page, "fm1")
            page.get_by_role("navigation", name="主菜单").get_by_role("link",
                                                                   name="众筹").click()
            page.get_by_role("link", name="裕帆小区电梯维修").click()
            page.get_by_role("link", name="导入住户名册").first.click()
            page.get_by_label("住户名册").set_input_files(str(roll))
            page.get_by_role("button", name="预览").click()

            expect(page.get_by_role("heading", level=1)).to_contain_text("住户名册预览")
            expect(page.locator("main")).to_contain_text("尚未写入任何内容。")
            expect(page.locator("p.split")).to_contain_text("64 户 × 22.09 + 253 户 × 22.08")
            expect(page.locator("table tbody tr")).to_have_count(HOUSEHOLDS)
            assert campaigns.households(books.uow, made.id) == []
            page.screenshot(path=str(screenshots / "campaign-roll-preview-zh.png"))
            page.get_by_role("button", name="导入名册").click()
            expect(page.locator(".flashes")).to_contain_text("导入 317 户的名册")
            assert len(campaigns.households(books.uow, made.id)) == HOUSEHOLDS

            page.get_by_role("link", name="概况").click()
            page.get_by_label("确认开启众筹：请住户缴费，并预留基金会配捐。").check()
            page.get_by_role("button", name="开启众筹").click()
            expect(page.locator(".flashes")).to_contain_text("众筹已开启：317 户须缴费。")

            first = campaigns.households(books.uow, made.id)[0]
            page.get_by_role("link", name="登记缴费").first.click()
            page.get_by_label("住户", exact=True).select_option(str(first.id))
            page.get_by_label("凭据号").fill("现金-0001")
            page.get_by_role("button", name="登记并记账").click()
            expect(page.locator(".flashes")).to_contain_text(
                f"住户 {first.key} 缴纳的 22.09 已登记并记账。收据码：")
            code = page.locator("code.receipt-code").inner_text()
            paid = campaign_payments.payments(books.uow, made.id)
            assert [p.receipt_code for p in paid] == [code]
            pdf = page.get_by_role("link", name="收据（PDF）").get_attribute("href")
            answer = page.request.get(pdf)
            assert answer.status == 200
            assert answer.body().startswith(b"%PDF")

            page.get_by_role("link", name="上门收款清单").click()
            expect(page.locator("main")).to_contain_text("尚有 316 户未缴清，共欠 6,977.91。")
            expect(page.locator("section.building-sheet")).to_have_count(4)
            page.emulate_media(media="print")
            expect(page.locator("header.top")).to_be_hidden()
            expect(page.locator("footer.foot")).to_be_hidden()
            expect(page.locator("form.filters")).to_be_hidden()
            expect(page.locator("table.door-list").first).to_be_visible()
            page.screenshot(path=str(screenshots / "campaign-door-to-door-print.png"),
                            full_page=True)
            page.emulate_media(media="screen")
            expect(page.locator("header.top")).to_be_visible()
            assert problems.found == []

    in_chromium(body)


def test_the_campaign_pages_fit_a_360_px_phone(
        in_chromium: Callable[[Body], None], live_server: str, books: Books,
        screenshots: Path) -> None:
    made = books.opened(30)
    paid = books.pay(made.id, books.households(made.id)[0])
    base = f"/staff/campaigns/{made.id}"
    pages = {"list": "/staff/campaigns/", "new": "/staff/campaigns/new", "campaign": base,
             "roll": f"{base}/roll", "door-to-door": f"{base}/door-to-door",
             "payment-new": f"{base}/payments/new", "payments": f"{base}/payments",
             "payments-import": f"{base}/payments/import",
             "receipt": f"{base}/receipts/{paid.receipt_code}"}

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server, 360, 740) as (page, problems):
            log_in(page, "fm1")
            for name, path in pages.items():
                page.goto(path)
                expect(page.locator("h1")).to_be_visible()
                width = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(screenshots / f"campaign-{name}-360.png"),
                                full_page=True)
                assert width == 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
            assert problems.found == []

    in_chromium(body)
