"""The database guards of migration 0007, tried with raw SQL behind the use cases' back, on
SQLite and on PostgreSQL: kept records never changed or deleted, campaigns never deleted, the
roll fixed once a campaign is open (a share only grows, a payer stays asked), payments only from
a household asked to pay on the campaign's own roll, refunds within what was paid, the
contractor within the cost, shortfall within the unasked shares, a campaign ends at a zero
restricted balance, its terms fixed once open and nothing changed once it ended.

Every statement runs in a transaction of its own. A refused one must name the rule that
refused it; a control that must be accepted is rolled back afterwards, and so is anything a
guard wrongly lets through, so the books stay sound for the after-test checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text

from ledger import campaign_payments as pay_uc
from ledger import campaigns as uc
from ledger.core.campaigns import HouseholdStatus, LeftoverRule, PaymentMethod, Source

from ..raw_sql import Guards, attempt
from .helpers import Books, payments_csv, snapshot, yuan

KEPT = ("campaign_imports", "campaign_subsidies", "campaign_payments", "campaign_refunds",
        "campaign_shortfalls", "campaign_contractor_payments", "campaign_leftovers")
KEPT_WORDS = ("records are kept", "append-only")  # SQLite's message, PostgreSQL's
STAMP = "2026-11-01 08:00:00+00:00"
TERMS = ("a campaign keeps its terms once open, moves forward only, and ends for good",)
AT_ZERO = ("a campaign ends with its restricted balance at zero",)
IN_DRAFT = ("the roll is imported while the campaign is a draft",)
ROLL_KEPT = ("the roll is kept once the campaign is open",)
HOUSEHOLD = ("a household keeps its place, its share only grows, and a payer stays asked",)
ON_ROLL = ("a payment comes from a household asked to pay, while the campaign takes payments",)
SUBSIDY = ("subsidy is received before the contractor is paid",)
REFUND = ("a refund is at most what that payer paid, on the same campaign",)
COST = ("the contractor is paid, once funded, at most the quoted cost",)
SHORTFALL = ("more shortfall assigned than the households not asked leave",)


@dataclass
class Kept:
    ids: dict[str, int]


@pytest.fixture
def kept(bk: Books) -> Kept:
    """A row in every table of 0007, campaigns at every stage:
    `draft` (3 households, no money); `open` (1,000.00: 400.00 subsidy received, 4 shares of
    150.00: `payer` paid 150.00 by an imported payment `p1`, `unpaid` and `unpaid2` nothing,
    `unreachable` marked, 100.00 of its 150.00 assigned to the subsidy); `funded` (all paid,
    600.00 of 1,000.00 to the contractor, 400.00 restricted left); `paid` (the contractor
    paid, then a late payment of 5.00); `closed` (50.00 leftover given to the foundation);
    `cancelled` (everything refunded)."""
    lottery = bk.income("100000.00")
    draft = bk.campaign("1000.00", households=3, open_it=False)

    found = bk.campaign("1000.00", "400.00", households=4)
    h = bk.roll(found.id)
    subsidy = bk.subsidy(found.id, "400.00")
    assert subsidy.figures.subsidy_received.amount == 400
    pay_uc.import_payments(bk.uow, bk.fm, found.id,
                           payments_csv([("W-1", h[0].key, "150.00", "2026-10-02")]),
                           method=PaymentMethod.WECHAT)
    bk.mark(found.id, h[3], HouseholdStatus.UNREACHABLE)
    uc.assign_shortfall(bk.uow, bk.fm, found.id, source=Source.SUBSIDY,
                        amount=yuan("100.00"))

    funded = bk.funded()
    bk.contractor(funded.id, "600.00")

    closed = bk.campaign("1000.00", "400.00", households=3, leftover=LeftoverRule.FOUNDATION)
    bk.subsidy(closed.id, "450.00")
    bk.pay_all(closed.id)
    bk.contractor(closed.id, "1000.00")
    bk.close(closed.id, disclosure="余款50.00元转入基金会")

    paid = bk.funded()
    bk.contractor(paid.id, "1000.00")
    bk.pay(paid.id, bk.roll(paid.id)[0], "5.00")  # a late payment: 5.00 restricted left

    cancelled = bk.funded()
    bk.cancel(cancelled.id)

    with bk.engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in KEPT}
        p1 = conn.execute(text("SELECT id FROM campaign_payments WHERE reference = 'W-1'"
                               " AND campaign_id = :c"), {"c": found.id}).scalar_one()
        sub = conn.execute(text("SELECT id FROM campaign_subsidies WHERE campaign_id = :c"),
                           {"c": found.id}).scalar_one()
    assert all(counts.values()), counts  # every table has something to break
    return Kept({
        "draft": draft.id, "open": found.id, "funded": funded.id, "paid": paid.id,
        "closed": closed.id, "cancelled": cancelled.id, "payer": h[0].id, "unpaid": h[1].id,
        "unpaid2": h[2].id,
        "unreachable": h[3].id, "draft_household": bk.roll(draft.id)[0].id,
        "other_household": bk.roll(funded.id)[0].id,
        "closed_household": bk.roll(closed.id)[0].id, "p1": p1, "subsidy": sub,
        "spare_seq": lottery.entry_seq})


# --- running raw SQL --------------------------------------------------------------------------
_guards = Guards(snapshot)
refused, accepted = _guards.refused, _guards.accepted


def household(campaign: str, room: str = "999") -> str:
    return ("INSERT INTO campaign_households (campaign_id, position, building, unit, room,"
            f" contact, phone, share, status) VALUES (:{campaign}, 99, '9', '9', '{room}',"
            " '新住户', '', 15000, 'asked')")


def payment(campaign: str, household: str, reference: str = "RAW-1") -> str:
    return ("INSERT INTO campaign_payments (campaign_id, household_id, amount, paid_on, method,"
            " reference, receipt_code, import_id, entry_seq, created_at, created_by) VALUES"
            f" (:{campaign}, :{household}, 100, '2026-10-02', 'cash', '{reference}',"
            f" 'RAWR-AAAA-0001', NULL, :spare_seq, '{STAMP}', 'raw')")


def refund(campaign: str, amount: int, *, payment: str | None = "p1",
           subsidy: str | None = None) -> str:
    return ("INSERT INTO campaign_refunds (campaign_id, payment_id, subsidy_id, amount,"
            " refunded_on, reason, entry_seq, created_at, created_by) VALUES"
            f" (:{campaign}, {f':{payment}' if payment else 'NULL'},"
            f" {f':{subsidy}' if subsidy else 'NULL'}, {amount}, '2026-11-01', 'raw',"
            f" :spare_seq, '{STAMP}', 'raw')")


def contractor(campaign: str, amount: int) -> str:
    return ("INSERT INTO campaign_contractor_payments (campaign_id, amount, restricted, paid_on,"
            " reference, entry_seq, release_entry_seq, created_at, created_by) VALUES"
            f" (:{campaign}, {amount}, 0, '2026-11-01', '', :spare_seq, NULL, '{STAMP}', 'raw')")


def shortfall(campaign: str, amount: int) -> str:
    return ("INSERT INTO campaign_shortfalls (campaign_id, amount, source, note, created_at,"
            f" created_by) VALUES (:{campaign}, {amount}, 'subsidy', '', '{STAMP}', 'raw')")


def subsidy(campaign: str) -> str:
    return ("INSERT INTO campaign_subsidies (campaign_id, payer, amount, received_on, reference,"
            f" entry_seq, created_at, created_by) VALUES (:{campaign}, '蛟川街道', 100,"
            f" '2026-11-01', '', :spare_seq, '{STAMP}', 'raw')")


# --- kept records -----------------------------------------------------------------------------
def kept_records_are_never_updated_or_deleted(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE campaign_imports SET filename = 'other.csv'",
        "UPDATE campaign_imports SET report = '{}' WHERE kind = 'payments'",
        "UPDATE campaign_subsidies SET amount = amount + 1 WHERE id = :subsidy",
        "UPDATE campaign_subsidies SET payer = payer",  # even a no-op
        "UPDATE campaign_payments SET amount = amount + 1 WHERE id = :p1",
        "UPDATE campaign_payments SET household_id = :unpaid WHERE id = :p1",
        "UPDATE campaign_payments SET receipt_code = 'AAAA-AAAA-AAAA' WHERE id = :p1",
        "UPDATE campaign_refunds SET amount = amount - 1",
        "UPDATE campaign_shortfalls SET amount = 15000",
        "UPDATE campaign_shortfalls SET source = 'foundation'",
        "UPDATE campaign_contractor_payments SET amount = amount - 1",
        "UPDATE campaign_leftovers SET disclosure = ''",
        *[f"DELETE FROM {table}" for table in KEPT],
        "DELETE FROM campaign_payments WHERE id = :p1",
        "DELETE FROM campaign_shortfalls WHERE campaign_id = :open",
        # campaigns are never deleted, not even a draft
        "DELETE FROM campaigns WHERE id = :draft",
        "DELETE FROM campaigns WHERE id = :closed",
    ], KEPT_WORDS)


def truncate_is_refused_on_postgresql(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [f"TRUNCATE {table} CASCADE"
                           for table in (*KEPT, "campaigns", "campaign_households")],
            ("append-only",))


# --- the roll ---------------------------------------------------------------------------------
def the_roll_is_fixed_once_open(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [household("open"), household("funded"), household("closed")],
            IN_DRAFT)
    accepted(engine, kept, household("draft"))
    refused(engine, kept, ["DELETE FROM campaign_households WHERE id = :unpaid",
                           "DELETE FROM campaign_households WHERE id = :unreachable",
                           "DELETE FROM campaign_households WHERE campaign_id = :funded"],
            ROLL_KEPT)
    accepted(engine, kept, "DELETE FROM campaign_households WHERE id = :draft_household")
    refused(engine, kept, [
        "UPDATE campaign_households SET share = share - 1 WHERE id = :unpaid",  # shrink
        "UPDATE campaign_households SET share = 0 WHERE id = :unreachable",
        "UPDATE campaign_households SET status = 'unreachable', reason = 'x' WHERE id = :payer",
        "UPDATE campaign_households SET status = 'exempt', reason = 'x' WHERE id = :payer",
        "UPDATE campaign_households SET room = '999' WHERE id = :unpaid",
        "UPDATE campaign_households SET building = '9' WHERE id = :unpaid",
        "UPDATE campaign_households SET position = 99 WHERE id = :unpaid",
        "UPDATE campaign_households SET campaign_id = :draft WHERE id = :unpaid",
        # nothing changes on the roll of a campaign that ended
        "UPDATE campaign_households SET share = share + 1 WHERE id = :closed_household",
    ], HOUSEHOLD)
    # controls: a share grows (a top-up), a household that never paid is marked
    accepted(engine, kept, "UPDATE campaign_households SET share = share + 1 WHERE id = :unpaid")
    accepted(engine, kept, "UPDATE campaign_households SET status = 'vacant', reason = 'x'"
                           " WHERE id = :unpaid")


# --- money in and out -------------------------------------------------------------------------
def payments_come_from_the_roll(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        payment("open", "other_household"),  # a household of another campaign
        payment("open", "unreachable"),  # not asked to pay
        payment("open", "draft_household"),
        payment("draft", "draft_household"),  # the campaign takes no payments yet
        payment("closed", "closed_household"),  # nor once it ended
        payment("cancelled", "other_household"),
    ], ON_ROLL)
    accepted(engine, kept, payment("open", "unpaid"))


def subsidies_before_the_contractor_is_paid(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [subsidy("closed"), subsidy("cancelled")], SUBSIDY)
    accepted(engine, kept, subsidy("draft"))


def refunds_within_what_was_paid(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        refund("open", 15001),  # p1 was 150.00
        refund("open", 40001, payment=None, subsidy="subsidy"),  # the subsidy was 400.00
        refund("funded", 100),  # p1 is another campaign's payment
        refund("funded", 100, payment=None, subsidy="subsidy"),
    ], REFUND)
    accepted(engine, kept, refund("open", 15000))
    accepted(engine, kept, refund("open", 40000, payment=None, subsidy="subsidy"))
    # two refunds that together pass the payment
    message = attempt(engine, [refund("open", 10000), refund("open", 5001)], kept.ids)
    assert message is not None
    assert REFUND[0] in message


def the_contractor_within_the_cost(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        contractor("funded", 40001),  # 600.00 of 1,000.00 paid
        contractor("open", 100),  # not funded
        contractor("draft", 100),
        contractor("closed", 1),
    ], COST)
    accepted(engine, kept, contractor("funded", 40000))


def shortfall_within_the_unasked_shares(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        shortfall("open", 5001),  # 150.00 unasked, 100.00 assigned
        shortfall("funded", 1),  # nobody unasked
        shortfall("draft", 1),
    ], SHORTFALL)
    accepted(engine, kept, shortfall("open", 5000))


# --- campaigns --------------------------------------------------------------------------------
def a_campaign_ends_at_zero_and_keeps_its_terms(engine: Engine, kept: Kept) -> None:
    refused(engine, kept, [
        "UPDATE campaigns SET status = 'closed' WHERE id = :paid",  # 5.00 restricted
        "UPDATE campaigns SET status = 'cancelled' WHERE id = :funded",  # 400.00
        "UPDATE campaigns SET status = 'cancelled' WHERE id = :open",  # 550.00
    ], AT_ZERO)
    accepted(engine, kept, "UPDATE campaigns SET status = 'cancelled' WHERE id = :draft")
    refused(engine, kept, [
        "UPDATE campaigns SET cost = cost + 100 WHERE id = :open",
        "UPDATE campaigns SET cost = cost - 100 WHERE id = :funded",
        "UPDATE campaigns SET subsidy = subsidy - 100 WHERE id = :open",
        "UPDATE campaigns SET match = match + 100 WHERE id = :open",
        "UPDATE campaigns SET miss_rule = 'all_or_nothing' WHERE id = :open",
        "UPDATE campaigns SET shortfall_source = 'foundation' WHERE id = :open",
        "UPDATE campaigns SET leftover_rule = 'foundation' WHERE id = :open",
        # a campaign that ended never changes: not reopened, not even retitled
        "UPDATE campaigns SET status = 'open' WHERE id = :closed",
        "UPDATE campaigns SET status = 'contractor_paid' WHERE id = :closed",
        "UPDATE campaigns SET status = 'draft' WHERE id = :cancelled",
        "UPDATE campaigns SET title = 'x' WHERE id = :closed",
        # forward only: no step back, no step skipped (the DB does not check the money of a
        # step forward, the use cases do)
        "UPDATE campaigns SET status = 'draft' WHERE id = :open",
        "UPDATE campaigns SET status = 'open' WHERE id = :funded",
        "UPDATE campaigns SET status = 'funded' WHERE id = :paid",
        "UPDATE campaigns SET status = 'draft' WHERE id = :paid",
        "UPDATE campaigns SET status = 'funded' WHERE id = :draft",
        "UPDATE campaigns SET status = 'contractor_paid' WHERE id = :open",
        "UPDATE campaigns SET status = 'closed' WHERE id = :draft",
    ], TERMS)
    # an open campaign sent back to draft could change its terms and roll: not in one
    # transaction either
    message = attempt(engine, ["UPDATE campaigns SET status = 'draft' WHERE id = :open",
                               "UPDATE campaigns SET cost = cost + 100000 WHERE id = :open"],
                      kept.ids)
    assert message is not None
    assert TERMS[0] in message
    accepted(engine, kept, "UPDATE campaigns SET status = 'open' WHERE id = :draft")
    accepted(engine, kept, "UPDATE campaigns SET status = 'funded' WHERE id = :open")
    accepted(engine, kept, "UPDATE campaigns SET status = 'contractor_paid' WHERE id = :funded")
    accepted(engine, kept, "UPDATE campaigns SET cost = cost + 100 WHERE id = :draft")
    accepted(engine, kept, "UPDATE campaigns SET title = '俞范新村楼道窗户维修' WHERE id = :open")


# --- the tests --------------------------------------------------------------------------------
def test_records_are_never_changed_deleted_or_truncated(engine: Engine, kept: Kept) -> None:
    kept_records_are_never_updated_or_deleted(engine, kept)
    if engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE (DELETE is tried above)
        truncate_is_refused_on_postgresql(engine, kept)


def test_the_roll_and_the_money_follow_the_rules(engine: Engine, kept: Kept) -> None:
    the_roll_is_fixed_once_open(engine, kept)
    payments_come_from_the_roll(engine, kept)
    subsidies_before_the_contractor_is_paid(engine, kept)
    refunds_within_what_was_paid(engine, kept)
    the_contractor_within_the_cost(engine, kept)
    shortfall_within_the_unasked_shares(engine, kept)
    a_campaign_ends_at_zero_and_keeps_its_terms(engine, kept)
