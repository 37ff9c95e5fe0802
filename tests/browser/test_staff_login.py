"""A real browser logs in as each role, switches language, and logs out.

Chromium asks in Chinese (locale zh-CN, so Accept-Language: zh-CN): the pages come in Chinese,
the English button of the language switcher turns them to English. Every page must load
without a console error, an uncaught exception or a Content-Security-Policy violation.
Full-page screenshots go to test-artifacts/browser/<role>-zh.png and <role>-en.png.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from .conftest import Problems

pytestmark = pytest.mark.browser

ROLES = {"admin1": "admin", "fm1": "fund_manager", "board1": "board_member", "aud1": "auditor"}
USERNAME = re.compile(r"^\s*(Username|用户名)\s*$")
PASSWORD_LABEL = re.compile(r"^\s*(Password|密码)\s*$")
#: The main menu offers the pages each role may open (cf. EXPECTED in tests/matrix).
MENU = {
    "admin1": ["Dashboard", "Vouchers", "Mutual-aid fund", "Foundation", "Campaigns", "Periods",
               "Audit log", "Staff accounts", "Access tokens", "Change password"],
    "fm1": ["Dashboard", "Vouchers", "Mutual-aid fund", "Foundation", "Campaigns", "Periods",
            "Access tokens", "Change password"],
    "board1": ["Dashboard", "Vouchers", "Mutual-aid fund", "Foundation", "Campaigns", "Periods",
               "Access tokens", "Change password"],
    "aud1": ["Dashboard", "Vouchers", "Mutual-aid fund", "Foundation", "Campaigns", "Periods",
             "Audit log", "Access tokens", "Change password"],
}
LOG_IN = re.compile(r"^\s*(Log in|登录)\s*$")


def log_in(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/staff/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_label(USERNAME).fill(username)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def shoot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, path
    return path


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_logs_in_switches_language_and_logs_out(
        browser_page: tuple[Any, Problems], screenshots: Path, username: str) -> None:
    from playwright.sync_api import expect

    page, problems = browser_page
    log_in(page, username)

    # Chinese, as the browser asked
    expect(page.locator("header")).to_contain_text(username.upper())
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    shoot(page, screenshots, f"{ROLES[username]}-zh")

    # English, once asked for; the choice stays on the same page
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link")).to_have_text(MENU[username])
    expect(page.locator("header")).to_contain_text(username.upper())
    shoot(page, screenshots, f"{ROLES[username]}-en")

    # log out: back on the login page, and the dashboard is closed again
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    expect(page.get_by_label(USERNAME)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login\?next=(/|%2F)staff(/|%2F)$"))

    assert problems.found == []


def test_a_narrow_phone_screen(browser_page: tuple[Any, Problems], screenshots: Path) -> None:
    """360 px wide: the dashboard is usable without scrolling sideways, in both languages."""
    from playwright.sync_api import expect

    page, problems = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "fm1")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    shoot(page, screenshots, "fund_manager-zh-360")
    overflow_zh = page.evaluate("document.documentElement.scrollWidth")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shoot(page, screenshots, "fund_manager-en-360")
    overflow_en = page.evaluate("document.documentElement.scrollWidth")
    assert (overflow_zh, overflow_en) == (360, 360), "the page scrolls sideways at 360 px"
    assert problems.found == []


def test_a_login_link_cannot_send_a_logged_in_person_to_another_site(
        browser_page: tuple[Any, Problems], live_server: str) -> None:
    from playwright.sync_api import Error

    page, _ = browser_page
    log_in(page, "fm1")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    with contextlib.suppress(Error):  # evil.example does not resolve: the navigation fails
        page.goto("/staff/login?next=/%09/evil.example/")
    off_site = [url for url in asked if not url.startswith(f"{live_server}/")]
    assert off_site == []
    assert page.url == f"{live_server}/staff/"
