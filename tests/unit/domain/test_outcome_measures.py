"""TA-11's outcomes computed from the event timeline, checked against figures worked by hand.

The participant's history (case opened 2024-01-31):

- job A from 2024-02-05 at $15.00 an hour, 30 hours a week; a raise on 2024-05-01 to $16.50
  for 32 hours; laid off on 2024-06-14;
- job B from 2024-07-08 at $17.25, 35 hours a week, still held;
- job C, a second job, from 2024-08-01 at $14.00 for 10 hours, left on 2024-09-01;
- skills: "forklift operation" (2024-06-01), the same again written otherwise (2024-07-01),
  "budgeting" (2024-09-15).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.assistance.values import JobLossReason
from domain.base import Aggregate
from domain.errors import RuleViolation
from domain.measures import outcome_measures
from tests.builders import AssistanceFile


class History:
    def __init__(self) -> None:
        file = AssistanceFile()
        self.a = file.job_started(date(2024, 2, 5), hourly_wage_cents=1_500, weekly_hours=30.0)
        file.do(file.wage(self.a, date(2024, 5, 1), 1_650, 32.0))
        file.do(file.skill(date(2024, 6, 1), "forklift operation"))
        file.do(file.lose_job(self.a, date(2024, 6, 14), JobLossReason.LAID_OFF))
        file.do(file.skill(date(2024, 7, 1), " Forklift  Operation"))
        self.b = file.job_started(
            date(2024, 7, 8), employer="Metro Transit", hourly_wage_cents=1_725, weekly_hours=35.0
        )
        self.c = file.job_started(
            date(2024, 8, 1), employer="Pinecrest Hotel", hourly_wage_cents=1_400, weekly_hours=10.0
        )
        file.do(file.lose_job(self.c, date(2024, 9, 1), JobLossReason.QUIT))
        file.do(file.skill(date(2024, 9, 15), "budgeting"))
        self.events: list[Aggregate.Event] = file.all_events()


@pytest.fixture(scope="module")
def history() -> History:
    return History()


def test_retention_is_counted_per_job_from_start_to_loss_or_to_the_day_asked_TA_11(
    history: History,
) -> None:
    measures = outcome_measures(history.events, date(2024, 10, 1))

    retained = {j.job_id: j.retained_days for j in measures.jobs}
    # A: 2024-02-05 to 2024-06-14 = 24 (rest of Feb, leap year) + 31 + 30 + 31 + 14 = 130 days.
    # B: 2024-07-08 to 2024-10-01 = 23 (rest of July) + 31 + 30 + 1 = 85 days, still held.
    # C: 2024-08-01 to 2024-09-01 = 31 days.
    assert retained == {history.a: 130, history.b: 85, history.c: 31}
    assert measures.longest_retention_days == 130
    # C lies inside B, so the days with a job are A's and B's: 130 + 85 = 215.
    assert measures.days_employed == 215


def test_the_wage_change_compares_the_main_job_now_with_the_first_job_TA_11(
    history: History,
) -> None:
    measures = outcome_measures(history.events, date(2024, 10, 1))

    # First job A started at 1,500 cents; the job held now is B at 1,725: +225 cents an hour.
    assert (measures.first_hourly_wage_cents, measures.current_hourly_wage_cents) == (1_500, 1_725)
    assert measures.hourly_wage_change_cents == 225
    # Weekly: 1,500 x 30 = 45,000 then; 1,725 x 35 = 60,375 now: +15,375 cents a week.
    assert (measures.first_weekly_earnings_cents, measures.current_weekly_earnings_cents) == (
        45_000,
        60_375,
    )
    assert measures.weekly_earnings_change_cents == 15_375


def test_with_two_jobs_the_main_one_sets_the_wage_and_both_count_in_earnings_TA_11(
    history: History,
) -> None:
    measures = outcome_measures(history.events, date(2024, 8, 15))

    # B (35 hours) is the main job, not C (10 hours), though C started later.
    assert measures.current_hourly_wage_cents == 1_725
    # 1,725 x 35 + 1,400 x 10 = 60,375 + 14,000 = 74,375; minus 45,000 = 29,375.
    assert measures.current_weekly_earnings_cents == 74_375
    assert measures.weekly_earnings_change_cents == 29_375


def test_a_raise_counts_from_its_date_TA_11(history: History) -> None:
    before = outcome_measures(history.events, date(2024, 4, 30))
    after = outcome_measures(history.events, date(2024, 5, 1))

    assert before.hourly_wage_change_cents == 0
    # 1,650 - 1,500 = 150 cents; 1,650 x 32 = 52,800 - 45,000 = 7,800 cents a week.
    assert (after.hourly_wage_change_cents, after.weekly_earnings_change_cents) == (150, 7_800)


def test_between_jobs_there_is_no_current_wage_TA_11(history: History) -> None:
    measures = outcome_measures(history.events, date(2024, 6, 14))

    assert measures.current_hourly_wage_cents is None
    assert measures.hourly_wage_change_cents is None
    # A's loss day is its first day without it: 130 days retained, as of then.
    assert measures.days_employed == 130


def test_re_employment_days_run_from_a_loss_to_the_next_job_started_TA_07(
    history: History,
) -> None:
    measures = outcome_measures(history.events, date(2024, 10, 1))

    spells = {s.lost_job_id: s for s in measures.reemployment}
    # A lost 2024-06-14, B started 2024-07-08: 16 + 8 = 24 days.
    assert (spells[history.a].next_job_started_on, spells[history.a].days) == (
        date(2024, 7, 8),
        24,
    )
    # C left 2024-09-01 and no job started since: 30 days so far on 2024-10-01, not yet measured.
    assert (spells[history.c].days, spells[history.c].days_so_far) == (None, 30)


def test_new_skills_are_listed_once_each_in_the_order_identified_TA_11(history: History) -> None:
    assert outcome_measures(history.events, date(2024, 10, 1)).new_skills == (
        "forklift operation",
        "budgeting",
    )
    assert outcome_measures(history.events, date(2024, 6, 30)).new_skills == ("forklift operation",)


def test_only_events_effective_by_the_day_asked_count_TA_11(history: History) -> None:
    measures = outcome_measures(history.events, date(2024, 3, 5))

    # Only A, started 2024-02-05: 24 + 5 = 29 days; nothing lost yet.
    assert [(j.job_id, j.retained_days, j.lost_on) for j in measures.jobs] == [
        (history.a, 29, None)
    ]
    assert measures.reemployment == ()
    assert measures.new_skills == ()


def test_before_any_job_there_is_nothing_to_measure_TA_11(history: History) -> None:
    measures = outcome_measures(history.events, date(2024, 2, 1))

    assert (measures.jobs, measures.days_employed, measures.longest_retention_days) == ((), 0, 0)
    assert measures.first_hourly_wage_cents is None
    assert measures.hourly_wage_change_cents is None


def test_the_measures_depend_on_the_events_alone_not_their_order_of_delivery(
    history: History,
) -> None:
    shuffled = list(reversed(history.events))
    assert outcome_measures(shuffled, date(2024, 10, 1)) == outcome_measures(
        history.events, date(2024, 10, 1)
    )


def test_a_job_started_the_day_of_a_loss_is_re_employment_in_zero_days_TA_07() -> None:
    file = AssistanceFile()
    first: UUID = file.job_started(date(2024, 2, 5))
    file.do(file.lose_job(first, date(2024, 3, 1)))
    file.job_started(date(2024, 3, 1))
    (spell,) = outcome_measures(file.all_events(), date(2024, 3, 2)).reemployment
    assert spell.days == 0


def test_a_new_skill_is_named_with_how_it_was_identified_TA_11() -> None:
    file = AssistanceFile()
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.skill(date(2024, 3, 1), "budgeting", how=" "))
    assert refusal.value.rule_id == "TA-11"
    command = file.skill(date(2024, 3, 1), "budgeting")
    file.do(command)
    recorded = file.last_event()
    assert type(recorded).__name__ == "SkillIdentified"
    assert (recorded.skill, recorded.how_identified) == ("budgeting", "re-assessment")  # type: ignore[attr-defined]
    skill = file.case.assistance.skills[command.skill_id]
    assert (skill.identified_on, skill.skill, skill.how_identified) == (
        date(2024, 3, 1),
        "budgeting",
        "re-assessment",
    )
