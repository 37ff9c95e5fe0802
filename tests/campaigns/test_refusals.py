"""Every use case of a campaign refuses what its rules forbid, with the error that says why,
and a refused call writes nothing: every table (counts, and every row of the campaign tables)
is as it was before."""

from __future__ import annotations

from datetime import date

import pytest
from moneyed import Money
from sqlalchemy import text

from ledger import books
from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import (
    BadFile,
    CampaignStatus,
    HouseholdStatus,
    InvalidTransition,
    LeftoverRule,
    MissRule,
    NotFunded,
    PaymentMethod,
    ShortfallUnassigned,
    Source,
)
from ledger.core.entries import JournalEntry, Posting
from ledger.core.errors import InvalidInput
from ledger.core.grants import OverCommitted
from ledger.expenses import InsufficientFunds

from .helpers import (
    Books,
    flats,
    funds,
    payments_csv,
    posted,
    refused,
    roll_csv,
    snapshot,
    yuan,
)


# --- set-up -----------------------------------------------------------------------------------
def test_campaigns_that_do_not_add_up_are_refused(bk: Books) -> None:
    engine = bk.engine
    refused(engine, InvalidInput, lambda: bk.create("0.00"))
    refused(engine, InvalidInput, lambda: bk.create("1000.00", "600.00", "400.00"))  # no gap
    refused(engine, InvalidInput, lambda: bk.create("1000.00", "900.00", "200.00"))
    refused(engine, InvalidInput, lambda: bk.create("1000.00", source=None))  # keep_raised
    refused(engine, InvalidInput, lambda: bk.create("1000.00", "100.00", subsidy_from=" "))
    refused(engine, InvalidInput, lambda: bk.create("1000.00", community=""))
    refused(engine, uc.CampaignNotFound, lambda: bk.get(999))
    assert bk.create("1000.00", miss_rule=MissRule.ALL_OR_NOTHING, source=None).status == "draft"


def test_the_roll_and_opening(bk: Books) -> None:
    engine, uow, fm = bk.engine, bk.uow, bk.fm
    draft = bk.create("1000.00", match="300.00")
    # opening without a roll
    refused(engine, InvalidInput, lambda: uc.open_campaign(uow, fm, draft.id))
    uc.import_roll(uow, fm, draft.id, roll_csv(flats(1, 1, 1, 4)))
    # the foundation has nothing to match with: 300.00 of its money is needed
    error = refused(engine, OverCommitted, lambda: uc.open_campaign(uow, fm, draft.id))
    assert "300.00" in str(error)
    bk.income("299.99")
    refused(engine, OverCommitted, lambda: uc.open_campaign(uow, fm, draft.id))
    bk.income("0.01")
    assert uc.open_campaign(uow, fm, draft.id).status is CampaignStatus.OPEN
    # the roll is imported while the campaign is a draft
    refused(engine, InvalidTransition, lambda: uc.import_roll(
        uow, fm, draft.id, roll_csv(flats(1, 1, 1, 5))))
    refused(engine, InvalidTransition, lambda: uc.open_campaign(uow, fm, draft.id))
    # a roll with problems writes nothing, even to a draft
    other = bk.create("500.00")
    refused(engine, BadFile,
            lambda: uc.import_roll(uow, fm, other.id, b"building,unit,room,contact,phone\r\n"))


