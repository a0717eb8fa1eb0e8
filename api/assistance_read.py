"""The cash-assistance part of a case read (TA-01..TA-11): what the career navigator works from.

Every figure is the domain's own: the missing contingencies (`uncovered_contingency_areas`),
the TA-09 window (`training_referral_window_closes`), consent in force (`Job`) and the TA-11
outcome measures (`domain.measures`), judged on the API's today.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.assistance.plan import uncovered_contingency_areas
from domain.assistance.records import Job
from domain.assistance.training import training_referral_window_closes
from domain.assistance.values import (
    ContactChannel,
    ContingencyArea,
    EligibilityStatus,
    GoalStatus,
    InterventionCategory,
    InterventionKind,
    JobLossReason,
    ReferralResult,
    ResponsibleParty,
    SupportProgram,
    TrainingPurpose,
)
from domain.case import Case
from domain.measures import employment_facts, exit_measures, measures_of
from domain.policy import PolicyBook


class PlanGoalRead(BaseModel):
    """A goal of the self-sufficiency plan (TA-01)."""

    goal_id: UUID
    set_on: date
    description: str
    target_date: date
    responsible_party: ResponsibleParty
    status: GoalStatus
    status_changed_on: date | None


class PlanRead(BaseModel):
    """The self-sufficiency plan (TA-01): needs, resources, goals and the next re-assessment."""

    established_on: date
    emergent_needs: list[str] = Field(description="In priority order")
    resources_mobilised: list[str]
    last_reviewed_on: date
    last_summary: str | None = Field(description="What the last re-assessment found")
    next_reassessment_on: date
    reassessment_overdue: bool = Field(description="The next re-assessment is before `today`")
    goals: list[PlanGoalRead]


class ContingencyRead(BaseModel):
    """How one area is covered, or why it needs no plan (TA-02)."""

    area: ContingencyArea
    recorded_on: date
    plan: str | None
    not_needed_reason: str | None


class ContingencyCoverage(BaseModel):
    """The contingency plans the policy asks for, and which are still missing (TA-02)."""

    required: list[ContingencyArea]
    recorded: list[ContingencyRead]
    missing: list[ContingencyArea] = Field(
        description="Areas with neither a plan nor a reason; a re-assessment is refused (TA-02) "
        "until this is empty"
    )
    complete: bool


class InterventionRead(BaseModel):
    """A problem-solving or crisis intervention (TA-03)."""

    intervention_id: UUID
    logged_on: date
    kind: InterventionKind
    category: InterventionCategory
    situation: str
    action_taken: str


class CommunityReferralRead(BaseModel):
    """A referral to a community resource and what came of it (TA-04)."""

    referral_id: UUID
    referred_on: date
    need: str
    resource: str
    result: ReferralResult | None
    result_on: date | None
    result_note: str | None


class ReachabilityRead(BaseModel):
    """When and how the participant can be reached (TA-05)."""

    recorded_on: date
    available_in_daytime: bool
    best_times: str
    channels: list[ContactChannel]


class ContactRead(BaseModel):
    """A contact: planned (scheduling matrix), made (contact log), or both (TA-05)."""

    contact_id: UUID
    planned: bool
    made: bool
    scheduled_on: date | None
    planned_for: date | None
    planned_channel: ContactChannel | None
    purpose: str | None
    made_on: date | None
    channel: ContactChannel | None
    summary: str | None


class EligibilityRead(BaseModel):
    """The participant's latest standing in a support program, and its renewal (TA-06)."""

    program: SupportProgram
    recorded_on: date
    status: EligibilityStatus
    note: str
    renewal_on: date | None
    renewal_due_soon_from: date | None = Field(description="Agency setting: renewal_alert_days")


class ConsentChangeRead(BaseModel):
    """Permission to visit the job site given or revoked (TA-08)."""

    on: date
    given: bool
    how: str


class SiteVisitRead(BaseModel):
    """A visit to the job site (TA-08)."""

    visit_id: UUID
    visited_on: date
    purpose: str


