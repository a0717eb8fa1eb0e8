"""The cash-assistance program's facts (TA-01..TA-11). Each says which rules its decision
enforces and how it moves the case (`domain.events.CaseEvent`), and applies its own change to
the case's `AssistanceRecord`.

Purchased services (TA-10) record the shared `domain.authorizations.events.ServiceAuthorized`;
its `request_id` names the plan goal the service serves.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import Field

from domain.assistance.records import (
    CommunityReferral,
    ConsentChange,
    Contact,
    Contingency,
    Eligibility,
    IdentifiedSkill,
    Intervention,
    Job,
    JobSiteVisit,
    PlanGoal,
    Reachability,
    SelfSufficiencyPlan,
    TrainingReferral,
)
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
from domain.events import CaseEvent, CaseStatus

if TYPE_CHECKING:
    from domain.case import Case


def _recorded_plan(case: Case) -> SelfSufficiencyPlan:
    plan = case.assistance.plan
    if plan is None:
        raise ValueError(f"case {case.case_number} recorded a plan fact without a plan")
    return plan


# The self-sufficiency plan (TA-01) and its contingencies (TA-02)


class SelfSufficiencyPlanEstablished(CaseEvent):
    """A post-employment self-sufficiency plan was established for the participant (TA-01)."""

    rules = ("TA-01",)
    judged_by_replay = True

    emergent_needs: tuple[str, ...] = Field(description="The emergent needs, highest first")
    resources_mobilised: tuple[str, ...]
    next_reassessment_on: date
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.plan = SelfSufficiencyPlan(
            established_on=self.effective_on,
            emergent_needs=tuple(self.emergent_needs),
            resources_mobilised=tuple(self.resources_mobilised),
            next_reassessment_on=self.next_reassessment_on,
            last_reviewed_on=self.effective_on,
        )


class PlanGoalSet(CaseEvent):
    """A goal with a target date and a responsible party was added to the plan (TA-01)."""

    rules = ("TA-01",)

    goal_id: UUID
    description: str
    target_date: date
    responsible_party: ResponsibleParty
    policy_version: str

    def apply(self, case: Case) -> None:
        _recorded_plan(case).goals[self.goal_id] = PlanGoal(
            goal_id=self.goal_id,
            set_on=self.effective_on,
            description=self.description,
            target_date=self.target_date,
            responsible_party=self.responsible_party,
        )


class GoalStatusChanged(CaseEvent):
    """A goal of the plan moved to another status: in progress, achieved, discontinued (TA-01)."""

    rules = ("TA-01",)

    goal_id: UUID
    status: GoalStatus
    note: str
    policy_version: str

    def apply(self, case: Case) -> None:
        goal = _recorded_plan(case).goals[self.goal_id]
        goal.status = self.status
        goal.status_changed_on = self.effective_on


class PlanReassessed(CaseEvent):
    """The plan was re-assessed: needs re-prioritised, resources, next date (TA-01, TA-02)."""

    rules = ("TA-01", "TA-02")
    judged_by_replay = True

    emergent_needs: tuple[str, ...] = Field(description="The emergent needs, highest first")
    resources_mobilised: tuple[str, ...]
    summary: str
    next_reassessment_on: date
    policy_version: str

    def apply(self, case: Case) -> None:
        plan = _recorded_plan(case)
        plan.emergent_needs = tuple(self.emergent_needs)
        plan.resources_mobilised = tuple(self.resources_mobilised)
        plan.next_reassessment_on = self.next_reassessment_on
        plan.last_reviewed_on = self.effective_on
        plan.last_summary = self.summary


class ContingencyPlanRecorded(CaseEvent):
    """A contingency for one area of the plan, or why it needs none, was recorded (TA-02)."""

    rules = ("TA-02",)
    judged_by_replay = True

    area: ContingencyArea
    contingency: str | None
    not_needed_reason: str | None
    policy_version: str

    def apply(self, case: Case) -> None:
        _recorded_plan(case).contingencies[self.area] = Contingency(
            self.area, self.effective_on, self.contingency, self.not_needed_reason
        )


# Problem solving and crisis intervention (TA-03), community resources (TA-04)


class InterventionLogged(CaseEvent):
    """Problem solving or crisis intervention was logged with its category and action (TA-03)."""

    rules = ("TA-03",)

    intervention_id: UUID
    kind: InterventionKind
    category: InterventionCategory
    situation: str
    action_taken: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.interventions[self.intervention_id] = Intervention(
            self.effective_on, self.kind, self.category, self.situation, self.action_taken
        )


class CommunityReferralMade(CaseEvent):
    """The participant was referred to a community resource for a need (TA-04)."""

    rules = ("TA-04",)

    referral_id: UUID
    need: str
    resource: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.community_referrals[self.referral_id] = CommunityReferral(
            referral_id=self.referral_id,
            referred_on=self.effective_on,
            need=self.need,
            resource=self.resource,
        )


class CommunityReferralResultRecorded(CaseEvent):
    """What came of a referral to a community resource was recorded (TA-04)."""

    rules = ("TA-04",)

    referral_id: UUID
    result: ReferralResult
    note: str
    policy_version: str

    def apply(self, case: Case) -> None:
        referral = case.assistance.community_referrals[self.referral_id]
        referral.result = self.result
        referral.result_on = self.effective_on
        referral.result_note = self.note


# Reachability and the contact scheduling matrix (TA-05)


class ReachabilityRecorded(CaseEvent):
    """When and through which channels the participant can be reached was recorded (TA-05)."""

    rules = ("TA-05",)

    available_in_daytime: bool
    best_times: str
    channels: tuple[ContactChannel, ...]
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.reachability = Reachability(
            self.effective_on, self.available_in_daytime, self.best_times, tuple(self.channels)
        )


class ContactPlanned(CaseEvent):
    """A contact was put on the scheduling matrix for a date, through a channel (TA-05)."""

    rules = ("TA-05",)

    contact_id: UUID
    planned_for: date
    channel: ContactChannel
    purpose: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.contacts[self.contact_id] = Contact(
            contact_id=self.contact_id,
            scheduled_on=self.effective_on,
            planned_for=self.planned_for,
            planned_channel=self.channel,
            purpose=self.purpose,
        )


class ContactMade(CaseEvent):
    """The career navigator contacted the participant on `effective_on` (TA-05)."""

    rules = ("TA-05",)

    contact_id: UUID
    channel: ContactChannel
    summary: str
    planned_for: date | None = Field(
        description="The planned date this contact fulfils; null for an unplanned contact"
    )
    policy_version: str

    def apply(self, case: Case) -> None:
        contact = case.assistance.contacts.setdefault(
            self.contact_id, Contact(contact_id=self.contact_id)
        )
        contact.made_on = self.effective_on
        contact.channel = self.channel
        contact.summary = self.summary


# Eligibility maintenance (TA-06)


class EligibilityRecorded(CaseEvent):
    """The participant's status and renewal date in a support program were recorded (TA-06)."""

    rules = ("TA-06",)

    program: SupportProgram
    status: EligibilityStatus
    renewal_on: date | None
    note: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.eligibility[self.program] = Eligibility(
            self.program, self.effective_on, self.status, self.renewal_on, self.note
        )


