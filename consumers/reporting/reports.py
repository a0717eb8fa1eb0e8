"""The management reports, read from the reporting store: typed rows in a stable order.

- `caseload_over_time`: cases per (date, caseworker, status), each case counted with the status
  it had on that business date.
- `timeliness` and `overrides_by_rule`: post-employment timeliness for periods (requests,
  determinations, days to a determination and to a first authorization, authorizations inside
  or outside the VR-02 initiation window, overrides by rule ID); `overrides` lists them.
- `outcomes` and `outcome_totals`: employment outcomes and the days each was followed, as of a date.
- `participant_outcomes` and `participant_outcome_totals`: cash-assistance participants' job
  retention, wage change, re-employment and new skills (TA-07, TA-11), as of a date.
- `exits` and `exits_by_quarter`: after each exit from cash assistance, employment in the second
  and fourth quarter after the exit quarter and second-quarter earnings (WIOA-style).

"On a business date" means: of a case's events, those effective on or before the date, folded
in the case's order (as `domain.termination.termination_date(events, policy, as_of)` does).
Dates the policy derives (the initiation window) come from the policy version governing each
case: the one in force on its outcome date.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from consumers.reporting.store import ReportingStore
from domain.case import CaseStatus, Program
from domain.dates import add_months
from domain.measures import OutcomeMeasures, Quarter, exit_measures, measures_of
from domain.policy import PolicyBook
from domain.values import RequestStatus
from domain.vr.rules import within_initiation_window

_STATUS_ORDER = {status.value: index for index, status in enumerate(CaseStatus)}


@dataclass(frozen=True)
class Period:
    """A span of business dates, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    def bounds(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


def month_end(year: int, month: int) -> date:
    """The last day of a month: the 31st of January moved on, clamped as the policy clamps."""
    return add_months(date(year, 1, 31), month - 1)


def month_ends(first: date, last: date) -> list[date]:
    """Every month's last day from `first` to `last`, both included."""
    ends = []
    year, month = first.year, first.month
    while (day := month_end(year, month)) <= last:
        if day >= first:
            ends.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def monthly_periods(first: date, last: date) -> list[Period]:
    """The calendar months from `first`'s month to `last`'s month, whole."""
    return [
        Period(day.replace(day=1), day)
        for day in month_ends(first.replace(day=1), month_end(last.year, last.month))
    ]


@dataclass(frozen=True)
class Summary:
    """Count, mean (2 decimals), median and maximum of some values; None without values."""

    count: int
    mean: float | None
    median: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(0, None, None, None)
        return cls(
            count=len(values),
            mean=round(statistics.fmean(values), 2),
            median=float(statistics.median(values)),
            max=max(values),
        )


# Caseload over time


@dataclass(frozen=True)
class CaseloadCount:
    """How many of a caseworker's cases had a status on a business date."""

    on: date
    caseworker_id: str
    status: str
    cases: int


def caseload_over_time(
    store: ReportingStore, dates: Iterable[date], program: str | None = None
) -> list[CaseloadCount]:
    """Cases per (date, caseworker, status), by date, caseworker, then lifecycle order of status.

    Every case opened by a date is counted on it, terminated cases included (as `terminated`).
    `program` (`vr`, `cash_assistance`) keeps one program's cases.
    """
    program_join, program_params = (
        ("JOIN reporting_cases c ON c.case_id = s.case_id AND c.program = ? ", (program,))
        if program
        else ("", ())
    )
    counts: list[CaseloadCount] = []
    for day in sorted(set(dates)):
        # A case's status on `day`: its last status change, in case order, effective by then.
        rows = store.db.execute(
            "SELECT s.caseworker_id, s.status, COUNT(*) FROM reporting_status_changes s "
            f"{program_join}WHERE s.effective_on <= ? AND NOT EXISTS (SELECT 1 "
            "FROM reporting_status_changes later WHERE later.case_id = s.case_id "
            "AND later.case_version > s.case_version AND later.effective_on <= ?) "
            "GROUP BY s.caseworker_id, s.status",
            (*program_params, day.isoformat(), day.isoformat()),
        )
        counts.extend(
            CaseloadCount(on=day, caseworker_id=worker, status=status, cases=int(n))
            for worker, status, n in sorted(
                rows, key=lambda r: (r[0], _STATUS_ORDER.get(r[1], len(_STATUS_ORDER)), r[1])
            )
        )
    return counts


# Post-employment timeliness


@dataclass(frozen=True)
class TimelinessRow:
    """Post-employment timeliness in one period (VR-02, VR-03, VR-04, VR-08, VR-09, VR-12).

    Days to a determination: from each request to its first determination made in the period
    (a second determination, after a reversed review, counts among the determinations made but
    not in the days). Days to a first authorization: from each request to its first
    authorization, when that falls in the period. Authorizations made in the period are inside
    the initiation window when their planned start is on or after the case's outcome date and on
    or before the day the window closes (VR-02); only grandfathered ones may be outside (VR-12).
    """

    period_start: date
    period_end: date
    requests_received: int
    determinations_made: int
    found_pe_appropriate: int
    new_employment_cases: int
    found_not_appropriate: int
    days_to_determination: Summary
    days_to_first_authorization: Summary
    authorizations: int
    inside_initiation_window: int
    outside_initiation_window: int
    outside_window_grandfathered: int
    overrides: int


@dataclass(frozen=True)
class OverrideCount:
    """How many accepted overrides of a rule the authorizations of a period carry."""

    period_start: date
    period_end: date
    rule_id: str
    overrides: int


@dataclass(frozen=True)
class OverrideRow:
    """One accepted override: who accepted it, when, on which authorization, and why."""

    authorized_on: date
    case_number: str
    case_id: str
    authorization_id: str
    service_type: str
    rule_id: str
    actor_id: str
    reason: str


def timeliness(
    store: ReportingStore, periods: Iterable[Period], policies: PolicyBook | None = None
) -> list[TimelinessRow]:
    """One row per period, in period order."""
    policies = policies or PolicyBook.default()
    return [_timeliness(store, period, policies) for period in sorted(set(periods), key=_key)]


def overrides_by_rule(store: ReportingStore, periods: Iterable[Period]) -> list[OverrideCount]:
    """Accepted overrides per period and rule ID (by authorization date); rules without any omitted."""
    counts: list[OverrideCount] = []
    for period in sorted(set(periods), key=_key):
        rows = store.db.execute(
            "SELECT rule_id, COUNT(*) FROM reporting_overrides "
            "WHERE authorized_on BETWEEN ? AND ? GROUP BY rule_id",
            period.bounds(),
        )
        counts.extend(
            OverrideCount(period.start, period.end, rule_id, int(n)) for rule_id, n in sorted(rows)
        )
    return counts


def overrides(store: ReportingStore, period: Period) -> list[OverrideRow]:
    """Every override accepted on an authorization of the period, by date, case and rule."""
    rows = store.db.execute(
        "SELECT o.authorized_on, c.case_number, c.case_id, o.authorization_id, a.service_type, "
        "o.rule_id, "
        "o.actor_id, o.reason FROM reporting_overrides o "
        "JOIN reporting_authorizations a ON a.authorization_id = o.authorization_id "
        "JOIN reporting_cases c ON c.case_id = o.case_id "
        "WHERE o.authorized_on BETWEEN ? AND ? "
        "ORDER BY o.authorized_on, c.case_number, o.authorization_id, o.rule_id",
        period.bounds(),
    )
    return [OverrideRow(date.fromisoformat(r[0]), *r[1:]) for r in rows]


def _timeliness(store: ReportingStore, period: Period, policies: PolicyBook) -> TimelinessRow:
    bounds = period.bounds()
    db = store.db
    [(received,)] = db.execute(
        "SELECT COUNT(*) FROM reporting_requests WHERE requested_on BETWEEN ? AND ?", bounds
    )
    kinds: Counter[str] = Counter(
        {
            kind: int(n)
            for kind, n in db.execute(
                "SELECT kind, COUNT(*) FROM reporting_determinations "
                "WHERE determined_on BETWEEN ? AND ? GROUP BY kind",
                bounds,
            )
        }
    )
    first_determinations = db.execute(
        "SELECT r.requested_on, MIN(d.determined_on) FROM reporting_requests r "
        "JOIN reporting_determinations d ON d.request_id = r.request_id "
        "GROUP BY r.request_id, r.requested_on HAVING MIN(d.determined_on) BETWEEN ? AND ?",
        bounds,
    )
    first_authorizations = db.execute(
        "SELECT r.requested_on, MIN(a.authorized_on) FROM reporting_requests r "
        "JOIN reporting_authorizations a ON a.request_id = r.request_id "
        "GROUP BY r.request_id, r.requested_on HAVING MIN(a.authorized_on) BETWEEN ? AND ?",
        bounds,
    )
    authorizations = db.execute(
        "SELECT a.planned_start, a.grandfathered, c.outcome_date FROM reporting_authorizations a "
        "JOIN reporting_cases c ON c.case_id = a.case_id WHERE a.authorized_on BETWEEN ? AND ?",
        bounds,
    )
    inside = outside = outside_grandfathered = 0
    for planned_start, grandfathered, outcome_on in authorizations:
        if _inside_initiation_window(date.fromisoformat(planned_start), outcome_on, policies):
            inside += 1
        else:
            outside += 1
            outside_grandfathered += int(bool(grandfathered))
    [(override_count,)] = db.execute(
        "SELECT COUNT(*) FROM reporting_overrides WHERE authorized_on BETWEEN ? AND ?", bounds
    )
    return TimelinessRow(
        period_start=period.start,
        period_end=period.end,
        requests_received=int(received),
        determinations_made=sum(kinds.values()),
        found_pe_appropriate=kinds[RequestStatus.PE_APPROPRIATE],
        new_employment_cases=kinds[RequestStatus.NEW_EMPLOYMENT_CASE],
        found_not_appropriate=kinds[RequestStatus.NOT_APPROPRIATE],
        days_to_determination=Summary.of(_days(first_determinations)),
        days_to_first_authorization=Summary.of(_days(first_authorizations)),
        authorizations=len(authorizations),
        inside_initiation_window=inside,
        outside_initiation_window=outside,
        outside_window_grandfathered=outside_grandfathered,
        overrides=int(override_count),
    )


def _inside_initiation_window(planned_start: date, outcome_on: Any, policies: PolicyBook) -> bool:
    if outcome_on is None:
        return False
    outcome_date = date.fromisoformat(outcome_on)
    return within_initiation_window(
        policies.vr_in_force_on(outcome_date), outcome_date, planned_start
    )


def _days(pairs: Iterable[tuple[Any, ...]]) -> list[int]:
    return sorted(
        (date.fromisoformat(later) - date.fromisoformat(earlier)).days for earlier, later in pairs
    )


def _key(period: Period) -> tuple[date, date]:
    return period.start, period.end


# Outcomes


@dataclass(frozen=True)
class OutcomeRow:
    """A case's employment outcome (VR-01) and how long it was followed, as of a date.

    `retention_days` runs from the outcome date to the termination date or the as-of date,
    whichever comes first; `terminated_on` is empty when the case had not terminated by then.
    """

    as_of: date
    case_number: str
    case_id: str
    caseworker_id: str
    program: str
    outcome_date: date
    hourly_wage_cents: int
    weekly_hours: float
    terminated: bool
    terminated_on: date | None
    retention_days: int


@dataclass(frozen=True)
class OutcomeTotals:
    """Every outcome recorded by a date, summed up."""

    as_of: date
    outcomes: int
    terminated: int
    hourly_wage_cents: Summary
    weekly_hours: Summary
    retention_days: Summary


def outcomes(store: ReportingStore, as_of: date, program: str | None = None) -> list[OutcomeRow]:
    """Each case whose (current) outcome date is on or before `as_of`, by case number."""
    program_clause, program_params = ("AND program = ?", (program,)) if program else ("", ())
    rows = store.db.execute(
        "SELECT case_number, case_id, caseworker_id, program, outcome_date, hourly_wage_cents, "
        "weekly_hours, terminated_on FROM reporting_cases "
        f"WHERE outcome_date IS NOT NULL AND outcome_date <= ? {program_clause} "
        "ORDER BY case_number, case_id",
        (as_of.isoformat(), *program_params),
    )
    result = []
    for number, case_id, worker, program_name, outcome_on, wage, hours, terminated_on in rows:
        outcome_date = date.fromisoformat(outcome_on)
        terminated = date.fromisoformat(terminated_on) if terminated_on else None
        if terminated is not None and terminated > as_of:
            terminated = None
        followed_until = terminated or as_of
        result.append(
            OutcomeRow(
                as_of=as_of,
                case_number=number,
                case_id=case_id,
                caseworker_id=worker,
                program=program_name,
                outcome_date=outcome_date,
                hourly_wage_cents=int(wage),
                weekly_hours=float(hours),
                terminated=terminated is not None,
                terminated_on=terminated,
                retention_days=(followed_until - outcome_date).days,
            )
        )
    return result


def outcome_totals(store: ReportingStore, as_of: date, program: str | None = None) -> OutcomeTotals:
    """The sums of `outcomes(store, as_of, program)`."""
    rows = outcomes(store, as_of, program)
    return OutcomeTotals(
        as_of=as_of,
        outcomes=len(rows),
        terminated=sum(r.terminated for r in rows),
        hourly_wage_cents=Summary.of([r.hourly_wage_cents for r in rows]),
        weekly_hours=Summary.of([r.weekly_hours for r in rows]),
        retention_days=Summary.of([r.retention_days for r in rows]),
    )


# Cash-assistance participants' outcomes (TA-07, TA-11) and the measures after exit


@dataclass(frozen=True)
class ParticipantOutcomeRow:
    """A cash-assistance participant's outcomes as of a date (TA-07, TA-11).

    The figures are `domain.measures.measures_of` over the case's job and skill events, so they
    are those the case itself would compute. Wages and earnings are in cents; the current ones
    are empty without a job on `as_of`. `days_to_reemployment_median` covers the losses followed
    by a new job; `days_looking` is the current search, from the last loss not yet followed by a
    job.
    """

    as_of: date
    case_number: str
    case_id: str
    caseworker_id: str
    jobs: int
    jobs_held: int
    days_employed: int
    longest_retention_days: int
    first_hourly_wage_cents: int | None
    current_hourly_wage_cents: int | None
    hourly_wage_change_cents: int | None
    first_weekly_earnings_cents: int | None
    current_weekly_earnings_cents: int | None
    weekly_earnings_change_cents: int | None
    job_losses: int
    reemployed: int
    days_to_reemployment_median: float | None
    days_looking: int | None
    new_skills: int
    skills: str


@dataclass(frozen=True)
class ParticipantOutcomeTotals:
    """The participants' outcomes summed up: retention per job, changes per participant with
    both a first and a current value, days to re-employment per loss followed by a job."""

    as_of: date
    participants: int
    ever_employed: int
    employed_on_date: int
    retention_days: Summary
    days_employed: Summary
    hourly_wage_change_cents: Summary
    weekly_earnings_change_cents: Summary
    job_losses: int
    reemployed: int
    days_to_reemployment: Summary
    still_looking: int
    new_skills: int


def participant_outcomes(store: ReportingStore, as_of: date) -> list[ParticipantOutcomeRow]:
    """Each cash-assistance case opened on or before `as_of`, by case number."""
    return [
        _participant_row(number, case_id, worker, m)
        for number, case_id, worker, m in _measured(store, as_of)
    ]


def participant_outcome_totals(store: ReportingStore, as_of: date) -> ParticipantOutcomeTotals:
    measured = [m for _, _, _, m in _measured(store, as_of)]
    reemployed = [s.days for m in measured for s in m.reemployment if s.days is not None]
    return ParticipantOutcomeTotals(
        as_of=as_of,
        participants=len(measured),
        ever_employed=sum(1 for m in measured if m.jobs),
        employed_on_date=sum(1 for m in measured if m.current_hourly_wage_cents is not None),
        retention_days=Summary.of([j.retained_days for m in measured for j in m.jobs]),
        days_employed=Summary.of([m.days_employed for m in measured if m.jobs]),
        hourly_wage_change_cents=Summary.of(
            [m.hourly_wage_change_cents for m in measured if m.hourly_wage_change_cents is not None]
        ),
        weekly_earnings_change_cents=Summary.of(
            [
                m.weekly_earnings_change_cents
                for m in measured
                if m.weekly_earnings_change_cents is not None
            ]
        ),
        job_losses=sum(len(m.reemployment) for m in measured),
        reemployed=len(reemployed),
        days_to_reemployment=Summary.of(reemployed),
        still_looking=sum(1 for m in measured if _days_looking(m) is not None),
        new_skills=sum(len(m.new_skills) for m in measured),
    )


def _measured(store: ReportingStore, as_of: date) -> list[tuple[str, str, str, OutcomeMeasures]]:
    facts = store.employment_facts()
    rows = store.db.execute(
        "SELECT case_id, case_number, caseworker_id FROM reporting_cases "
        "WHERE program = ? AND opened_on <= ? ORDER BY case_number, case_id",
        (Program.CASH_ASSISTANCE.value, as_of.isoformat()),
    )
    return [
        (number, case_id, worker, measures_of(facts.get(case_id, []), as_of))
        for case_id, number, worker in rows
    ]


def _participant_row(
    number: str, case_id: str, worker: str, m: OutcomeMeasures
) -> ParticipantOutcomeRow:
    found = [s.days for s in m.reemployment if s.days is not None]
    return ParticipantOutcomeRow(
        as_of=m.as_of,
        case_number=number,
        case_id=case_id,
        caseworker_id=worker,
        jobs=len(m.jobs),
        jobs_held=sum(1 for j in m.jobs if j.lost_on is None),
        days_employed=m.days_employed,
        longest_retention_days=m.longest_retention_days,
        first_hourly_wage_cents=m.first_hourly_wage_cents,
        current_hourly_wage_cents=m.current_hourly_wage_cents,
        hourly_wage_change_cents=m.hourly_wage_change_cents,
        first_weekly_earnings_cents=m.first_weekly_earnings_cents,
        current_weekly_earnings_cents=m.current_weekly_earnings_cents,
        weekly_earnings_change_cents=m.weekly_earnings_change_cents,
        job_losses=len(m.reemployment),
        reemployed=len(found),
        days_to_reemployment_median=float(statistics.median(found)) if found else None,
        days_looking=_days_looking(m),
        new_skills=len(m.new_skills),
        skills="; ".join(m.new_skills),
    )


def _days_looking(m: OutcomeMeasures) -> int | None:
    """Days since the last loss, while no job is held and none started since."""
    if m.current_hourly_wage_cents is not None or not m.reemployment:
        return None
    last = max(m.reemployment, key=lambda s: s.lost_on)
    return last.days_so_far if last.days is None else None


@dataclass(frozen=True)
class ExitRow:
    """One exit from cash assistance and the participant's employment after it (WIOA-style).

    Quarters are calendar quarters named like 2024-Q3; see `domain.measures.ExitMeasures` for
    the quarter rule. A quarter not yet ended on `as_of` leaves its values empty.
    """

    as_of: date
    case_number: str
    case_id: str
    caseworker_id: str
    exited_on: date
    exit_quarter: str
    second_quarter: str
    employed_second_quarter: bool | None
    second_quarter_earnings_cents: int | None
    fourth_quarter: str
    employed_fourth_quarter: bool | None


@dataclass(frozen=True)
class ExitQuarterRow:
    """The exits of one quarter, measured: employment rates in the second and fourth quarter
    after exit (over the exits whose quarter has ended), median second-quarter earnings of
    those employed then. Rates are fractions rounded to 4 decimals; empty when not measurable."""

    as_of: date
    exit_quarter: str
    exits: int
    second_quarter: str
    measured_second_quarter: int
    employed_second_quarter: int
    second_quarter_employment_rate: float | None
    median_second_quarter_earnings_cents: float | None
    fourth_quarter: str
    measured_fourth_quarter: int
    employed_fourth_quarter: int
    fourth_quarter_employment_rate: float | None


def exits(store: ReportingStore, as_of: date) -> list[ExitRow]:
    """Every exit on or before `as_of`, by date then case number."""
    facts = store.employment_facts()
    rows = store.db.execute(
        "SELECT x.case_id, c.case_number, c.caseworker_id, x.exited_on "
        "FROM reporting_assistance_exits x JOIN reporting_cases c ON c.case_id = x.case_id "
        "WHERE x.exited_on <= ? ORDER BY x.exited_on, c.case_number, x.case_id",
        (as_of.isoformat(),),
    )
    result = []
    for case_id, number, worker, exited_on in rows:
        m = exit_measures(facts.get(case_id, []), date.fromisoformat(exited_on), as_of)
        result.append(
            ExitRow(
                as_of=as_of,
                case_number=number,
                case_id=case_id,
                caseworker_id=worker,
                exited_on=m.exited_on,
                exit_quarter=str(m.exit_quarter),
                second_quarter=str(m.second_quarter),
                employed_second_quarter=m.employed_second_quarter,
                second_quarter_earnings_cents=m.second_quarter_earnings_cents,
                fourth_quarter=str(m.fourth_quarter),
                employed_fourth_quarter=m.employed_fourth_quarter,
            )
        )
    return result


def exits_by_quarter(store: ReportingStore, as_of: date) -> list[ExitQuarterRow]:
    """One row per exit quarter that had exits, in quarter order."""
    by_quarter: dict[Quarter, list[ExitRow]] = {}
    for row in exits(store, as_of):
        by_quarter.setdefault(Quarter.of(row.exited_on), []).append(row)
    result = []
    for quarter, rows in sorted(by_quarter.items()):
        second = [r.employed_second_quarter for r in rows if r.employed_second_quarter is not None]
        fourth = [r.employed_fourth_quarter for r in rows if r.employed_fourth_quarter is not None]
        earnings = [
            r.second_quarter_earnings_cents
            for r in rows
            if r.employed_second_quarter and r.second_quarter_earnings_cents is not None
        ]
        result.append(
            ExitQuarterRow(
                as_of=as_of,
                exit_quarter=str(quarter),
                exits=len(rows),
                second_quarter=str(quarter.plus(2)),
                measured_second_quarter=len(second),
                employed_second_quarter=sum(second),
                second_quarter_employment_rate=_rate(second),
                median_second_quarter_earnings_cents=(
                    float(statistics.median(earnings)) if earnings else None
                ),
                fourth_quarter=str(quarter.plus(4)),
                measured_fourth_quarter=len(fourth),
                employed_fourth_quarter=sum(fourth),
                fourth_quarter_employment_rate=_rate(fourth),
            )
        )
    return result


def _rate(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None
