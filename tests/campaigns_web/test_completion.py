"""A campaign's steps from its page: opening it, the subsidy, the shortfall, paying the
contractor, closing it by its leftover rule (with a disclosure when the foundation keeps the
leftover) and cancelling it with every payer refunded."""

from __future__ import annotations

from flask import Flask

from ledger import campaigns, foundation
from ledger.books import today
from ledger.core.campaigns import CampaignStatus, HouseholdStatus, LeftoverRule, MissRule

from .helpers import CAMPAIGN, Books, Browser, cny, errors_of, flashes, value_of

ERROR = '<p class="alert error" role="alert">'


def on(**changes: str) -> dict[str, str]:
    return {"on": today().isoformat(), **changes}


def test_opening_holds_the_match_and_is_refused_without_the_funds(app: Flask, books: Books
                                                                  ) -> None:
    made = books.with_roll(10)
    browser = Browser(app, "fm1")
    unticked = browser.submit(f"{CAMPAIGN}/{made.id}/open", {})
    assert unticked.status_code == 422
    assert errors_of(unticked.get_data(as_text=True)) == ["Tick the box to confirm."]
    poor = browser.submit(f"{CAMPAIGN}/{made.id}/open", {"open-confirm": "y"})
    assert poor.status_code == 409
    assert (f"{ERROR}The foundation has 0.00 available, less than its match of 13,000.00. "
            "Record more income or lower the match.</p>") in poor.get_data(as_text=True)
    assert campaigns.campaign(books.uow, made.id).status is CampaignStatus.DRAFT
    books.income()
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/open", {"open-confirm": "y"}))
    assert flashes(page) == ["The campaign is open: 10 households are asked to pay. The "
                             "foundation's match of 13,000.00 is held."]
    assert foundation.funds(books.uow).available.amount == 500000 - 13000


def test_a_campaign_without_a_roll_is_not_opened(app: Flask, books: Books) -> None:
    books.income()
    made = books.campaign()
    refused = Browser(app, "fm1", language="zh_Hans").submit(f"{CAMPAIGN}/{made.id}/open",
                                                             {"open-confirm": "y"})
    assert refused.status_code == 422
    assert "请先导入住户名册，再开启众筹。" in refused.get_data(as_text=True)


def test_the_subsidy_is_received_and_the_campaign_becomes_funded(app: Flask, books: Books
                                                                 ) -> None:
    made = books.opened(4)
    for household in books.households(made.id):
        books.pay(made.id, household)
    browser = Browser(app, "admin1")
    bad = browser.submit(f"{CAMPAIGN}/{made.id}/subsidy", {
        "subsidy-amount": "", "subsidy-received_on": "1900-01-01"})
    assert bad.status_code == 422
    assert errors_of(bad.get_data(as_text=True))[0] == "Fill in this field."
    assert errors_of(bad.get_data(as_text=True))[1].startswith("Enter a date between ")
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/subsidy", {
        "subsidy-amount": "30,000.00", "subsidy-received_on": today().isoformat(),
        "subsidy-payer": "", "subsidy-reference": "JC-2026-17"}))
    assert flashes(page) == ["30,000.00 of subsidy from 蛟川街道 is recorded and posted, "
                             "restricted to the campaign."]
    found = campaigns.campaign(books.uow, made.id)
    assert found.status is CampaignStatus.FUNDED
    assert found.figures.restricted.amount == 37000
    assert "Pay the contractor" in page


def test_a_vacant_households_share_is_assigned_to_a_source(app: Flask, books: Books) -> None:
    made = books.opened(4)  # 1,750.00 each
    vacant = books.households(made.id)[3]
    campaigns.mark_household(books.uow, books.fm, made.id, vacant.id,
                             status=HouseholdStatus.VACANT, reason="空置")
    browser = Browser(app, "fm1")
    html = browser.page(f"{CAMPAIGN}/{made.id}")
    assert "Assign the shortfall" in html
    assert "3 of 3" not in html
    assert "0 of 3 households" in html
    too_much = browser.submit(f"{CAMPAIGN}/{made.id}/shortfall", {
        "shortfall-source": "foundation", "shortfall-amount": "2000"})
    assert too_much.status_code == 422
    assert errors_of(too_much.get_data(as_text=True)) == [
        "The unassigned shortfall is 1,750.00: assign more than zero and at most that."]
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/shortfall", {
        "shortfall-source": "households", "shortfall-amount": "", "shortfall-note": "业委会决定"}))
    assert flashes(page) == ["1,750.00 of shortfall is assigned. Covered by: The households "
                             "asked to pay."]
    assert [str(h.share.amount) for h in books.households(made.id)[:3]] == [
        "2333.34", "2333.33", "2333.33"]
    assert campaigns.campaign(books.uow, made.id).figures.unassigned.amount == 0