class JobRead(BaseModel):
    """A job the participant held (TA-07) and permission to visit its site (TA-08)."""

    job_id: UUID
    employer: str
    job_title: str
    started_on: date
    starting_hourly_wage_cents: int
    starting_weekly_hours: float
    hourly_wage_cents: int
    weekly_hours: float
    wage_changed_on: date | None
    lost_on: date | None
    loss_reason: JobLossReason | None
    loss_note: str | None
    held_today: bool
    site_visit_consent: bool = Field(description="Permission to visit the site in force `today`")
    consent_changes: list[ConsentChangeRead]
    site_visits: list[SiteVisitRead]


class TrainingReferralRead(BaseModel):
    """A referral to education or training resources (TA-09)."""

    referral_id: UUID
    referred_on: date
    resource: str
    purpose: TrainingPurpose


class TrainingWindow(BaseModel):
    """The TA-09 window: referrals while cash assistance continues and until it closes."""

    cash_assistance_ended_on: date | None
    cash_assistance_end_reason: str | None
    window_closes_on: date | None = Field(description="None while cash assistance continues")
    open_today: bool
    referrals: list[TrainingReferralRead]


class SkillRead(BaseModel):
    """A new personal skill and how it was identified (TA-11)."""

    skill_id: UUID
    identified_on: date
    skill: str
    how_identified: str


class JobRetentionRead(BaseModel):
    job_id: UUID
    employer: str
    started_on: date
    lost_on: date | None
    retained_days: int


class ReemploymentRead(BaseModel):
    lost_job_id: UUID
    lost_on: date
    next_job_started_on: date | None
    days: int | None
    days_so_far: int


class ExitMeasuresRead(BaseModel):
    """WIOA-style employment and earnings after the exit from cash assistance (None until the
    quarter has ended)."""

    exited_on: date
    exit_quarter: str
    second_quarter: str
    fourth_quarter: str
    employed_second_quarter: bool | None
    employed_fourth_quarter: bool | None
    second_quarter_earnings_cents: int | None


class OutcomeMeasuresRead(BaseModel):
    """TA-11's outcomes as of `as_of`: retention, wage change, new skills (domain/measures.py)."""

    as_of: date
    jobs: list[JobRetentionRead]
    days_employed: int
    longest_retention_days: int
    first_hourly_wage_cents: int | None
    current_hourly_wage_cents: int | None
    hourly_wage_change_cents: int | None
    first_weekly_earnings_cents: int | None
    current_weekly_earnings_cents: int | None
    weekly_earnings_change_cents: int | None
    reemployment: list[ReemploymentRead]
    new_skills: list[str]
    after_exit: ExitMeasuresRead | None


class CashAssistanceState(BaseModel):
    """A cash-assistance case's post-employment services, judged on `today`."""

    today: date
    policy_version: str
    plan: PlanRead | None
    contingencies: ContingencyCoverage
    interventions: list[InterventionRead]
    community_referrals: list[CommunityReferralRead]
    reachability: ReachabilityRead | None
    contacts: list[ContactRead]
    eligibility: list[EligibilityRead]
    jobs: list[JobRead]
    training: TrainingWindow
    skills: list[SkillRead]
    outcome_measures: OutcomeMeasuresRead


