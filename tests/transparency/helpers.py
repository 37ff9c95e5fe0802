"""Helpers of the public transparency pages' tests (issue 8): real books with residents'
payments (through the use cases of tests/periods/helpers.py) and reads of the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape

from moneyed import Money

from ..periods.helpers import Books

MONTH = "2026-10"
NOT_ISSUED = "0000-0000-0000"


@dataclass
class Paid:
    """What `paid` recorded: October's payments (code, amount, entry number), the code of the
    November payment, and the roll's private contacts (names and phones)."""

    codes: list[str]
    amounts: list[Money]
    seqs: list[int]
    november: str
    private: list[str]


def pay_october(bk: Books, *, sign: bool = True) -> Paid:
    """The campaign, its payments and October's close (and sign-off, unless `sign` is False)."""
    campaign = bk.campaign("1000.00", "900.00", 6)
    bk.income("5000.00", date(2026, 10, 2))
    roll = bk.roll(campaign.id)
    payments = [bk.pay(campaign.id, household, date(2026, 10, 5 + n))
                for n, household in enumerate(roll[:5])]
    november = bk.pay(campaign.id, roll[5], date(2026, 11, 2))
    bk.close("foundation", MONTH)
    if sign:
        bk.sign("foundation", MONTH)
    private = [f"住户{n}" for n in range(1, 7)] + [f"1380000{n:04d}" for n in range(1, 7)]
    return Paid([p.receipt_code for p in payments], [p.amount for p in payments],
                [p.entry_seq for p in payments], november.receipt_code, private)


def text_of(html: str) -> str:
    """A page's text: scripts and tags dropped, spaces collapsed."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()
