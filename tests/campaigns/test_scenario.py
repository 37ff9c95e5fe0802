"""The 俞范东路小区 hallway-window repair (seed 001) end to end at use-case level, on SQLite and
on PostgreSQL: 67,000.00 quoted, 60,000.00 from 蛟川街道, 7,000.00 crowdfunded from 317
households (64 pay 22.09, 253 pay 22.08), 315 payments imported from a WeChat-style export (with
a duplicate line and an unknown payer), 2 vacant flats unreachable, their shares assigned to the
subsidy, the contractor paid in two payments, the campaign closed. The foundation's books and
funds are checked to the fen at every step."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import (
    CampaignStatus,
    HouseholdStatus,
    HouseKey,
    Match,
    PaymentMethod,
)

from .helpers import (
    Books,
    flats,
    funds,
    posted,
    roll_csv,
    s,
    snapshot,
    wechat_csv,
    wechat_reference,
    yuan,
)

ZERO = funds("0.00", "0.00", "0.00", "0.00")
#: The two vacant flats: one of the 64 that pay 22.09, one of the 253 that pay 22.08.
VACANT = (10, 300)  # positions in roll order, from 0


def test_the_yufan_hallway_windows(bk: Books) -> None:
    uow, fm = bk.uow, bk.fm
    assert bk.funds() == ZERO  # the foundation holds nothing else: all below is the campaign's

    # --- the campaign: 67,000.00 = 60,000.00 subsidy + 0 match + 7,000.00 from households --------
    draft = bk.create("67000.00", "60000.00", "0.00")
    assert (draft.status, draft.gap, draft.subsidy_from, draft.shortfall_source, draft.match) == (
        CampaignStatus.DRAFT, yuan("7000.00"), "蛟川街道办事处", "subsidy", yuan("0.00"))
    assert (draft.households, draft.figures.restricted) == (0, yuan("0.00"))

    # --- the roll: 317 flats in six buildings, two units each, listed in no particular order ------
    keys = flats(6, 2, 7, 4)[:317]
    assert len({k.building for k in keys}) == 6
    shuffled = list(keys)
    random.Random(6).shuffle(shuffled)
    assert shuffled != keys
    data = b"\xef\xbb\xbf" + roll_csv(shuffled, header=("楼栋", "单元", "室", "户主", "联系电话"))
    before = snapshot(bk.engine)
    preview = uc.import_roll(uow, fm, draft.id, data, filename="俞范东路小区住户.csv",
                             commit=False)
    assert (preview.written, preview.problems, len(preview.households)) == (False, (), 317)
    assert snapshot(bk.engine) == before  # a preview writes nothing
    imported = uc.import_roll(uow, fm, draft.id, data, filename="俞范东路小区住户.csv")
    assert imported.written
    assert imported.summary is not None
    assert (imported.summary.higher, imported.summary.higher_count, imported.summary.lower,
            imported.summary.lower_count) == (yuan("22.09"), 64, yuan("22.08"), 253)
    assert sum(imported.shares, yuan("0.00")) == yuan("7000.00")

    roll = bk.roll(draft.id)
    assert [h.key for h in roll] == keys  # roll order: building, unit, room, not the file's
    assert [h.position for h in roll] == list(range(1, 318))
    assert [h.share for h in roll] == [yuan("22.09")] * 64 + [yuan("22.08")] * 253
    assert sum((h.share for h in roll), yuan("0.00")) == yuan("7000.00")
    assert roll[0].contact == "住户1-1-101"
    assert {h.status for h in roll} == {HouseholdStatus.ASKED}
    assert (bk.get(draft.id).households, bk.get(draft.id).asked) == (317, 317)

    # --- open, then the subsidy arrives (restricted: held out of the available funds) ------------
    opened = uc.open_campaign(uow, fm, draft.id)
    assert opened.status is CampaignStatus.OPEN
    assert bk.funds() == ZERO
    cid = opened.id
    after_subsidy = bk.subsidy(cid, "60000.00", on=date(2026, 9, 20))
    assert after_subsidy.status is CampaignStatus.OPEN
    assert after_subsidy.figures.subsidy_received == yuan("60000.00")
    tb = {"1002": ("60000.00", "0.00"), "450102": ("0.00", "60000.00")}
    assert bk.trial_balance() == tb
    assert bk.funds() == funds("60000.00", "0.00", "60000.00", "0.00")

    # --- 315 payments from a WeChat-style export, with a duplicate line and an unknown payer ----
    vacant = [roll[i] for i in VACANT]
    assert [h.share for h in vacant] == [yuan("22.09"), yuan("22.08")]
    payers = [h for i, h in enumerate(roll) if i not in VACANT]
    random.Random(315).shuffle(payers)
    lines = [(wechat_reference(n), h.key, s(h.share),
              (date(2026, 10, 1) + timedelta(days=n % 14)).isoformat())
             for n, h in enumerate(payers, start=1)]
    stranger = (wechat_reference(999), HouseKey("9", "1", "101"), "22.08", "2026-10-03")
    export = wechat_csv([*lines[:200], lines[99], *lines[200:], stranger])
    before = snapshot(bk.engine)
    seen = pay_uc.import_payments(uow, fm, cid, export, method=PaymentMethod.WECHAT,
                                  filename="微信支付账单.csv", commit=False)
    assert snapshot(bk.engine) == before
    assert seen.reconciliation is not None
    assert (seen.written, seen.recorded) == (False, 0)
    assert seen.reconciliation.counts == {Match.MATCHED: 315, Match.PARTIAL: 0,
                                          Match.OVERPAID: 0, Match.UNMATCHED: 1,
                                          Match.DUPLICATE: 1}
    entries = bk.entry_count()
    done = pay_uc.import_payments(uow, fm, cid, export, method=PaymentMethod.WECHAT,
                                  filename="微信支付账单.csv")
    assert (done.written, done.recorded, done.problems) == (True, 315, ())
    assert bk.entry_count() == entries + 315
    report = done.report()
    assert report["counts"] == {"matched": 315, "partial": 0, "overpaid": 0, "unmatched": 1,
                                "duplicate": 1}
    flagged = [(line["line"], line["reference"], line["household"], line["match"])
               for line in report["lines"] if line["match"] != "matched"]  # type: ignore[attr-defined,index]
    assert flagged == [(202, lines[99][0], str(lines[99][1]), "duplicate"),
                       (318, wechat_reference(999), "9-1-101", "unmatched")]
    [kept_file] = [i for i in pay_uc.imports(uow, cid) if i["kind"] == "payments"]
    assert (kept_file["filename"], kept_file["id"]) == ("微信支付账单.csv", done.import_id)
    assert kept_file["report"]["recorded"] == 315  # type: ignore[index]

    recorded = pay_uc.payments(uow, cid)
    assert len(recorded) == 315
    assert sorted(p.reference for p in recorded) == sorted(line[0] for line in lines)
    assert {p.household for p in recorded} == {h.key for h in payers}
    assert {p.method for p in recorded} == {PaymentMethod.WECHAT}
    assert posted(uow, recorded[0].entry_seq) == [("1002", "debit", s(recorded[0].amount)),
                                                 ("410102", "credit", s(recorded[0].amount))]
    running = bk.get(cid)
    assert (running.status, running.paid_up, running.asked) == (CampaignStatus.OPEN, 315, 317)
    assert running.figures.households_paid == yuan("6955.83")  # 7,000.00 - 22.09 - 22.08
    assert running.figures.restricted == yuan("66955.83")
    tb |= {"1002": ("66955.83", "0.00"), "410102": ("0.00", "6955.83")}
    assert bk.trial_balance() == tb
    assert bk.funds() == funds("66955.83", "0.00", "66955.83", "0.00")

    # --- the volunteers' list: the two flats nobody answers ------------------------------------
    left = uc.door_to_door(uow, cid)
    assert {b: [h.key for h in found] for b, found in left.items()} == {
        vacant[0].key.building: [vacant[0].key], vacant[1].key.building: [vacant[1].key]}
    for household in vacant:
        marked = bk.mark(cid, household, HouseholdStatus.UNREACHABLE, "空置房，多次上门无人")
        assert (marked.status, marked.reason, marked.owed) == (
            HouseholdStatus.UNREACHABLE, "空置房，多次上门无人", yuan("0.00"))
    assert uc.door_to_door(uow, cid) == {}
    short = bk.get(cid)
    assert (short.asked, short.paid_up, short.status) == (315, 315, CampaignStatus.OPEN)
    assert (short.figures.shortfall, short.figures.assigned, short.figures.unassigned) == (
        yuan("44.17"), yuan("0.00"), yuan("44.17"))

    # --- the shortfall goes to the subsidy (the campaign's named source) ------------------------
    assigned = uc.assign_shortfall(uow, fm, cid, note="街道同意补足两户空置房份额")
    assert (assigned.figures.assigned, assigned.figures.unassigned, assigned.figures.subsidy
            ) == (yuan("44.17"), yuan("0.00"), yuan("60044.17"))
    assert assigned.status is CampaignStatus.OPEN  # pledged, not yet received
    assert bk.trial_balance() == tb  # an assignment is not in the books
    topped = bk.subsidy(cid, "44.17", on=date(2026, 10, 20))
    assert topped.status is CampaignStatus.FUNDED
    assert topped.figures.restricted == yuan("67000.00")
    tb |= {"1002": ("67000.00", "0.00"), "450102": ("0.00", "60044.17")}
    assert bk.trial_balance() == tb
    assert bk.funds() == funds("67000.00", "0.00", "67000.00", "0.00")

    # --- the contractor, in two payments: restricted money spent and released ------------------
    half = bk.contractor(cid, "40000.00", on=date(2026, 11, 10))
    assert (half.status, half.figures.spent, half.figures.spent_restricted,
            half.figures.to_pay, half.figures.restricted) == (
        CampaignStatus.FUNDED, yuan("40000.00"), yuan("40000.00"), yuan("27000.00"),
        yuan("27000.00"))
    tb |= {"1002": ("27000.00", "0.00"), "5101": ("40000.00", "0.00"),
           "3102": ("40000.00", "0.00"), "3101": ("0.00", "40000.00")}
    assert bk.trial_balance() == tb
    assert bk.funds() == funds("27000.00", "0.00", "27000.00", "0.00")
    paid = bk.contractor(cid, "27000.00", on=date(2026, 11, 25))
    assert (paid.status, paid.figures.to_pay, paid.figures.restricted) == (
        CampaignStatus.CONTRACTOR_PAID, yuan("0.00"), yuan("0.00"))

    # --- closed: nothing left over, the restricted balance is zero ------------------------------
    closed = bk.close(cid, on=date(2026, 11, 30))
    assert closed.status is CampaignStatus.CLOSED
    assert (closed.figures.restricted, closed.figures.spent, closed.figures.households_paid,
            closed.figures.subsidy_received) == (yuan("0.00"), yuan("67000.00"),
                                                 yuan("6955.83"), yuan("60044.17"))
    assert bk.trial_balance() == {"1002": ("0.00", "0.00"),
                                  "3101": ("0.00", "67000.00"),
                                  "3102": ("67000.00", "0.00"),
                                  "410102": ("0.00", "6955.83"),
                                  "450102": ("0.00", "60044.17"),
                                  "5101": ("67000.00", "0.00")}
    assert bk.funds() == ZERO  # the foundation's available funds are as they were

    # --- every household's receipt: unique codes, each finds its own payment ---------------------
    codes = [p.receipt_code for p in recorded]
    assert len(set(codes)) == 315
    for payment in recorded[:40]:
        found = pay_uc.receipt(uow, payment.receipt_code)
        assert (found.code, found.campaign_id, found.household, found.amount, found.paid_on,
                found.entry_seq, found.refunded) == (
            payment.receipt_code, cid, payment.household, payment.amount, payment.paid_on,
            payment.entry_seq, yuan("0.00"))
        assert found.community == "俞范东路小区"
    typed = recorded[-1].receipt_code.replace("-", " ").lower()
    assert pay_uc.receipt(uow, typed).code == recorded[-1].receipt_code
    assert {pay_uc.receipt(uow, c).household for c in codes} == {h.key for h in payers}
