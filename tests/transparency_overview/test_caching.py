"""Caching of the public overview, grants, campaigns and open data (issue 8), on SQLite and
PostgreSQL: an ETag per (view, books' version, year, language) with `Cache-Control: public,
max-age=60` and `Vary: Accept-Language`; If-None-Match gets 304; a new posting, or a change
the audit log records without a posting, changes the ETag and the figures; a warm request
computes nothing (the figures and charts come from the app's own LRU)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from api.web import transparency_overview as overview_web
from ledger import campaigns as campaigns_uc
from ledger import transparency as public
from ledger.core.campaigns import HouseholdStatus, LeftoverRule, MissRule
from reports.statement_data import grouped

from ..periods.helpers import Books, yuan
from .helpers import YEAR, Seeded, row_text

URLS = ("/transparency/", f"/transparency/?year={YEAR - 1}", "/transparency/grants",
        "/transparency/campaigns", "/transparency/data/",
        *(f"/transparency/data/{kind}.{fmt}" for kind in ("overview", "grants", "campaigns",
                                                          "donations")
          for fmt in ("json", "csv")),
        "/transparency/data/schema.json")


def shown(money: Any) -> str:
    return grouped(round(money.amount * 100))


@pytest.mark.parametrize("url", URLS)
def test_each_answer_has_an_etag_and_a_304(client: Any, bk: Books, seeded: Seeded,
                                           url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in first.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_the_etag_depends_on_language_year_and_view(client: Any, bk: Books,
                                                   seeded: Seeded) -> None:
    def etag(url: str, **headers: str) -> str:
        return str(client.get(url, headers=headers).headers["ETag"])

    found = {etag("/transparency/?lang=zh"), etag("/transparency/?lang=en"),
             etag(f"/transparency/?year={YEAR - 1}&lang=zh"), etag("/transparency/grants?lang=zh"),
             etag("/transparency/campaigns?lang=zh")}
    assert len(found) == 5
    assert etag("/transparency/", **{"Accept-Language": "en"}) == etag("/transparency/?lang=en")
    assert etag("/transparency/?lang=zh") == etag(f"/transparency/?year={YEAR}&lang=zh")


def test_a_new_posting_changes_the_etag_and_the_figures(client: Any, bk: Books,
                                                        seeded: Seeded) -> None:
    before = client.get("/transparency/?lang=en")
    etag, head = before.headers["ETag"], public.head(bk.uow)
    data = client.get("/transparency/data/overview.json")
    income = public.overview(bk.uow, YEAR).income_total
    assert data.json["income_total"] == f"{income.amount:.2f}"

    bk.income("1234.56", date(YEAR, 12, 1))  # fiscal money: a new posting

    assert public.head(bk.uow) > head
    after = client.get("/transparency/?lang=en", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    html = after.get_data(as_text=True)
    grown = public.overview(bk.uow, YEAR)
    assert grown.income_total - income == yuan("1234.56")
    assert grown.income[2].key == "fiscal"
    assert row_text(html, "income", "fiscal") == f"Fiscal funds {shown(grown.income[2].amount)}"
    assert row_text(html, "income", "total") == f"Total {shown(grown.income_total)}"
    assert shown(grown.income_total) != shown(income)
    fresh = client.get("/transparency/data/overview.json",
                       headers={"If-None-Match": data.headers["ETag"]})
    assert fresh.status_code == 200
    assert fresh.json["income_total"] == f"{grown.income_total.amount:.2f}"
    assert fresh.json["head"] == public.head(bk.uow)


def test_a_change_without_a_posting_shows_at_once(client: Any, bk: Books, seeded: Seeded
                                                  ) -> None:
    """Marking a household unreachable posts nothing (the journal's head stays) but is
    audited: the campaign's page and data change at once."""
    campaign = campaigns_uc.create_campaign(
        bk.uow, bk.fm, community="裕帆社区", buildings="3幢", title="裕帆小区电梯维修",
        repair="更换曳引机", contractor="宁波电梯公司", cost=yuan("600.00"),
        subsidy=yuan("0.00"), subsidy_from="", match=yuan("0.00"),
        deadline=date(YEAR, 12, 20), miss_rule=MissRule.ALL_OR_NOTHING,
        leftover_rule=LeftoverRule.REFUND)
    before = client.get("/transparency/campaigns?lang=en")
    assert "裕帆小区电梯维修" not in before.get_data(as_text=True)  # a draft is not shown
    head = public.head(bk.uow)
    campaigns_uc.import_roll(bk.uow, bk.fm, campaign.id, "building,unit,room,contact,phone\r\n"
                             "3,1,301,甲,13700000001\r\n3,1,302,乙,13700000002\r\n".encode())
    campaigns_uc.open_campaign(bk.uow, bk.fm, campaign.id)
    assert public.head(bk.uow) == head  # nothing posted
    opened = client.get("/transparency/campaigns?lang=en",
                        headers={"If-None-Match": before.headers["ETag"]})
    assert opened.status_code == 200
    assert "0 of 2 households asked to pay have paid (2 on the roll)." in opened.get_data(
        as_text=True)
    household = bk.roll(campaign.id)[0]
    campaigns_uc.mark_household(bk.uow, bk.fm, campaign.id, household.id,
                                status=HouseholdStatus.VACANT, reason="空置")
    marked = client.get("/transparency/campaigns?lang=en",
                        headers={"If-None-Match": opened.headers["ETag"]})
    assert marked.status_code == 200
    assert "0 of 1 households asked to pay have paid (2 on the roll)." in marked.get_data(
        as_text=True)
    doc = client.get("/transparency/data/campaigns.json").json
    assert [c["asked"] for c in doc["campaigns"] if c["id"] == campaign.id] == [1]


def test_a_warm_request_computes_nothing(app: Flask, client: Any, bk: Books, seeded: Seeded,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = app.extensions[overview_web.EXTENSION]
    assert isinstance(cache, overview_web.ViewCache)
    urls = ("/transparency/?lang=zh", "/transparency/grants?lang=zh",
            "/transparency/campaigns?lang=zh", "/transparency/data/donations.csv",
            "/transparency/data/overview.json")
    first = [client.get(url).data for url in urls]
    misses = cache.misses
    assert misses > 0

    def boom(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    for view in overview_web.COMPUTE:
        monkeypatch.setitem(overview_web.COMPUTE, view, boom)
    monkeypatch.setattr(overview_web.transparency_charts, "flow_chart", boom)
    monkeypatch.setattr(overview_web.transparency_charts, "trend_chart", boom)
    assert [client.get(url).data for url in urls] == first
    assert cache.misses == misses
    # another language draws its own charts, from the figures already computed
    monkeypatch.undo()
    assert client.get("/transparency/?lang=en").status_code == 200
    assert cache.misses == misses + 2


def test_each_app_has_its_own_cache(app: Flask, db_url: str, bk: Books, seeded: Seeded
                                    ) -> None:
    from api import create_app

    other = create_app({"TESTING": True, "DATABASE_URL": db_url, "HUZHU_ENV": "development",
                        "SECRET_KEY": "another test key"})
    try:
        assert other.extensions[overview_web.EXTENSION] is not app.extensions[
            overview_web.EXTENSION]
        app.test_client().get("/transparency/")
        assert other.extensions[overview_web.EXTENSION].misses == 0
    finally:
        from api import state

        with other.app_context():
            state.engine().dispose()

