"""What may be dated inside a period as it closes, on SQLite and on PostgreSQL: while closing,
the entries of business records (deposits, transfers, expenses, bridging, income, grants,
campaigns) are refused and only adjusting entries go in (vouchers, admins' manual entries,
reversals); once closed, nothing does, by the use cases or by raw SQL. Another entity's period
and the days around the period are unaffected; a year and a month of it close independently."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import books, bridging
from ledger import mutual_aid as ma
from ledger import periods as uc
from ledger import vouchers as vouchers_uc
from ledger.core.errors import ClosedPeriod
from ledger.core.grants import IncomeSource
from ledger.core.periods import PeriodStatus

from .helpers import Books, raw_entry, refused, yuan


@pytest.fixture
def fund_closing(bk: Books) -> dict[str, int]:
    """The fund's March 2026 is closing; a member with a deposit of February (not transferred)
    and one of March posted before the close started; a campaign open for payments; the
    foundation has money."""
    member = bk.member()
    february = bk.deposit(member.id, "350000.00", date(2026, 2, 20))
    march = bk.deposit(member.id, "10000.00", date(2026, 3, 5))
    bk.income("500000.00", date(2026, 1, 5))
    campaign = bk.campaign("700.00", "100.00", households=4)  # 4 shares of 150.00
    manual = bk.manual("fund", date(2026, 3, 6), ("5201", "debit", "10.00"),
                       ("1002", "credit", "10.00"))
    state = bk.close("fund", "2026-02")  # February closed, March closing
    assert state.status is PeriodStatus.CLOSED
    assert uc.start_closing(bk.uow, bk.admin, "fund", "2026-03").status is PeriodStatus.CLOSING
    return {"member": member.id, "february": february.id, "march": march.id,
            "campaign": campaign.id, "manual": manual}


CLOSING = "only adjusting entries are dated inside a closing period"
CLOSED = "closed period"


def test_business_entries_are_refused_while_closing(bk: Books, fund_closing: dict[str, int]
                                                    ) -> None:
    member, on = fund_closing["member"], date(2026, 3, 20)
    error = refused(bk.engine, ClosedPeriod, lambda: bk.deposit(member, "5000.00", on))
    assert "closing" in str(error)
    refused(bk.engine, ClosedPeriod, lambda: bk.transfer(on))
    refused(bk.engine, ClosedPeriod, lambda: bk.expense("100.00", on))
    service = bridging.request_service(bk.uow, bk.fm, member_id=member, bank="嘉兴银行",
                                       loan_amount=yuan("1000.00"), bridge_from=on,
                                       bridge_to=date(2026, 4, 30))
    bridging.approve_service(bk.uow, bk.fm2, service.id)
    refused(bk.engine, ClosedPeriod, lambda: bridging.activate_service(
        bk.uow, bk.fm, service.id, advance=True, on=on))
    # without an advance the bridge posts nothing: it starts
    assert bridging.activate_service(bk.uow, bk.fm, service.id, advance=False,
                                     on=on).status == "active"
    # the first and the last day of the period as well
    refused(bk.engine, ClosedPeriod, lambda: bk.deposit(member, "5000.00", date(2026, 3, 1)))
    refused(bk.engine, ClosedPeriod, lambda: bk.deposit(member, "5000.00", date(2026, 3, 31)))
    # the database refuses the same by raw SQL; adjustments and other days it accepts
    assert CLOSING in (raw_entry(bk.engine, "fund", "2026-03-20", "deposit") or "")
    assert CLOSING in (raw_entry(bk.engine, "fund", "2026-03-31", "campaign") or "")
    assert raw_entry(bk.engine, "fund", "2026-03-20", "voucher") is None
    assert raw_entry(bk.engine, "fund", "2026-03-20", None) is None
    assert raw_entry(bk.engine, "fund", "2026-03-20", "deposit",
                     reverses=fund_closing["manual"]) is None
    assert raw_entry(bk.engine, "fund", "2026-04-01", "deposit") is None
    assert raw_entry(bk.engine, "foundation", "2026-03-20", "income") is None


def test_adjusting_entries_are_accepted_while_closing(bk: Books, fund_closing: dict[str, int]
                                                      ) -> None:
    before = bk.balances("fund", date(2026, 3, 31))
    voucher = bk.voucher("fund", date(2026, 3, 31), ("5201", "debit", "250.00"),
                         ("1002", "credit", "250.00"))
    assert voucher.status == "approved"
    assert books.entry(bk.uow, voucher.entry_seq or 0).effective_date == date(2026, 3, 31)
    manual = bk.manual("fund", date(2026, 3, 15), ("1001", "debit", "80.00"),
                       ("1002", "credit", "80.00"))
    reversal = books.reverse_entry(bk.uow, fund_closing["manual"], actor="admin1",
                                   effective_date=date(2026, 3, 10), by=bk.admin)
    assert reversal.reverses == fund_closing["manual"]
    # a deposit's reversal is an adjustment too (its own use case reverses it)
    reversed_deposit = ma.reverse_deposit(bk.uow, bk.fm, fund_closing["march"],
                                          reason="重复录入 typed twice", on=date(2026, 3, 25))
    assert reversed_deposit.reversal_seq is not None
    after = bk.balances("fund", date(2026, 3, 31))
    assert after["5201"] - before["5201"] == 25000 - 1000  # the voucher less the reversal
    assert after["1001"] - before.get("1001", 0) == 8000
    assert after["1002"] - before["1002"] == -25000 - 8000 + 1000 - 1000000
    assert books.entry(bk.uow, manual).entity == "fund"


def test_other_entities_and_days_around_are_unaffected(bk: Books,
                                                       fund_closing: dict[str, int]) -> None:
    member = fund_closing["member"]
    # the days just before and after the fund's March: February is closed, April is open
    refused(bk.engine, ClosedPeriod, lambda: bk.deposit(member, "5000.00", date(2026, 2, 28)))
    # a transfer dated in the fund's closing March is refused as a whole: no foundation entry
    count = bk.entry_count()
    refused(bk.engine, ClosedPeriod, lambda: bk.transfer(date(2026, 3, 20)))
    assert bk.entry_count() == count
    after = bk.deposit(member, "5000.00", date(2026, 4, 1))
    assert after.received_on == date(2026, 4, 1)
    # the foundation's March is open: its business entries go in
    income = bk.income("1000.00", date(2026, 3, 20), source=IncomeSource.WELFARE_LOTTERY)
    assert books.entry(bk.uow, income.entry_seq).effective_date == date(2026, 3, 20)
    household = bk.roll(fund_closing["campaign"])[0]
    paid = bk.pay(fund_closing["campaign"], household, date(2026, 3, 20))
    assert paid.paid_on == date(2026, 3, 20)
    transfer = bk.transfer(date(2026, 4, 2))
    # 70 % of the deposits of February (350,000.00), March (10,000.00) and April (5,000.00)
    assert transfer.amount == yuan("255500.00")


def test_the_foundations_business_entries_are_refused_while_its_period_closes(
        bk: Books, fund_closing: dict[str, int]) -> None:
    uc.start_closing(bk.uow, bk.admin, "foundation", "2026-10")
    household = bk.roll(fund_closing["campaign"])[0]
    refused(bk.engine, ClosedPeriod, lambda: bk.income("1000.00", date(2026, 10, 8)))
    refused(bk.engine, ClosedPeriod, lambda: bk.pay(fund_closing["campaign"], household,
                                                    date(2026, 10, 8)))
    refused(bk.engine, ClosedPeriod, lambda: bk.subsidy(fund_closing["campaign"], "10.00",
                                                        date(2026, 10, 8)))
    # a transfer from the fund (open in October) brings the foundation an income: refused
    refused(bk.engine, ClosedPeriod, lambda: bk.transfer(date(2026, 10, 8)))
    voucher = bk.voucher("foundation", date(2026, 10, 8), ("5201", "debit", "5.00"),
                         ("1002", "credit", "5.00"))
    assert voucher.status == "approved"
    # the fund's deposits of October are not the foundation's business
    assert bk.deposit(fund_closing["member"], "100.00", date(2026, 10, 8)).entry_seq > 0


def test_nothing_is_accepted_once_closed(bk: Books, fund_closing: dict[str, int]) -> None:
    # a voucher prepared while the period was closing waits for its approval
    waiting = vouchers_uc.submit(bk.uow, bk.fm, bk.entry(
        "fund", date(2026, 3, 31), ("5201", "debit", "1.00"), ("1002", "credit", "1.00")))
    closed = uc.close_period(bk.uow, bk.admin, "fund", "2026-03")
    assert closed.status is PeriodStatus.CLOSED
    member, on = fund_closing["member"], date(2026, 3, 20)
    error = refused(bk.engine, ClosedPeriod, lambda: bk.deposit(member, "5000.00", on))
    assert "closed period" in str(error)
    refused(bk.engine, ClosedPeriod, lambda: bk.expense("100.00", on))
    refused(bk.engine, ClosedPeriod, lambda: vouchers_uc.approve(bk.uow, bk.fm2, waiting.id))
    assert vouchers_uc.get(bk.uow, waiting.id).status == "submitted"
    refused(bk.engine, ClosedPeriod, lambda: bk.manual("fund", on, ("5201", "debit", "1.00"),
                                                       ("1002", "credit", "1.00")))
    refused(bk.engine, ClosedPeriod, lambda: books.reverse_entry(
        bk.uow, fund_closing["manual"], actor="admin1", effective_date=on, by=bk.admin))
    refused(bk.engine, ClosedPeriod, lambda: ma.reverse_deposit(
        bk.uow, bk.fm, fund_closing["march"], reason="typed twice", on=on))
    # a correction of the closed period is dated in an open one
    reversal = books.reverse_entry(bk.uow, fund_closing["manual"], actor="admin1",
                                   effective_date=date(2026, 4, 1), by=bk.admin)
    assert reversal.effective_date == date(2026, 4, 1)
    # raw SQL: every kind of entry refused inside; the foundation and April accept
    for kind in ("deposit", "voucher", None):
        assert CLOSED in (raw_entry(bk.engine, "fund", "2026-03-20", kind) or "")
    assert CLOSED in (raw_entry(bk.engine, "fund", "2026-03-20", "deposit",
                                reverses=fund_closing["manual"]) or "")
    assert raw_entry(bk.engine, "fund", "2026-04-01", "deposit") is None
    assert raw_entry(bk.engine, "foundation", "2026-03-20", "voucher") is None


def test_a_year_and_a_month_of_it(bk: Books) -> None:
    """The foundation's 2026 is closing while its June is closed: June and every date before
    it take nothing (closing June locks them), the rest of the year takes only adjustments,
    2027 takes anything."""
    bk.income("100000.00", date(2026, 1, 5))
    bk.close("foundation", "2026-06")
    uc.start_closing(bk.uow, bk.admin, "foundation", "2026")
    refused(bk.engine, ClosedPeriod, lambda: bk.income("1.00", date(2026, 6, 15)))
    assert "closing" in str(refused(bk.engine, ClosedPeriod,
                                    lambda: bk.income("1.00", date(2026, 7, 1))))
    refused(bk.engine, ClosedPeriod, lambda: bk.income("1.00", date(2026, 1, 1)))
    june = vouchers_uc.submit(bk.uow, bk.fm, bk.entry(
        "foundation", date(2026, 6, 30), ("5201", "debit", "1.00"), ("1002", "credit", "1.00")))
    refused(bk.engine, ClosedPeriod, lambda: vouchers_uc.approve(bk.uow, bk.fm2, june.id))
    voucher = bk.voucher("foundation", date(2026, 7, 1), ("5201", "debit", "1.00"),
                         ("1002", "credit", "1.00"))
    assert voucher.status == "approved"
    refused(bk.engine, ClosedPeriod, lambda: bk.income("1.00", date(2025, 12, 31)))
    assert bk.income("1.00", date(2027, 1, 1)).received_on == date(2027, 1, 1)
    # the year closes; reopening June changes nothing while the year stays closed
    uc.close_period(bk.uow, bk.admin, "foundation", "2026")
    bk.reopen("foundation", "2026-06")
    assert bk.state("foundation", "2026-06").status is PeriodStatus.OPEN
    refused(bk.engine, ClosedPeriod, lambda: vouchers_uc.approve(bk.uow, bk.fm2, june.id))
    assert CLOSED in (raw_entry(bk.engine, "foundation", "2026-06-30", "voucher") or "")
    assert CLOSED in (raw_entry(bk.engine, "foundation", "2026-12-31", None) or "")
    assert raw_entry(bk.engine, "foundation", "2027-01-01", "income") is None


def test_a_transferred_deposit_is_reversed_like_any_deposit_while_closing(bk: Books) -> None:
    member = bk.member()
    deposit = bk.deposit(member.id, "350000.00", date(2026, 3, 2))
    bk.transfer(date(2026, 3, 3))
    uc.start_closing(bk.uow, bk.admin, "fund", "2026-03")
    reversed_deposit = ma.reverse_deposit(bk.uow, bk.fm, deposit.id,
                                          reason="重复录入 typed twice", on=date(2026, 3, 20))
    assert reversed_deposit.reversal_seq is not None
    assert bk.balances("fund", date(2026, 3, 31)).get("1002", 0) == 0