# --- payments ---------------------------------------------------------------------------------
def test_payments_only_from_an_asked_household_of_a_running_campaign(bk: Books) -> None:
    engine, uow, fm = bk.engine, bk.uow, bk.fm
    draft = bk.campaign("1000.00", "600.00", households=4, open_it=False)
    h = bk.roll(draft.id)
    # while draft: neither by hand nor by import
    refused(engine, InvalidInput, lambda: bk.pay(draft.id, h[0]))
    export = payments_csv([("W-1", h[0].key, "100.00", "2026-10-02")])
    refused(engine, InvalidInput, lambda: pay_uc.import_payments(
        uow, fm, draft.id, export, method=PaymentMethod.WECHAT))
    found = uc.open_campaign(uow, fm, draft.id)
    other = bk.campaign("800.00", households=2)
    stranger = bk.roll(other.id)[0]
    refused(engine, uc.HouseholdNotFound, lambda: bk.pay(found.id, stranger))  # another roll
    refused(engine, uc.HouseholdNotFound, lambda: pay_uc.record_payment(
        uow, fm, found.id, household_id=999, amount=yuan("100.00"), paid_on=date(2026, 10, 2),
        method=PaymentMethod.CASH, reference="X"))
    bk.mark(found.id, h[3])
    refused(engine, InvalidInput, lambda: bk.pay(found.id, h[3]))  # marked unreachable
    bk.pay(found.id, h[0], reference="W-1")
    refused(engine, pay_uc.DuplicatePayment, lambda: bk.pay(found.id, h[1], reference="W-1"))
    refused(engine, pay_uc.DuplicatePayment, lambda: bk.pay(found.id, h[1],
                                                            reference="  W-1 "))
    refused(engine, InvalidInput, lambda: bk.pay(found.id, h[1], reference="R" * 65))
    assert bk.pay(other.id, stranger, reference="W-1").reference == "W-1"  # another campaign
    # amounts that are no money
    for amount in (Money("0.00", "CNY"), Money("-10.00", "CNY"), Money("1.005", "CNY")):
        before = snapshot(engine)
        with pytest.raises(InvalidInput):
            pay_uc.record_payment(uow, fm, found.id, household_id=h[1].id, amount=amount,
                                  paid_on=date(2026, 10, 2), method=PaymentMethod.CASH,
                                  reference=f"BAD-{amount.amount}")
        assert snapshot(engine) == before
    # a household that paid stays asked
    refused(engine, InvalidInput, lambda: bk.mark(found.id, h[0]))
    refused(engine, InvalidInput, lambda: bk.mark(found.id, h[0], HouseholdStatus.EXEMPT))
    refused(engine, InvalidInput, lambda: bk.mark(found.id, h[1], reason=" "))  # no reason
    refused(engine, uc.HouseholdNotFound, lambda: bk.mark(found.id, stranger))
    # after the end, nothing more
    bk.cancel(found.id)
    refused(engine, InvalidInput, lambda: bk.pay(found.id, h[1]))
    refused(engine, InvalidInput, lambda: pay_uc.import_payments(
        uow, fm, found.id, payments_csv([("W-9", h[1].key, "100.00", "2026-10-02")]),
        method=PaymentMethod.WECHAT))
    refused(engine, InvalidInput, lambda: bk.mark(found.id, h[1]))
    refused(engine, InvalidInput, lambda: bk.subsidy(found.id, "600.00"))


def test_no_payment_after_the_close(bk: Books) -> None:
    found = bk.funded()
    h = bk.roll(found.id)
    bk.contractor(found.id, "1000.00")
    bk.pay(found.id, h[0], "5.00")  # a late payment while the contractor is paid: a leftover
    refused(bk.engine, InvalidInput, lambda: bk.subsidy(found.id, "1.00"))
    bk.close(found.id)
    refused(bk.engine, InvalidInput, lambda: bk.pay(found.id, h[1]))
    refused(bk.engine, InvalidTransition, lambda: bk.close(found.id))
    refused(bk.engine, InvalidTransition, lambda: bk.cancel(found.id))
    refused(bk.engine, InvalidInput, lambda: uc.assign_shortfall(
        bk.uow, bk.fm, found.id, source=Source.SUBSIDY, amount=yuan("1.00")))


def test_receipts_are_found_by_their_code_only(bk: Books) -> None:
    found = bk.campaign("1000.00", households=2)
    paid = bk.pay(found.id, bk.roll(found.id)[0])
    for code in ("", "7K3Q-M9XD-2TP", "7K3Q-M9XD-2TPAA", "7K3Q-M9XD-2TP!", "UUUU-UUUU-UUUU"):
        refused(bk.engine, InvalidInput, lambda code=code: pay_uc.receipt(bk.uow, code))
    unused = "0000-0000-0000" if paid.receipt_code != "0000-0000-0000" else "1111-1111-1111"
    refused(bk.engine, pay_uc.ReceiptNotFound, lambda: pay_uc.receipt(bk.uow, unused))


