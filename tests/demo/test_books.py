"""The demo books (ledger/demo.py) built through the use cases into an empty database, on
SQLite and on PostgreSQL: the chains verify and the trial balances balance; 永耀's deposit and
its split; the grants at their stages; the 俞范 campaign to the household; October signed off
with a Merkle root that proves a resident's payment; income from every source on the public
overview. The demo posts hundreds of entries, so one test builds it and checks it all."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from moneyed import Money

from ledger import bridging, demo, staff
from ledger import campaign_payments as payments
from ledger import campaigns as campaigns_uc
from ledger import grants as grants_uc
from ledger import mutual_aid as ma
from ledger.applications import applications
from ledger.books import trial_balance
from ledger.core import merkle
from ledger.core.campaigns import CampaignStatus, HouseholdStatus, parse_roll
from ledger.core.credit_code import normalise
from ledger.core.errors import InvalidInput
from ledger.core.grants import ApplicationStatus, EvaluationResult, GrantStatus
from ledger.core.money import format_amount, to_minor
from ledger.core.mutual_aid import ServiceStatus
from ledger.core.periods import Opinion, PeriodStatus
from ledger.core.staff import Actor, Role
from ledger.db.chain import verify, verify_audit
from ledger.db.session import UnitOfWork
from ledger.foundation import funds
from ledger.periods import period_state
from ledger.receipt_checks import check_receipt
from ledger.transparency import donations, overview

TODAY = date(2026, 11, 22)


def s(value: Money) -> str:
    """An amount as its canonical string: '105000.00'."""
    return format_amount(value)


def test_the_demo_books(uow: UnitOfWork) -> None:
    assert demo.is_empty(uow)
    summary = demo.load(uow)
    assert not demo.is_empty(uow)

    # --- the books hold: `ledger verify` and both trial balances ------------------------------
    journal, audit = uow.read(verify), uow.read(verify_audit)
    assert journal.ok, journal.reason
    assert audit.ok, audit.reason
    assert (summary.chain_ok, summary.audit_ok, summary.entries) == (True, True, journal.checked)
    assert journal.checked > 300  # 315 payments alone
    for entity in ("fund", "foundation"):
        assert trial_balance(uow, entity, TODAY).balanced, entity

    # --- staff: every role, the four-eyes pair, the demo password -----------------------------
    accounts = {u.username: u.roles for u in staff.users(uow)}
    assert accounts == {"admin": {Role.ADMIN}, "fm1": {Role.FUND_MANAGER},
                        "fm2": {Role.FUND_MANAGER}, "board1": {Role.BOARD_MEMBER},
                        "board2": {Role.BOARD_MEMBER}, "board3": {Role.BOARD_MEMBER},
                        "auditor": {Role.AUDITOR}}
    assert set(summary.usernames) == set(accounts)
    assert summary.password == demo.DEMO_PASSWORD
    assert staff.authenticate(uow, "fm2", demo.DEMO_PASSWORD, "127.0.0.1").username == "fm2"

    # --- the fund: 永耀's 350,000.00 split 105,000.00 / 245,000.00, all transferred -----------
    members = {m.name_zh: m for m in ma.members(uow)}
    assert 3 <= len(members) - 1 <= 5
    assert all(normalise(m.credit_code) == m.credit_code for m in members.values())
    yongyao = members["嘉兴永耀纺织有限公司"]
    [deposit] = ma.deposits(uow, yongyao.id)
    assert (s(deposit.amount), s(deposit.operating), s(deposit.foundation)) == (
        "350000.00", "105000.00", "245000.00")
    others = {s(d.amount) for d in ma.deposits(uow) if d.member_id != yongyao.id}
    assert len(others) >= 3
    assert "350000.00" not in others
    assert ma.owed_deposits(uow) == []  # every 70 % reached the foundation
    assert ma.entitlement(uow, yongyao.id).cap == demo.cny("5000000.00")
    services = {(s(x.loan_amount), x.status) for x in bridging.services(uow)}
    assert services == {("5000000.00", ServiceStatus.REPAID), ("200000.00", ServiceStatus.REPAID),
                        ("1000000.00", ServiceStatus.ACTIVE)}
    assert [s(x.loan_amount) for x in bridging.services(uow) if x.advanced] == ["200000.00"]
    assert all(x.approved_by not in (None, x.requested_by) for x in bridging.services(uow))
    logistics = members["嘉兴恒达物流有限公司"]
    assert s(bridging.exposure(uow, logistics.id).outstanding) == "1000000.00"

    # --- the foundation: a round with grants at every stage, one application rejected --------
    assert Counter(a.status for a in applications(uow)) == {ApplicationStatus.APPROVED: 3,
                                                          ApplicationStatus.REJECTED: 1}
    stages = {g.grantee: g for g in grants_uc.grants(uow)}
    canteen = stages["嘉兴市秀洲区新塍镇长者服务中心"]
    assert (canteen.status, s(canteen.paid), canteen.evaluation_passed) == (
        GrantStatus.COMPLETED, "180000.00", True)
    assert canteen.evaluations[-1].result is EvaluationResult.PASSED
    classes = stages["秀洲区新塍青少年成长服务社"]
    assert (classes.status, s(classes.paid), len(classes.tranches)) == (
        GrantStatus.ACTIVE, "75000.00", 2)
    kit = stages["新塍镇应急救援队"]
    assert (kit.status, s(kit.paid), s(kit.amount)) == (GrantStatus.ACTIVE, "0.00", "120000.00")
    assert s(funds(uow).committed) == "195000.00"  # 75,000.00 + 120,000.00 owed

    # --- the 俞范 campaign: 317 households, 315 paid, 2 unreachable, closed -------------------
    [campaign] = campaigns_uc.campaigns(uow)
    roll = campaigns_uc.households(uow, campaign.id)
    assert (campaign.community, campaign.households, campaign.paid_up) == ("俞范东路小区", 317, 315)
    assert Counter(h.share for h in roll) == {demo.cny("22.09"): 64, demo.cny("22.08"): 253}
    assert Counter(h.status for h in roll) == {HouseholdStatus.ASKED: 315,
                                               HouseholdStatus.UNREACHABLE: 2}
    assert len({h.key.building for h in roll}) == 12
    figures = campaign.figures
    assert (campaign.status, s(figures.spent), s(figures.restricted)) == (
        CampaignStatus.CLOSED, "67000.00", "0.00")
    assert (s(figures.subsidy_received), s(figures.households_paid), s(figures.shortfall),
            s(figures.unassigned)) == ("60044.17", "6955.83", "44.17", "0.00")
    paid = payments.payments(uow, campaign.id)
    assert len(paid) == 315
    assert {p.paid_on.month for p in paid} == {10}
    assert len(payments.imports(uow, campaign.id)) == 3  # the roll and two WeChat exports

    # --- October signed off in both books; a printed receipt code proves its payment ----------
    for entity in ("fund", "foundation"):
        for label in demo.SIGNED_MONTHS:
            state = period_state(uow, entity, label)
            assert state.status is PeriodStatus.CLOSED, (entity, label)
            assert state.signoff is not None, (entity, label)
            assert state.signoff.opinion is Opinion.UNQUALIFIED
            assert state.close is not None
            assert state.close.root is not None
    assert len(summary.signed) == 2
    assert len(summary.receipt_codes) == 5
    for code in summary.receipt_codes:
        found = check_receipt(uow, code)
        october = found.periods[0]
        assert (october.state.period.label, october.signed) == ("2026-10", True)
        assert october.proof is not None
        assert october.state.close is not None
        assert merkle.verify(october.proof, root_hex=october.state.close.root, code=code,
                             amount_fen=to_minor(found.receipt.amount)).ok
        assert not merkle.verify(october.proof, root_hex=october.state.close.root, code=code,
                                 amount_fen=to_minor(found.receipt.amount) + 1).ok

    # --- the public overview: income from every source ----------------------------------------
    year = overview(uow, 2026)
    income = {a.key: s(a.amount) for a in year.income}
    assert {k for k, v in income.items() if v == "0.00"} == {"other"}, income
    assert (income["mutual_aid_fund"], income["repair_subsidies"], income["crowdfunding"]) == (
        "819000.00", "60044.17", "6955.83")
    assert (year.deposits.count, s(year.deposits.received)) == (6, "1170000.00")
    spending = {a.key: s(a.amount) for a in year.spending}
    assert (spending["grants"], spending["repairs"]) == ("255000.00", "67000.00")
    assert "匿名 / Anonymous" in {d.donor for d in donations(uow, 2026)}


def test_the_generated_files_are_the_same_every_time() -> None:
    """The roll and the flats are made by a seeded generator: every load has the same
    households, shares and payment lines (only receipt codes and hashes differ)."""
    keys = demo.flats()
    assert len(keys) == len(set(keys)) == 317
    assert demo.flats() == keys
    data = demo.roll_csv(keys)
    assert data == demo.roll_csv(demo.flats())
    assert data.startswith(b"\xef\xbb\xbf")
    preview = parse_roll(data)
    assert preview.problems == ()
    assert sorted(line.key for line in preview.rows) == sorted(keys)
    assert len({line.phone for line in preview.rows}) == 317
    codes = [demo.credit_code(x.code17) for x in (*demo.ENTERPRISES, *demo.ORGANISATIONS)]
    assert [normalise(c) for c in codes] == codes
    assert len(set(codes)) == len(codes)


def test_a_weak_password_is_refused_before_anything_is_written(uow: UnitOfWork) -> None:
    with pytest.raises(InvalidInput):
        demo.load(uow, password="password123")
    assert demo.is_empty(uow)
    staff.create_user(uow, Actor.system("test"), username="wang", display_name="王",
                      password="a long test password 甲乙", roles=["admin"])
    with pytest.raises(demo.NotEmpty):
        demo.load(uow)
    assert [u.username for u in staff.users(uow)] == ["wang"]
