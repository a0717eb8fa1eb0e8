"""Fiscal periods: a fiscal year named by the calendar year it ends in, split into quarters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """Fiscal year and quarter, e.g. FY2025 Q1 is October to December 2024 for an October start."""

    year: int
    quarter: int

    def __str__(self) -> str:
        return f"FY{self.year}-Q{self.quarter}"


@dataclass(frozen=True)
class FiscalCalendar:
    """The agency's fiscal year starts on the first day of `start_month` (10: the federal year)."""

    start_month: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"the fiscal year start month must be 1..12, not {self.start_month}")

    def period_of(self, day: date) -> FiscalPeriod:
        months_into_year = (day.month - self.start_month) % 12
        starts_in = day.year if day.month >= self.start_month else day.year - 1
        ends_in = starts_in if self.start_month == 1 else starts_in + 1
        return FiscalPeriod(year=ends_in, quarter=months_into_year // 3 + 1)
