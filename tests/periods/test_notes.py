"""The notes of the statement pack and the general-ledger detail, on SQLite and on PostgreSQL:
the fund's deposits and their split (parts adding up), its exposure by member at the period's
end, the foundation's grants schedule (paid in the period, to date, outstanding) and campaigns
schedule, each tied to the statements of the same period; and ledger_lines, every posting of
the period exactly once, in order, across batch boundaries."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import text

from ledger import grants as grants_uc
from ledger import mutual_aid as ma
from ledger.core.errors import InvalidInput, UnknownEntity
from ledger.core.money import from_minor
from ledger.statements import (
    CampaignLine,
    DepositNote,
    ExposureLine,
    GrantLine,
    LedgerLine,
    Pack,
    ledger_lines,
    statement_pack,
)

from .helpers import Books, build_year, yuan


def exposure_ties(pack: Pack) -> None:
    """The advances the exposure note shows are the receivables of the balance sheet."""
    advanced = sum((line.advanced for line in pack.exposure), yuan("0.00"))
    assert advanced == from_minor(pack.statement("position").line("receivables").values[0])


def grants_tie(pack: Pack) -> None:
    """What the grants schedule shows outstanding is the balance sheet's grants payable."""
    outstanding = sum((line.outstanding for line in pack.grants), yuan("0.00"))
    assert outstanding == from_minor(pack.statement("position").line("grants_payable").values[0])


def deposits_tie(pack: Pack) -> None:
    """The operating shares of the deposits noted are the period's dues income."""
    assert pack.deposits is not None
    dues = pack.statement("activities").line("dues").values[0]
    assert pack.deposits.operating == from_minor(dues)


def test_the_notes_of_a_year(bk: Books) -> None:
    year = build_year(bk)
    fund = statement_pack(bk.uow, "fund", "2026")
    assert (fund.grants, fund.campaigns) == ((), ())
    assert fund.deposits == DepositNote(
        count=1, received=yuan("350000.00"), operating=yuan("105000.00"),
        foundation=yuan("245000.00"), reversed=yuan("0.00"), parts_add_up=True)
    deposits_tie(fund)
    # the foundation's shares of the deposits came in as cash (the payable)
    assert fund.deposits.foundation == from_minor(
        fund.statement("cash_flows").line("other_in").values[0])
    assert statement_pack(bk.uow, "fund", "2025").deposits == DepositNote(
        count=1, received=yuan("100000.00"), operating=yuan("30000.00"),
        foundation=yuan("70000.00"), reversed=yuan("0.00"), parts_add_up=True)

    # --- exposure by member at the period's end ------------------------------------------------
    assert fund.exposure == (ExposureLine(
        member=year.other.name_zh, credit_code=year.other.credit_code,
        outstanding=yuan("50000.00"), advanced=yuan("50000.00")),)
    exposure_ties(fund)
    february = statement_pack(bk.uow, "fund", "2026-02")
    assert february.exposure == (ExposureLine(
        member=year.yongyao.name_zh, credit_code=year.yongyao.credit_code,
        outstanding=yuan("100000.00"), advanced=yuan("100000.00")),)
    exposure_ties(february)
    assert february.deposits == DepositNote(
        count=0, received=yuan("0.00"), operating=yuan("0.00"), foundation=yuan("0.00"),
        reversed=yuan("0.00"), parts_add_up=True)
    march = statement_pack(bk.uow, "fund", "2026-03")  # repaid on 15 March
    assert march.exposure == ()
    exposure_ties(march)

    # --- the foundation's grants schedule ------------------------------------------------------
    found = statement_pack(bk.uow, "foundation", "2026")
    assert (found.deposits, found.exposure) == (None, ())
    line = GrantLine(grant_id=year.grant.id, grantee=year.grant.grantee,
                     committed_on=date(2026, 4, 15), approved=yuan("120000.00"),
                     paid_in_period=yuan("60000.00"), paid_to_date=yuan("60000.00"),
                     outstanding=yuan("60000.00"), status="active", evaluation=None)
    assert found.grants == (line,)
    grants_tie(found)
    april = statement_pack(bk.uow, "foundation", "2026-04")  # committed, nothing paid
    assert april.grants == (GrantLine(
        grant_id=year.grant.id, grantee=year.grant.grantee, committed_on=date(2026, 4, 15),
        approved=yuan("120000.00"), paid_in_period=yuan("0.00"), paid_to_date=yuan("0.00"),
        outstanding=yuan("120000.00"), status="active", evaluation=None),)
    grants_tie(april)
    may = statement_pack(bk.uow, "foundation", "2026-05")
    assert [(g.paid_in_period, g.paid_to_date, g.outstanding) for g in may.grants] == [
        (yuan("60000.00"), yuan("60000.00"), yuan("60000.00"))]
    grants_tie(may)
    june = statement_pack(bk.uow, "foundation", "2026-06")
    assert [(g.paid_in_period, g.paid_to_date) for g in june.grants] == [
        (yuan("0.00"), yuan("60000.00"))]
    assert statement_pack(bk.uow, "foundation", "2026-03").grants == ()  # not yet committed

    # --- the campaigns schedule ----------------------------------------------------------------
    assert found.campaigns == (CampaignLine(
        campaign_id=year.campaign.id, title="俞范东路小区楼道窗户维修", community="俞范东路小区",
        target=yuan("1000.00"), raised=yuan("1000.00"), households_paid=4, households=4,
        shortfall=yuan("0.00"), shortfall_sources="", leftover_rule="refund",
        status="contractor_paid"),)
    ledger_lines_yield_every_posting_once_in_order(bk)


