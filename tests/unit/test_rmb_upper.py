"""Amounts in capital numerals (人民币大写), as receipts and cheques write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.errors import InvalidAmount
from ledger.core.money import from_minor, parse_money, rmb_upper


@pytest.mark.parametrize(("amount", "words"), [
    ("350000.00", "叁拾伍万元整"),
    ("105000.00", "壹拾万伍仟元整"),
    ("245000.00", "贰拾肆万伍仟元整"),
    ("5000000.00", "伍佰万元整"),
    ("22.08", "贰拾贰元零捌分"),
    ("22.09", "贰拾贰元零玖分"),
    ("7000.00", "柒仟元整"),
    ("1000.05", "壹仟元零伍分"),
    ("100010.00", "壹拾万零壹拾元整"),
    ("1010000.00", "壹佰零壹万元整"),
    ("10000001.00", "壹仟万零壹元整"),
    ("100000000.00", "壹亿元整"),
    ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
    ("0.50", "伍角"),
    ("0.05", "伍分"),
    ("0.01", "壹分"),
    ("10.50", "壹拾元伍角"),
])
def test_known_amounts(amount: str, words: str) -> None:
    assert rmb_upper(parse_money(amount)) == words


def test_zero_and_refusals() -> None:
    assert rmb_upper(parse_money("0", allow_zero=True)) == "零元整"
    with pytest.raises(InvalidAmount, match="CNY"):
        rmb_upper(parse_money("1", "USD"))
    with pytest.raises(InvalidAmount, match="zero or more"):
        rmb_upper(parse_money("-1", allow_negative=True))


_VALUE = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _read_back(words: str) -> int:
    """Parse capital numerals back to fen (a small reader for the property below)."""
    words = words.removesuffix("整")
    total, section, number = 0, 0, 0
    for char in words:
        if char in _VALUE:
            number = _VALUE[char]
        elif char in _UNIT:
            section += number * _UNIT[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        elif char == "元":
            total = (total + section + number) * 100
            section = number = 0
        elif char == "角":
            total += number * 10
            number = 0
        elif char == "分":
            total += number
            number = 0
    return total


@given(st.integers(min_value=1, max_value=10**14 - 1))
def test_every_amount_reads_back_exactly(fen: int) -> None:
    words = rmb_upper(from_minor(fen))
    assert _read_back(words) == fen
    assert "零零" not in words
    assert not words.startswith("零")
