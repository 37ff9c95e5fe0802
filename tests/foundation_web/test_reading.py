"""Every page of the foundation reads for every staff role, in English and in Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ledger import applications as apps
from ledger.core.grants import IncomeSource, Restriction

from .helpers import PDF, Books, Browser

READERS = ("aud1", "admin1", "fm1", "board1")


def _world(books: Books) -> dict[str, Any]:
    """An income of each kind, a grantee, a round with an application and a grant."""
    application, grant = books.approved()
    books.income("8000.00", source=IncomeSource.INDIVIDUAL, donor="张阿姨", anonymous=True,
                 restriction=Restriction.PURPOSE, purpose="楼道窗户修缮")
    attached = apps.add_attachment(books.uow, books.fm, application.id, filename="预算.pdf",
                                   content=PDF)
    return {"application": application, "grant": grant, "attachment": attached}


def pages(world: dict[str, Any]) -> list[str]:
    application, grant = world["application"], world["grant"]
    base = "/staff/foundation"
    return [f"{base}/income", f"{base}/income/1", f"{base}/income/2", f"{base}/grantees",
            f"{base}/grantees/{application.grantee_id}", f"{base}/rounds",
            f"{base}/rounds/{application.round_id}", f"{base}/applications/{application.id}",
            f"{base}/grants", f"{base}/grants/{grant.id}"]


@pytest.mark.parametrize("username", READERS)
def test_every_page_reads_for_every_role(app: Flask, books: Books, username: str) -> None:
    world = _world(books)
    browser = Browser(app, username)
    for path in pages(world):
        html = browser.page(path)
        assert "Foundation" in html, path


def test_the_pages_read_in_chinese(app: Flask, books: Books) -> None:
    world = _world(books)
    browser = Browser(app, "aud1", language="zh_Hans")
    for path in pages(world):
        html = browser.page(path)
        assert "基金会" in html, path
    assert "公益创投" in browser.page("/staff/foundation/rounds")
    assert "财政资金" in browser.page("/staff/foundation/income")
