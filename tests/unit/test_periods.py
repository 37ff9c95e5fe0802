"""ledger.core.periods: calendar periods, their labels, order and days, and the moves of a
period's status (no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.errors import Conflict, InvalidInput
from ledger.core.periods import (
    BUSINESS_SOURCES,
    PERIOD_TRANSITIONS,
    Period,
    PeriodKind,
    PeriodNotInState,
    PeriodStatus,
    VerificationFailed,
    check_period_transition,
    month,
    parse_period,
    period_of,
    year,
)

PROPERTY = settings(max_examples=100, deadline=None)


# --- labels -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "starts_on", "ends_on", "kind", "canonical"), [
    ("2026", date(2026, 1, 1), date(2026, 12, 31), PeriodKind.YEAR, "2026"),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31), PeriodKind.MONTH, "2026-01"),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), PeriodKind.MONTH, "2026-02"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), PeriodKind.MONTH, "2024-02"),  # leap
    ("2000-02", date(2000, 2, 1), date(2000, 2, 29), PeriodKind.MONTH, "2000-02"),  # /400
    ("1900-02", date(1900, 2, 1), date(1900, 2, 28), PeriodKind.MONTH, "1900-02"),  # /100
    ("2100-02", date(2100, 2, 1), date(2100, 2, 28), PeriodKind.MONTH, "2100-02"),
    ("2026-04", date(2026, 4, 1), date(2026, 4, 30), PeriodKind.MONTH, "2026-04"),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31), PeriodKind.MONTH, "2026-12"),
    (" 2026-10 ", date(2026, 10, 1), date(2026, 10, 31), PeriodKind.MONTH, "2026-10"),
    ("1900", date(1900, 1, 1), date(1900, 12, 31), PeriodKind.YEAR, "1900"),
    ("2999-12", date(2999, 12, 1), date(2999, 12, 31), PeriodKind.MONTH, "2999-12"),
])
def test_labels_parse_to_calendar_periods(label: str, starts_on: date, ends_on: date,
                                          kind: PeriodKind, canonical: str) -> None:
    found = parse_period(label)
    assert (found.starts_on, found.ends_on, found.kind, found.label, str(found)) == (
        starts_on, ends_on, kind, canonical, canonical)
    assert found == Period(starts_on, ends_on)
    assert period_of(starts_on, ends_on) == found


@pytest.mark.parametrize("label", [
    "", "   ", "26", "202", "02026", "2026-1", "2026-001", "2026-13", "2026-00", "1899",
    "3000", "3000-01", "1899-12", "2026-02-01", "2026/02", "2026.02", "2026-", "-2026",
    "2026 02", "abc", "2026-1a", "Y2026", "2026-02\n2026"])
def test_bad_labels_are_refused(label: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(label)
    assert caught.value.field == "period"


def test_no_label_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_period(None)  # type: ignore[arg-type]


@given(st.integers(1900, 2999), st.integers(1, 12))
@PROPERTY
def test_every_month_round_trips_and_ends_on_its_last_day(y: int, m: int) -> None:
    found = parse_period(f"{y}-{m:02d}")
    assert found == month(y, m)
    assert parse_period(found.label) == found
    assert (found.starts_on, found.kind) == (date(y, m, 1), PeriodKind.MONTH)
    assert found.ends_on.month == m
    assert (found.ends_on + timedelta(days=1)).day == 1
    assert parse_period(str(y)) == year(y)


@pytest.mark.parametrize(("starts_on", "ends_on"), [
    (date(2026, 1, 5), date(2026, 1, 31)),  # not from the first
    (date(2026, 1, 1), date(2026, 1, 30)),  # not to the last
    (date(2026, 1, 1), date(2026, 2, 28)),  # two months
    (date(2026, 2, 1), date(2026, 12, 31)),  # eleven
    (date(2025, 1, 1), date(2026, 12, 31)),  # two years
    (date(2026, 1, 1), date(2026, 1, 1)),
])
def test_stored_dates_that_are_no_month_or_year_are_refused(starts_on: date,
                                                            ends_on: date) -> None:
    with pytest.raises(InvalidInput):
        period_of(starts_on, ends_on)


def test_periods_of_kinds_and_order() -> None:
    assert year(2026).kind is PeriodKind.YEAR
    assert Period(date(2026, 1, 1), date(2026, 1, 31)).kind is PeriodKind.MONTH
    assert Period(date(2026, 12, 1), date(2026, 12, 31)).kind is PeriodKind.MONTH
    assert month(2026, 1) < month(2026, 2) < month(2027, 1)
    assert year(2025) < year(2026)
    assert sorted([month(2026, 3), year(2026), month(2025, 12)]) == [
        month(2025, 12), year(2026), month(2026, 3)]


# --- previous periods and days ------------------------------------------------------------------
@pytest.mark.parametrize(("period", "before"), [
    (year(2026), year(2025)),
    (month(2026, 1), month(2025, 12)),
    (month(2026, 2), month(2026, 1)),
    (month(2024, 3), Period(date(2024, 2, 1), date(2024, 2, 29))),
    (month(2026, 3), Period(date(2026, 2, 1), date(2026, 2, 28))),
    (month(2026, 12), month(2026, 11)),
])
def test_previous_is_the_same_kind_just_before(period: Period, before: Period) -> None:
    assert period.previous() == before
    assert before.kind is period.kind


@given(st.dates(date(1901, 1, 1), date(2999, 12, 31)))
@PROPERTY
def test_every_day_is_in_its_month_and_year_and_no_other(day: date) -> None:
    this_month, this_year = month(day.year, day.month), year(day.year)
    assert day in this_month
    assert day in this_year
    assert day not in this_month.previous()
    assert day not in this_year.previous()
    assert this_month.previous().ends_on + timedelta(days=1) == this_month.starts_on
    assert this_year.previous().ends_on + timedelta(days=1) == this_year.starts_on


def test_contains() -> None:
    feb = month(2026, 2)
    assert date(2026, 2, 1) in feb
    assert date(2026, 2, 28) in feb
    assert date(2026, 1, 31) not in feb
    assert date(2026, 3, 1) not in feb
    for other in ("2026-02-10", None, 20260210, feb):
        assert other not in feb


def test_contains_answers_for_a_datetime() -> None:
    assert (datetime(2026, 2, 10, 12, 0) in month(2026, 2)) in (True, False)  # noqa: DTZ001


# --- status moves -----------------------------------------------------------------------------
MOVES = {(PeriodStatus.OPEN, PeriodStatus.CLOSING), (PeriodStatus.CLOSING, PeriodStatus.CLOSED),
         (PeriodStatus.CLOSING, PeriodStatus.OPEN), (PeriodStatus.CLOSED, PeriodStatus.OPEN)}


@pytest.mark.parametrize("current", list(PeriodStatus))
@pytest.mark.parametrize("new", list(PeriodStatus))
def test_status_moves(current: PeriodStatus, new: PeriodStatus) -> None:
    assert {(c, n) for c, moves in PERIOD_TRANSITIONS.items() for n in moves} == MOVES
    if (current, new) in MOVES:
        check_period_transition(current, new)
        return
    with pytest.raises(PeriodNotInState) as caught:
        check_period_transition(current, new)
    assert caught.value.field == "status"
    assert isinstance(caught.value, Conflict)
    assert (PeriodNotInState.code, VerificationFailed.code) == ("period-state",
                                                                "verification-failed")


def test_business_sources_are_those_of_the_business_records() -> None:
    assert set(BUSINESS_SOURCES) == {"deposit", "transfer", "expense", "service", "income",
                                     "grant", "campaign"}
    assert "voucher" not in BUSINESS_SOURCES
