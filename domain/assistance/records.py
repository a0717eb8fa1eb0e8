"""The records of cash-assistance post-employment services (TA-01..TA-11).

The Case aggregate keeps one `AssistanceRecord` per cash-assistance case, rebuilt from its events:
the self-sufficiency plan and its goals and contingencies, community referrals, the contact
scheduling matrix, eligibility for other programs, jobs with their site-visit consent, the end of
cash assistance and training referrals. The checks here are shared by the program's decisions,
which raise the refusals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid5

from domain.assistance.values import (
    CLOSED_GOAL_STATUSES,
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


@dataclass
class PlanGoal:
    """A goal of the self-sufficiency plan: target date, responsible party, status (TA-01)."""

    goal_id: UUID
    set_on: date
    description: str
    target_date: date
    responsible_party: ResponsibleParty
    status: GoalStatus = GoalStatus.OPEN
    status_changed_on: date | None = None

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_GOAL_STATUSES

    def terms(self) -> tuple[object, ...]:
        return (self.set_on, self.description, self.target_date, self.responsible_party)


@dataclass
class Contingency:
    """How one area is covered if things go wrong, or why it needs no plan (TA-02)."""

    area: ContingencyArea
    recorded_on: date
    plan: str | None
    not_needed_reason: str | None


@dataclass
class SelfSufficiencyPlan:
    """The post-employment self-sufficiency plan (TA-01) and its contingency plans (TA-02)."""

    established_on: date
    emergent_needs: tuple[str, ...]
    resources_mobilised: tuple[str, ...]
    next_reassessment_on: date
    last_reviewed_on: date
    last_summary: str | None = None
    goals: dict[UUID, PlanGoal] = field(default_factory=dict)
    contingencies: dict[ContingencyArea, Contingency] = field(default_factory=dict)

    def uncovered_areas(self, required: frozenset[ContingencyArea]) -> list[ContingencyArea]:
        """The required areas with neither a contingency nor a reason it is not needed (TA-02)."""
        return sorted(area for area in required if area not in self.contingencies)


@dataclass(frozen=True)
class Intervention:
    """A logged problem-solving or crisis intervention (TA-03)."""

    logged_on: date
    kind: InterventionKind
    category: InterventionCategory
    situation: str
    action_taken: str


@dataclass
class CommunityReferral:
    """A referral to a community resource: the need, the resource and the result (TA-04)."""

    referral_id: UUID
    referred_on: date
    need: str
    resource: str
    result: ReferralResult | None = None
    result_on: date | None = None
    result_note: str | None = None


@dataclass
class Reachability:
    """When and how the participant can be reached (TA-05)."""

    recorded_on: date
    available_in_daytime: bool
    best_times: str
    channels: tuple[ContactChannel, ...]


@dataclass
class Contact:
    """A contact of the scheduling matrix (planned) or of the contact log (made), or both (TA-05)."""

    contact_id: UUID
    scheduled_on: date | None = None
    planned_for: date | None = None
    planned_channel: ContactChannel | None = None
    purpose: str | None = None
    made_on: date | None = None
    channel: ContactChannel | None = None
    summary: str | None = None

    @property
    def is_planned(self) -> bool:
        return self.planned_for is not None


@dataclass
class Eligibility:
    """The participant's latest recorded standing in one support program (TA-06)."""

    program: SupportProgram
    recorded_on: date
    status: EligibilityStatus
    renewal_on: date | None
    note: str


@dataclass
class ConsentChange:
    """Permission to visit a job site given (True) or revoked (False) on a day (TA-08)."""

    on: date
    given: bool
    how: str


@dataclass
class Job:
    """A job the participant held: start date, wage and hours, and how it ended (TA-07)."""

    job_id: UUID
    started_on: date
    employer: str
    job_title: str
    starting_hourly_wage_cents: int
    starting_weekly_hours: float
    hourly_wage_cents: int
    weekly_hours: float
    wage_changed_on: date | None = None
    lost_on: date | None = None
    loss_reason: JobLossReason | None = None
    loss_note: str | None = None
    consent_changes: list[ConsentChange] = field(default_factory=list)
    visit_dates: list[date] = field(default_factory=list)

    def terms(self) -> tuple[object, ...]:
        return (
            self.started_on,
            self.employer,
            self.job_title,
            self.starting_hourly_wage_cents,
            self.starting_weekly_hours,
        )

    def held_on(self, day: date) -> bool:
        """Started on or before `day` and not lost before it (the loss day still counts)."""
        return self.started_on <= day and (self.lost_on is None or day <= self.lost_on)

    def consent_in_force_on(self, day: date) -> bool:
        """Whether permission to visit the site was in force on `day` (TA-08).

        The last change dated on or before `day` decides: consent given that day is in force,
        consent revoked that day or earlier is not. Changes are recorded in date order.
        """
        in_force = False
        for change in self.consent_changes:
            if change.on > day:
                break
            in_force = change.given
        return in_force

    @property
    def last_fact_on(self) -> date:
        """The latest date recorded about the job: a loss cannot precede it."""
        return max(
            [self.started_on, self.wage_changed_on or self.started_on]
            + [change.on for change in self.consent_changes]
            + self.visit_dates
        )


@dataclass
class JobSiteVisit:
    """A visit to the participant's job site, made with permission in force (TA-08)."""

    visit_id: UUID
    job_id: UUID
    visited_on: date
    purpose: str


@dataclass
class TrainingReferral:
    """A referral to education or training resources (TA-09)."""

    referral_id: UUID
    referred_on: date
    resource: str
    purpose: TrainingPurpose


@dataclass(frozen=True)
class IdentifiedSkill:
    """A new personal skill identified, and how (TA-11)."""

    identified_on: date
    skill: str
    how_identified: str


@dataclass
class AssistanceRecord:
    """Everything a cash-assistance case keeps about its post-employment services."""

    plan: SelfSufficiencyPlan | None = None
    interventions: dict[UUID, Intervention] = field(default_factory=dict)
    community_referrals: dict[UUID, CommunityReferral] = field(default_factory=dict)
    reachability: Reachability | None = None
    contacts: dict[UUID, Contact] = field(default_factory=dict)
    eligibility: dict[SupportProgram, Eligibility] = field(default_factory=dict)
    jobs: dict[UUID, Job] = field(default_factory=dict)
    visits: dict[UUID, JobSiteVisit] = field(default_factory=dict)
    cash_assistance_ended_on: date | None = None
    cash_assistance_end_reason: str | None = None
    training_referrals: dict[UUID, TrainingReferral] = field(default_factory=dict)
    skills: dict[UUID, IdentifiedSkill] = field(default_factory=dict)

    def jobs_held_on(self, day: date) -> list[Job]:
        return [job for job in self.jobs.values() if job.held_on(day)]


def blank(*texts: str | None) -> bool:
    """Whether any of the texts is missing or only whitespace."""
    return any(text is None or not text.strip() for text in texts)


def eligibility_subject_id(case_id: UUID, program: SupportProgram) -> UUID:
    """The id a program's renewal deadline is known by: one per case and program (TA-06)."""
    return uuid5(case_id, f"eligibility:{program.value}")