# Jobs, job loss and re-employment (TA-07)


class JobStarted(CaseEvent):
    """The participant started a job on `effective_on`, at a wage and weekly hours (TA-07)."""

    rules = ("TA-07",)
    status_after = CaseStatus.MONITORING

    job_id: UUID
    employer: str
    job_title: str
    hourly_wage_cents: int
    weekly_hours: float
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.jobs[self.job_id] = Job(
            job_id=self.job_id,
            started_on=self.effective_on,
            employer=self.employer,
            job_title=self.job_title,
            starting_hourly_wage_cents=self.hourly_wage_cents,
            starting_weekly_hours=self.weekly_hours,
            hourly_wage_cents=self.hourly_wage_cents,
            weekly_hours=self.weekly_hours,
        )


class WageChanged(CaseEvent):
    """The wage or the hours of a job changed on `effective_on` (TA-07, TA-11)."""

    rules = ("TA-07",)

    job_id: UUID
    hourly_wage_cents: int
    weekly_hours: float
    policy_version: str

    def apply(self, case: Case) -> None:
        job = case.assistance.jobs[self.job_id]
        job.hourly_wage_cents = self.hourly_wage_cents
        job.weekly_hours = self.weekly_hours
        job.wage_changed_on = self.effective_on


class JobLost(CaseEvent):
    """The participant lost or left a job on `effective_on`; re-employment begins (TA-07)."""

    rules = ("TA-07",)

    job_id: UUID
    reason: JobLossReason
    note: str
    policy_version: str

    def apply(self, case: Case) -> None:
        job = case.assistance.jobs[self.job_id]
        job.lost_on = self.effective_on
        job.loss_reason = self.reason
        job.loss_note = self.note


# Job-site visits, only with permission (TA-08)


class SiteVisitConsentGiven(CaseEvent):
    """The participant permitted visits to a job's site from `effective_on` (TA-08)."""

    rules = ("TA-08",)

    job_id: UUID
    how_given: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.jobs[self.job_id].consent_changes.append(
            ConsentChange(self.effective_on, True, self.how_given)
        )


class SiteVisitConsentRevoked(CaseEvent):
    """The participant withdrew permission to visit a job's site on `effective_on` (TA-08)."""

    rules = ("TA-08",)

    job_id: UUID
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.jobs[self.job_id].consent_changes.append(
            ConsentChange(self.effective_on, False, "")
        )


class JobSiteVisited(CaseEvent):
    """The career navigator visited a job site with the participant's permission (TA-08)."""

    rules = ("TA-08",)

    visit_id: UUID
    job_id: UUID
    purpose: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.visits[self.visit_id] = JobSiteVisit(
            self.visit_id, self.job_id, self.effective_on, self.purpose
        )
        case.assistance.jobs[self.job_id].visit_dates.append(self.effective_on)


# The end of cash assistance and the education and training window (TA-09), new skills (TA-11)


class CashAssistanceEnded(CaseEvent):
    """The participant's cash assistance ended on `effective_on` (TA-09)."""

    rules = ("TA-09",)
    judged_by_replay = True

    reason: str
    training_window_closes_on: date
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.cash_assistance_ended_on = self.effective_on
        case.assistance.cash_assistance_end_reason = self.reason


class TrainingReferralMade(CaseEvent):
    """The participant was referred to education or training resources (TA-09)."""

    rules = ("TA-09",)
    judged_by_replay = True

    referral_id: UUID
    resource: str
    purpose: TrainingPurpose
    window_closes_on: date | None = Field(
        description="The last day of the TA-09 window; null while cash assistance continues"
    )
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.training_referrals[self.referral_id] = TrainingReferral(
            self.referral_id, self.effective_on, self.resource, self.purpose
        )


class SkillIdentified(CaseEvent):
    """A new personal skill of the participant was identified (TA-11)."""

    rules = ("TA-11",)

    skill_id: UUID
    skill: str
    how_identified: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.assistance.skills[self.skill_id] = IdentifiedSkill(
            self.effective_on, self.skill, self.how_identified
        )
