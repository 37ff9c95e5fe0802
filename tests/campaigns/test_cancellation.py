"""A cancelled campaign gives every payer back exactly what it paid, to the fen: households
(partial, overpaid, several payments, cash or transfer) and the subsidy. The restricted balance
ends at zero and the foundation's cash and bank are as they were before the campaign."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import CampaignStatus, HouseholdStatus, MissRule, PaymentMethod
from ledger.core.money import from_minor

from .helpers import Books, funds, posted, s, yuan


def test_every_payer_gets_back_exactly_what_it_paid(bk: Books) -> None:
    bk.income("10000.00")
    before = (bk.balance("1001"), bk.balance("1002"), bk.funds())
    found = bk.campaign("2000.00", "800.00", households=6, miss_rule=MissRule.ALL_OR_NOTHING,
                        source=None)  # shares of 200.00
    h = bk.roll(found.id)
    bk.subsidy(found.id, "800.00")
    bk.mark(found.id, h[5], HouseholdStatus.UNREACHABLE, "联系不上")
    made = [
        bk.pay(found.id, h[0]),  # 200.00 by WeChat Pay
        bk.pay(found.id, h[1], "120.00", method=PaymentMethod.CASH),  # partial, cash
        bk.pay(found.id, h[2], "260.33", method=PaymentMethod.ALIPAY),  # overpaid
        bk.pay(found.id, h[3], "184.50", method=PaymentMethod.BANK),
        bk.pay(found.id, h[3], "15.51", method=PaymentMethod.CASH),  # a second payment
    ]  # h[4] never paid
    running = bk.get(found.id)
    assert (running.status, running.figures.restricted) == (CampaignStatus.OPEN,
                                                            yuan("1580.34"))
    assert (bk.balance("1001"), bk.balance("1002")) == ("135.51", "11444.83")
    assert bk.funds() == funds("11580.34", "0.00", "1580.34", "10000.00")

    assert {b: [x.key for x in owing] for b, owing in uc.door_to_door(bk.uow, found.id).items()
            } == {"1": [h[1].key, h[4].key]}
    cancelled = bk.cancel(found.id, on=date(2026, 11, 30), reason="截止日未筹满 target missed")
    assert uc.door_to_door(bk.uow, found.id) == {}  # an ended campaign asks nobody to pay
    assert cancelled.status is CampaignStatus.CANCELLED
    assert (cancelled.figures.restricted, cancelled.figures.households_paid,
            cancelled.figures.subsidy_received) == (yuan("0.00"), yuan("0.00"), yuan("0.00"))
    back = {p.reference: (p.amount, p.refunded) for p in pay_uc.payments(bk.uow, found.id)}
    assert back == {p.reference: (p.amount, p.amount) for p in made}
    assert [x.paid for x in bk.roll(found.id)] == [yuan("0.00")] * 6
    for payment in made:
        assert pay_uc.receipt(bk.uow, payment.receipt_code).refunded == payment.amount
    assert (bk.balance("1001"), bk.balance("1002"), bk.funds()) == before
    tb = bk.trial_balance()
    assert (tb["410102"], tb["450102"]) == (("0.00", "0.00"), ("0.00", "0.00"))
    assert "5101" not in tb
    assert "3102" not in tb

    # each refund goes back the way the money came: cash from cash, the rest from the bank
    with bk.engine.connect() as conn:
        refunds = conn.execute(text(
            "SELECT payment_id, subsidy_id, amount, entry_seq FROM campaign_refunds"
            " WHERE campaign_id = :c ORDER BY id"), {"c": found.id}).all()
    by_payment = {p.id: p for p in pay_uc.payments(bk.uow, found.id)}
    assert len(refunds) == 6
    for payment_id, subsidy_id, amount, seq in refunds:
        if subsidy_id is not None:
            assert posted(bk.uow, seq) == [("450102", "debit", "800.00"),
                                           ("1002", "credit", "800.00")]
            continue
        paid = by_payment[payment_id]
        account = "1001" if paid.method is PaymentMethod.CASH else "1002"
        assert posted(bk.uow, seq) == [("410102", "debit", s(paid.amount)),
                                       (account, "credit", s(paid.amount))]
        assert from_minor(amount) == paid.amount


payments_strategy = st.lists(
    st.tuples(st.integers(0, 4), st.integers(1, 99_999), st.sampled_from(list(PaymentMethod))),
    min_size=0, max_size=7)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=payments_strategy, subsidy=st.integers(0, 50_000))
def test_cancellation_always_refunds_each_payer_exactly(
        bk: Books, paid: list[tuple[int, int, PaymentMethod]], subsidy: int) -> None:
    """Random payments (any household, any amount in fen, any method; some pay twice, some
    never) and maybe some subsidy: cancelled, each payment comes back whole and the campaign's
    money is gone from the books. Each example is a new campaign in the same database."""
    cash, bank = bk.balance("1001"), bk.balance("1002")
    found = bk.campaign("2000.00", "500.00", households=5, miss_rule=MissRule.ALL_OR_NOTHING,
                        source=None)
    roll = bk.roll(found.id)
    if subsidy:
        bk.subsidy(found.id, s(from_minor(subsidy)))
    for index, amount, method in paid:
        bk.pay(found.id, roll[index], s(from_minor(amount)), method=method)
    status = bk.get(found.id).status
    assert status in (CampaignStatus.OPEN, CampaignStatus.FUNDED)
    done = bk.cancel(found.id)
    assert done.status is CampaignStatus.CANCELLED
    assert done.figures.restricted == yuan("0.00")
    assert [(p.amount, p.refunded) for p in pay_uc.payments(bk.uow, found.id)] == [
        (from_minor(amount), from_minor(amount)) for _, amount, _ in paid]
    assert (bk.balance("1001"), bk.balance("1002")) == (cash, bank)
    assert bk.funds()["restricted"] == "0.00"
