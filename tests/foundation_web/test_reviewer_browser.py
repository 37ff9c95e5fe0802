"""A real browser (Chromium, in Chinese) drives the reviewer's flow: a board member opens the
queue from the dashboard, declares no conflict, scores and votes, and sees the quorum's
progress change; a recused member is offered neither scores nor a vote. The foundation's
pages also fit a 360 px phone. Every page must load without a console error or a
Content-Security-Policy violation.

The live server is tests/browser's. Chromium is started here, in a thread of its own: the
session-wide Chromium of tests/browser/conftest.py keeps Playwright's sync API busy in the
main thread of a test process that runs both folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger import grants

from ..browser.conftest import watched_page
from ..browser.threaded import Body, log_in
from .helpers import Books

pytestmark = pytest.mark.browser


def test_a_reviewer_declares_scores_votes_and_a_recused_member_may_not(
        in_chromium: Callable[[Body], None], live_server: str, books: Books,
        screenshots: Path) -> None:
    _, application = books.in_review()  # reviewers board1-3, quorum 2
    books.declare(application.id, "board2", conflicted=True)

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server) as (page, problems):
            log_in(page, "board1")
            page.get_by_role("link", name="打开我的评审队列").click()
            expect(page.get_by_role("heading", name="我的评审")).to_be_visible()
            expect(page.locator("main")).to_contain_text("有 1 个申请需要您处理。")
            page.get_by_role("link", name=f"#{application.id} 楼道窗户修缮互助").click()

            quorum = page.locator(".quorum")
            expect(quorum).to_contain_text("法定人数 2 人，已表决 0 人；1 人回避。")
            expect(page.get_by_role("button", name="提交我的评分")).to_have_count(0)
            page.get_by_label("我与此申请没有利益冲突").check()
            page.get_by_role("button", name="提交我的声明").click()
            expect(page.locator(".flashes")).to_contain_text("已记录您的声明：无利益冲突。")

            page.get_by_label("需求契合度（权重 60%）").fill("80")
            page.get_by_label("可行性（权重 40%）").fill("65")
            page.get_by_role("button", name="提交我的评分").click()
            expect(page.locator(".flashes")).to_contain_text("加权得分为 74.00")

            page.get_by_label("赞成").check()
            page.get_by_role("button", name="提交我的表决").click()
            expect(page.locator(".flashes")).to_contain_text("已记录您的表决：赞成。")
            expect(quorum).to_contain_text("法定人数 2 人，已表决 1 人；1 人回避。")
            expect(quorum.locator("progress")).to_have_attribute("value", "1")
            expect(page.get_by_role("button", name="提交我的表决")).to_have_count(0)
            page.screenshot(path=str(screenshots / "foundation-reviewer-zh.png"),
                            full_page=True)

            books.vote(application.id, "board3")
            page.reload()
            expect(quorum).to_contain_text("已达法定人数：2 人已表决（需 2 人）；1 人回避。")
            page.get_by_role("button", name="立即作出决议").click()
            expect(page.locator(".flashes")).to_contain_text("决议通过")
            assert problems.found == []

        # the recused member: neither scoring nor voting is offered
        with watched_page(browser, live_server, 390, 844) as (page, problems):
            log_in(page, "board2")
            page.goto(f"/staff/foundation/applications/{application.id}")
            expect(page.locator("#my-review")).to_contain_text("已声明利益冲突：回避")
            expect(page.get_by_role("button", name="提交我的评分")).to_have_count(0)
            expect(page.get_by_role("button", name="提交我的表决")).to_have_count(0)
            assert problems.found == []

    in_chromium(body)
    assert len(grants.grants(books.uow)) == 1


def test_a_member_who_declares_a_conflict_is_offered_neither_scores_nor_vote(
        in_chromium: Callable[[Body], None], live_server: str, books: Books) -> None:
    _, application = books.in_review()

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server) as (page, problems):
            log_in(page, "board2")
            page.goto(f"/staff/foundation/applications/{application.id}")
            page.get_by_label("我与此申请存在利益冲突，申请回避").check()
            page.get_by_label("利益关系").fill("我的亲属在该机构任职")
            page.get_by_role("button", name="提交我的声明").click()
            expect(page.locator("#recused")).to_have_text(
                "您已声明存在利益冲突，须回避：不对此申请评分或表决。")
            expect(page.get_by_role("button", name="提交我的评分")).to_have_count(0)
            expect(page.get_by_role("button", name="提交我的表决")).to_have_count(0)
            expect(page.locator(".quorum")).to_contain_text("1 人回避")
            page.goto("/staff/foundation/reviews")
            expect(page.locator("main")).to_contain_text("无：您已回避")
            assert problems.found == []

    in_chromium(body)


def test_the_foundation_pages_fit_a_360_px_phone(
        in_chromium: Callable[[Body], None], live_server: str, books: Books,
        screenshots: Path) -> None:
    application, grant = books.approved()
    base = "/staff/foundation"
    pages = {"income": f"{base}/income", "income-new": f"{base}/income/new",
             "rounds": f"{base}/rounds", "round-new": f"{base}/rounds/new",
             "round": f"{base}/rounds/{application.round_id}",
             "application": f"{base}/applications/{application.id}",
             "grants": f"{base}/grants", "grant": f"{base}/grants/{grant.id}",
             "grantees": f"{base}/grantees"}

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        with watched_page(browser, live_server, 360, 740) as (page, problems):
            log_in(page, "fm1")
            for name, path in pages.items():
                page.goto(path)
                expect(page.locator("h1")).to_be_visible()
                width = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(screenshots / f"foundation-{name}-360.png"),
                                full_page=True)
                assert width == 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
            assert problems.found == []
        with watched_page(browser, live_server, 360, 740) as (page, problems):
            log_in(page, "board1")  # the dashboard's review card and the queue
            for name, path in (("dashboard-board", "/staff/"),
                               ("queue", f"{base}/reviews")):
                page.goto(path)
                width = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(screenshots / f"foundation-{name}-360.png"),
                                full_page=True)
                assert width == 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
            assert problems.found == []

    in_chromium(body)
