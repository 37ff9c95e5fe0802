"""The public overview, grants and campaigns pages (issue 8), without logging in, through the
Flask test client on SQLite and PostgreSQL: every figure shown equals ledger.transparency
(itself tied to the ledger in tests/periods/test_transparency_figures.py), in both languages;
years; the charts inline with their text alternatives; the in-page menu."""

from __future__ import annotations

import itertools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger import transparency as public
from ledger.core.money import from_minor
from ledger.core.periods import year
from ledger.db import statements as statements_db
from reports.open_data import percent, raised
from reports.statement_data import grouped

from ..periods.helpers import Books, yuan
from .helpers import CONTRACTOR, SECRET_DONOR, YEAR, Seeded, row_text, text_of


def page(client: Any, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def shown(money: Any) -> str:
    """An amount as the pages print it: '450,000.00'."""
    return grouped(round(money.amount * 100))


def as_percent(ratio: Decimal | None) -> str:
    assert ratio is not None
    return str((ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_the_overview_shows_the_years_figures(client: Any, bk: Books, seeded: Seeded) -> None:
    ov = public.overview(bk.uow, YEAR)
    html = page(client, f"/transparency/?year={YEAR}&lang=en")
    d = ov.deposits
    for key, value in (("received", d.received), ("operating", d.operating),
                       ("foundation", d.foundation), ("transferred", d.transferred)):
        assert row_text(html, "deposits", key).endswith(shown(value)), key
    assert (d.received, d.operating, d.foundation) == (
        yuan("450000.00"), yuan("135000.00"), yuan("315000.00"))
    assert row_text(html, "deposits", "count").endswith(str(d.count))
    for table, amounts, total in (("income", ov.income, ov.income_total),
                                  ("spending", ov.spending, ov.spending_total)):
        for a in amounts:
            assert row_text(html, table, a.key) == f"{a.en} {shown(a.amount)}"
        assert row_text(html, table, "total") == f"Total {shown(total)}"
    # the page's total is the foundation's income accounts in the books
    moved = bk.uow.read(lambda s: statements_db.movements(s, "foundation", year(YEAR)))
    assert ov.income_total == from_minor(sum(v for k, v in moved.items() if k.startswith("4")))
    for month in ov.months:
        assert row_text(html, "months", month.label) == (
            f"{month.label} {shown(month.income)} {shown(month.spending)}")
    for flow in ov.flows:
        assert row_text(html, "flows", f"{flow.source}-{flow.target}").endswith(
            shown(flow.amount))
    text = text_of(html)
    assert f"CNY {shown(ov.available)}" in text
    assert ov.admin_share is not None
    assert f"{as_percent(ov.admin_share)} % of the year's spending" \
        in text
    assert f"As recorded up to journal entry no. {ov.head}." in text


def test_the_overview_in_chinese_names_the_sources_in_chinese(client: Any, bk: Books,
                                                              seeded: Seeded) -> None:
    ov = public.overview(bk.uow, YEAR)
    html = page(client, f"/transparency/?year={YEAR}&lang=zh")
    assert '<html lang="zh-Hans">' in html
    for a in ov.income:
        assert row_text(html, "income", a.key) == f"{a.zh} {shown(a.amount)}"
    assert f"{as_percent(ov.admin_share)}%" in text_of(html)


def test_the_charts_are_inline_svg_with_their_figures_as_text(client: Any, bk: Books,
                                                              seeded: Seeded) -> None:
    html = page(client, f"/transparency/?year={YEAR}&lang=en")
    figures = re.findall(r"<figure class=\"chart\".*?</figure>", html, re.S)
    assert len(figures) == 2
    for figure in figures:
        assert re.search(r"<svg [^>]*viewBox=\"0 0 328 [0-9.]+\"[^>]*role=\"img\"", figure)
        assert "<figcaption id=" in figure
        assert "style=" not in figure  # the CSP allows no inline style
        assert "<style" not in figure
        assert "<script" not in figure
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id is used twice on the page"
    assert 'id="flows"' in html
    assert 'id="months"' in html


def test_years_default_to_the_latest_and_link_each_other(client: Any, bk: Books,
                                                        seeded: Seeded) -> None:
    html = page(client, "/transparency/?lang=en")
    assert f"Where the money came from and went in {YEAR}" in text_of(html)
    assert f'href="/transparency/?year={YEAR - 1}&amp;lang=en"' in html \
        or f'href="/transparency/?lang=en&amp;year={YEAR - 1}"' in html
    before = public.overview(bk.uow, YEAR - 1)
    older = page(client, f"/transparency/?year={YEAR - 1}&lang=en")
    assert row_text(older, "income", "welfare_lottery").endswith(shown(before.income[1].amount))
    assert before.income[1].key == "welfare_lottery"
    for wrong in ("1999", "abc", str(YEAR + 1), "-1"):
        assert "no figures for that year" in page(client, f"/transparency/?year={wrong}&lang=en",
                                                  404)
    page(client, f"/transparency/grants?year={YEAR + 5}", 404)


def test_the_grants_page_shows_each_grant(client: Any, bk: Books, seeded: Seeded) -> None:
    grants = public.grants(bk.uow, YEAR)
    assert len(grants) == 1
    grant = grants[0]
    html = page(client, f"/transparency/grants?year={YEAR}&lang=en")
    card = text_of(re.search(rf'<article class="card" id="grant-{grant.id}".*?</article>',
                             html, re.S).group(0))
    for fact in (grant.title, grant.grantee, f"Paid CNY {shown(grant.paid)} of CNY "
                 f"{shown(grant.approved)}", f"Amount approved CNY {shown(grant.approved)}",
                 f"Still to pay CNY {shown(grant.outstanding)}", "Status In progress",
                 "Acceptance evaluation Passed",
                 f"Board resolution of {grant.resolved_on.isoformat()}"):
        assert fact in card, fact
    assert row_text(html, "grant-totals", "approved").endswith(shown(grant.approved))
    assert row_text(html, "grant-totals", "count").endswith("1")
    assert f'<progress aria-labelledby="grant-{grant.id}-progress" max="8000000" ' \
           'value="5000000">' in html
    earlier = page(client, f"/transparency/grants?year={YEAR - 1}&lang=en")
    assert "No grant had been approved by the end of 2025." in text_of(earlier)


def test_the_campaigns_page_shows_progress_households_and_shortfall(
        client: Any, bk: Books, seeded: Seeded) -> None:
    campaign, = public.campaigns(bk.uow)
    html = page(client, "/transparency/campaigns?lang=en")
    card = text_of(re.search(r'<article class="card" id="campaign-.*?</article>', html,
                             re.S).group(0))
    got = raised(campaign)
    assert got == campaign.subsidy_received + campaign.crowdfunded + campaign.match
    for fact in (f"Raised CNY {shown(got)} of CNY {shown(campaign.target)} "
                 f"({percent(got, campaign.target)} %)",
                 "5 of 5 households asked to pay have paid (6 on the roll).",
                 f"CNY {shown(campaign.subsidy_received)} received from 蛟川街道办事处",
                 f"Paid by households CNY {shown(campaign.crowdfunded)}",
                 f"Shortfall CNY {shown(campaign.shortfall)} · covered by: The foundation",
                 f"Contractor {CONTRACTOR}",
                 f"Paid to the contractor CNY {shown(campaign.contractor_paid)}",
                 "Refunded pro rata to everyone who paid in", "Status Funded"):
        assert fact in card, fact
    assert campaign.shortfall > yuan("0.00")
    for building in campaign.buildings:
        assert f"{building.building} {building.households} {building.asked} {building.paid}" \
            in card
    assert [(b.building, b.households, b.asked, b.paid) for b in campaign.buildings] == [
        ("1", 4, 4, 4), ("2", 2, 1, 1)]
    assert SECRET_DONOR not in html


def test_the_pages_link_each_other_and_declare_one_h1(client: Any, bk: Books,
                                                      seeded: Seeded) -> None:
    for url in ("/transparency/", "/transparency/grants", "/transparency/campaigns",
                "/transparency/data/"):
        html = page(client, f"{url}?lang=en")
        assert html.count("<h1") == 1, url
        menu = re.search(r'<nav class="sections".*?</nav>', html, re.S).group(0)
        for href in ("/transparency/?lang=en", "/transparency/grants?lang=en",
                     "/transparency/campaigns?lang=en", "/transparency/data/?lang=en"):
            assert f'href="{href}"' in menu, (url, href)
        assert menu.count('aria-current="page"') == 1
        assert "transparency_overview.css" in html
        levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (url, levels)


def test_empty_books_show_zeros_everywhere(client: Any) -> None:
    """Before any entry: this year, zero figures, no chart but its words; every address
    answers."""
    from ledger.books import today

    this_year = today().year
    html = page(client, "/transparency/?lang=en")
    assert f"Where the money came from and went in {this_year}" in text_of(html)
    assert row_text(html, "income", "total") == "Total 0.00"
    assert "No money moved in" in text_of(html)
    for url in ("/transparency/grants", "/transparency/campaigns", "/transparency/data/",
                "/transparency/data/schema.json",
                *(f"/transparency/data/{kind}.{fmt}"
                  for kind in ("overview", "grants", "campaigns", "donations")
                  for fmt in ("json", "csv"))):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/transparency/?year={this_year - 1}").status_code == 404
