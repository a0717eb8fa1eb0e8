"""TA-11 as pure functions: a cash-assistance participant's outcomes, from the case's events.

The seed's philosophy names three outcomes: participants retain their jobs longer, improve their
wage levels, and identify new personal skills. `outcome_measures(events, as_of)` measures them,
and the re-employment TA-07 asks for, from the recorded events alone (as `termination_date`
does for VR-11), so a report can recompute them for any date.

The measures read four event types, reduced to `EmploymentFact`s: a read model stores the facts
and calls `measures_of(facts, as_of)`, the same function the domain uses, so its figures cannot
drift from the domain's.

Day counts are differences of dates, as everywhere in the policy: a job held from its start
date S until its loss date L was retained for L - S days (still held: `as_of` - S); a loss on L
followed by a job started on N took N - L days to re-employment.

After an exit from cash assistance (TA-09's `CashAssistanceEnded`), `exit_measures` gives the
WIOA-style measures: employment in the second and fourth calendar quarter after the exit
quarter, and the earnings of the second. See `Quarter` and `quarter_earnings_cents` for the
quarter rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from uuid import UUID

from domain.base import Aggregate
from domain.case import Case


class FactKind(StrEnum):
    JOB_STARTED = "job_started"
    WAGE_CHANGED = "wage_changed"
    JOB_LOST = "job_lost"
    SKILL_IDENTIFIED = "skill_identified"


@dataclass(frozen=True)
class EmploymentFact:
    """What the measures read of one event: the case version orders facts as events are."""

    case_version: int
    kind: FactKind
    effective_on: date
    job_id: UUID | None = None
    employer: str = ""
    hourly_wage_cents: int | None = None
    weekly_hours: float | None = None
    skill: str = ""


def employment_fact(event: Aggregate.Event) -> EmploymentFact | None:
    """The fact an event records for the measures; None for the events they do not read."""
    version, on = event.originator_version, event.effective_on
    if isinstance(event, Case.JobStarted):
        return EmploymentFact(
            version,
            FactKind.JOB_STARTED,
            on,
            job_id=event.job_id,
            employer=event.employer,
            hourly_wage_cents=event.hourly_wage_cents,
            weekly_hours=event.weekly_hours,
        )
    if isinstance(event, Case.WageChanged):
        return EmploymentFact(
            version,
            FactKind.WAGE_CHANGED,
            on,
            job_id=event.job_id,
            hourly_wage_cents=event.hourly_wage_cents,
            weekly_hours=event.weekly_hours,
        )
    if isinstance(event, Case.JobLost):
        return EmploymentFact(version, FactKind.JOB_LOST, on, job_id=event.job_id)
    if isinstance(event, Case.SkillIdentified):
        return EmploymentFact(version, FactKind.SKILL_IDENTIFIED, on, skill=event.skill)
    return None


def employment_facts(events: Iterable[Aggregate.Event]) -> list[EmploymentFact]:
    return [fact for event in events if (fact := employment_fact(event)) is not None]


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
    # (from, hourly wage in cents, weekly hours): the start's terms, then each change's.
    terms: list[tuple[date, int, float]] = field(default_factory=list)
    lost_on: date | None = None

    @property
    def starting_wage_cents(self) -> int:
        return self.terms[0][1]

    @property
    def starting_hours(self) -> float:
        return self.terms[0][2]

    @property
    def wage_cents(self) -> int:
        return self.terms[-1][1]

    @property
    def hours(self) -> float:
        return self.terms[-1][2]

    def held_on(self, day: date) -> bool:
        return self.started_on <= day and (self.lost_on is None or day < self.lost_on)


def outcome_measures(events: Iterable[Aggregate.Event], as_of: date) -> OutcomeMeasures:
    """The participant's outcomes from the case's events effective on or before `as_of`."""
    return measures_of(employment_facts(events), as_of)


def measures_of(facts: Iterable[EmploymentFact], as_of: date) -> OutcomeMeasures:
    """The participant's outcomes from the facts effective on or before `as_of`.

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
    facts = list(facts)
    in_start_order = _jobs(facts, as_of)
    skills: dict[str, str] = {}
    for fact in sorted(facts, key=lambda f: f.case_version):
        if fact.kind is FactKind.SKILL_IDENTIFIED and fact.effective_on <= as_of:
            skills.setdefault(" ".join(fact.skill.split()).casefold(), fact.skill.strip())

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