# --- the shortfall ----------------------------------------------------------------------------
def test_shortfall_within_what_is_unassigned_and_what_the_foundation_has(bk: Books) -> None:
    engine, uow, fm = bk.engine, bk.uow, bk.fm
    bk.income("100.00")
    found = bk.campaign("1000.00", households=4, source=Source.FOUNDATION)  # shares of 250.00
    h = bk.roll(found.id)

    def assign(amount: str | None = None, source: Source | None = None) -> uc.Campaign:
        return uc.assign_shortfall(uow, fm, found.id, source=source,
                                   amount=None if amount is None else yuan(amount))

    refused(engine, InvalidInput, lambda: assign())  # nothing to assign
    bk.mark(found.id, h[3])
    refused(engine, InvalidInput, lambda: assign("250.01", Source.SUBSIDY))
    refused(engine, InvalidInput, lambda: assign("0.00", Source.SUBSIDY))
    # the foundation has 100.00 available, less than the 250.00
    refused(engine, OverCommitted, lambda: assign())
    refused(engine, OverCommitted, lambda: assign("100.01"))
    assert assign("100.00").figures.unassigned == yuan("150.00")
    assert bk.funds()["available"] == "0.00"
    refused(engine, InvalidInput, lambda: assign("150.01", Source.SUBSIDY))
    assign("150.00", Source.HOUSEHOLDS)  # 50.00 more each for the three asked
    assert [x.share for x in bk.roll(found.id)] == [yuan("300.00")] * 3 + [yuan("250.00")]
    refused(engine, InvalidInput, lambda: assign("0.01", Source.SUBSIDY))
    # its share went to sources: the flat cannot be asked again
    refused(engine, InvalidInput, lambda: bk.mark(found.id, h[3], HouseholdStatus.ASKED))


# --- the contractor, the close and the cancellation -------------------------------------------
def test_the_contractor_is_paid_once_funded_and_never_beyond_the_cost(bk: Books) -> None:
    engine = bk.engine
    found = bk.campaign("1000.00", "400.00", households=3)  # shares of 200.00
    h = bk.roll(found.id)
    bk.subsidy(found.id, "400.00")
    bk.pay(found.id, h[0])
    bk.pay(found.id, h[1])
    refused(engine, NotFunded, lambda: bk.contractor(found.id, "100.00"))  # 800.00 of 1,000.00
    bk.pay(found.id, h[2])
    assert bk.get(found.id).status is CampaignStatus.FUNDED
    refused(engine, InvalidInput, lambda: bk.contractor(found.id, "1000.01"))
    bk.contractor(found.id, "600.00")
    refused(engine, InvalidInput, lambda: bk.contractor(found.id, "400.01"))
    # the contractor is owed 400.00 still: the campaign does not close
    refused(engine, InvalidTransition, lambda: bk.close(found.id))
    bk.contractor(found.id, "400.00")
    refused(engine, NotFunded, lambda: bk.contractor(found.id, "0.01"))
    refused(engine, InvalidTransition, lambda: bk.cancel(found.id))
    assert bk.close(found.id).status is CampaignStatus.CLOSED


def test_a_shortfall_nobody_covers_keeps_the_campaign_open(bk: Books) -> None:
    """A household's excess paid for a vacant flat, so the money was there; still the flat's
    share must be assigned to a source before the close."""
    found = bk.campaign("1000.00", households=4)  # shares of 250.00
    h = bk.roll(found.id)
    bk.mark(found.id, h[3], HouseholdStatus.VACANT, "空置")
    bk.pay(found.id, h[0])
    bk.pay(found.id, h[1])
    bk.pay(found.id, h[2], "500.00")
    bk.contractor(found.id, "1000.00")
    error = refused(bk.engine, ShortfallUnassigned, lambda: bk.close(found.id))
    assert "250.00" in str(error)


def test_cancelling_ends_a_campaign_before_the_contractor_is_paid(bk: Books) -> None:
    draft = bk.campaign("1000.00", "400.00", households=3, open_it=False)
    bk.subsidy(draft.id, "400.00")  # a draft may receive its subsidy already
    refused(bk.engine, InvalidInput, lambda: bk.cancel(draft.id, reason=""))
    assert bk.cancel(draft.id).status is CampaignStatus.CANCELLED
    refused(bk.engine, InvalidTransition, lambda: bk.cancel(draft.id))
    refused(bk.engine, InvalidTransition, lambda: uc.open_campaign(bk.uow, bk.fm, draft.id))
    assert bk.get(draft.id).figures.restricted == yuan("0.00")


# --- found by these tests, fixed in 8925054 ---------------------------------------------------
def test_a_campaign_whose_contractor_is_partly_paid_is_not_cancelled(bk: Books) -> None:
    """Cancelling would refund money already spent on the repair (it raised a raw
    IntegrityError from the trigger campaigns_end_at_zero)."""
    found = bk.funded()
    bk.contractor(found.id, "600.00")
    assert bk.get(found.id).status is CampaignStatus.FUNDED
    error = refused(bk.engine, InvalidTransition, lambda: bk.cancel(found.id))
    assert "600.00" in str(error)


