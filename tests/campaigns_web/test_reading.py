"""Every page of the campaigns reads for every staff role, in English and in Chinese; the
writes are for fund managers and administrators only; the menu leads to the campaigns."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask

from ledger import campaign_payments
from ledger.books import today

from .helpers import CAMPAIGN, Books, Browser, payments_csv

READERS = ("aud1", "admin1", "fm1", "board1")


def _world(books: Books) -> dict[str, Any]:
    """A draft and an open campaign with a payment and a payment import."""
    draft = books.campaign()
    made = books.opened(12)
    roll = books.households(made.id)
    paid = books.pay(made.id, roll[0])
    campaign_payments.import_payments(
        books.uow, books.fm, made.id,
        payments_csv([("WX-9", roll[1].key.building, roll[1].key.unit, roll[1].key.room,
                       "100.00", today().isoformat())]), method="wechat")
    report = campaign_payments.imports(books.uow, made.id)[0]
    return {"draft": draft, "open": made, "receipt": paid.receipt_code, "import": report["id"]}


def pages(world: dict[str, Any]) -> list[str]:
    made = world["open"].id
    base = f"{CAMPAIGN}/{made}"
    return [f"{CAMPAIGN}/", f"{CAMPAIGN}/{world['draft'].id}", base, f"{base}/roll",
            f"{base}/door-to-door", f"{base}/payments", f"{base}/receipts/{world['receipt']}",
            f"{base}/imports/{world['import']}", f"{base}/imports/1"]


def test_every_page_reads_for_every_role(app: Flask, books: Books, subtests: Any) -> None:
    world = _world(books)
    for username in READERS:
        with subtests.test(username=username):
            browser = Browser(app, username)
            for path in pages(world):
                html = browser.page(path)
                assert "Campaigns" in html, path  # the menu's entry
                assert 'aria-current="page">Campaigns</a>' in html, path
            dashboard = browser.page("/staff/")
            assert f'href="{CAMPAIGN}/"' in dashboard


def test_the_pages_read_in_chinese(app: Flask, books: Books) -> None:
    world = _world(books)
    browser = Browser(app, "board1", language="zh_Hans")
    for path in pages(world):
        html = browser.page(path)
        assert ">众筹</a>" in html, path
    assert "住户名册" in browser.page(f"{CAMPAIGN}/{world['open'].id}/roll")
    assert "上门收款清单" in browser.page(f"{CAMPAIGN}/{world['open'].id}/door-to-door")


def _writes(world: dict[str, Any]) -> list[tuple[str, str]]:
    made, draft = world["open"].id, world["draft"].id
    base = f"{CAMPAIGN}/{made}"
    return [("POST", f"{CAMPAIGN}/new"), ("GET", f"{CAMPAIGN}/new"),
            ("POST", f"{CAMPAIGN}/{draft}/open"), ("POST", f"{base}/subsidy"),
            ("POST", f"{base}/shortfall"), ("POST", f"{base}/contractor"),
            ("POST", f"{base}/close"), ("POST", f"{base}/cancel"),
            ("GET", f"{CAMPAIGN}/{draft}/roll/import"), ("POST", f"{CAMPAIGN}/{draft}/roll/import"),
            ("POST", f"{CAMPAIGN}/{draft}/roll/confirm"), ("POST", f"{base}/households/mark"),
            ("GET", f"{base}/payments/new"), ("POST", f"{base}/payments/new"),
            ("GET", f"{base}/payments/import"), ("POST", f"{base}/payments/import"),
            ("POST", f"{base}/payments/import/confirm")]


def test_a_board_member_or_an_auditor_gets_403_on_every_write(app: Flask, books: Books,
                                                              subtests: Any) -> None:
    world = _world(books)
    for username in ("board1", "aud1"):
        with subtests.test(username=username):
            browser = Browser(app, username)  # logging in is audited: count after it
            before = books.counts()
            for method, path in _writes(world):
                if method == "GET":
                    response = browser.get(path)
                else:
                    response = browser.submit(path, {"file": (io.BytesIO(b"x"), "x.csv"),
                                                     "open-confirm": "y"},
                                              content_type="multipart/form-data")
                assert response.status_code == 403, (method, path, response.status_code)
            assert books.counts() == before
            html = browser.page(f"{CAMPAIGN}/{world['open'].id}")
            assert "Record a payment" not in html
            assert "<form method=\"post\" action=\"/staff/campaigns/" not in html


def test_unknown_campaigns_and_receipts_are_404(app: Flask, books: Books) -> None:
    world = _world(books)
    browser = Browser(app, "fm1")
    made = world["open"].id
    for path in (f"{CAMPAIGN}/99", f"{CAMPAIGN}/99/roll", f"{CAMPAIGN}/99/door-to-door",
                 f"{CAMPAIGN}/99/payments", f"{CAMPAIGN}/99/payments/new",
                 f"{CAMPAIGN}/{made}/receipts/0000-0000-0000",
                 f"{CAMPAIGN}/{world['draft'].id}/receipts/{world['receipt']}",
                 f"{CAMPAIGN}/{made}/imports/99"):
        assert browser.get(path).status_code == 404, path
    assert browser.submit(f"{CAMPAIGN}/99/open", {"open-confirm": "y"}).status_code == 404
