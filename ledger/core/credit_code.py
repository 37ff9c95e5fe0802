"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
registration authority (1), organisation type (1), administrative division (6 digits),
organisation code (9), check character (1). The check character makes the weighted sum of all
18 values (weights 3^i mod 31) divisible by 31.
"""

from __future__ import annotations

from .errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """The code in its canonical form, or InvalidInput saying exactly what is wrong."""
    text = code.strip().upper()
    if len(text) != 18:
        raise InvalidInput(f"a unified social credit code has 18 characters, not {len(text)}",
                           field="credit_code")
    wrong = sorted({c for c in text if c not in _VALUE})
    if wrong:
        raise InvalidInput(
            f"a unified social credit code uses digits and capital letters other than "
            f"I, O, S, V and Z; {''.join(wrong)!r} cannot appear", field="credit_code")
    if not text[2:8].isdigit():
        raise InvalidInput("characters 3 to 8 (the administrative division) must be digits",
                           field="credit_code")
    expected = check_character(text[:17])
    if text[17] != expected:
        raise InvalidInput(
            f"the check character is wrong: {text[17]!r} where the first 17 characters give "
            f"{expected!r} (a typing mistake?)", field="credit_code")
    return text
