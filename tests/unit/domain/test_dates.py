"""Date arithmetic behind every deadline: month-end clamping and inclusive bounds."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.dates import add_months, within_days, within_months

DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


def test_a_leap_day_plus_twelve_months_clamps_to_the_end_of_february() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_a_month_end_plus_three_months_clamps_to_the_shorter_month() -> None:
    assert add_months(date(2025, 1, 31), 3) == date(2025, 4, 30)


def test_months_roll_over_the_year_end() -> None:
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


def test_within_twelve_months_includes_the_anniversary_and_not_the_day_after() -> None:
    assert within_months(date(2025, 2, 28), date(2024, 2, 29), 12)
    assert not within_months(date(2025, 3, 1), date(2024, 2, 29), 12)


def test_within_ninety_days_includes_the_ninetieth_day_and_not_the_ninety_first() -> None:
    start = date(2024, 1, 1)
    assert within_days(start + timedelta(days=90), start, 90)
    assert not within_days(start + timedelta(days=91), start, 90)


@given(DATES, st.integers(min_value=-240, max_value=240))
def test_adding_months_keeps_the_day_or_clamps_it_to_the_month_end(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    last_day = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last_day)


@given(DATES, st.integers(min_value=0, max_value=240))
def test_adding_months_never_goes_backwards_and_is_monotonic(day: date, months: int) -> None:
    assert add_months(day, months) >= day
    assert add_months(day + timedelta(days=1), months) >= add_months(day, months)
