from datetime import date

import pytest

from consumers.billing.fiscal import FiscalCalendar, FiscalPeriod


@pytest.mark.parametrize(
    ("start_month", "day", "period"),
    [
        (10, date(2024, 9, 30), FiscalPeriod(2024, 4)),  # the federal year ends on 30 September
        (10, date(2024, 10, 1), FiscalPeriod(2025, 1)),
        (10, date(2025, 3, 31), FiscalPeriod(2025, 2)),
        (7, date(2024, 6, 30), FiscalPeriod(2024, 4)),
        (7, date(2024, 7, 1), FiscalPeriod(2025, 1)),
        (7, date(2025, 1, 1), FiscalPeriod(2025, 3)),
        (1, date(2024, 1, 1), FiscalPeriod(2024, 1)),
        (1, date(2024, 12, 31), FiscalPeriod(2024, 4)),
    ],
)
def test_a_day_falls_in_the_fiscal_year_named_by_the_year_it_ends_in(
    start_month: int, day: date, period: FiscalPeriod
) -> None:
    assert FiscalCalendar(start_month).period_of(day) == period


def test_a_period_reads_as_year_and_quarter() -> None:
    assert str(FiscalPeriod(2025, 1)) == "FY2025-Q1"


@pytest.mark.parametrize("start_month", [0, 13])
def test_a_start_month_outside_the_calendar_is_refused(start_month: int) -> None:
    with pytest.raises(ValueError, match=r"start month must be 1\.\.12"):
        FiscalCalendar(start_month)