def test_a_shortfall_needs_a_named_source(bk: Books) -> None:
    """All-or-nothing names no source: assigning without one is refused (it raised
    ValueError from Source(''))."""
    found = bk.campaign("1000.00", households=4, miss_rule=MissRule.ALL_OR_NOTHING,
                        source=None)
    bk.mark(found.id, bk.roll(found.id)[3])
    error = refused(bk.engine, InvalidInput, lambda: uc.assign_shortfall(bk.uow, bk.fm,
                                                                         found.id))
    assert error.field == "source"  # type: ignore[attr-defined]
    assert uc.assign_shortfall(bk.uow, bk.fm, found.id, source=Source.SUBSIDY
                               ).figures.unassigned == yuan("0.00")


def test_a_foundation_shortfall_assigned_in_draft_counts_when_opening(bk: Books) -> None:
    """A draft does not hold the foundation's money, so its shortfall assignment is not
    checked then: opening checks the match with it (it checked the bare match)."""
    bk.income("100.00")
    draft = bk.campaign("1000.00", households=4, source=Source.FOUNDATION, open_it=False)
    bk.mark(draft.id, bk.roll(draft.id)[3])
    uc.assign_shortfall(bk.uow, bk.fm, draft.id)  # 250.00 from the foundation's 100.00
    assert bk.get(draft.id).figures.match == yuan("250.00")
    error = refused(bk.engine, OverCommitted, lambda: uc.open_campaign(bk.uow, bk.fm, draft.id))
    assert "250.00" in str(error)
    bk.income("150.00")
    uc.open_campaign(bk.uow, bk.fm, draft.id)
    assert bk.funds() == funds("250.00", "250.00", "0.00", "0.00")


def test_money_is_neither_spent_nor_refunded_before_it_arrived(bk: Books) -> None:
    """The subsidy arrives 2026-09-20, the households pay 2026-10-02 (the bank's balance was
    checked on the last day only, and refunds not at all)."""
    first = bk.funded()
    for on in (date(2026, 9, 1), date(2026, 10, 1)):  # nothing, then 400.00 of 1,000.00
        refused(bk.engine, InsufficientFunds, lambda on=on: bk.contractor(first.id, "1000.00",
                                                                          on=on))
    assert bk.contractor(first.id, "1000.00", on=date(2026, 10, 2)).status == "contractor_paid"
    second = bk.funded()
    for on in (date(2026, 9, 1), date(2026, 10, 1)):
        error = refused(bk.engine, InvalidInput, lambda on=on: bk.cancel(second.id, on=on))
        assert "before its money arrived" in str(error)
    assert bk.cancel(second.id, on=date(2026, 10, 2)).status is CampaignStatus.CANCELLED
    assert bk.balance("1002") == "0.00"


def test_a_cash_payer_is_refunded_from_the_bank_once_the_cash_was_banked(bk: Books) -> None:
    """Cash refunds came from cash in hand whatever it held, leaving it negative."""
    found = bk.campaign("1000.00", "400.00", households=3, leftover=LeftoverRule.REFUND)
    h = bk.roll(found.id)
    bk.subsidy(found.id, "400.00")
    bk.pay(found.id, h[0])
    bk.pay(found.id, h[1])
    bk.pay(found.id, h[2], "250.00", method=PaymentMethod.CASH)  # 50.00 beyond the share
    books.post_manual(bk.uow, JournalEntry(
        entity="foundation", effective_date=date(2026, 10, 3), actor=bk.fm.username,
        memo="现金存入银行 cash banked", postings=(Posting.debit("1002", yuan("250.00")),
                                              Posting.credit("1001", yuan("250.00")))),
        by=bk.fm)
    bk.contractor(found.id, "1000.00")
    bk.close(found.id)
    assert (bk.balance("1001"), bk.balance("1002")) == ("0.00", "0.00")
    [payment] = [p for p in pay_uc.payments(bk.uow, found.id) if p.household == h[2].key]
    assert payment.refunded == yuan("50.00")
    with bk.engine.connect() as conn:
        seq = conn.execute(text("SELECT entry_seq FROM campaign_refunds WHERE payment_id = :p"),
                           {"p": payment.id}).scalar_one()
    assert posted(bk.uow, seq) == [("410102", "debit", "50.00"), ("1002", "credit", "50.00")]
