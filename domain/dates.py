"""Calendar arithmetic for policy deadlines: months clamp to the month's end, bounds are inclusive."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months, clamped to the end of the target month.

    2024-02-29 + 12 months = 2025-02-28; 2025-01-31 + 3 months = 2025-04-30.
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def within_months(day: date, start: date, months: int) -> bool:
    """Whether `day` is on or before `start` + `months` (the policy's "within N months of")."""
    return day <= add_months(start, months)


def within_days(day: date, start: date, days: int) -> bool:
    """Whether `day` is on or before `start` + `days` (the policy's "within N days of")."""
    return day <= start + timedelta(days=days)


MAX_MONTHS = 1200
"""The longest period a policy may name in months (a century): clocks add it to business dates,
which must stay in the calendar."""
MAX_DAYS = 36_525
"""The longest period a policy may name in days (a century)."""