def cash_assistance_state(
    case: Case, events: Iterable[Any], policies: PolicyBook, today: date
) -> CashAssistanceState:
    """The read of a cash-assistance case from the case and its events (for the measures)."""
    record = case.assistance
    policy = case.assistance_policy(policies)
    plan = record.plan
    missing = uncovered_contingency_areas(case, policies)
    ended = record.cash_assistance_ended_on
    return CashAssistanceState(
        today=today,
        policy_version=policy.version,
        plan=None
        if plan is None
        else PlanRead(
            established_on=plan.established_on,
            emergent_needs=list(plan.emergent_needs),
            resources_mobilised=list(plan.resources_mobilised),
            last_reviewed_on=plan.last_reviewed_on,
            last_summary=plan.last_summary,
            next_reassessment_on=plan.next_reassessment_on,
            reassessment_overdue=plan.next_reassessment_on < today,
            goals=[
                PlanGoalRead.model_validate(goal, from_attributes=True)
                for goal in plan.goals.values()
            ],
        ),
        contingencies=ContingencyCoverage(
            required=sorted(policy.contingency_areas),
            recorded=[
                ContingencyRead.model_validate(c, from_attributes=True)
                for c in (plan.contingencies.values() if plan else ())
            ],
            missing=missing,
            complete=not missing,
        ),
        interventions=[
            InterventionRead(intervention_id=key, **vars(i))
            for key, i in record.interventions.items()
        ],
        community_referrals=[
            CommunityReferralRead.model_validate(r, from_attributes=True)
            for r in record.community_referrals.values()
        ],
        reachability=None
        if record.reachability is None
        else ReachabilityRead.model_validate(record.reachability, from_attributes=True),
        contacts=[
            ContactRead(planned=c.is_planned, made=c.made_on is not None, **vars(c))
            for c in record.contacts.values()
        ],
        eligibility=[
            EligibilityRead(
                program=e.program,
                recorded_on=e.recorded_on,
                status=e.status,
                note=e.note,
                renewal_on=e.renewal_on,
                renewal_due_soon_from=policy.renewal_due_soon_from(e.renewal_on)
                if e.renewal_on
                else None,
            )
            for e in record.eligibility.values()
        ],
        jobs=[job_read(job, case, today) for job in record.jobs.values()],
        training=TrainingWindow(
            cash_assistance_ended_on=ended,
            cash_assistance_end_reason=record.cash_assistance_end_reason,
            window_closes_on=training_referral_window_closes(case, policies),
            open_today=policy.allows_training_referral_on(today, ended),
            referrals=[
                TrainingReferralRead.model_validate(r, from_attributes=True)
                for r in record.training_referrals.values()
            ],
        ),
        skills=[SkillRead(skill_id=key, **vars(s)) for key, s in record.skills.items()],
        outcome_measures=outcome_measures_read(events, ended, today),
    )


def job_read(job: Job, case: Case, today: date) -> JobRead:
    return JobRead(
        job_id=job.job_id,
        employer=job.employer,
        job_title=job.job_title,
        started_on=job.started_on,
        starting_hourly_wage_cents=job.starting_hourly_wage_cents,
        starting_weekly_hours=job.starting_weekly_hours,
        hourly_wage_cents=job.hourly_wage_cents,
        weekly_hours=job.weekly_hours,
        wage_changed_on=job.wage_changed_on,
        lost_on=job.lost_on,
        loss_reason=job.loss_reason,
        loss_note=job.loss_note,
        held_today=job.held_on(today),
        site_visit_consent=job.consent_in_force_on(today),
        consent_changes=[
            ConsentChangeRead(on=c.on, given=c.given, how=c.how) for c in job.consent_changes
        ],
        site_visits=[
            SiteVisitRead(visit_id=v.visit_id, visited_on=v.visited_on, purpose=v.purpose)
            for v in case.assistance.visits.values()
            if v.job_id == job.job_id
        ],
    )


def outcome_measures_read(
    events: Iterable[Any], exited_on: date | None, today: date
) -> OutcomeMeasuresRead:
    facts = employment_facts(events)
    measures = measures_of(facts, today)
    after_exit = None
    if exited_on is not None:
        after = exit_measures(facts, exited_on, today)
        after_exit = ExitMeasuresRead(
            exited_on=after.exited_on,
            exit_quarter=str(after.exit_quarter),
            second_quarter=str(after.second_quarter),
            fourth_quarter=str(after.fourth_quarter),
            employed_second_quarter=after.employed_second_quarter,
            employed_fourth_quarter=after.employed_fourth_quarter,
            second_quarter_earnings_cents=after.second_quarter_earnings_cents,
        )
    return OutcomeMeasuresRead(
        as_of=measures.as_of,
        jobs=[JobRetentionRead.model_validate(j, from_attributes=True) for j in measures.jobs],
        days_employed=measures.days_employed,
        longest_retention_days=measures.longest_retention_days,
        first_hourly_wage_cents=measures.first_hourly_wage_cents,
        current_hourly_wage_cents=measures.current_hourly_wage_cents,
        hourly_wage_change_cents=measures.hourly_wage_change_cents,
        first_weekly_earnings_cents=measures.first_weekly_earnings_cents,
        current_weekly_earnings_cents=measures.current_weekly_earnings_cents,
        weekly_earnings_change_cents=measures.weekly_earnings_change_cents,
        reemployment=[
            ReemploymentRead.model_validate(r, from_attributes=True) for r in measures.reemployment
        ],
        new_skills=list(measures.new_skills),
        after_exit=after_exit,
    )
