"""Setting a campaign up, and the campaign's page: its figures, the share rule and the split,
the households' progress, and the steps its status allows."""

from __future__ import annotations

import re

from flask import Flask

from ledger import campaigns
from ledger.books import today
from ledger.core.campaigns import CampaignStatus, LeftoverRule, MissRule, Source

from .helpers import CAMPAIGN, Books, Browser, errors_of, flashes

NEW = f"{CAMPAIGN}/new"


def campaign_form(**changes: str) -> dict[str, str]:
    return {"community": "蛟川街道裕帆社区", "buildings": "1–4 幢", "title": "裕帆小区电梯维修",
            "repair": "更换电梯曳引机", "contractor": "宁波迅达电梯工程有限公司",
            "cost": "50,000.00", "subsidy": "30000", "subsidy_from": "蛟川街道",
            "match": "13000.00", "deadline": today().isoformat(), "miss_rule": "keep_raised",
            "shortfall_source": "foundation", "leftover_rule": "foundation", **changes}


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r"<div(?: class=\"key\")?><dt>([^<]+)</dt><dd>([^<]+)</dd></div>",
                           html))


def test_a_fund_manager_sets_a_campaign_up(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    assert "Set up a campaign" in browser.page(f"{CAMPAIGN}/")
    form = browser.page(NEW)
    assert re.search(r'<input checked id="miss_rule-0" name="miss_rule" required type="radio" '
                     r'value="all_or_nothing">', form)
    page = browser.follow(browser.submit(NEW, campaign_form()))
    assert flashes(page) == ["Campaign #1 “裕帆小区电梯维修” is set up as a draft: the "
                             "households' gap is 7,000.00. Import its household roll next."]
    made = campaigns.campaign(books.uow, 1)
    assert (made.cost.amount, made.subsidy.amount, made.match.amount, made.gap.amount) == (
        50000, 30000, 13000, 7000)
    assert (made.miss_rule, made.shortfall_source, made.leftover_rule, made.status) == (
        MissRule.KEEP_RAISED, Source.FOUNDATION, LeftoverRule.FOUNDATION, CampaignStatus.DRAFT)
    assert "Import the household roll" in page
    listing = browser.page(f"{CAMPAIGN}/")
    assert "裕帆小区电梯维修" in listing
    assert "Draft" in listing


def test_a_campaign_without_subsidy_or_match(app: Flask, books: Books) -> None:
    browser = Browser(app, "admin1")
    browser.follow(browser.submit(NEW, campaign_form(subsidy="", subsidy_from="", match="0",
                                                     miss_rule="all_or_nothing",
                                                     shortfall_source="")))
    made = campaigns.campaign(books.uow, 1)
    assert (made.subsidy.amount, made.match.amount, made.gap.amount) == (0, 0, 50000)
    assert made.shortfall_source is None


def test_a_refused_campaign_form_says_why_and_writes_nothing(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    before = books.counts()
    blank = browser.submit(NEW, campaign_form(title="", cost="12,00", miss_rule="",
                                              deadline="31/12/2026"))
    assert blank.status_code == 422
    assert errors_of(blank.get_data(as_text=True)) == [
        "Fill in this field.",
        "Enter an amount greater than zero with at most two decimals, e.g. 1200.50.",
        "Enter a date as YYYY-MM-DD.", "Choose a rule."]
    no_gap = browser.submit(NEW, campaign_form(subsidy="40000", match="10000"))
    assert no_gap.status_code == 422
    assert errors_of(no_gap.get_data(as_text=True)) == [
        "The subsidy (40,000.00) and the match (10,000.00) leave nothing for the households "
        "to crowdfund: together they must be less than the quoted cost."]
    no_source = browser.submit(NEW, campaign_form(shortfall_source=""))
    assert no_source.status_code == 422
    assert errors_of(no_source.get_data(as_text=True)) == [
        "To keep what is raised, name the source that covers the shortfall."]
    no_giver = browser.submit(NEW, campaign_form(subsidy_from=" "))
    assert errors_of(no_giver.get_data(as_text=True)) == [
        "Say who gives the subsidy (up to 200 characters)."]
    assert books.counts() == before


def test_the_form_errors_read_in_chinese(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1", language="zh_Hans")
    assert "发起众筹" in browser.page(NEW)
    refused = browser.submit(NEW, campaign_form(subsidy="40000", match="10000",
                                                contractor=""))
    assert refused.status_code == 422
    assert errors_of(refused.get_data(as_text=True)) == ["请填写此栏。"]
    no_gap = browser.submit(NEW, campaign_form(subsidy="40000", match="10000"))
    assert errors_of(no_gap.get_data(as_text=True)) == [
        "补贴（40,000.00）与配捐（10,000.00）之和不小于报价，居民无需众筹：两者之和须小于报价。"]


def test_the_campaign_page_shows_figures_the_share_rule_and_progress(
        app: Flask, books: Books) -> None:
    made = books.opened()
    roll = books.households(made.id)
    for household in roll[:10]:
        books.pay(made.id, household)
    browser = Browser(app, "board1")
    html = browser.page(f"{CAMPAIGN}/{made.id}")
    assert figures(html) == {
        "Quoted cost": "50,000.00", "Subsidy": "30,000.00", "Foundation match": "13,000.00",
        "Households' gap": "7,000.00", "Subsidy received": "0.00",
        "Paid by households": "220.90", "Restricted balance": "220.90", "Shortfall": "0.00",
        "Shortfall not yet assigned": "0.00", "Paid to the contractor": "0.00",
        "Still to pay the contractor": "50,000.00"}
    assert "the odd fen go one each to the first households in roll order" in html
    assert "64 households × 22.09 + 253 households × 22.08" in html
    assert "10 of 317 households asked to pay have paid their share." in html
    assert '<progress value="10" max="317">' in html
    assert "Collecting" in html
    assert "Next steps" not in html  # a board member reads only


def test_the_campaign_page_in_chinese(app: Flask, books: Books) -> None:
    made = books.opened()
    html = Browser(app, "aud1", language="zh_Hans").page(f"{CAMPAIGN}/{made.id}")
    assert "64 户 × 22.09 + 253 户 × 22.08" in html
    assert "众筹" in html
    assert "居民众筹缺口" in html


def test_the_steps_offered_follow_the_status(app: Flask, books: Books) -> None:
    browser = Browser(app, "fm1")
    draft = books.campaign()
    html = browser.page(f"{CAMPAIGN}/{draft.id}")
    assert "Open the campaign" in html
    assert "Cancel the campaign" in html
    assert "Pay the contractor" not in html
    assert "Record a payment" not in html
    opened = books.opened(5)
    html = browser.page(f"{CAMPAIGN}/{opened.id}")
    assert "Record a payment" in html
    assert "Import payments" in html
    assert "Open the campaign" not in html
    assert "Pay the contractor" not in html
    funded = books.funded(5)
    assert funded.status is CampaignStatus.FUNDED
    html = browser.page(f"{CAMPAIGN}/{funded.id}")
    assert "Pay the contractor" in html
    assert "Close the campaign" not in html
