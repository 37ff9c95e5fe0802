"""Fixtures of the real-browser tests: the app served over HTTP, and Debian's Chromium.

The app is served by werkzeug on 127.0.0.1 (a free port, a daemon thread) on the test's SQLite
database, in development mode (a plain session cookie over http). Chromium is /usr/bin/chromium
(Playwright's own browsers are not downloaded here; HUZHU_CHROMIUM names another). When it is
missing the tests skip, unless HUZHU_REQUIRE_BROWSER=1, where that is an error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import Staff

CHROMIUM = Path(os.environ.get("HUZHU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
#: Screenshots land in <repo>/test-artifacts/browser/.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


def _no_browser(reason: str) -> NoReturn:
    if os.environ.get("HUZHU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HUZHU_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
        except Error as error:
            _no_browser(f"Chromium at {CHROMIUM} does not start: {error}")
        yield browser
        browser.close()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the browser tests run on SQLite only")


@pytest.fixture
def live_server(sqlite_only: None, staff_accounts: Staff, app: Flask) -> Iterator[str]:
    """The app served for real over HTTP; yields its base URL (http://127.0.0.1:<port>).

    The staff accounts (tests/conftest.py) exist before it starts."""
    assert app.config["HUZHU_ENV"] == "development"  # a plain cookie over http
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


#: Records every CSP violation as a console error (Chromium reports most of them there too).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@dataclass
class Problems:
    """What went wrong in the page: console errors, uncaught exceptions, failed requests."""

    found: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: m.type == "error" and self.found.append(
            f"console error: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.found.append(f"uncaught: {e}"))
        # A request the browser cancels because the page moved on (net::ERR_ABORTED, e.g. the
        # favicon of a page left at once) is no fault; a missing file shows as its HTTP status.
        page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
                and self.found.append(f"request failed: {r.method} {r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.found.append(
            f"HTTP {r.status}: {r.request.method} {r.url}"))


@contextmanager
def watched_page(browser: Any, base_url: str, width: int = 1280, height: int = 800
                 ) -> Iterator[tuple[Any, Problems]]:
    """A page in a fresh Chinese-speaking browser context, watched for problems."""
    context = browser.new_context(base_url=base_url, locale="zh-CN",
                                  viewport={"width": width, "height": height})
    context.add_init_script(CSP_LISTENER)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = Problems()
    problems.watch(page)
    try:
        yield page, problems
    finally:
        context.close()


@pytest.fixture
def browser_page(chromium: Any, live_server: str) -> Iterator[tuple[Any, Problems]]:
    """A page in a fresh Chinese-speaking browser context, watched for problems."""
    with watched_page(chromium, live_server) as found:
        yield found
