"""The repair-crowdfunding rules (issue 6, first part): exact shares, the roll and payment
files, reconciliation, pro-rata refunds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.campaigns import (
    RECEIPT_ALPHABET,
    CampaignStatus,
    Figures,
    HouseKey,
    InvalidTransition,
    Match,
    NotFunded,
    PaymentLine,
    PaymentMethod,
    campaign_release_entry,
    check_campaign_transition,
    contractor_entry,
    contractor_split,
    decode,
    latest_first,
    money_account,
    normal_receipt_code,
    overpaid_back,
    parse_payments,
    parse_roll,
    payment_entry,
    pro_rata,
    read_table,
    receipt_code,
    reconcile,
    refund_entry,
    share_summary,
    shares,
    shortfall_topups,
    subsidy_entry,
)
from ledger.core.chart import chart_of
from ledger.core.entries import JournalEntry, check
from ledger.core.errors import InvalidInput
from ledger.core.money import from_minor, parse_money, to_minor


def yuan(text: str):  # type: ignore[no-untyped-def]
    return parse_money(text)


ZERO = parse_money("0", allow_zero=True)


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


@settings(deadline=None)  # 5,000 shares take a while on a busy machine
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


def test_roll_order_reads_numbers_as_numbers() -> None:
    """Building 2 before building 10, room 201 before 1002: a roll is walked floor by floor,
    and the odd fen of the shares go to the first households in that order."""
    preview = parse_roll(roll_csv("10,1,101,A,", "2,1,1002,B,", "2,1,201,C,", "1,2,101,D,",
                                  "1,10,101,E,", "1,1,B01,F,", "1,1,101,G,"))
    assert preview.clean
    assert [str(r.key) for r in preview.rows] == [  # type: ignore[attr-defined]
        "1-1-101", "1-1-B01", "1-2-101", "1-10-101", "2-1-201", "2-1-1002", "10-1-101"]
    assert sorted([HouseKey("10", "1", "1"), HouseKey("9", "1", "1")]) == [
        HouseKey("9", "1", "1"), HouseKey("10", "1", "1")]


def test_a_roll_with_circled_numbers_is_read() -> None:
    preview = parse_roll(roll_csv("①,1,101,A,", "2,1,101,B,", "1,1,1²,C,"))
    assert preview.clean
    assert len(preview.rows) == 3


def test_a_csv_with_old_mac_line_ends() -> None:
    preview = parse_roll(b"building,unit,room,contact,phone\r1,1,101,A,\r1,1,102,B,\r")
    assert [str(r.key) for r in preview.rows] == ["1-1-101", "1-1-102"]  # type: ignore[attr-defined]


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


# --- the campaign's figures -------------------------------------------------------------------
def figures(**changes: str) -> Figures:
    """A campaign of 67,000.00: 60,000.00 subsidy, 2,000.00 match, 5,000.00 from households;
    nothing received or spent unless `changes` say so."""
    values = {"cost": "67000.00", "subsidy": "60000.00", "match": "2000.00", "gap": "5000.00",
              "subsidy_received": "0", "households_paid": "0", "spent": "0",
              "spent_restricted": "0", "leftover_released": "0", "shortfall": "0",
              "assigned": "0", **changes}
    return Figures(**{k: parse_money(v, allow_zero=True) for k, v in values.items()})


def test_figures_of_a_campaign_as_its_money_moves() -> None:
    found = figures()
    assert (found.restricted, found.foundation_spent, found.match_left, found.unassigned,
            found.to_pay, found.covered) == (ZERO, ZERO, yuan("2000.00"), ZERO,
                                             yuan("67000.00"), False)
    # received: 60,000.00 and 4,999.99 of the households' 5,000.00: one fen short
    short = figures(subsidy_received="60000.00", households_paid="4999.99")
    assert (short.restricted, short.covered) == (yuan("64999.99"), False)
    exact = figures(subsidy_received="60000.00", households_paid="5000.00")
    assert exact.covered  # restricted + match left = 67,000.00: just enough
    # 64,000.00 paid out: 63,000.00 of it restricted, 1,000.00 of the match
    spent = figures(subsidy_received="60000.00", households_paid="5000.00", spent="64000.00",
                    spent_restricted="63000.00")
    assert (spent.restricted, spent.foundation_spent, spent.match_left, spent.to_pay,
            spent.covered) == (yuan("2000.00"), yuan("1000.00"), yuan("1000.00"),
                               yuan("3000.00"), True)
    # the foundation paid beyond its match (shortfall taken on): the match left is nothing
    over = figures(spent="2500.00", spent_restricted="0")
    assert over.match_left == ZERO
    # a leftover released to the foundation is no longer restricted
    assert figures(households_paid="5000.00", leftover_released="10.00").restricted == yuan(
        "4990.00")
    assert figures(shortfall="44.17", assigned="20.00").unassigned == yuan("24.17")


def test_the_contractor_is_paid_from_restricted_money_first() -> None:
    def split(amount: str, restricted: str, match_left: str) -> tuple[str, str]:
        first, rest = contractor_split(yuan(amount), restricted=parse_money(
            restricted, allow_zero=True), match_left=parse_money(match_left, allow_zero=True))
        return str(first.amount), str(rest.amount)

    assert split("40000.00", "67000.00", "0") == ("40000.00", "0.00")
    assert split("25000.00", "20000.00", "10000.00") == ("20000.00", "5000.00")
    assert split("30000.00", "20000.00", "10000.00") == ("20000.00", "10000.00")  # all of it
    assert split("500.00", "0", "500.00") == ("0.00", "500.00")
    with pytest.raises(NotFunded, match="more than the campaign's money"):
        split("30000.01", "20000.00", "10000.00")
    with pytest.raises(NotFunded):
        split("0.01", "0", "0")


def test_shortfall_topups_follow_the_shares_rule() -> None:
    assert shortfall_topups(yuan("44.17"), 315)[:2] == [yuan("0.15"), yuan("0.15")]
    found = shortfall_topups(yuan("44.17"), 315)
    assert sum(to_minor(t) for t in found) == 4417
    assert (found.count(yuan("0.15")), found.count(yuan("0.14"))) == (7, 308)
    assert found == sorted(found, reverse=True)  # the odd fen to the first households
    assert shortfall_topups(yuan("0.05"), 3) == [yuan("0.02"), yuan("0.02"), yuan("0.01")]
    assert shortfall_topups(yuan("0.01"), 3)[1:] == [ZERO] * 2
    with pytest.raises(InvalidInput, match="no household is asked"):
        shortfall_topups(yuan("44.17"), 0)


@settings(deadline=None)
@given(st.integers(1, 10**10), st.integers(1, 1000))
def test_shortfall_topups_are_exact(amount: int, households: int) -> None:
    found = [to_minor(t) for t in shortfall_topups(from_minor(amount), households)]
    assert sum(found) == amount
    assert max(found) - min(found) <= 1


def test_overpayments_go_back_whole_or_pro_rata_and_latest_first() -> None:
    assert overpaid_back(yuan("500.00"), [yuan("100.00"), yuan("1.00")]) == [
        yuan("100.00"), yuan("1.00")]
    assert overpaid_back(yuan("101.00"), [yuan("100.00"), yuan("1.00")]) == [
        yuan("100.00"), yuan("1.00")]
    # less left than the excesses: shared pro rata, the odd fen to the larger remainder
    assert overpaid_back(yuan("50.00"), [yuan("200.00"), yuan("100.00")]) == [
        yuan("33.33"), yuan("16.67")]
    assert latest_first(yuan("33.33"), [yuan("250.00"), yuan("200.00")]) == [
        ZERO, yuan("33.33")]
    assert latest_first(yuan("250.00"), [yuan("100.00"), yuan("200.00")]) == [
        yuan("50.00"), yuan("200.00")]
    with pytest.raises(InvalidInput):
        latest_first(yuan("300.01"), [yuan("100.00"), yuan("200.00")])


def test_pro_rata_ties_go_to_the_earlier_payer_and_nobody_paid_is_refused() -> None:
    assert pro_rata(yuan("0.01"), [yuan("22.08"), yuan("22.08")]) == [
        yuan("0.01"), ZERO]
    assert pro_rata(yuan("0.02"), [yuan("1.00")] * 3) == [yuan("0.01"), yuan("0.01"),
                                                          ZERO]
    with pytest.raises(InvalidInput, match="nobody paid"):
        pro_rata(yuan("1.00"), [])


def test_the_row_limit_is_the_last_row_allowed() -> None:
    header = ["a"]
    rows, problems = read_table([header, *[["x"]] * 3], {"a": ("a",)}, max_rows=3)
    assert (len(rows), problems) == (3, [])
    rows, problems = read_table([header, *[["x"]] * 4], {"a": ("a",)}, max_rows=3)
    assert rows == []
    assert [(p.line, p.message) for p in problems] == [(5, "more than 3 rows; split the file")]
    # blank lines are not rows
    rows, problems = read_table([header, ["x"], [""], [" "], ["x"], ["x"]], {"a": ("a",)},
                                max_rows=3)
    assert ([n for n, _ in rows], problems) == ([2, 5, 6], [])


# --- receipts ---------------------------------------------------------------------------------
def test_a_receipt_code_is_twelve_characters_of_crockford_base32() -> None:
    chosen = iter("7K3QM9XD2TPA")
    assert receipt_code(lambda alphabet: next(chosen)) == "7K3Q-M9XD-2TPA"
    assert len(RECEIPT_ALPHABET) == 32
    assert not set("ILOU") & set(RECEIPT_ALPHABET)
    codes = {receipt_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert (len(code), code[4], code[9]) == (14, "-", "-")
        assert set(code.replace("-", "")) <= set(RECEIPT_ALPHABET)
        assert normal_receipt_code(code) == code


@pytest.mark.parametrize(("typed", "code"), [
    ("7K3Q-M9XD-2TPA", "7K3Q-M9XD-2TPA"),
    ("7k3q-m9xd-2tpa", "7K3Q-M9XD-2TPA"),  # lower case
    (" 7K3Q M9XD 2TPA ", "7K3Q-M9XD-2TPA"),  # spaces
    ("7K3QM9XD2TPA", "7K3Q-M9XD-2TPA"),  # no dashes
    ("7K3Q--M9XD-\t2TPA\n", "7K3Q-M9XD-2TPA"),
    ("OOOO-oooo-0O0o", "0000-0000-0000"),  # O reads as 0
    ("IIII-llll-1LiI", "1111-1111-1111"),  # I and L read as 1
    ("７Ｋ３Ｑ－Ｍ９ＸＤ－２ＴＰＡ", "7K3Q-M9XD-2TPA"),  # full width, as a Chinese keyboard types
    ("7K3Q\u2014M9XD\u20122TPA", "7K3Q-M9XD-2TPA"),  # other dashes
])
def test_receipt_codes_as_residents_type_them(typed: str, code: str) -> None:
    assert normal_receipt_code(typed) == code


@pytest.mark.parametrize("typed", ["", "   ", "7K3Q-M9XD-2TP", "7K3Q-M9XD-2TPAA", "7K3QM9XD",
                                   "7K3Q-M9XD-2TPU", "7K3Q-M9XD-2TP!", "7K3Q_M9XD_2TPA",
                                   "7K3Q-M9XD-2TPÄ"])
def test_receipt_codes_of_the_wrong_shape_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="12 letters and digits"):
        normal_receipt_code(typed)


# --- entries ----------------------------------------------------------------------------------
def test_every_entry_of_a_campaign_balances_in_the_foundations_chart() -> None:
    amount, on = yuan("22.09"), date(2026, 10, 2)
    chart = chart_of("foundation")
    made: list[tuple[JournalEntry, list[tuple[str, str]]]] = [
        (subsidy_entry(campaign_id=1, amount=amount, on=on, payer="蛟川街道", actor="fm1"),
         [("1002", "debit"), ("450102", "credit")]),
        (payment_entry(campaign_id=1, amount=amount, on=on, household="1-1-101",
                       method=PaymentMethod.CASH, actor="fm1"),
         [("1001", "debit"), ("410102", "credit")]),
        (payment_entry(campaign_id=1, amount=amount, on=on, household="1-1-101",
                       method=PaymentMethod.WECHAT, actor="fm1"),
         [("1002", "debit"), ("410102", "credit")]),
        (refund_entry(campaign_id=1, amount=amount, on=on, income_account="410102",
                      paid_from="1001", whom="1-1-101", reason="取消", actor="fm1"),
         [("410102", "debit"), ("1001", "credit")]),
        (refund_entry(campaign_id=1, amount=amount, on=on, income_account="450102",
                      paid_from="1002", whom="蛟川街道", reason="取消", actor="fm1"),
         [("450102", "debit"), ("1002", "credit")]),
        (contractor_entry(campaign_id=1, amount=amount, on=on, contractor="明窗门窗",
                          actor="fm1"), [("5101", "debit"), ("1002", "credit")]),
        (campaign_release_entry(campaign_id=1, amount=amount, on=on, reason="维修完成",
                                actor="fm1"), [("3102", "debit"), ("3101", "credit")]),
    ]
    for entry, sides in made:
        assert check(entry, chart) is entry
        assert [(p.account, p.side.value) for p in entry.postings] == sides
        assert {p.amount for p in entry.postings} == {amount}
        assert (entry.entity, entry.source.kind, entry.source.id) == (  # type: ignore[union-attr]
            "foundation", "campaign", "1")
    assert [money_account(m) for m in PaymentMethod] == ["1001", "1002", "1002", "1002"]
    long = refund_entry(campaign_id=1, amount=amount, on=on, income_account="410102",
                        paid_from="1002", whom="x", reason="原因" * 400, actor="fm1")
    assert len(long.memo) == 500  # cut to the memo's limit, still postable
    check(long, chart)
