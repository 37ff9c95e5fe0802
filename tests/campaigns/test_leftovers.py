"""Money left once the contractor is paid: what a household paid beyond its share goes back to
it (from its latest payments); any other leftover is refunded pro rata to everyone who paid it
in (largest remainder, ties to the earlier payer: `ledger.core.money.allocate`), or released to
the foundation (Dr 3102 / Cr 3101) with a disclosure."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import (
    CampaignStatus,
    HouseholdStatus,
    LeftoverRule,
    PaymentMethod,
    ShortfallUnassigned,
    Source,
)
from ledger.core.errors import InvalidInput

from .helpers import Books, funds, posted, refused, yuan


def refunds_of(bk: Books, campaign_id: int) -> list[tuple[str, str, str]]:
    """(payer, amount, reason's first word) of each refund, in order: the payer is the
    payment's reference or 'subsidy'."""
    with bk.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT coalesce(p.reference, 'subsidy'), r.amount, r.reason FROM campaign_refunds r"
            " LEFT JOIN campaign_payments p ON p.id = r.payment_id WHERE r.campaign_id = :c"
            " ORDER BY r.id"), {"c": campaign_id}).all()
    return [(who, f"{amount / 100:.2f}", reason.split(" ")[0]) for who, amount, reason in rows]


def test_overpayments_go_back_and_the_rest_is_refunded_pro_rata(bk: Books) -> None:
    found = bk.campaign("1000.00", "400.00", households=3)  # shares of 200.00
    a, b, c = bk.roll(found.id)
    bk.subsidy(found.id, "401.02")  # the subdistrict sent 1.02 more than it pledged
    bk.pay(found.id, a, "200.00", reference="A")
    bk.pay(found.id, b, "300.00", reference="B")  # 100.00 beyond its share
    bk.pay(found.id, c, "200.00", reference="C1")
    bk.pay(found.id, c, "1.00", reference="C2", method=PaymentMethod.CASH)  # paid twice
    assert bk.get(found.id).figures.restricted == yuan("1102.02")
    paid = bk.contractor(found.id, "1000.00")
    assert (paid.status, paid.figures.restricted) == (CampaignStatus.CONTRACTOR_PAID,
                                                      yuan("102.02"))
    closed = bk.close(found.id)
    assert (closed.status, closed.figures.restricted) == (CampaignStatus.CLOSED, yuan("0.00"))
    # first the excesses, whole; then 1.02 over 401.02 : 200 : 200 : 200 (what each has in
    # after the excesses went back) = 40.86 / 20.38 / 20.38 / 20.38 fen: floors 40 + 20 + 20 +
    # 20, the two fen left to the largest remainders, the subsidy's and then A's (a tie with
    # B's and C's, so the earlier payer)
    assert refunds_of(bk, found.id) == [
        ("B", "100.00", "多缴退还"), ("C2", "1.00", "多缴退还"),
        ("subsidy", "0.41", "余款按比例退还"), ("A", "0.21", "余款按比例退还"),
        ("B", "0.20", "余款按比例退还"), ("C1", "0.20", "余款按比例退还")]
    assert [(p.reference, p.refunded) for p in pay_uc.payments(bk.uow, found.id)] == [
        ("A", yuan("0.21")), ("B", yuan("100.20")), ("C1", yuan("0.20")), ("C2", yuan("1.00"))]
    assert bk.trial_balance() == {"1001": ("0.00", "0.00"), "1002": ("0.00", "0.00"),
                                  "3101": ("0.00", "1000.00"), "3102": ("1000.00", "0.00"),
                                  "410102": ("0.00", "599.39"), "450102": ("0.00", "400.61"),
                                  "5101": ("1000.00", "0.00")}
    assert bk.funds() == funds("0.00", "0.00", "0.00", "0.00")


def test_a_leftover_smaller_than_the_excesses_is_shared_pro_rata_to_them(bk: Books) -> None:
    """The excesses paid for a flat nobody answers: only what is left of them goes back."""
    found = bk.campaign("1000.00", households=4, source=Source.FOUNDATION)  # shares of 250.00
    a, b, c, d = bk.roll(found.id)
    bk.mark(found.id, d, HouseholdStatus.VACANT, "空置")
    bk.pay(found.id, a, "250.00", reference="A1")
    bk.pay(found.id, a, "200.00", reference="A2")  # 200.00 over
    bk.pay(found.id, b, "350.00", reference="B")  # 100.00 over
    bk.pay(found.id, c, "250.00", reference="C")
    assert bk.get(found.id).status is CampaignStatus.FUNDED  # 1,050.00 in hand
    bk.contractor(found.id, "1000.00")
    # the vacant flat's share is still nobody's: the campaign does not close
    refused(bk.engine, ShortfallUnassigned, lambda: bk.close(found.id))
    uc.assign_shortfall(bk.uow, bk.fm, found.id, note="基金会兜底")
    bk.close(found.id)
    # 50.00 left for excesses of 200.00 and 100.00: 33.33 and 16.67 (the odd fen to the larger
    # remainder, 0.67 of B's against 0.33 of A's), A's from its latest payment
    assert refunds_of(bk, found.id) == [("A2", "33.33", "多缴退还"), ("B", "16.67", "多缴退还")]
    assert bk.get(found.id).figures.restricted == yuan("0.00")
    assert bk.balance("1002") == "0.00"


def test_a_leftover_given_to_the_foundation_is_disclosed_and_released(bk: Books) -> None:
    bk.income("10000.00")
    found = bk.campaign("1000.00", "400.00", households=3, leftover=LeftoverRule.FOUNDATION)
    a, b, c = bk.roll(found.id)
    bk.subsidy(found.id, "450.00")  # 50.00 more than pledged
    bk.pay(found.id, a)
    bk.pay(found.id, b)
    bk.pay(found.id, c, "210.00", reference="C")  # 10.00 over: that goes back to C in any case
    bk.contractor(found.id, "1000.00")
    assert bk.funds() == funds("10060.00", "0.00", "60.00", "10000.00")
    # no disclosure, no release (and nothing of the close is written, the refund to C neither)
    error = refused(bk.engine, InvalidInput, lambda: bk.close(found.id, disclosure="  "))
    assert "disclosed" in str(error)
    closed = bk.close(found.id, on=date(2026, 11, 28),
                      disclosure="余款50.00元转入基金会，用于俞范新村楼道照明维修")
    assert (closed.status, closed.figures.restricted, closed.figures.leftover_released) == (
        CampaignStatus.CLOSED, yuan("0.00"), yuan("50.00"))
    assert refunds_of(bk, found.id) == [("C", "10.00", "多缴退还")]
    with bk.engine.connect() as conn:
        [(amount, released_on, disclosure, seq)] = conn.execute(text(
            "SELECT amount, released_on, disclosure, entry_seq FROM campaign_leftovers"
            " WHERE campaign_id = :c"), {"c": found.id}).all()
    assert (amount, str(released_on), disclosure) == (
        5000, "2026-11-28", "余款50.00元转入基金会，用于俞范新村楼道照明维修")
    assert posted(bk.uow, seq) == [("3102", "debit", "50.00"), ("3101", "credit", "50.00")]
    tb = bk.trial_balance()
    assert (tb["3102"], tb["3101"]) == (("1050.00", "0.00"), ("0.00", "1050.00"))
    # the 50.00 is now the foundation's own, unrestricted money
    assert bk.funds() == funds("10050.00", "0.00", "0.00", "10050.00")
