"""Campaigns in the foundation's available funds (`foundation.funds`): money restricted to a
campaign is held out of them, and so is the foundation's match of a running campaign (with any
shortfall it took on) until it is spent; once a campaign is closed or cancelled neither counts."""

from __future__ import annotations

from datetime import date

from ledger import books
from ledger import campaigns as uc
from ledger.core.campaigns import CampaignStatus, HouseholdStatus, Source
from ledger.core.entries import JournalEntry, Posting, SourceRef
from ledger.core.grants import OverCommitted
from ledger.core.staff import Actor

from .helpers import Books, funds, refused, yuan


def test_a_matched_campaign_paid_and_closed(bk: Books) -> None:
    bk.income("100000.00")
    assert bk.funds() == funds("100000.00", "0.00", "0.00", "100000.00")
    # 30,000.00 = 15,000.00 subsidy + 10,000.00 match + 5,000.00 from 10 households
    draft = bk.campaign("30000.00", "15000.00", "10000.00", households=10, open_it=False)
    assert bk.funds() == funds("100000.00", "0.00", "0.00", "100000.00")  # a draft holds nothing
    opened = uc.open_campaign(bk.uow, bk.fm, draft.id)
    assert opened.figures.match_left.amount == 10000
    assert bk.funds() == funds("100000.00", "10000.00", "0.00", "90000.00")
    bk.subsidy(draft.id, "15000.00")
    assert bk.funds() == funds("115000.00", "10000.00", "15000.00", "90000.00")
    bk.pay_all(draft.id)
    assert bk.get(draft.id).status is CampaignStatus.FUNDED
    assert bk.funds() == funds("120000.00", "10000.00", "20000.00", "90000.00")
    # 25,000.00 to the contractor: the 20,000.00 restricted first, then 5,000.00 of the match
    half = bk.contractor(draft.id, "25000.00")
    assert (half.figures.spent_restricted, half.figures.foundation_spent,
            half.figures.match_left) == (yuan("20000.00"), yuan("5000.00"),
                                         yuan("5000.00"))
    assert bk.funds() == funds("95000.00", "5000.00", "0.00", "90000.00")
    paid = bk.contractor(draft.id, "5000.00")
    assert paid.status is CampaignStatus.CONTRACTOR_PAID
    assert bk.funds() == funds("90000.00", "0.00", "0.00", "90000.00")
    bk.close(draft.id)
    assert bk.funds() == funds("90000.00", "0.00", "0.00", "90000.00")
    tb = bk.trial_balance()
    assert (tb["5101"], tb["3102"], tb["3101"]) == (
        ("30000.00", "0.00"), ("20000.00", "0.00"), ("0.00", "20000.00"))


def test_a_cancelled_campaign_holds_nothing_afterwards(bk: Books) -> None:
    bk.income("100000.00")
    found = bk.campaign("50000.00", "10000.00", "20000.00", households=8,
                        source=Source.FOUNDATION)  # shares of 2,500.00
    assert bk.funds() == funds("100000.00", "20000.00", "0.00", "80000.00")
    roll = bk.roll(found.id)
    bk.subsidy(found.id, "10000.00")
    bk.pay(found.id, roll[0])
    bk.pay(found.id, roll[1], "1000.00")
    assert bk.funds() == funds("113500.00", "20000.00", "13500.00", "80000.00")
    # a vacant flat's share taken on by the foundation: held with its match
    bk.mark(found.id, roll[7], HouseholdStatus.VACANT, "空置")
    uc.assign_shortfall(bk.uow, bk.fm, found.id)
    assert bk.get(found.id).figures.match == yuan("22500.00")
    assert bk.funds() == funds("113500.00", "22500.00", "13500.00", "77500.00")
    bk.cancel(found.id)
    assert bk.funds() == funds("100000.00", "0.00", "0.00", "100000.00")


def test_campaigns_add_up_with_each_other(bk: Books) -> None:
    bk.income("50000.00")
    one = bk.campaign("10000.00", "4000.00", "3000.00", households=3)
    two = bk.campaign("8000.00", "0.00", "5000.00", households=2)
    draft = bk.campaign("9500.00", "1000.00", "8000.00", households=2, open_it=False)
    bk.subsidy(draft.id, "1000.00")  # a draft's subsidy is restricted, its match not yet held
    bk.subsidy(one.id, "4000.00")
    bk.pay(two.id, bk.roll(two.id)[0])
    assert bk.funds() == funds("56500.00", "8000.00", "6500.00", "42000.00")
    bk.cancel(two.id)
    assert bk.funds() == funds("55000.00", "3000.00", "5000.00", "47000.00")


def test_a_campaign_without_a_match_opens_whatever_the_foundation_has(bk: Books) -> None:
    """Opening checks the foundation's match against its available funds; a campaign with no
    match asks nothing of them, so it opens even when they are below zero."""
    bk.income("10000.00")
    uc.open_campaign(bk.uow, bk.fm, bk.campaign("30000.00", "15000.00", "10000.00",
                                                households=10, open_it=False).id)
    # the held match is spent from the bank by an admin's entry: nothing is available
    books.post_manual(bk.uow, JournalEntry(
        entity="foundation", effective_date=date(2026, 1, 6), memo="银行手续费 bank charge",
        actor="admin1", postings=(Posting.debit("5201", yuan("1000.00")),
                                  Posting.credit("1002", yuan("1000.00"))),
        source=SourceRef("import", "adm-1")), by=Actor.system("admin1"))
    assert bk.funds()["available"] == "-1000.00"
    with_match = bk.campaign("2000.00", "0.00", "1.00", households=4, open_it=False)
    refused(bk.engine, OverCommitted, lambda: uc.open_campaign(bk.uow, bk.fm, with_match.id))
    without = bk.campaign("2000.00", "1000.00", "0.00", households=4, open_it=False)
    assert uc.open_campaign(bk.uow, bk.fm, without.id).status is CampaignStatus.OPEN