def _overfunded(books: Books) -> campaigns.Campaign:
    """No match: 4 households pay 5,000.00 each and the subdistrict sends 100.00 more subsidy
    than pledged; the contractor is paid 50,000.00 and 100.00 is left over."""
    made = books.funded(4, match="0", leftover=LeftoverRule.FOUNDATION,
                        miss_rule=MissRule.ALL_OR_NOTHING, source=None)
    assert made.status is CampaignStatus.FUNDED
    campaigns.receive_subsidy(books.uow, books.fm, made.id, amount=cny("100.00"),
                              received_on=today(), reference="BT-2")
    return made


def test_the_contractor_is_paid_then_the_leftover_goes_to_the_foundation_with_a_disclosure(
        app: Flask, books: Books) -> None:
    made = _overfunded(books)
    browser = Browser(app, "fm1")
    form = browser.page(f"{CAMPAIGN}/{made.id}")
    assert value_of(form, "contractor-amount") == "50000.00"
    over = browser.submit(f"{CAMPAIGN}/{made.id}/contractor", {
        "contractor-amount": "60000", "contractor-paid_on": today().isoformat()})
    assert over.status_code == 422
    assert errors_of(over.get_data(as_text=True)) == [
        "The contractor is owed 50,000.00 of the quoted 50,000.00."]
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/contractor", {
        "contractor-amount": "50000.00", "contractor-paid_on": today().isoformat(),
        "contractor-reference": "FP-88"}))
    assert flashes(page) == ["50,000.00 is paid to the contractor and posted: the contractor "
                             "is paid in full. Close the campaign next."]
    assert "Leftover restricted money: 100.00." in page
    assert "Given to the foundation, disclosed with a note" in page

    silent = browser.submit(f"{CAMPAIGN}/{made.id}/close", on(**{"close-on": today().isoformat(),
                                                                 "close-confirm": "y"}))
    assert silent.status_code == 422
    assert errors_of(silent.get_data(as_text=True)) == [
        "Leftover money given to the foundation is disclosed: say how much and what it will "
        "be used for (up to 2,000 characters)."]
    assert campaigns.campaign(books.uow, made.id).status is CampaignStatus.CONTRACTOR_PAID
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/close", {
        "close-on": today().isoformat(), "close-confirm": "y",
        "close-disclosure": "余款 100.00 元转入基金会，用于楼道照明维护。"}))
    assert flashes(page) == ["The campaign is closed; the leftover of 100.00 is released to the "
                             "foundation, with its disclosure."]
    closed = campaigns.campaign(books.uow, made.id)
    assert closed.status is CampaignStatus.CLOSED
    assert closed.figures.restricted.amount == 0
    assert "Next steps" not in page


def test_a_cancelled_campaign_refunds_every_payer(app: Flask, books: Books) -> None:
    made = books.opened(5)
    for household in books.households(made.id)[:3]:
        books.pay(made.id, household)
    browser = Browser(app, "fm1", language="zh_Hans")
    no_reason = browser.submit(f"{CAMPAIGN}/{made.id}/cancel", {
        "cancel-on": today().isoformat(), "cancel-reason": "", "cancel-confirm": "y"})
    assert no_reason.status_code == 422
    assert errors_of(no_reason.get_data(as_text=True)) == ["请填写此栏。"]
    page = browser.follow(browser.submit(f"{CAMPAIGN}/{made.id}/cancel", {
        "cancel-on": today().isoformat(), "cancel-reason": "截止日前未筹足",
        "cancel-confirm": "y"}))
    assert flashes(page) == ["众筹已取消；每位付款人均已按原额退款（共 4,200.00）。"]
    found = campaigns.campaign(books.uow, made.id)
    assert found.status is CampaignStatus.CANCELLED
    assert found.figures.restricted.amount == 0
    again = browser.submit(f"{CAMPAIGN}/{made.id}/cancel", {
        "cancel-on": today().isoformat(), "cancel-reason": "再次", "cancel-confirm": "y"})
    assert again.status_code == 409
    assert "众筹须在支付施工方之前取消。" in again.get_data(as_text=True)
