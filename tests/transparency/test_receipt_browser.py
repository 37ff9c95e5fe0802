"""A real browser (Chromium, headless, on SQLite) checks a receipt (issue 8): at 360 px and
1280 px wide, in Chinese and in English, a resident opens "Check my payment", types the code on
their receipt, submits, and sees their amount and "verified", computed by static/verify.js with
the browser's own SHA-256; then the amount in the page's JSON island is tampered with, the
check runs again (its button) and fails. Without crypto.subtle (plain HTTP) the page says the
check needs HTTPS. The statements' list and the signed month's page are shown at both widths
too. No page scrolls sideways
at 360 px, none logs a console error or a Content-Security-Policy violation. Screenshots go to
test-artifacts/transparency/.

Chromium runs in a thread of its own, as in tests/periods_web/test_period_browser.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ..browser.conftest import CSP_LISTENER, Problems
from ..browser.threaded import Body
from .helpers import MONTH, Paid

pytestmark = pytest.mark.browser

#: What each language's page says (the label, the buttons, the verdicts).
WORDS = {
    "zh": {"locale": "zh-CN", "html": "zh-Hans", "label": "收据码", "submit": "核验",
           "again": "再次核验", "verified": "✓ 已验证", "mismatch": "✗ 不一致",
           "https": "核验需要安全（HTTPS）连接", "periods": "社区发展基金会财务报表",
           "nav": "公开页面", "check": "核验我的缴费", "audited": "已审计"},
    "en": {"locale": "en-US", "html": "en", "label": "Receipt code", "submit": "Check",
           "again": "Check again", "verified": "✓ Verified", "mismatch": "✗ Does not match",
           "https": "the check needs a secure (HTTPS) connection",
           "periods": "Statements of Community Development Foundation",
           "nav": "Public pages", "check": "Check my payment", "audited": "Audited"},
}
#: Adds 1.00 to the debit of the payment's first posting in a proof's JSON island.
TAMPER = """(id) => {
  const island = document.getElementById(id);
  const data = JSON.parse(island.textContent);
  data.proof.leaf.postings[0][2] += 100;
  island.textContent = JSON.stringify(data);
}"""
#: Makes the page look as if served over plain HTTP (no Web Crypto there).
NO_CRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', { get() { return undefined; } });"


@contextmanager
def browsing(browser: Any, base_url: str, lang: str, width: int, *scripts: str
             ) -> Iterator[tuple[Any, Problems]]:
    """A page in a fresh context speaking `lang` (its Accept-Language), watched for problems."""
    context = browser.new_context(base_url=base_url, locale=WORDS[lang]["locale"],
                                  viewport={"width": width, "height": 800})
    for script in (CSP_LISTENER, *scripts):
        context.add_init_script(script)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = Problems()
    problems.watch(page)
    try:
        yield page, problems
    finally:
        context.close()


def no_sideways_scroll(page: Any, width: int) -> None:
    # Measure the styled page: after a click the heading can be there before the stylesheet,
    # and an unstyled <pre> is as wide as its longest line.
    page.wait_for_load_state("load")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width} px ({scroll} px wide)"


def test_a_resident_checks_a_receipt_in_the_browser(
        in_chromium: Callable[[Body], None], live_server: str, paid: Paid, shots: Path) -> None:
    code, amount = paid.codes[0], paid.amounts[0]
    shown = f"{amount.amount} CNY"

    def body(browser: Any) -> None:
        from playwright.sync_api import expect

        for width in (360, 1280):
            for lang, words in WORDS.items():
                with browsing(browser, live_server, lang, width) as (page, problems):
                    page.goto("/transparency/foundation/periods")  # the language: the browser's
                    expect(page.locator("html")).to_have_attribute("lang", words["html"])
                    expect(page.get_by_role("heading", level=1)).to_have_text(words["periods"])
                    no_sideways_scroll(page, width)
                    page.screenshot(path=str(shots / f"periods-{lang}-{width}.png"),
                                    full_page=True)
                    page.get_by_role("link", name=MONTH, exact=True).click()
                    expect(page.get_by_role("heading", level=1)).to_contain_text(
                        words["audited"])
                    expect(page.locator("main")).to_contain_text("python3 -m ledger.core.merkle")
                    no_sideways_scroll(page, width)
                    page.screenshot(path=str(shots / f"period-{lang}-{width}.png"),
                                    full_page=True)

                    page.get_by_role("navigation", name=words["nav"]).get_by_role(
                        "link", name=words["check"]).click()
                    page.get_by_label(words["label"], exact=True).fill(code.lower())
                    page.get_by_role("button", name=words["submit"], exact=True).click()
                    expect(page).to_have_url(re.compile(r"/transparency/receipts\?.*code="))
                    expect(page.locator("#paid-amount")).to_have_text(shown)
                    verdict = page.locator(f"#proof-{MONTH} [data-verdict]")
                    expect(verdict).to_contain_text(words["verified"])
                    expect(verdict).to_have_class(re.compile(r"\bok\b"))
                    no_sideways_scroll(page, width)
                    page.screenshot(path=str(shots / f"receipt-verified-{lang}-{width}.png"),
                                    full_page=True)

                    page.evaluate(TAMPER, f"proof-data-{MONTH}")
                    page.get_by_role("button", name=words["again"], exact=True).click()
                    expect(verdict).to_contain_text(words["mismatch"])
                    expect(verdict).to_have_class(re.compile(r"\bbad\b"))
                    page.screenshot(path=str(shots / f"receipt-tampered-{lang}-{width}.png"),
                                    full_page=True)
                    assert problems.found == [], problems.found

        with browsing(browser, live_server, "zh", 360, NO_CRYPTO) as (page, problems):
            page.goto(f"/transparency/receipts?code={code}&lang=zh")
            verdict = page.locator(f"#proof-{MONTH} [data-verdict]")
            expect(verdict).to_contain_text(WORDS["zh"]["https"])
            expect(page.locator("pre.command").last).to_contain_text(
                f"python3 -m ledger.core.merkle proof-{MONTH}.json")
            page.screenshot(path=str(shots / "receipt-no-https-zh-360.png"), full_page=True)
            assert problems.found == [], problems.found

    in_chromium(body)
