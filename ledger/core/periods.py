"""Accounting periods (会计期间) and their close, reopening and audit sign-off.

A period is a calendar month ("2026-10") or year ("2026") of one entity. It goes
open -> closing -> closed: while closing, only adjusting entries (vouchers and admins'
manual entries) may be dated inside it, never the entries business records post; once closed,
nothing may (the database refuses it). Closing records the chain head and the balances.
An admin may reopen a closed period, with a reason; that voids its audit sign-off, and a new
close needs a new sign-off.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .errors import Conflict, InvalidInput
from .states import check_move

#: Source kinds of the entries business records post (deposits, income, grants...): kept out
#: of a closing period, where only adjusting entries go (vouchers, admins' entries, reversals).
BUSINESS_SOURCES = ("deposit", "transfer", "expense", "service", "income", "grant", "campaign")


class PeriodKind(StrEnum):
    MONTH = "month"
    YEAR = "year"


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSING = "closing"  # only adjusting entries may be dated inside it
    CLOSED = "closed"  # nothing may be dated inside it


PERIOD_TRANSITIONS = {
    PeriodStatus.OPEN: (PeriodStatus.CLOSING,),
    PeriodStatus.CLOSING: (PeriodStatus.CLOSED, PeriodStatus.OPEN),
    PeriodStatus.CLOSED: (PeriodStatus.OPEN,),  # reopened by an admin, with a reason
}


class Opinion(StrEnum):
    """The auditor's opinion (审计意见)."""

    UNQUALIFIED = "unqualified"  # 无保留意见
    QUALIFIED = "qualified"  # 保留意见
    ADVERSE = "adverse"  # 否定意见
    DISCLAIMER = "disclaimer"  # 无法表示意见


class PeriodNotInState(Conflict):
    code = "period-state"
    title = "The period is not at that stage"


class VerificationFailed(Conflict):
    code = "verification-failed"
    title = "The books do not verify; the period cannot be signed off"


def check_period_transition(current: PeriodStatus, new: PeriodStatus) -> None:
    check_move(PERIOD_TRANSITIONS, current, new, what="period", error=PeriodNotInState)


_LABEL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar month or year; `label` is "2026-10" or "2026"."""

    starts_on: date
    ends_on: date

    @property
    def kind(self) -> PeriodKind:
        return PeriodKind.YEAR if (self.starts_on.month, self.ends_on.month) == (1, 12) \
            and self.starts_on.year == self.ends_on.year else PeriodKind.MONTH

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"{self.starts_on.year}"
        return f"{self.starts_on.year}-{self.starts_on.month:02d}"

    def previous(self) -> Period:
        """The period of the same kind just before (the comparative figures)."""
        if self.kind is PeriodKind.YEAR:
            return year(self.starts_on.year - 1)
        day = self.starts_on - timedelta(days=1)
        return month(day.year, day.month)

    def __contains__(self, day: object) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on

    def __str__(self) -> str:
        return self.label


def month(year_: int, month_: int) -> Period:
    last = calendar.monthrange(year_, month_)[1]
    return Period(date(year_, month_, 1), date(year_, month_, last))


def year(year_: int) -> Period:
    return Period(date(year_, 1, 1), date(year_, 12, 31))


def parse_period(label: str) -> Period:
    """A period from its label: "2026" (a year) or "2026-10" (a month)."""
    found = _LABEL.match((label or "").strip())
    if found is None or not 1900 <= int(found[1]) <= 2999 \
            or (found[2] is not None and not 1 <= int(found[2]) <= 12):
        raise InvalidInput(f"{label!r} is not a period: write a year (2026) or a month "
                           f"(2026-10)", field="period")
    if found[2] is None:
        return year(int(found[1]))
    return month(int(found[1]), int(found[2]))


def period_of(starts_on: date, ends_on: date) -> Period:
    """The period of stored dates (a whole month or year)."""
    found = Period(starts_on, ends_on)
    if parse_period(found.label) != found:
        raise InvalidInput(f"{starts_on} to {ends_on} is not a calendar month or year",
                           field="period")
    return found
