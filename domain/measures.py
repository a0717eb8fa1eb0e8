"""TA-11 as a pure function: a cash-assistance participant's outcomes, from the case's events.

The seed's philosophy names three outcomes: participants retain their jobs longer, improve their
wage levels, and identify new personal skills. `outcome_measures(events, as_of)` measures them,
and the re-employment TA-07 asks for, from the recorded events alone (as `termination_date`
does for VR-11), so a report can recompute them for any date.

Day counts are differences of dates, as everywhere in the policy: a job held from its start
date S until its loss date L was retained for L - S days (still held: `as_of` - S); a loss on L
followed by a job started on N took N - L days to re-employment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.base import Aggregate
from domain.case import Case


@dataclass(frozen=True)
class JobRetention:
    """How long one job was kept (TA-11), up to `as_of` if still held."""

    job_id: UUID
    employer: str
    started_on: date
    lost_on: date | None
    retained_days: int


@dataclass(frozen=True)
class Reemployment:
    """One job loss and the days until the next job started (TA-07); None while still looking."""

    lost_job_id: UUID
    lost_on: date
    next_job_started_on: date | None
    days: int | None
    days_so_far: int


@dataclass(frozen=True)
class OutcomeMeasures:
    """TA-11's outcomes as of a date: job retention, wage change, new skills."""

    as_of: date
    jobs: tuple[JobRetention, ...]
    days_employed: int
    longest_retention_days: int
    first_hourly_wage_cents: int | None
    current_hourly_wage_cents: int | None
    hourly_wage_change_cents: int | None
    first_weekly_earnings_cents: int | None
    current_weekly_earnings_cents: int | None
    weekly_earnings_change_cents: int | None
    reemployment: tuple[Reemployment, ...]
    new_skills: tuple[str, ...]


@dataclass
class _Job:
    job_id: UUID
    employer: str
    started_on: date
    starting_wage_cents: int
    starting_hours: float
    wage_cents: int
    hours: float
    lost_on: date | None = None

    def held_on(self, day: date) -> bool:
        return self.started_on <= day and (self.lost_on is None or day < self.lost_on)


def outcome_measures(events: Iterable[Aggregate.Event], as_of: date) -> OutcomeMeasures:
    """The participant's outcomes from the case's events effective on or before `as_of`.

    - Retention: per job, days from its start to its loss (or to `as_of`); `days_employed`
      counts the days with at least one job, so overlapping jobs count once.
    - Wage: the first post-employment job's starting wage (the earliest start; the first
      recorded on a tie) against the current wage, that of the main job held on `as_of` (the
      most weekly hours; on a tie the one started last), after its raises. Weekly earnings:
      wage times hours, in cents, the current ones over every job held on `as_of`. Without a
      job on `as_of` the current values are None.
    - Re-employment: each loss, and the first job started on or after it.
    - Skills: the new skills identified, in order, each distinct name once (case and spacing
      ignored).
    """
    jobs: dict[UUID, _Job] = {}
    skills: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.originator_version):
        if event.effective_on > as_of:
            continue
        if isinstance(event, Case.JobStarted):
            jobs[event.job_id] = _Job(
                job_id=event.job_id,
                employer=event.employer,
                started_on=event.effective_on,
                starting_wage_cents=event.hourly_wage_cents,
                starting_hours=event.weekly_hours,
                wage_cents=event.hourly_wage_cents,
                hours=event.weekly_hours,
            )
        elif isinstance(event, Case.WageChanged) and event.job_id in jobs:
            jobs[event.job_id].wage_cents = event.hourly_wage_cents
            jobs[event.job_id].hours = event.weekly_hours
        elif isinstance(event, Case.JobLost) and event.job_id in jobs:
            jobs[event.job_id].lost_on = event.effective_on
        elif isinstance(event, Case.SkillIdentified):
            skills.setdefault(" ".join(event.skill.split()).casefold(), event.skill.strip())

    in_start_order = sorted(jobs.values(), key=lambda j: j.started_on)
    retention = tuple(
        JobRetention(
            job_id=j.job_id,
            employer=j.employer,
            started_on=j.started_on,
            lost_on=j.lost_on,
            retained_days=((j.lost_on or as_of) - j.started_on).days,
        )
        for j in in_start_order
    )
    first = in_start_order[0] if in_start_order else None
    held = [j for j in in_start_order if j.held_on(as_of)]
    current = max(reversed(held), key=lambda j: j.hours) if held else None
    first_wage = first.starting_wage_cents if first else None
    current_wage = current.wage_cents if current else None
    first_earnings = _weekly(first.starting_wage_cents, first.starting_hours) if first else None
    current_earnings = sum(_weekly(j.wage_cents, j.hours) for j in held) if held else None
    return OutcomeMeasures(
        as_of=as_of,
        jobs=retention,
        days_employed=_days_employed(in_start_order, as_of),
        longest_retention_days=max((r.retained_days for r in retention), default=0),
        first_hourly_wage_cents=first_wage,
        current_hourly_wage_cents=current_wage,
        hourly_wage_change_cents=_change(first_wage, current_wage),
        first_weekly_earnings_cents=first_earnings,
        current_weekly_earnings_cents=current_earnings,
        weekly_earnings_change_cents=_change(first_earnings, current_earnings),
        reemployment=_reemployment(in_start_order, as_of),
        new_skills=tuple(skills.values()),
    )


def _weekly(wage_cents: int, hours: float) -> int:
    return round(wage_cents * hours)


def _change(first: int | None, current: int | None) -> int | None:
    return None if first is None or current is None else current - first


def _days_employed(jobs: list[_Job], as_of: date) -> int:
    """Days in the union of the jobs' [start, loss) spans, up to `as_of`."""
    days = 0
    covered_until: date | None = None
    for job in jobs:
        end = min(job.lost_on or as_of, as_of)
        start = job.started_on if covered_until is None else max(job.started_on, covered_until)
        if end > start:
            days += (end - start).days
            covered_until = end
    return days


def _reemployment(jobs: list[_Job], as_of: date) -> tuple[Reemployment, ...]:
    spells = []
    for lost in jobs:
        lost_on = lost.lost_on
        if lost_on is None:
            continue
        started = next(
            (j.started_on for j in jobs if j is not lost and j.started_on >= lost_on), None
        )
        spells.append(
            Reemployment(
                lost_job_id=lost.job_id,
                lost_on=lost_on,
                next_job_started_on=started,
                days=(started - lost_on).days if started else None,
                days_so_far=((started or as_of) - lost_on).days,
            )
        )
    return tuple(spells)
