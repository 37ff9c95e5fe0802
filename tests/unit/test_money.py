"""ledger.core.money: strict parsing, minor units, formatting and exact allocation."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from moneyed import Money

from ledger.core.errors import InvalidAmount, InvalidInput, LedgerError
from ledger.core.money import (
    DEFAULT_CURRENCY,
    MAX_MAJOR_UNITS,
    allocate,
    allocate_minor,
    currency_of,
    decimal_places,
    format_amount,
    from_minor,
    parse_money,
    to_decimal,
    to_minor,
)

PROPERTY = settings(max_examples=200, deadline=None)

#: Largest number of minor units parse_money accepts for a two-decimal currency.
MAX_FEN = int(MAX_MAJOR_UNITS) * 100 - 1


def cny(text: str) -> Money:
    return Money(Decimal(text), "CNY")


# --- parse_money: refusals ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.1, ("decimal string", "float")),
        (350000.0, ("decimal string", "float")),
        (float("nan"), ("float",)),
        (float("inf"), ("float",)),
        (True, ("decimal string", "bool")),
        (False, ("decimal string", "bool")),
        ("NaN", ("not a plain decimal amount",)),
        ("nan", ("not a plain decimal amount",)),
        ("Infinity", ("not a plain decimal amount",)),
        ("-Infinity", ("not a plain decimal amount",)),
        ("inf", ("not a plain decimal amount",)),
        ("1e5", ("not a plain decimal amount",)),
        ("1E5", ("not a plain decimal amount",)),
        ("", ("not a plain decimal amount",)),
        ("   ", ("not a plain decimal amount",)),
        ("1,000", ("not a plain decimal amount",)),
        ("1,000.00", ("not a plain decimal amount",)),
        ("+5", ("not a plain decimal amount",)),
        (".5", ("not a plain decimal amount",)),
        ("5.", ("not a plain decimal amount",)),
        ("0x10", ("not a plain decimal amount",)),
        ("1_000", ("not a plain decimal amount",)),
        ("¥5", ("not a plain decimal amount",)),
        ("5 CNY", ("not a plain decimal amount",)),
        ("١٢", ("not a plain decimal amount",)),  # Arabic-Indic digits
        (Decimal("NaN"), ("finite",)),
        (Decimal("sNaN"), ("finite",)),
        (Decimal("Infinity"), ("finite",)),
        (Decimal("-Infinity"), ("finite",)),
        (None, ("decimal string", "NoneType")),
        ([1], ("decimal string", "list")),
        (Fraction(1, 2), ("decimal string", "Fraction")),
    ],
)
def test_parse_money_refuses_non_decimal_input(value: object, words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money(value)
    for word in words:
        assert word in caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize("value", ["-1", "-0.01", "-350000.00", -5, Decimal("-22.08")])
def test_parse_money_refuses_negative(value: object) -> None:
    with pytest.raises(InvalidAmount, match="must be positive"):
        parse_money(value)


@pytest.mark.parametrize("value", ["0", "0.00", "0.0", 0, Decimal(0), Decimal("0.00")])
def test_parse_money_refuses_zero_unless_allowed(value: object) -> None:
    with pytest.raises(InvalidAmount, match="greater than zero"):
        parse_money(value)
    zero = parse_money(value, allow_zero=True)
    assert zero.amount == 0
    assert format_amount(zero) == "0.00"


def test_allow_negative_admits_negatives_with_the_same_other_rules() -> None:
    assert parse_money("-22.08", allow_negative=True) == cny("-22.08")
    with pytest.raises(InvalidAmount, match="decimal places"):
        parse_money("-22.081", allow_negative=True)
    with pytest.raises(InvalidAmount, match="greater than zero"):
        parse_money("0", allow_negative=True)


@pytest.mark.parametrize(
    ("value", "currency", "places", "allowed"),
    [
        ("1.001", "CNY", 3, 2),
        ("22.080", "CNY", 3, 2),  # numerically 22.08, but written with three decimals
        ("0.000", "CNY", 3, 2),
        (Decimal("1.001"), "CNY", 3, 2),
        (Decimal("22.080"), "CNY", 3, 2),
        ("1.0", "JPY", 1, 0),
        ("100.00", "JPY", 2, 0),
        ("1.0001", "KWD", 4, 3),
        ("0.123", "USD", 3, 2),
    ],
)
def test_parse_money_refuses_more_decimals_than_the_currency_allows(
    value: object, currency: str, places: int, allowed: int
) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money(value, currency, allow_zero=True)
    message = caught.value.message
    assert f"has {places} decimal places" in message
    assert f"{currency} allows at most {allowed}" in message


@pytest.mark.parametrize(
    "value",
    [
        "1000000000000",
        "1000000000000.00",
        "99999999999999999999",
        10**12,
        10**30,
        Decimal("1E+12"),
        Decimal("1E+400"),
    ],
)
def test_parse_money_refuses_absurd_magnitudes(value: object) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money(value)
    assert "beyond the largest amount accepted" in caught.value.message
    assert "1,000,000,000,000 CNY" in caught.value.message


def test_parse_money_refuses_absurd_negative_magnitudes_too() -> None:
    with pytest.raises(InvalidAmount, match="beyond the largest amount accepted"):
        parse_money("-1000000000000", allow_negative=True)


def test_the_largest_accepted_amount_is_just_below_one_trillion() -> None:
    assert to_minor(parse_money("999999999999.99")) == MAX_FEN


@pytest.mark.parametrize(
    ("currency", "words"),
    [
        ("XYZ", ("unknown currency", "'XYZ'")),
        ("QQQ", ("unknown currency",)),
        ("cny", ("three-letter ISO 4217 code",)),
        ("CN", ("three-letter ISO 4217 code",)),
        ("CNYY", ("three-letter ISO 4217 code",)),
        ("", ("three-letter ISO 4217 code",)),
        (156, ("three-letter ISO 4217 code",)),
    ],
)
def test_unknown_currency_is_refused(currency: object, words: tuple[str, ...]) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money("1.00", currency)  # type: ignore[arg-type]
    for word in words:
        assert word in caught.value.message


def test_money_input_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="amount is in USD, expected CNY"):
        parse_money(Money("1.00", "USD"), "CNY")


def test_money_input_is_checked_like_any_other() -> None:
    assert parse_money(cny("22.08")) == cny("22.08")
    with pytest.raises(InvalidAmount, match="decimal places"):
        parse_money(cny("22.085"))
    with pytest.raises(InvalidAmount, match="must be positive"):
        parse_money(cny("-1.00"))


def test_the_field_name_travels_with_the_error() -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_money(1.5, field="postings[0].debit")
    assert caught.value.field == "postings[0].debit"
    assert caught.value.code == "invalid-amount"
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, LedgerError)


# --- parse_money: acceptance -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("350000.00", "CNY", "350000.00"),
        ("22.08", "CNY", "22.08"),
        ("22.8", "CNY", "22.80"),
        ("0.01", "CNY", "0.01"),
        (" 22.08 ", "CNY", "22.08"),
        ("0007", "CNY", "7.00"),
        (5, "CNY", "5.00"),
        (Decimal("22.08"), "CNY", "22.08"),
        (Decimal("1E+2"), "CNY", "100.00"),
        ("1000", "JPY", "1000"),
        ("1.001", "KWD", "1.001"),
        ("9.99", "USD", "9.99"),
    ],
)
def test_parse_money_accepts_plain_decimals(value: object, currency: str, expected: str) -> None:
    money = parse_money(value, currency)
    assert money.currency.code == currency
    assert money.amount == Decimal(expected)
    assert format_amount(money) == expected


def test_parse_money_defaults_to_cny() -> None:
    assert DEFAULT_CURRENCY == "CNY"
    assert parse_money("1.00").currency.code == "CNY"


def test_parse_money_quantizes_to_the_minor_unit() -> None:
    assert parse_money("5").amount.as_tuple().exponent == -2
    assert parse_money("5", "JPY").amount.as_tuple().exponent == 0
    assert parse_money("5", "KWD").amount.as_tuple().exponent == -3


def test_negative_zero_is_plain_zero() -> None:
    zero = parse_money("-0.00", allow_zero=True)
    assert format_amount(zero) == "0.00"


def test_to_decimal_refuses_floats_even_when_they_look_exact() -> None:
    with pytest.raises(InvalidAmount, match="binary floats cannot hold fen exactly"):
        to_decimal(1.0)


# --- currencies --------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "places"), [("CNY", 2), ("USD", 2), ("JPY", 0), ("KWD", 3)])
def test_decimal_places(code: str, places: int) -> None:
    assert decimal_places(code) == places
    assert decimal_places(currency_of(code)) == places


def test_currency_of_passes_currency_objects_through() -> None:
    cur = currency_of("CNY")
    assert currency_of(cur) is cur


# --- minor units -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("money", "units"),
    [
        (cny("350000.00"), 35_000_000),
        (cny("22.08"), 2208),
        (cny("0.01"), 1),
        (cny("-0.01"), -1),
        (Money(Decimal("1000"), "JPY"), 1000),
        (Money(Decimal("1.001"), "KWD"), 1001),
    ],
)
def test_to_minor(money: Money, units: int) -> None:
    assert to_minor(money) == units
    assert type(to_minor(money)) is int
    assert from_minor(units, money.currency) == money


def test_to_minor_refuses_fractions_of_a_minor_unit() -> None:
    with pytest.raises(InvalidAmount, match="finer than one minor unit"):
        to_minor(cny("0.001"))
    with pytest.raises(InvalidAmount, match="finer than one minor unit"):
        to_minor(Money(Decimal("0.5"), "JPY"))


@pytest.mark.parametrize("units", [1.0, True, "100", Decimal(100), None])
def test_from_minor_refuses_non_integers(units: object) -> None:
    with pytest.raises(InvalidAmount, match="minor units must be an integer"):
        from_minor(units)  # type: ignore[arg-type]


@PROPERTY
@given(
    units=st.integers(min_value=-(10**16), max_value=10**16),
    currency=st.sampled_from(["CNY", "USD", "JPY", "KWD"]),
)
def test_minor_units_round_trip(units: int, currency: str) -> None:
    money = from_minor(units, currency)
    assert money.currency.code == currency
    assert to_minor(money) == units
    text = format_amount(money)
    places = decimal_places(currency)
    pattern = r"-?[0-9]+" + (rf"\.[0-9]{{{places}}}" if places else "")
    assert re.fullmatch(pattern, text), text
    assert Decimal(text) == money.amount


@PROPERTY
@given(units=st.integers(min_value=1, max_value=MAX_FEN))
def test_format_then_parse_round_trips(units: int) -> None:
    money = from_minor(units)
    assert parse_money(format_amount(money)) == money
    assert to_minor(parse_money(format_amount(money))) == units


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (cny("105000"), "105000.00"),
        (cny("22.8"), "22.80"),
        (cny("0"), "0.00"),
        (Money(Decimal("1E+2"), "CNY"), "100.00"),
        (Money(Decimal("12"), "JPY"), "12"),
        (Money(Decimal("1.5"), "KWD"), "1.500"),
        (from_minor(1), "0.01"),
        (from_minor(-2208), "-22.08"),
    ],
)
def test_format_amount_gives_exactly_the_currency_decimals(money: Money, text: str) -> None:
    assert format_amount(money) == text


# --- allocate: concrete cases -----------------------------------------------------------------
def test_350000_split_30_70() -> None:
    assert allocate(parse_money("350000.00"), [30, 70]) == [cny("105000.00"), cny("245000.00")]
    assert [format_amount(m) for m in allocate(parse_money("350000.00"), [30, 70])] == [
        "105000.00",
        "245000.00",
    ]


def test_7000_over_317_equal_shares() -> None:
    parts = allocate(parse_money("7000.00"), [1] * 317)
    assert len(parts) == 317
    assert parts[:64] == [cny("22.09")] * 64
    assert parts[64:] == [cny("22.08")] * 253
    assert sum(to_minor(p) for p in parts) == 700_000


def test_one_fen_split_30_70_goes_to_the_larger_share() -> None:
    assert allocate(parse_money("0.01"), [30, 70]) == [cny("0.00"), cny("0.01")]


def test_one_fen_split_evenly_goes_to_the_first() -> None:
    assert allocate(parse_money("0.01"), [1, 1]) == [cny("0.01"), cny("0.00")]
    assert allocate_minor(2, [1, 1, 1]) == [1, 1, 0]


@pytest.mark.parametrize(
    "ratios",
    [
        [Decimal("0.3"), Decimal("0.7")],
        [Fraction(3, 10), Fraction(7, 10)],
        [3, 7],
        [Decimal("30"), 70],
    ],
)
def test_exact_ratio_types(ratios: list[object]) -> None:
    assert allocate(parse_money("350000.00"), ratios) == [cny("105000.00"), cny("245000.00")]


def test_allocate_keeps_the_currency() -> None:
    parts = allocate(parse_money("10", "JPY"), [1, 1, 1])
    assert parts == [Money(Decimal(4), "JPY"), Money(Decimal(3), "JPY"), Money(Decimal(3), "JPY")]


def test_allocate_negative_money() -> None:
    assert allocate(cny("-0.05"), [1, 1]) == [cny("-0.03"), cny("-0.02")]


def test_allocate_refuses_a_total_finer_than_the_minor_unit() -> None:
    with pytest.raises(InvalidAmount, match="finer than one minor unit"):
        allocate(cny("1.001"), [1, 1])


@pytest.mark.parametrize(
    ("ratios", "words"),
    [
        ([0.3, 0.7], "ratio must be an int, Decimal or Fraction"),
        ([1, float("nan")], "ratio must be an int, Decimal or Fraction"),
        ([True, False], "ratio must be an int, Decimal or Fraction"),
        ([Decimal("NaN"), 1], "ratio must be a finite exact number"),
        ([Decimal("Infinity"), 1], "ratio must be a finite exact number"),
        (["1", "2"], "ratio must be a finite exact number"),
        ([None], "ratio must be a finite exact number"),
        ([1, -1], "must not be negative"),
        ([Decimal("-0.3"), Decimal("1.3")], "must not be negative"),
        ([0, 0], "must not all be zero"),
        ([Decimal(0)], "must not all be zero"),
        ([], "at least one ratio"),
    ],
)
def test_allocate_refuses_bad_ratios(ratios: list[object], words: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        allocate_minor(100, ratios)
    assert words in caught.value.message
    with pytest.raises(InvalidAmount):
        allocate(parse_money("1.00"), ratios)


# --- allocate: properties ---------------------------------------------------------------------
totals = st.integers(min_value=-(10**14), max_value=10**14)
ratio_lists = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40).filter(
    lambda rs: sum(rs) > 0
)
exact_ratios = st.one_of(
    st.integers(min_value=0, max_value=1000),
    st.fractions(min_value=0, max_value=1000, max_denominator=1000),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
)
mixed_ratio_lists = st.lists(exact_ratios, min_size=1, max_size=20).filter(
    lambda rs: sum(Fraction(r) for r in rs) > 0
)


def exact_shares(total: int, ratios: list[object]) -> list[Fraction]:
    weights = [Fraction(r) for r in ratios]  # type: ignore[arg-type]
    whole = sum(weights, Fraction(0))
    return [total * w / whole for w in weights]


@PROPERTY
@given(total=totals, ratios=st.one_of(ratio_lists, mixed_ratio_lists))
def test_parts_sum_to_the_total_and_stay_within_one_unit(
    total: int, ratios: list[object]
) -> None:
    parts = allocate_minor(total, ratios)
    assert len(parts) == len(ratios)
    assert all(type(p) is int for p in parts)
    assert sum(parts) == total
    for part, share in zip(parts, exact_shares(total, ratios), strict=True):
        assert abs(part - share) < 1


@PROPERTY
@given(total=st.sampled_from([0, 1, -1]), ratios=ratio_lists)
def test_parts_sum_to_tiny_totals(total: int, ratios: list[int]) -> None:
    assert sum(allocate_minor(total, ratios)) == total


@PROPERTY
@given(total=totals, ratios=ratio_lists)
def test_zero_ratios_get_nothing(total: int, ratios: list[int]) -> None:
    parts = allocate_minor(total, ratios)
    for ratio, part in zip(ratios, parts, strict=True):
        if ratio == 0:
            assert part == 0


@PROPERTY
@given(total=totals, ratios=ratio_lists)
def test_parts_have_the_sign_of_the_total(total: int, ratios: list[int]) -> None:
    parts = allocate_minor(total, ratios)
    if total >= 0:
        assert all(p >= 0 for p in parts)
    else:
        assert all(p <= 0 for p in parts)


@PROPERTY
@given(total=totals, ratios=ratio_lists)
def test_allocation_is_deterministic(total: int, ratios: list[int]) -> None:
    first = allocate_minor(total, ratios)
    assert allocate_minor(total, list(ratios)) == first
    assert allocate_minor(total, tuple(ratios)) == first


@PROPERTY
@given(total=totals, ratios=ratio_lists, factor=st.integers(min_value=1, max_value=1000))
@example(total=186, ratios=[1, 23, 23, 170], factor=21)  # once found with rounded decimals
def test_scaling_every_ratio_changes_nothing(total: int, ratios: list[int], factor: int) -> None:
    scaled = [r * factor for r in ratios]
    assert allocate_minor(total, scaled) == allocate_minor(total, ratios)
    # Exact fractions of the ratios, and exact decimals (Decimal(23) / 21 would be rounded to
    # 28 digits, and rounded ratios are other ratios).
    assert allocate_minor(total, [Fraction(r, factor) for r in ratios]) == allocate_minor(
        total, ratios
    )
    assert allocate_minor(total, [Decimal(r).scaleb(-3) for r in ratios]) == allocate_minor(
        total, ratios
    )


@PROPERTY
@given(total=totals, ratios=ratio_lists)
def test_negative_total_mirrors_the_positive_one(total: int, ratios: list[int]) -> None:
    assert allocate_minor(-total, ratios) == [-p for p in allocate_minor(total, ratios)]


@PROPERTY
@given(total=st.integers(min_value=0, max_value=10**14), ratios=ratio_lists)
def test_leftover_units_go_to_the_largest_remainders_ties_to_the_earlier_part(
    total: int, ratios: list[int]
) -> None:
    parts = allocate_minor(total, ratios)
    shares = exact_shares(total, ratios)
    floors = [int(s) for s in shares]
    bumped = [p - f for p, f in zip(parts, floors, strict=True)]
    assert set(bumped) <= {0, 1}
    remainders = [s - f for s, f in zip(shares, floors, strict=True)]
    for i, got in enumerate(bumped):
        for j, other in enumerate(bumped):
            if got and not other:
                # i won a leftover unit over j: its remainder is larger, or equal and earlier
                assert remainders[i] > remainders[j] or (remainders[i] == remainders[j] and i < j)


@PROPERTY
@given(
    total=st.integers(min_value=0, max_value=10**9),
    ratio=st.integers(min_value=1, max_value=1000),
    count=st.integers(min_value=1, max_value=50),
)
def test_equal_ratios_favour_the_earlier_parts(total: int, ratio: int, count: int) -> None:
    parts = allocate_minor(total, [ratio] * count)
    base, extra = divmod(total, count)
    assert parts == [base + 1] * extra + [base] * (count - extra)


@PROPERTY
@given(total=st.integers(min_value=0, max_value=10**9), ratios=ratio_lists)
def test_equal_ratios_never_get_less_than_a_later_equal_ratio(
    total: int, ratios: list[int]
) -> None:
    parts = allocate_minor(total, ratios)
    for i in range(len(ratios)):
        for j in range(i + 1, len(ratios)):
            if ratios[i] == ratios[j]:
                assert parts[i] >= parts[j]


@PROPERTY
@given(units=st.integers(min_value=1, max_value=MAX_FEN), ratios=ratio_lists)
def test_allocate_money_matches_allocate_minor(units: int, ratios: list[int]) -> None:
    total = from_minor(units)
    parts = allocate(total, ratios)
    assert [to_minor(p) for p in parts] == allocate_minor(units, ratios)
    assert all(p.currency == total.currency for p in parts)
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
