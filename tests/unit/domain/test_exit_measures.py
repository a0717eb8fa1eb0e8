"""Employment and earnings after an exit from cash assistance, by calendar quarter (WIOA-style).

The participant's jobs (as in test_outcome_measures):

- job A from 2024-02-05 at $15.00 an hour, 30 hours a week; a raise on 2024-05-01 to $16.50
  for 32 hours; laid off on 2024-06-14;
- job B from 2024-07-08 at $17.25, 35 hours a week, still held;
- job C, a second job, from 2024-08-01 at $14.00 for 10 hours, left on 2024-09-01.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.assistance.values import JobLossReason
from domain.measures import (
    EmploymentFact,
    Quarter,
    employment_facts,
    exit_measures,
    quarter_earnings_cents,
)
from tests.builders import AssistanceFile


@pytest.fixture(scope="module")
def facts() -> list[EmploymentFact]:
    file = AssistanceFile()
    a = file.job_started(date(2024, 2, 5), hourly_wage_cents=1_500, weekly_hours=30.0)
    file.do(file.wage(a, date(2024, 5, 1), 1_650, 32.0))
    file.do(file.lose_job(a, date(2024, 6, 14), JobLossReason.LAID_OFF))
    file.job_started(date(2024, 7, 8), hourly_wage_cents=1_725, weekly_hours=35.0)
    c = file.job_started(date(2024, 8, 1), hourly_wage_cents=1_400, weekly_hours=10.0)
    file.do(file.lose_job(c, date(2024, 9, 1), JobLossReason.QUIT))
    return employment_facts(file.all_events())


def test_quarters_are_calendar_quarters_counted_across_years() -> None:
    q1 = Quarter.of(date(2024, 2, 10))
    assert q1 == Quarter(2024, 1)
    assert (q1.first_day, q1.last_day) == (date(2024, 1, 1), date(2024, 3, 31))
    assert (q1.plus(2), q1.plus(4)) == (Quarter(2024, 3), Quarter(2025, 1))
    assert Quarter.of(date(2024, 12, 31)).last_day == date(2024, 12, 31)
    assert Quarter(2024, 4).plus(1) == Quarter(2025, 1)
    assert str(Quarter(2024, 3)) == "2024-Q3"
    with pytest.raises(ValueError, match="numbered 1 to 4"):
        Quarter(2024, 5)


def test_earnings_in_a_quarter_count_each_day_held_on_that_days_terms(
    facts: list[EmploymentFact],
) -> None:
    # 2024-Q3: B from 07-08 to 09-30 = 24 + 31 + 30 = 85 days at 1,725 x 35 = 60,375 a week:
    # 85 x 60,375 / 7 = 733,125; C from 08-01 until 09-01 = 31 days at 14,000 a week: 62,000.
    assert quarter_earnings_cents(facts, Quarter(2024, 3)) == 733_125 + 62_000
    # 2024-Q2: A for 30 April days at 45,000 a week, then from the raise (05-01) 44 days until
    # the loss on 06-14 at 52,800: (30 x 45,000 + 44 x 52,800) / 7 = 3,673,200 / 7 = 524,742.86.
    assert quarter_earnings_cents(facts, Quarter(2024, 2)) == 524_743
    assert quarter_earnings_cents(facts, Quarter(2023, 4)) == 0


def test_an_exit_is_measured_in_the_second_and_fourth_quarter_after_its_quarter(
    facts: list[EmploymentFact],
) -> None:
    measures = exit_measures(facts, exited_on=date(2024, 2, 10), as_of=date(2025, 4, 1))

    assert (measures.exit_quarter, measures.second_quarter, measures.fourth_quarter) == (
        Quarter(2024, 1),
        Quarter(2024, 3),
        Quarter(2025, 1),
    )
    assert (measures.employed_second_quarter, measures.employed_fourth_quarter) == (True, True)
    assert measures.second_quarter_earnings_cents == 795_125


def test_a_quarter_is_measured_only_once_it_has_ended(facts: list[EmploymentFact]) -> None:
    during = exit_measures(facts, date(2024, 2, 10), as_of=date(2024, 9, 29))
    assert (during.employed_second_quarter, during.second_quarter_earnings_cents) == (None, None)

    ended = exit_measures(facts, date(2024, 2, 10), as_of=date(2024, 9, 30))
    assert (ended.employed_second_quarter, ended.second_quarter_earnings_cents) == (True, 795_125)
    assert ended.employed_fourth_quarter is None


def test_without_a_job_in_the_quarter_the_participant_counts_as_not_employed() -> None:
    file = AssistanceFile()
    job = file.job_started(date(2024, 2, 5))
    file.do(file.lose_job(job, date(2024, 3, 1)))

    # Exit 2024-01-10 (2024-Q1): the job ended before 2024-Q3 began.
    measures = exit_measures(
        employment_facts(file.all_events()), date(2024, 1, 10), date(2025, 6, 1)
    )
    assert (measures.employed_second_quarter, measures.employed_fourth_quarter) == (False, False)
    assert measures.second_quarter_earnings_cents == 0


def test_an_exit_before_any_job_counts_the_job_started_later(facts: list[EmploymentFact]) -> None:
    # Exit 2023-12-20 (2023-Q4): the second quarter after is 2024-Q2 (A), the fourth 2024-Q4 (B).
    measures = exit_measures(facts, date(2023, 12, 20), as_of=date(2025, 1, 1))
    assert (measures.second_quarter, measures.fourth_quarter) == (
        Quarter(2024, 2),
        Quarter(2024, 4),
    )
    assert (measures.employed_second_quarter, measures.employed_fourth_quarter) == (True, True)
    assert measures.second_quarter_earnings_cents == 524_743