def _jobs(facts: Iterable[EmploymentFact], as_of: date) -> list[_Job]:
    """The jobs the facts effective by `as_of` describe, in start order (stable on ties)."""
    jobs: dict[UUID, _Job] = {}
    for fact in sorted(facts, key=lambda f: f.case_version):
        if fact.effective_on > as_of or fact.job_id is None:
            continue
        if fact.kind is FactKind.JOB_STARTED:
            jobs[fact.job_id] = _Job(fact.job_id, fact.employer, fact.effective_on)
            jobs[fact.job_id].terms.append(_terms(fact))
        elif fact.kind is FactKind.WAGE_CHANGED and fact.job_id in jobs:
            jobs[fact.job_id].terms.append(_terms(fact))
        elif fact.kind is FactKind.JOB_LOST and fact.job_id in jobs:
            jobs[fact.job_id].lost_on = fact.effective_on
    return sorted(jobs.values(), key=lambda j: j.started_on)


def _terms(fact: EmploymentFact) -> tuple[date, int, float]:
    if fact.hourly_wage_cents is None or fact.weekly_hours is None:
        raise ValueError(f"{fact.kind.value} of job {fact.job_id} has no wage or hours")
    return fact.effective_on, fact.hourly_wage_cents, fact.weekly_hours


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


# After an exit: the WIOA-style quarterly measures


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Q1 is January to March, Q2 April to June, and so on."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def plus(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.plus(1).first_day - timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True)
class ExitMeasures:
    """Employment and earnings after one exit from cash assistance, as far as known on `as_of`.

    The exit quarter is the calendar quarter of the exit date; the second and fourth quarters
    after exit are the second and fourth quarters that follow it (an exit on 2024-02-10, in
    2024-Q1, is measured in 2024-Q3 and 2025-Q1). A quarter is measured once it has ended on or
    before `as_of`; until then its values are None. Employed in a quarter: a job held on at
    least one of its days. Earnings: `quarter_earnings_cents`.
    """

    exited_on: date
    exit_quarter: Quarter
    second_quarter: Quarter
    fourth_quarter: Quarter
    employed_second_quarter: bool | None
    employed_fourth_quarter: bool | None
    second_quarter_earnings_cents: int | None


def exit_measures(facts: Iterable[EmploymentFact], exited_on: date, as_of: date) -> ExitMeasures:
    exit_quarter = Quarter.of(exited_on)
    second, fourth = exit_quarter.plus(2), exit_quarter.plus(4)
    jobs = _jobs(facts, as_of)

    def employed(quarter: Quarter) -> bool | None:
        if quarter.last_day > as_of:
            return None
        return any(_held_days(job, quarter) for job in jobs)

    return ExitMeasures(
        exited_on=exited_on,
        exit_quarter=exit_quarter,
        second_quarter=second,
        fourth_quarter=fourth,
        employed_second_quarter=employed(second),
        employed_fourth_quarter=employed(fourth),
        second_quarter_earnings_cents=(
            _earnings_cents(jobs, second) if second.last_day <= as_of else None
        ),
    )


def quarter_earnings_cents(facts: Iterable[EmploymentFact], quarter: Quarter) -> int:
    """The earnings of the jobs held in the quarter: for each day a job was held, a seventh of
    its weekly earnings (hourly wage times weekly hours) on the terms in force that day (a
    raise counts from its date), summed over the quarter and rounded to the cent once.
    Facts effective after the quarter do not change it."""
    return _earnings_cents(_jobs(facts, quarter.last_day), quarter)


def _earnings_cents(jobs: list[_Job], quarter: Quarter) -> int:
    total = Fraction(0)
    for job in jobs:
        ends = [on for on, _, _ in job.terms[1:]] + [job.lost_on or quarter.last_day + _DAY]
        for (since, wage, hours), until in zip(job.terms, ends, strict=True):
            days = _overlap_days(since, until, quarter)
            total += Fraction(days) * wage * Fraction(hours) / 7
    return round(total)


def _held_days(job: _Job, quarter: Quarter) -> int:
    return _overlap_days(job.started_on, job.lost_on or quarter.last_day + _DAY, quarter)


def _overlap_days(since: date, until: date, quarter: Quarter) -> int:
    """Days of [since, until) inside the quarter."""
    start = max(since, quarter.first_day)
    end = min(until, quarter.last_day + _DAY)
    return max((end - start).days, 0)


_DAY = timedelta(days=1)
