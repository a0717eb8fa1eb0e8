"""What a career navigator asks of a cash-assistance case (TA-01..TA-11): plain data, validated
on construction. Field names are the HTTP bodies' (docs/api.md)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

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
from domain.command import MAX_CENTS, CaseCommand, Entries, Name, Text
from domain.inputs import Day, Flag, Number, Whole
from domain.values import ServiceCategory, ServiceType


class EstablishSelfSufficiencyPlan(CaseCommand):
    """Establish the participant's post-employment self-sufficiency plan (TA-01)."""

    established_on: Day
    emergent_needs: Entries = Field(description="The emergent needs, highest priority first")
    resources_mobilised: Entries
    next_reassessment_on: Day

    effective_field = "established_on"


class SetPlanGoal(CaseCommand):
    """Add a goal to the plan, with its target date and responsible party (TA-01)."""

    goal_id: UUID
    set_on: Day
    description: Text
    target_date: Day
    responsible_party: ResponsibleParty

    effective_field = "set_on"


class ChangeGoalStatus(CaseCommand):
    """Move a plan goal to in progress, achieved or discontinued (TA-01)."""

    goal_id: UUID
    changed_on: Day
    status: GoalStatus
    note: Text = ""

    effective_field = "changed_on"


class ReassessPlan(CaseCommand):
    """Re-assess the plan: re-prioritise needs, resources, the next date (TA-01, TA-02)."""

    reassessed_on: Day
    emergent_needs: Entries = Field(description="The emergent needs, highest priority first")
    resources_mobilised: Entries
    summary: Text
    next_reassessment_on: Day

    effective_field = "reassessed_on"


class RecordContingencyPlan(CaseCommand):
    """Record one area's contingency plan, or why the area needs none (TA-02)."""

    area: ContingencyArea
    recorded_on: Day
    contingency: Text | None = None
    not_needed_reason: Text | None = None

    effective_field = "recorded_on"


class LogIntervention(CaseCommand):
    """Log problem solving or crisis intervention, its category and the action taken (TA-03)."""

    intervention_id: UUID
    logged_on: Day
    kind: InterventionKind
    category: InterventionCategory
    situation: Text
    action_taken: Text

    effective_field = "logged_on"


class ReferToCommunityResource(CaseCommand):
    """Refer the participant to a community resource for a need (TA-04)."""

    referral_id: UUID
    referred_on: Day
    need: Text
    resource: Name

    effective_field = "referred_on"


class RecordReferralResult(CaseCommand):
    """Record what came of a community referral (TA-04)."""

    referral_id: UUID
    recorded_on: Day
    result: ReferralResult
    note: Text = ""

    effective_field = "recorded_on"


class RecordReachability(CaseCommand):
    """Record when and through which channels the participant can be reached (TA-05)."""

    recorded_on: Day
    available_in_daytime: Flag
    best_times: Text = ""
    channels: tuple[ContactChannel, ...] = Field(min_length=1, max_length=len(ContactChannel))

    effective_field = "recorded_on"


class PlanContact(CaseCommand):
    """Put a contact on the scheduling matrix: its date and channel (TA-05)."""

    contact_id: UUID
    scheduled_on: Day
    planned_for: Day
    channel: ContactChannel
    purpose: Text = ""

    effective_field = "scheduled_on"


class RecordContact(CaseCommand):
    """Log a contact made; a planned contact's id marks it made (TA-05)."""

    contact_id: UUID
    made_on: Day
    channel: ContactChannel
    summary: Text

    effective_field = "made_on"


class RecordEligibility(CaseCommand):
    """Record the participant's status and renewal date in a support program (TA-06)."""

    program: SupportProgram
    recorded_on: Day
    status: EligibilityStatus
    renewal_on: Day | None = None
    note: Text = ""

    effective_field = "recorded_on"


class StartJob(CaseCommand):
    """Record a job the participant started: start date, wage and hours (TA-07)."""

    job_id: UUID
    started_on: Day
    employer: Name
    job_title: Name
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)

    effective_field = "started_on"


class ChangeWage(CaseCommand):
    """Record a new wage or new weekly hours in a job held (TA-07, TA-11)."""

    job_id: UUID
    changed_on: Day
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)

    effective_field = "changed_on"


class RecordJobLoss(CaseCommand):
    """Record that the participant lost or left a job; re-employment starts (TA-07)."""

    job_id: UUID
    lost_on: Day
    reason: JobLossReason
    note: Text = ""

    effective_field = "lost_on"


class GiveSiteVisitConsent(CaseCommand):
    """Record the participant's permission to visit a job's site, and how it was given (TA-08)."""

    job_id: UUID
    given_on: Day
    how_given: Text

    effective_field = "given_on"


class RevokeSiteVisitConsent(CaseCommand):
    """Record that the participant withdrew permission to visit a job's site (TA-08)."""

    job_id: UUID
    revoked_on: Day

    effective_field = "revoked_on"


class RecordJobSiteVisit(CaseCommand):
    """Record a visit to a job site; refused without permission in force that day (TA-08)."""

    visit_id: UUID
    job_id: UUID
    visited_on: Day
    purpose: Text

    effective_field = "visited_on"


class EndCashAssistance(CaseCommand):
    """Record the day the participant's cash assistance ended (TA-09)."""

    ended_on: Day
    reason: Text

    effective_field = "ended_on"


class ReferToTraining(CaseCommand):
    """Refer the participant to education or training; not after the TA-09 window closes."""

    referral_id: UUID
    referred_on: Day
    resource: Name
    purpose: TrainingPurpose

    effective_field = "referred_on"


class IdentifySkill(CaseCommand):
    """Record a new personal skill of the participant and how it was identified (TA-11)."""

    skill_id: UUID
    identified_on: Day
    skill: Name
    how_identified: Text

    effective_field = "identified_on"


class AuthorizePurchasedService(CaseCommand):
    """Authorize a service from contracted employment services for an open plan goal (TA-10)."""

    authorization_id: UUID
    goal_id: UUID
    authorized_on: Day
    service_type: ServiceType
    category: ServiceCategory
    provider: Name
    planned_start: Day
    planned_end: Day
    amount_cents: Whole = Field(ge=0, le=MAX_CENTS)
    plan_entry: Text

    effective_field = "authorized_on"
