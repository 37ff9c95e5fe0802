"""Payment imports are idempotent: the same export imported twice records nothing new, and an
export that overlaps an earlier one records only the references not seen before. Partial and
overpaid lines are recorded; unmatched and duplicate ones are reported only."""

from __future__ import annotations

from datetime import date

from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import CampaignStatus, HouseholdStatus, HouseKey, PaymentMethod

from .helpers import Books, flats, payments_csv, roll_csv, s, snapshot, yuan


def test_the_same_file_twice_records_nothing_new(bk: Books) -> None:
    found = bk.campaign("3000.00", "1000.00", households=20)  # shares of 100.00
    roll = bk.roll(found.id)
    export = payments_csv([(f"ALI-{n:04d}", h.key, s(h.share), "2026-10-02")
                           for n, h in enumerate(roll[:12])])
    first = pay_uc.import_payments(bk.uow, bk.fm, found.id, export,
                                   method=PaymentMethod.ALIPAY, filename="alipay.csv")
    assert (first.written, first.recorded) == (True, 12)
    entries, before = bk.entry_count(), snapshot(bk.engine)
    assert before["counts"]["campaign_payments"] == 12

    again = pay_uc.import_payments(bk.uow, bk.fm, found.id, export,
                                   method=PaymentMethod.ALIPAY, filename="alipay.csv")
    assert (again.written, again.recorded, again.import_id) == (False, 0, None)
    assert again.report()["counts"] == {"matched": 0, "partial": 0, "overpaid": 0,
                                        "unmatched": 0, "duplicate": 12}
    assert bk.entry_count() == entries
    assert snapshot(bk.engine) == before  # every table, every row
    assert len(pay_uc.imports(bk.uow, found.id)) == 2  # the roll and the first export only

    # a later export overlapping the first: only the 5 new references are recorded
    overlap = payments_csv([(f"ALI-{n:04d}", h.key, s(h.share), "2026-10-05")
                            for n, h in enumerate(roll[8:17], start=8)])
    third = pay_uc.import_payments(bk.uow, bk.fm, found.id, overlap,
                                   method=PaymentMethod.ALIPAY, filename="alipay-2.csv")
    assert (third.written, third.recorded) == (True, 5)
    assert third.report()["counts"] == {"matched": 5, "partial": 0, "overpaid": 0,
                                        "unmatched": 0, "duplicate": 4}
    assert bk.entry_count() == entries + 5
    recorded = pay_uc.payments(bk.uow, found.id)
    assert [p.reference for p in recorded] == [f"ALI-{n:04d}" for n in range(17)]
    assert [p.paid_on for p in recorded[-5:]] == [date(2026, 10, 5)] * 5
    assert bk.get(found.id).paid_up == 17
    assert bk.get(found.id).figures.households_paid == yuan("1700.00")
    # and the whole file a third time: nothing
    before = snapshot(bk.engine)
    assert pay_uc.import_payments(bk.uow, bk.fm, found.id, overlap,
                                  method=PaymentMethod.ALIPAY).recorded == 0
    assert snapshot(bk.engine) == before


def test_partial_overpaid_unmatched_and_duplicate_lines(bk: Books) -> None:
    found = bk.campaign("1000.00", "600.00", households=4)  # shares of 100.00
    h = bk.roll(found.id)
    bk.mark(found.id, h[3], HouseholdStatus.VACANT, "空置")
    by_hand = bk.pay(found.id, h[2], "30.00", method=PaymentMethod.CASH, reference="CASH-1")
    export = payments_csv([
        ("W-1", h[0].key, "100.00", "2026-10-02"),  # matched
        ("W-2", h[1].key, "40.00", "2026-10-02"),  # partial
        ("W-3", h[1].key, "60.00", "2026-10-03"),  # completes it: matched
        ("W-4", h[2].key, "90.00", "2026-10-03"),  # owes 70.00 after the cash: overpaid
        ("W-5", h[3].key, "100.00", "2026-10-03"),  # vacant: not asked to pay
        ("W-6", HouseKey("1", "2", "101"), "100.00", "2026-10-03"),  # no such flat
        ("CASH-1", h[0].key, "30.00", "2026-10-03"),  # recorded by hand already
        ("W-2", h[1].key, "40.00", "2026-10-02"),  # twice in the file
        ("W-7", h[0].key, "5.00", "2026-10-04"),  # paid up already: overpaid
    ])
    done = pay_uc.import_payments(bk.uow, bk.fm, found.id, export,
                                  method=PaymentMethod.WECHAT)
    assert [line["match"] for line in done.report()["lines"]] == [  # type: ignore[attr-defined,index]
        "matched", "partial", "matched", "overpaid", "unmatched", "unmatched", "duplicate",
        "duplicate", "overpaid"]
    assert done.recorded == 5
    paid = {p.reference: (p.household, p.amount, p.method)
            for p in pay_uc.payments(bk.uow, found.id)}
    assert paid == {
        "CASH-1": (h[2].key, yuan("30.00"), PaymentMethod.CASH),
        "W-1": (h[0].key, yuan("100.00"), PaymentMethod.WECHAT),
        "W-2": (h[1].key, yuan("40.00"), PaymentMethod.WECHAT),
        "W-3": (h[1].key, yuan("60.00"), PaymentMethod.WECHAT),
        "W-4": (h[2].key, yuan("90.00"), PaymentMethod.WECHAT),
        "W-7": (h[0].key, yuan("5.00"), PaymentMethod.WECHAT)}
    assert [x.paid for x in bk.roll(found.id)] == [yuan("105.00"), yuan("100.00"),
                                                   yuan("120.00"), yuan("0.00")]
    now = bk.get(found.id)
    # 600 subsidy not yet received: 325.00 restricted of 1,000.00; the vacant flat is shortfall
    assert (now.status, now.paid_up, now.figures.restricted, now.figures.shortfall) == (
        CampaignStatus.OPEN, 3, yuan("325.00"), yuan("100.00"))
    assert pay_uc.receipt(bk.uow, by_hand.receipt_code.lower()).amount == yuan("30.00")
    assert bk.balance("1001") == "30.00"  # cash in hand
    assert bk.balance("1002") == "295.00"  # WeChat Pay settles to the bank


def test_a_roll_is_imported_after_a_payment_import(bk: Books) -> None:
    """On PostgreSQL a payment import took max(id) + 1 without moving the table's sequence,
    so the next roll import collided with it (fixed in 8925054)."""
    first = bk.campaign("1000.00", households=4)
    h = bk.roll(first.id)[0]
    done = pay_uc.import_payments(bk.uow, bk.fm, first.id,
                                  payments_csv([("W-1", h.key, "250.00", "2026-10-02")]),
                                  method=PaymentMethod.WECHAT)
    assert done.recorded == 1
    second = bk.create("500.00")
    imported = uc.import_roll(bk.uow, bk.fm, second.id, roll_csv(flats(1, 1, 1, 2)))
    assert imported.written
    assert bk.get(second.id).households == 2
    assert [i["kind"] for i in pay_uc.imports(bk.uow, second.id)] == ["roll"]
