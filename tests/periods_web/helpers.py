"""Helpers of the periods' page tests: the books set up through the use cases (as the staff
would: an admin's entries, a fund manager's close, an auditor's sign-off), and reads of the
pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape

from sqlalchemy import Engine

from ledger import books, periods, staff
from ledger.core.entries import JournalEntry, Posting
from ledger.core.money import parse_money
from ledger.core.periods import Opinion
from ledger.core.staff import Actor, Role
from ledger.db.session import UnitOfWork

from ..auth.helpers import row_counts
from ..conftest import Staff
from ..foundation_web.helpers import Browser, flashes

__all__ = ["Books", "Browser", "errors_of", "flashes", "text_of"]

MONTH = "2026-10"
PAGE = f"/staff/periods/fund/{MONTH}"
ERRORS = re.compile(r'<ul class="errors"[^>]*>(.*?)</ul>', re.S)
ALERT = re.compile(r'<p class="alert error" role="alert">(.*?)</p>', re.S)


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def errors_of(html: str) -> list[str]:
    """Every message shown next to a field, as text."""
    return [text_of(m) for m in ERRORS.findall(html)]


def alerts_of(html: str) -> list[str]:
    """The refusals shown at the top of the page, as text."""
    return [text_of(m) for m in ALERT.findall(html)]


@dataclass
class Books:
    """The use cases as the staff run them."""

    uow: UnitOfWork
    accounts: Staff
    engine: Engine

    def actor(self, username: str, role: str) -> Actor:
        return staff.user(self.uow, username).actor(Role(role))

    def counts(self) -> dict[str, int]:
        return row_counts(self.engine)

    def entry(self, day: date, amount: str, entity: str = "fund") -> None:
        income = "420101" if entity == "fund" else "410101"
        books.post(self.uow, JournalEntry(
            entity=entity, effective_date=day, memo=f"收入 {day}", actor="admin1",
            postings=(Posting.debit("1002", parse_money(amount)),
                      Posting.credit(income, parse_money(amount)))))

    def seed(self) -> None:
        """The fund's income: 1,200.00 in September, 3,000.00 and 45.50 in October 2026."""
        for day, amount in ((date(2026, 9, 15), "1200.00"), (date(2026, 10, 10), "3000.00"),
                            (date(2026, 10, 31), "45.50")):
            self.entry(day, amount)

    def start_closing(self, entity: str = "fund", label: str = MONTH) -> None:
        periods.start_closing(self.uow, self.actor("fm1", "fund_manager"), entity, label)

    def close(self, entity: str = "fund", label: str = MONTH) -> None:
        self.start_closing(entity, label)
        periods.close_period(self.uow, self.actor("fm1", "fund_manager"), entity, label)

    def sign(self, entity: str = "fund", label: str = MONTH,
             opinion: Opinion = Opinion.UNQUALIFIED) -> None:
        periods.sign_off(self.uow, self.actor("aud1", "auditor"), entity, label,
                         opinion=opinion, notes="账实相符。")

    def state(self, entity: str = "fund", label: str = MONTH) -> periods.PeriodState:
        return periods.period_state(self.uow, entity, label)


def page_of(browser: Browser, path: str = PAGE, status: int = 200) -> str:
    return browser.page(path, status)


def flash_texts(html: str) -> list[str]:
    return [text_of(m) for m in flashes(html)]
