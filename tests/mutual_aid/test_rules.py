"""Pure rules of the mutual-aid fund: the unified social credit code (GB 32100-2015), the
30/70 split with both remainder rules, the service cap, and the entries a deposit, a transfer
and a returned share post. No database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.chart import chart_of
from ledger.core.credit_code import ALPHABET, WEIGHTS, check_character, normalise
from ledger.core.entries import check
from ledger.core.errors import InvalidInput
from ledger.core.money import format_amount, from_minor, parse_money, to_minor
from ledger.core.mutual_aid import (
    RemainderRule,
    SplitPolicy,
    check_policy,
    deposit_entry,
    transfer_entries,
    transfer_return_entries,
)

REAL_CODES = ("91350100M000100Y43", "91110000600037341L")
DIGITS = "0123456789"
PURE = settings(max_examples=100, deadline=None)


def policy(share: str | Decimal = "0.30", rule: RemainderRule = RemainderRule.FOUNDATION,
           service: str = "5000000.00", per: str = "350000.00") -> SplitPolicy:
    return SplitPolicy(version=1, effective_from=date(1950, 1, 1),
                       operating_share=Decimal(share), remainder_rule=rule,
                       service_amount=parse_money(service), per_deposit=parse_money(per))


def refusal(code: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        normalise(code)
    assert caught.value.field == "credit_code"
    return caught.value


# --- the unified social credit code -----------------------------------------------------------
@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code: str) -> None:
    assert normalise(code) == code
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
@pytest.mark.parametrize("template", ["{}", "  {}\t", " {}\n", "\u3000{}\u3000"])
@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_lower_case_and_surrounding_spaces_are_normalised(
        code: str, template: str, case: Callable[[str], str]) -> None:
    assert normalise(template.format(case(code))) == code


@pytest.mark.parametrize(("code", "length"), [
    ("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("", 0),
    ("9135 0100M000100Y43", 19), ("91350100M00-0100Y43", 19),
])
def test_wrong_length_is_refused(code: str, length: int) -> None:
    message = refusal(code).message
    assert "18 characters" in message
    assert f"not {length}" in message


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z", "i", "o", "s", "v", "z"])
def test_forbidden_letters_are_refused(letter: str) -> None:
    code = "91350100" + letter + "000100Y43"  # in place of the M
    assert len(code) == 18
    message = refusal(code).message
    assert f"'{letter.upper()}' cannot appear" in message
    assert "I, O, S, V and Z" in message


@pytest.mark.parametrize("code", ["91350100M000100Y4-", "91350100M000100Y4?",
                                  "91350100M00010\uff10Y43",  # a full-width zero
                                  "9135010\uff10M000100Y43"])
def test_characters_outside_the_alphabet_are_refused(code: str) -> None:
    assert "cannot appear" in refusal(code).message


@pytest.mark.parametrize("position", range(2, 8))
def test_division_code_must_be_digits(position: int) -> None:
    first17 = REAL_CODES[0][:position] + "A" + REAL_CODES[0][position + 1:17]
    code = first17 + check_character(first17)  # a right check character: only the division fails
    message = refusal(code).message
    assert "administrative division" in message
    assert "characters 3 to 8" in message


@pytest.mark.parametrize(("code", "given_char", "expected"), [
    ("91350100M000100Y44", "4", "3"), ("91110000600037341K", "K", "L"),
    ("91350100m000100y4a", "A", "3"),
])
def test_wrong_check_character_is_refused(code: str, given_char: str, expected: str) -> None:
    message = refusal(code).message
    assert "check character is wrong" in message
    assert f"{given_char!r} where the first 17 characters give {expected!r}" in message


def test_weights_are_the_gb_32100_weights() -> None:
    """W_i = 3^i mod 31: none is 0 mod 31, and 31 is prime, so every single substitution in
    the first 17 changes the weighted sum mod 31."""
    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS
    assert len(ALPHABET) == 31
    assert len(set(ALPHABET)) == 31
    assert not set(ALPHABET) & set("IOSVZ")


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_substitution_of_a_real_code_is_refused(code: str) -> None:
    for position in range(18):
        for char in ALPHABET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1:]
            with pytest.raises(InvalidInput):
                normalise(changed)


first_17 = st.builds(
    lambda head, division, rest: head + division + rest,
    st.text(ALPHABET, min_size=2, max_size=2),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@PURE
@given(first17=first_17)
def test_check_character_completes_a_valid_code(first17: str) -> None:
    code = first17 + check_character(first17)
    assert normalise(code) == code
    assert normalise(f" {code.lower()} ") == code


@PURE
@given(first17=first_17, position=st.integers(0, 17), data=st.data())
def test_the_check_detects_every_single_substitution(first17: str, position: int,
                                                     data: st.DataObject) -> None:
    """GB 32100's mod-31 check: a substitution anywhere (digits for digits in the division
    code, so that only the check can catch it) makes the code invalid, by its check."""
    code = first17 + check_character(first17)
    alphabet = DIGITS if 2 <= position <= 7 else ALPHABET
    char = data.draw(st.sampled_from([c for c in alphabet if c != code[position]]))
    changed = code[:position] + char + code[position + 1:]
    with pytest.raises(InvalidInput, match="check character is wrong"):
        normalise(changed)


# --- the split ----------------------------------------------------------------------------------
amounts_fen = st.integers(min_value=1, max_value=10**13)  # 0.01 to 100,000,000,000.00
shares_bp = st.integers(min_value=0, max_value=10_000)  # 0.0000 to 1.0000


def share_of(bp: int, short: bool) -> Decimal:
    share = Decimal(bp).scaleb(-4)
    return share.normalize() if short and bp else share  # "0.3" as well as "0.3000"


@PURE
@given(fen=amounts_fen, bp=shares_bp, short=st.booleans(), rule=st.sampled_from(RemainderRule))
def test_the_parts_always_add_up_to_the_deposit(fen: int, bp: int, short: bool,
                                                rule: RemainderRule) -> None:
    amount = from_minor(fen)
    operating, foundation = policy(share_of(bp, short), rule).split(amount)
    assert operating + foundation == amount
    assert to_minor(operating) + to_minor(foundation) == fen
    assert to_minor(operating) >= 0
    assert to_minor(foundation) >= 0
    assert operating.currency.code == foundation.currency.code == "CNY"


@PURE
@given(fen=amounts_fen, bp=shares_bp, short=st.booleans())
def test_foundation_rule_floors_the_operating_share(fen: int, bp: int, short: bool) -> None:
    operating, foundation = policy(share_of(bp, short)).split(from_minor(fen))
    assert to_minor(operating) == fen * bp // 10_000
    assert to_minor(foundation) == fen - fen * bp // 10_000


@PURE
@given(fen=amounts_fen, bp=shares_bp, short=st.booleans())
def test_largest_remainder_keeps_each_part_within_a_fen(fen: int, bp: int, short: bool) -> None:
    operating, foundation = policy(share_of(bp, short),
                                   RemainderRule.LARGEST_REMAINDER).split(from_minor(fen))
    exact_operating = Fraction(fen * bp, 10_000)
    exact_foundation = fen - exact_operating
    assert abs(to_minor(operating) - exact_operating) < 1
    assert abs(to_minor(foundation) - exact_foundation) < 1
    # the odd fen goes to the larger remainder; a tie (half a fen each) to the operating share
    remainder = exact_operating - int(exact_operating)
    expected = int(exact_operating) + (1 if remainder >= Fraction(1, 2) else 0)
    assert to_minor(operating) == expected


@pytest.mark.parametrize("rule", RemainderRule)
def test_yongyao_deposit_splits_105000_and_245000(rule: RemainderRule) -> None:
    operating, foundation = policy("0.30", rule).split(parse_money("350000.00"))
    assert (format_amount(operating), format_amount(foundation)) == ("105000.00", "245000.00")


@pytest.mark.parametrize(("amount", "foundation_rule", "largest_remainder"), [
    ("0.01", ("0.00", "0.01"), ("0.00", "0.01")),
    ("0.02", ("0.00", "0.02"), ("0.01", "0.01")),  # 0.6 fen beats 0.4 fen
    ("1000.05", ("300.01", "700.04"), ("300.02", "700.03")),  # 30001.5: a tie, to operating
    ("333333.33", ("99999.99", "233333.34"), ("100000.00", "233333.33")),  # 0.9 beats 0.1
    ("7000.00", ("2100.00", "4900.00"), ("2100.00", "4900.00")),
])
def test_odd_amounts(amount: str, foundation_rule: tuple[str, str],
                     largest_remainder: tuple[str, str]) -> None:
    for rule, expected in ((RemainderRule.FOUNDATION, foundation_rule),
                           (RemainderRule.LARGEST_REMAINDER, largest_remainder)):
        parts = policy("0.30", rule).split(parse_money(amount))
        assert tuple(format_amount(p) for p in parts) == expected, rule


def test_extreme_shares() -> None:
    amount = parse_money("1000.05")
    for rule in RemainderRule:
        assert [format_amount(p) for p in policy("0", rule).split(amount)] == ["0.00", "1000.05"]
        assert [format_amount(p) for p in policy("1", rule).split(amount)] == ["1000.05", "0.00"]


# --- the service cap ----------------------------------------------------------------------------
def test_cap_of_the_yongyao_deposit_is_exactly_5000000() -> None:
    assert format_amount(policy().cap(parse_money("350000.00"))) == "5000000.00"
    assert format_amount(policy().cap(parse_money("700000.00"))) == "10000000.00"


@pytest.mark.parametrize(("deposits", "cap"), [
    ("0.01", "0.14"),  # 14.28... fen
    ("1.00", "14.28"),  # 1428.57... fen
    ("1000.00", "14285.71"),
    ("349999.99", "4999999.85"),  # 499999985.71... fen
    ("100000.00", "1428571.42"),  # 142857142.857... fen: down, not to nearest
])
def test_cap_rounds_down(deposits: str, cap: str) -> None:
    assert format_amount(policy().cap(parse_money(deposits))) == cap


@PURE
@given(fen=amounts_fen, service=st.integers(1, 10**12), per=st.integers(1, 10**12))
def test_cap_is_the_floor_of_the_proportion(fen: int, service: int, per: int) -> None:
    found = policy(service=format_amount(from_minor(service)),
                   per=format_amount(from_minor(per))).cap(from_minor(fen))
    assert to_minor(found) == fen * service // per
    assert to_minor(found) * per <= fen * service < (to_minor(found) + 1) * per


# --- policy checks ------------------------------------------------------------------------------
@pytest.mark.parametrize(("share", "service", "per", "field"), [
    ("-0.01", "5000000.00", "350000.00", "operating_share"),
    ("1.0001", "5000000.00", "350000.00", "operating_share"),
    ("0.31250", "5000000.00", "350000.00", "operating_share"),  # 5 decimals
    ("0.30", "0.00", "350000.00", "service_amount"),
    ("0.30", "5000000.00", "0.00", "service_amount"),
])
def test_check_policy_refuses(share: str, service: str, per: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_policy(Decimal(share), parse_money(service, allow_zero=True),
                     parse_money(per, allow_zero=True))
    assert caught.value.field == field


def test_check_policy_accepts_four_decimals_and_the_ends() -> None:
    for share in ("0", "0.3125", "0.30", "1"):
        check_policy(Decimal(share), parse_money("5000000.00"), parse_money("350000.00"))


# --- entries ------------------------------------------------------------------------------------
def lines(entry: object) -> list[tuple[str, str, str]]:
    return [(p.account, p.side.value, format_amount(p.amount))
            for p in entry.postings]  # type: ignore[attr-defined]


def test_deposit_entry_of_the_yongyao_deposit() -> None:
    entry = deposit_entry(deposit_id=7, member="永耀纺织", amount=parse_money("350000.00"),
                          operating=parse_money("105000.00"), foundation=parse_money("245000.00"),
                          received_on=date(2025, 11, 3), actor="fm1")
    check(entry, chart_of("fund"))
    assert entry.entity == "fund"
    assert entry.source is not None
    assert (entry.source.kind, entry.source.id) == ("deposit", "7")
    assert lines(entry) == [("1002", "debit", "350000.00"), ("420101", "credit", "105000.00"),
                            ("2209", "credit", "245000.00")]


def test_deposit_entry_leaves_out_a_zero_share() -> None:
    entry = deposit_entry(deposit_id=1, member="m", amount=parse_money("0.01"),
                          operating=from_minor(0), foundation=parse_money("0.01"),
                          received_on=date(2025, 11, 3), actor="fm1")
    check(entry, chart_of("fund"))
    assert lines(entry) == [("1002", "debit", "0.01"), ("2209", "credit", "0.01")]


def test_transfer_and_return_entries_mirror_each_other() -> None:
    amount = parse_money("245000.00")
    fund, foundation = transfer_entries(transfer_id=3, amount=amount, made_on=date(2025, 11, 10),
                                        actor="fm2")
    check(fund, chart_of("fund"))
    check(foundation, chart_of("foundation"))
    assert (fund.entity, foundation.entity) == ("fund", "foundation")
    assert lines(fund) == [("2209", "debit", "245000.00"), ("1002", "credit", "245000.00")]
    assert lines(foundation) == [("1002", "debit", "245000.00"),
                                 ("410103", "credit", "245000.00")]
    back_foundation, back_fund = transfer_return_entries(deposit_id=9, amount=amount,
                                                         on=date(2025, 11, 20), actor="fm1")
    check(back_fund, chart_of("fund"))
    check(back_foundation, chart_of("foundation"))
    assert lines(back_foundation) == [("410103", "debit", "245000.00"),
                                      ("1002", "credit", "245000.00")]
    assert lines(back_fund) == [("1002", "debit", "245000.00"), ("2209", "credit", "245000.00")]
