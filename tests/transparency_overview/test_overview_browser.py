"""A real browser (Debian's Chromium through Playwright, SQLite only) opens the public overview
at 360 px and 1280 px wide, in Chinese and in English: its key figures equal
ledger.transparency.overview, nothing scrolls sideways, and it loads without a console error
or a Content-Security-Policy violation; screenshots go to test-artifacts/transparency/.

Then axe-core (the copy shipped by the PyPI package axe-playwright-python, injected with
`page.evaluate`, which the page's CSP does not govern) checks the overview, grants, campaigns
and open-data pages, the receipt check and the fund's statements in both languages: no
violation of impact "serious" or "critical".

Chromium runs in a thread of its own (tests/browser/threaded.py)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ledger import transparency as public
from reports.statement_data import grouped

from ..browser.conftest import watched_page
from ..browser.threaded import Body
from ..periods.helpers import Books
from .helpers import YEAR, Seeded

pytestmark = pytest.mark.browser

WIDTHS = (360, 1280)
LANGS = {"zh": "zh-CN", "en": "en-GB"}
PAGES = ("/transparency/", "/transparency/grants", "/transparency/campaigns",
         "/transparency/data/", "/transparency/receipts", "/transparency/fund/periods")
SERIOUS = ("serious", "critical")


def axe_source() -> str:
    """axe-core as shipped by axe-playwright-python (the dev extra)."""
    try:
        found = resources.files("axe_playwright_python") / "axe.min.js"
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[dev]')")
    return found.read_text(encoding="utf-8")


def shown(money: Any) -> str:
    return grouped(round(money.amount * 100))


def check_overview(page: Any, ov: public.Overview, lang: str) -> None:
    """The key figures and a few table rows on the page equal the ledger's overview."""
    from playwright.sync_api import expect

    for selector, value in (("#kf-deposits", ov.deposits.received),
                            ("#kf-income", ov.income_total),
                            ("#kf-spending", ov.spending_total),
                            ("#kf-available", ov.available)):
        expect(page.locator(selector)).to_contain_text(shown(value))
    for a in ov.income:
        row = page.locator(f'#income tr[data-key="{a.key}"]')
        expect(row).to_contain_text(a.zh if lang == "zh" else a.en)
        expect(row).to_contain_text(shown(a.amount))
    expect(page.locator('#deposits tr[data-key="operating"]')).to_contain_text(
        shown(ov.deposits.operating))
    expect(page.locator('#deposits tr[data-key="foundation"]')).to_contain_text(
        shown(ov.deposits.foundation))
    expect(page.locator("figure.chart svg")).to_have_count(2)


def no_sideways_scroll(page: Any, width: int, where: str) -> None:
    # Measure the styled page: after a click the heading can be there before the stylesheet,
    # and an unstyled <pre> is as wide as its longest line.
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{where} scrolls sideways at {width} px ({scroll} px wide)"


def test_the_overview_in_a_browser_at_360_and_1280_px(
        in_chromium: Callable[[Body], None], live_server: str, bk: Books, seeded: Seeded,
        shots: Path) -> None:
    ov = public.overview(bk.uow, YEAR)

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        for lang, width in ((lang, width) for lang in LANGS for width in WIDTHS):
            with watched_page(browser, live_server, width, 800) as (page, problems):
                page.goto(f"/transparency/?lang={lang}")
                expect(page.locator("h1")).to_contain_text(str(YEAR))
                check_overview(page, ov, lang)
                no_sideways_scroll(page, width, f"the overview ({lang})")
                page.screenshot(path=str(shots / f"overview-{lang}-{width}.png"),
                                full_page=True)
                for name in ("grants", "campaigns", "data/"):
                    page.goto(f"/transparency/{name}?lang={lang}")
                    expect(page.locator("h1")).to_be_visible()
                    no_sideways_scroll(page, width, f"/transparency/{name} ({lang})")
                    page.screenshot(path=str(shots / f"{name.strip('/')}-{lang}-{width}.png"),
                                    full_page=True)
                assert problems.found == []

    in_chromium(body)


def test_axe_finds_no_serious_violation(in_chromium: Callable[[Body], None], live_server: str,
                                        bk: Books, seeded: Seeded) -> None:
    source = axe_source()

    def body(browser: Any) -> None:
        found: list[str] = []
        for lang in LANGS:
            with watched_page(browser, live_server, 360, 800) as (page, _):
                for where in (*PAGES, f"/transparency/receipts?code={seeded.codes[0]}"):
                    page.goto(f"{where}{'&' if '?' in where else '?'}lang={lang}")
                    page.evaluate(source)
                    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                    found += [f"{where} ({lang}): {v['id']} ({v['impact']}): {v['help']} — "
                              f"{[n['target'] for n in v['nodes']][:3]}"
                              for v in results["violations"] if v["impact"] in SERIOUS]
        assert found == []

    in_chromium(body)
