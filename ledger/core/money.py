"""Money: parsing, minor units and exact allocation.

Amounts are py-moneyed `Money` (a `Decimal` and a currency) in code and integer minor units
(fen for CNY) in the database. Nothing here ever touches a binary float.

Remainder rule of `allocate` (largest remainder, Hamilton's method): every part first gets the
floor of its exact share in minor units; the minor units left over go, one each, to the parts
with the largest fractional remainders; ties go to the part listed first. So 7,000.00 over 317
equal shares gives 22.09 to the first 64 households and 22.08 to the other 253.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from moneyed import Currency, CurrencyDoesNotExist, Money, get_currency

from .errors import InvalidAmount

DEFAULT_CURRENCY = "CNY"
#: Largest amount accepted anywhere, in major units (one trillion yuan): far above any real
#: deposit or grant, far below what a 64-bit column of minor units holds even when summed.
MAX_MAJOR_UNITS = Decimal(10) ** 12

_PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def currency_of(code: str | Currency) -> Currency:
    """The py-moneyed currency for an ISO 4217 code, or InvalidAmount."""
    if isinstance(code, Currency):
        return code
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidAmount(f"currency must be a three-letter ISO 4217 code, not {code!r}")
    try:
        return get_currency(code)
    except CurrencyDoesNotExist:
        raise InvalidAmount(f"unknown currency {code!r}") from None


def decimal_places(currency: str | Currency) -> int:
    """How many decimals the currency's minor unit allows (CNY: 2, JPY: 0, KWD: 3)."""
    return len(str(currency_of(currency).sub_unit)) - 1


def to_decimal(value: object, *, field: str | None = None) -> Decimal:
    """A finite Decimal from a str, int or Decimal; floats and bools are refused outright."""
    if isinstance(value, bool | float):
        raise InvalidAmount(
            f"amount must be given as a decimal string such as \"350000.00\", not a "
            f"{type(value).__name__} ({value!r}); binary floats cannot hold fen exactly",
            field=field,
        )
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if not _PLAIN_DECIMAL.match(text):
            raise InvalidAmount(
                f"{value!r} is not a plain decimal amount (digits, optionally a point and "
                f"decimals, e.g. \"22.08\")",
                field=field,
            )
        try:
            result = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
            raise InvalidAmount(f"{value!r} is not a number", field=field) from None
    else:
        raise InvalidAmount(
            f"amount must be a decimal string, not {type(value).__name__}", field=field
        )
    if not result.is_finite():
        raise InvalidAmount(f"amount must be a finite number, not {value!r}", field=field)
    return result


def parse_money(
    value: object,
    currency: str | Currency = DEFAULT_CURRENCY,
    *,
    field: str | None = None,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Money:
    """Parse an amount strictly: exact, finite, within the currency's decimals and sane bounds."""
    if isinstance(value, Money):
        cur = currency_of(currency)
        if value.currency != cur:
            raise InvalidAmount(
                f"amount is in {value.currency.code}, expected {cur.code}", field=field
            )
        amount = value.amount
    else:
        cur = currency_of(currency)
        amount = to_decimal(value, field=field)
    places = decimal_places(cur)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by to_decimal
    if -exponent > places:
        raise InvalidAmount(
            f"{amount} has {-exponent} decimal places; {cur.code} allows at most {places}",
            field=field,
        )
    if amount < 0 and not allow_negative:
        raise InvalidAmount(f"amount must be positive, not {amount}", field=field)
    if amount == 0 and not allow_zero:
        raise InvalidAmount("amount must be greater than zero", field=field)
    if abs(amount) >= MAX_MAJOR_UNITS:
        raise InvalidAmount(
            f"{amount} is beyond the largest amount accepted ({MAX_MAJOR_UNITS:,} {cur.code})",
            field=field,
        )
    if amount == 0:
        amount = abs(amount)  # no "-0.00"
    return Money(amount.quantize(Decimal(1).scaleb(-places)), cur)


def to_minor(money: Money) -> int:
    """Integer minor units (fen) of an amount that is exact to the currency's minor unit."""
    units = money.amount * money.currency.sub_unit
    if units != units.to_integral_value():
        raise InvalidAmount(f"{money.amount} is finer than one minor unit of {money.currency}")
    return int(units)


def from_minor(units: int, currency: str | Currency = DEFAULT_CURRENCY) -> Money:
    """The Money for an integer number of minor units."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise InvalidAmount(f"minor units must be an integer, not {type(units).__name__}")
    cur = currency_of(currency)
    places = decimal_places(cur)
    return Money(Decimal(units).scaleb(-places), cur)


def format_amount(money: Money) -> str:
    """Canonical plain string with exactly the currency's decimals: '105000.00'."""
    places = decimal_places(money.currency)
    return f"{money.amount:.{places}f}"


def _ratio(value: object) -> Fraction:
    if isinstance(value, bool | float):
        raise InvalidAmount(f"ratio must be an int, Decimal or Fraction, not {value!r}")
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    raise InvalidAmount(f"ratio must be a finite exact number, not {value!r}")


def allocate_minor(total: int, ratios: Sequence[object]) -> list[int]:
    """Split integer minor units by ratios; the parts always sum to `total` (see module doc)."""
    weights = [_ratio(r) for r in ratios]
    if not weights:
        raise InvalidAmount("allocate needs at least one ratio")
    if any(w < 0 for w in weights):
        raise InvalidAmount("ratios must not be negative")
    whole = sum(weights, Fraction(0))
    if whole == 0:
        raise InvalidAmount("ratios must not all be zero")
    if total < 0:
        return [-part for part in allocate_minor(-total, ratios)]
    exact = [total * w / whole for w in weights]
    parts = [int(share) for share in exact]  # floor: shares are non-negative
    left = total - sum(parts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def allocate(total: Money, ratios: Sequence[object]) -> list[Money]:
    """Split `total` exactly by `ratios` (largest remainder, ties to the earlier part)."""
    return [
        from_minor(part, total.currency)
        for part in allocate_minor(to_minor(total), ratios)
    ]


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _four_digits(number: int) -> str:
    """0 < number < 10000 in capital numerals, with 零 for inner gaps (1010: 壹仟零壹拾)."""
    text, gap = "", False
    for place in (3, 2, 1, 0):
        digit = number // 10**place % 10
        if digit == 0:
            gap = bool(text)
        else:
            text += ("零" if gap else "") + _DIGITS[digit] + _PLACES[place]
            gap = False
    return text


def rmb_upper(amount: Money) -> str:
    """An amount of yuan in capital numerals (人民币大写), as cheques and receipts write it:
    350,000.00 -> 叁拾伍万元整; 22.08 -> 贰拾贰元零捌分; 1,000,000.50 -> 壹佰万元伍角."""
    if amount.currency.code != "CNY":
        raise InvalidAmount("capital numerals are written for CNY amounts only")
    fen_total = to_minor(amount)
    if fen_total < 0:
        raise InvalidAmount("capital numerals are written for amounts of zero or more")
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    text = ""
    groups = [yuan // 10_000**i % 10_000 for i in range(len(_GROUPS))]
    gap = False
    for index in reversed(range(len(_GROUPS))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _four_digits(group) + _GROUPS[index]
        gap = False
    if yuan:
        text += "元"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        text += ("零" if yuan and not jiao else "") + _DIGITS[fen] + "分"
    if not text:
        return "零元整"
    return text + ("整" if not fen and not jiao else "")
