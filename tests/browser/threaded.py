"""Chromium in a thread of its own, for the page tests outside tests/browser: the session-wide
Chromium of tests/browser/conftest.py keeps Playwright's sync API busy in the main thread of a
test process that runs several folders. Import `in_chromium` (a fixture) and `log_in`."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from ..conftest import PASSWORD
from .conftest import CHROMIUM, CHROMIUM_ARGS, _no_browser

Body = Callable[[Any], None]


@pytest.fixture
def in_chromium(live_server: str) -> Callable[[Body], None]:
    """Runs a test's body with a Chromium of its own, in a thread of its own."""
    if not CHROMIUM.exists():
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (pip install -e '.[dev]')")

    def run(body: Body) -> None:
        failures: list[BaseException] = []

        def target() -> None:
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                         args=CHROMIUM_ARGS)
                    try:
                        body(browser)
                    finally:
                        browser.close()
            except BaseException as error:  # re-raised in the test's own thread
                failures.append(error)

        thread = threading.Thread(target=target, name="test-chromium")
        thread.start()
        thread.join(timeout=300)
        assert not thread.is_alive(), "the browser test did not finish in 5 minutes"
        if failures:
            raise failures[0]

    return run


def log_in(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/staff/login")
    page.get_by_label(re.compile(r"^\s*用户名\s*$")).fill(username)
    page.get_by_label(re.compile(r"^\s*密码\s*$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^\s*登录\s*$")).click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