def deposits_of_a_month_with_a_reversal_and_odd_fen(bk: Books) -> None:
    member = bk.member()
    odd = bk.deposit(member.id, "1000.05", date(2026, 5, 3))
    assert (odd.operating, odd.foundation) == (yuan("300.01"), yuan("700.04"))  # odd fen
    thirds = bk.deposit(member.id, "333.33", date(2026, 5, 10))
    assert (thirds.operating, thirds.foundation) == (yuan("99.99"), yuan("233.34"))
    typo = bk.deposit(member.id, "500.00", date(2026, 5, 12))
    ma.reverse_deposit(bk.uow, bk.fm, typo.id, reason="重复录入 typed twice",
                       on=date(2026, 5, 20))
    bk.deposit(member.id, "10.00", date(2026, 6, 1))  # another month
    may = statement_pack(bk.uow, "fund", "2026-05")
    # received counts every deposit of the month; the split is net of the one reversed
    assert may.deposits == DepositNote(
        count=3, received=yuan("1833.38"), operating=yuan("400.00"),
        foundation=yuan("933.38"), reversed=yuan("500.00"), parts_add_up=True)
    deposits_tie(may)
    year = statement_pack(bk.uow, "fund", "2026")
    assert year.deposits is not None
    assert (year.deposits.count, year.deposits.received) == (4, yuan("1843.38"))
    deposits_tie(year)


def exposure_of_a_service_approved_but_not_advanced(bk: Books) -> None:
    member = bk.member()
    bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.service(member.id, "2000000.00", date(2026, 3, 1), advance_on=None,
               end=date(2026, 6, 1))  # the bank bridges it; the fund pays nothing out
    advanced = bk.service(member.id, "100000.00", date(2026, 3, 5),
                          advance_on=date(2026, 3, 5), end=date(2026, 4, 5))
    march = statement_pack(bk.uow, "fund", "2026-03")
    assert [(e.outstanding, e.advanced) for e in march.exposure] == [
        (yuan("2100000.00"), yuan("100000.00"))]
    exposure_ties(march)
    bk.repay(advanced.id, date(2026, 4, 5))
    april = statement_pack(bk.uow, "fund", "2026-04")
    assert [(e.outstanding, e.advanced) for e in april.exposure] == [
        (yuan("2000000.00"), yuan("0.00"))]
    exposure_ties(april)
    assert statement_pack(bk.uow, "fund", "2026-02").exposure == ()  # before the bridges


def ledger_lines_yield_every_posting_once_in_order(bk: Books) -> None:
    bk.voucher("foundation", date(2027, 1, 2), ("5201", "debit", "1.00"),
               ("1002", "credit", "1.00"))  # after the year: not in it
    with bk.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.code, p.effective_date, p.entry_seq, p.line, e.memo, p.debit, p.credit"
            " FROM postings p JOIN accounts a ON a.id = p.account_id"
            " JOIN journal_entries e ON e.seq = p.entry_seq WHERE a.entity = 'foundation'"
            " AND p.effective_date >= :start AND p.effective_date <= :end"),
            {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}).all()
    # by account, date, entry and line (Python's order of the codes, not the database's)
    rows.sort(key=lambda r: (r.code, str(r.effective_date), r.entry_seq, r.line))
    expected = [LedgerLine(seq=r.entry_seq, effective_date=date.fromisoformat(
                    str(r.effective_date)), account=r.code, memo=r.memo, debit=int(r.debit),
                           credit=int(r.credit)) for r in rows]
    # 14 entries of two lines: the transfer, two incomes, a release, the grant's commitment
    # and tranche, a voucher, the subsidy, four payments, the contractor and its release
    assert len(expected) == 28

    batches = list(ledger_lines(bk.uow, "foundation", "2026", batch=7))
    assert [len(b) for b in batches] == [7, 7, 7, 7]
    found = list(itertools.chain.from_iterable(batches))
    assert found == expected
    assert [(x.account, x.effective_date, x.seq) for x in found] == sorted(
        (x.account, x.effective_date, x.seq) for x in found)
    # batches end inside an account's run: the keyset carries on where the last one stopped
    assert any(batches[n][-1].account == batches[n + 1][0].account
               for n in range(len(batches) - 1))
    assert list(ledger_lines(bk.uow, "foundation", "2026")) == [expected]
    assert [len(b) for b in ledger_lines(bk.uow, "foundation", "2026", batch=27)] == [27, 1]
    assert sum(len(b) for b in ledger_lines(bk.uow, "fund", "2026-02", batch=1)) == 2
    assert list(ledger_lines(bk.uow, "fund", "2027-03")) == []
    with pytest.raises(InvalidInput):
        next(ledger_lines(bk.uow, "fund", "2027-13"))
    with pytest.raises(UnknownEntity):
        next(ledger_lines(bk.uow, "chamber", "2026"))


