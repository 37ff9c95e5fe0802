"""The repair-crowdfunding rules (issue 6, first part): exact shares, the roll and payment
files, reconciliation, pro-rata refunds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.campaigns import (
    CampaignStatus,
    HouseKey,
    InvalidTransition,
    Match,
    PaymentLine,
    check_campaign_transition,
    decode,
    parse_payments,
    parse_roll,
    pro_rata,
    reconcile,
    share_summary,
    shares,
)
from ledger.core.errors import InvalidInput
from ledger.core.money import from_minor, parse_money, to_minor


def yuan(text: str):  # type: ignore[no-untyped-def]
    return parse_money(text)


# --- shares -----------------------------------------------------------------------------------
def test_the_yufan_gap_splits_64_at_22_09_and_253_at_22_08() -> None:
    found = shares(yuan("7000.00"), 317)
    assert found[:64] == [yuan("22.09")] * 64
    assert found[64:] == [yuan("22.08")] * 253
    assert sum(to_minor(s) for s in found) == 700_000
    summary = share_summary(yuan("7000.00"), 317)
    assert (summary.higher, summary.higher_count, summary.lower, summary.lower_count) == (
        yuan("22.09"), 64, yuan("22.08"), 253)


def test_an_even_split_has_one_share() -> None:
    summary = share_summary(yuan("6340.00"), 317)
    assert (summary.higher, summary.higher_count, summary.lower_count) == (yuan("20.00"), 317, 0)


def test_no_households_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one household"):
        shares(yuan("7000.00"), 0)


@given(st.integers(1, 10**12), st.integers(1, 5000))
def test_shares_are_exact_and_within_a_fen_of_each_other(gap: int, households: int) -> None:
    found = [to_minor(s) for s in shares(from_minor(gap), households)]
    assert sum(found) == gap
    assert max(found) - min(found) <= 1
    assert found == sorted(found, reverse=True)  # the odd fen go to the first households


# --- the campaign's life ------------------------------------------------------------------------
def test_a_campaign_moves_forward_only() -> None:
    check_campaign_transition(CampaignStatus.DRAFT, CampaignStatus.OPEN)
    check_campaign_transition(CampaignStatus.CONTRACTOR_PAID, CampaignStatus.CLOSED)
    for current, new in ((CampaignStatus.OPEN, CampaignStatus.CLOSED),
                         (CampaignStatus.CONTRACTOR_PAID, CampaignStatus.CANCELLED),
                         (CampaignStatus.CLOSED, CampaignStatus.OPEN),
                         (CampaignStatus.CANCELLED, CampaignStatus.OPEN)):
        with pytest.raises(InvalidTransition):
            check_campaign_transition(current, new)


# --- the roll ---------------------------------------------------------------------------------
def roll_csv(*rows: str, header: str = "building,unit,room,contact,phone") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def test_a_clean_roll_in_roll_order() -> None:
    preview = parse_roll(roll_csv("2,1,201,李阿姨,13800000002", "1,1,101,王先生,0574-8600 1234"))
    assert preview.clean
    assert [r.key for r in preview.rows] == [HouseKey("1", "1", "101"), HouseKey("2", "1", "201")]


def test_a_roll_saved_by_chinese_excel_in_gb18030_with_chinese_headers() -> None:
    data = "楼栋,单元,室,联系人,电话\r\n3,2,502,张大伯,13900000000\r\n".encode("gb18030")
    preview = parse_roll(data)
    assert preview.clean
    assert preview.rows[0].contact == "张大伯"  # type: ignore[attr-defined]
    assert parse_roll(b"\xef\xbb\xbf" + roll_csv("1,1,101,A,123456")).clean  # UTF-8 with BOM


def test_every_bad_row_is_listed_and_nothing_is_kept() -> None:
    preview = parse_roll(roll_csv("1,1,101,王先生,13800000001",
                                  "1,1,101,王太太,13800000009",  # the same flat again
                                  "1,,102,,13800000003",  # no unit, no contact
                                  "1,1,103,赵,call me",  # not a phone number
                                  "1,1"))  # too few cells
    assert not preview.clean
    assert [(p.line, p.column) for p in preview.problems] == [
        (6, ""), (3, "room"), (4, "unit"), (4, "contact"), (5, "phone")]
    assert "line 2" in preview.problems[1].message


def test_a_roll_without_a_column_says_which() -> None:
    preview = parse_roll(roll_csv("1,1,101,王", header="building,unit,room,contact"))
    assert [(p.line, p.column) for p in preview.problems] == [(1, "phone")]
    assert "电话" in preview.problems[0].message


def test_a_roll_of_100k_rows_is_refused_in_one_line() -> None:
    rows = [f"{n // 1000},{n % 10},{n},户{n},13800000000" for n in range(100_000)]
    preview = parse_roll(roll_csv(*rows))
    assert [(p.line, p.message) for p in preview.problems] == [
        (5002, "more than 5,000 rows; split the file")]
    assert preview.rows == ()


def test_files_that_are_not_text_are_refused() -> None:
    with pytest.raises(InvalidInput, match="binary"):
        decode(b"PK\x03\x04\x00\x00xlsx")
    assert not parse_roll(b"").clean
    assert not parse_roll(roll_csv()).clean  # a header and no households


# --- payments and reconciliation --------------------------------------------------------------
PAYMENTS = "reference,building,unit,room,amount,paid_on"


def test_a_payment_export_with_bad_amounts_and_dates() -> None:
    preview = parse_payments(roll_csv("W1,1,1,101,22.09,2026-10-02",
                                      "W2,1,1,102,22.090,2026-10-02",  # three decimals
                                      "W3,1,1,103,-5,2026-10-02",
                                      "W4,1,1,104,22.08,02/10/2026",
                                      ",1,1,105,22.08,2026-10-02", header=PAYMENTS))
    assert [(p.line, p.column) for p in preview.problems] == [
        (3, "amount"), (4, "amount"), (5, "paid_on"), (6, "reference")]
    assert [r.reference for r in preview.rows] == ["W1"]  # type: ignore[attr-defined]


def payment(reference: str, room: str, amount: str, line: int = 2) -> PaymentLine:
    return PaymentLine(line, reference, HouseKey("1", "1", room), yuan(amount),
                       date(2026, 10, 2))


def test_reconciliation_against_the_roll() -> None:
    owed = {HouseKey("1", "1", r): yuan(a) for r, a in
            (("101", "22.09"), ("102", "22.09"), ("103", "22.08"), ("104", "22.08"))}
    lines = [payment("W1", "101", "22.09"), payment("W2", "102", "10.00"),
             payment("W3", "102", "12.09"), payment("W4", "103", "30.00"),
             payment("W5", "999", "22.08"), payment("W1", "104", "22.08")]
    found = reconcile(lines, owed=owed, known_references=["OLD-1"])
    assert [r.match for r in found.lines] == [Match.MATCHED, Match.PARTIAL, Match.MATCHED,
                                               Match.OVERPAID, Match.UNMATCHED, Match.DUPLICATE]
    assert found.counts[Match.DUPLICATE] == 1
    again = reconcile(lines, owed=owed, known_references=[r.reference for r in lines])
    assert {r.match for r in again.lines} == {Match.DUPLICATE}  # a second import adds nothing


@given(st.lists(st.integers(1, 10**7), min_size=1, max_size=400), st.integers(0, 10**9))
def test_pro_rata_refunds_add_up_exactly(paid: list[int], total: int) -> None:
    refunds = pro_rata(from_minor(total), [from_minor(p) for p in paid])
    assert sum(to_minor(r) for r in refunds) == total