def ledger_lines_keep_two_lines_of_one_account_in_one_entry(bk: Books) -> None:
    bk.income("100.00", date(2026, 3, 1))
    seq = bk.manual("foundation", date(2026, 3, 2), ("5201", "debit", "1.00"),
                    ("5201", "debit", "2.00"), ("1002", "credit", "3.00"))
    for batch in (1, 2, 3, 100):
        found = [x for b in ledger_lines(bk.uow, "foundation", "2026-03", batch=batch)
                 for x in b]
        assert [(x.account, x.seq, x.debit, x.credit) for x in found] == [
            ("1002", seq - 1, 10000, 0), ("1002", seq, 0, 300), ("450101", seq - 1, 0, 10000),
            ("5201", seq, 100, 0), ("5201", seq, 200, 0)], batch


def notes_need_a_known_entity_and_period(bk: Books) -> None:
    with pytest.raises(UnknownEntity):
        statement_pack(bk.uow, "chamber", "2026")
    with pytest.raises(InvalidInput):
        statement_pack(bk.uow, "fund", "2026-00")
    empty = statement_pack(bk.uow, "foundation", "2026-02")
    assert (empty.grants, empty.campaigns, empty.exposure, empty.deposits) == ((), (), (),
                                                                              None)
    assert all(v == 0 for s in empty.statements for line in s.lines
               for v in (*line.values, *line.previous))


def test_notes_and_lines_of_smaller_books(bk: Books) -> None:
    deposits_of_a_month_with_a_reversal_and_odd_fen(bk)
    exposure_of_a_service_approved_but_not_advanced(bk)
    ledger_lines_keep_two_lines_of_one_account_in_one_entry(bk)
    notes_need_a_known_entity_and_period(bk)


# --- the notes as of the period's end, whatever happened after --------------------------------
def test_a_later_reversal_leaves_the_earlier_deposits_note_alone(bk: Books) -> None:
    member = bk.member()
    deposit = bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.close("fund", "2026-01")
    bk.sign("fund", "2026-01")
    signed = statement_pack(bk.uow, "fund", "2026-01").deposits
    assert signed == DepositNote(
        count=1, received=yuan("350000.00"), operating=yuan("105000.00"),
        foundation=yuan("245000.00"), reversed=yuan("0.00"), parts_add_up=True)
    ma.reverse_deposit(bk.uow, bk.fm, deposit.id, reason="打错金额 wrong amount",
                       on=date(2026, 2, 5))
    january = statement_pack(bk.uow, "fund", "2026-01")
    deposits_tie(january)
    assert january.deposits == signed


def test_an_advance_paid_after_the_period_end_is_not_in_its_exposure(bk: Books) -> None:
    member = bk.member()
    bk.deposit(member.id, "350000.00", date(2026, 1, 10))
    bk.service(member.id, "80000.00", date(2026, 12, 28), advance_on=date(2027, 1, 4),
               end=date(2027, 2, 1))
    december = statement_pack(bk.uow, "fund", "2026-12")
    assert [(e.outstanding, e.advanced) for e in december.exposure] == [
        (yuan("80000.00"), yuan("0.00"))]
    exposure_ties(december)


def test_a_grant_closed_after_the_period_end_is_outstanding_at_it(bk: Books) -> None:
    bk.income("300000.00", date(2026, 1, 5))
    grant = bk.grant("120000.00", "60000.00", "60000.00", committed_on=date(2026, 4, 15))
    bk.tranche(grant.id, 1, date(2026, 5, 1))
    june = statement_pack(bk.uow, "foundation", "2026-06")
    grants_tie(june)  # holds while the grant is active
    grants_uc.close_grant(bk.uow, bk.fm, grant.id, on=date(2026, 7, 10),
                          reason="项目提前结束 ended early")
    june = statement_pack(bk.uow, "foundation", "2026-06")
    assert [(g.paid_to_date, g.outstanding) for g in june.grants] == [
        (yuan("60000.00"), yuan("60000.00"))]
    grants_tie(june)


def test_the_campaigns_schedule_is_as_of_the_period_end(bk: Books) -> None:
    campaign = bk.campaign("1000.00", "400.00", households=4)
    bk.subsidy(campaign.id, "400.00", date(2026, 9, 20))
    for household in bk.roll(campaign.id):
        bk.pay(campaign.id, household, date(2026, 10, 2))
    june = statement_pack(bk.uow, "foundation", "2026-06")
    assert june.statement("cash_flows").line("closing_cash").values == (0,)
    assert [(c.raised, c.households_paid) for c in june.campaigns
            if (c.raised, c.households_paid) != (yuan("0.00"), 0)] == []
