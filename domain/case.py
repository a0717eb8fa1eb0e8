"""The Case aggregate: one client's post-employment case, in the VR or the cash-assistance program.

Public methods check the rules (VR-01..VR-12, TA-01..TA-11) and decide; private `@event` methods
only record, so a replay never re-runs a rule. A VR case's checks use the VR policy version in
force on its outcome date (the date the post-employment clock starts); a cash-assistance case's
use the TA version in force on its opening. Every decision records the version. Each program's
commands refuse the other program's cases; the money commands after an authorization serve both.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from pydantic import Field

from domain.assistance import (
    AssistanceRecord,
    CommunityReferral,
    ConsentChange,
    Contact,
    ContactChannel,
    Contingency,
    ContingencyArea,
    Eligibility,
    EligibilityStatus,
    GoalStatus,
    IdentifiedSkill,
    Intervention,
    InterventionCategory,
    InterventionKind,
    Job,
    JobLossReason,
    JobSiteVisit,
    PlanGoal,
    Reachability,
    ReferralResult,
    ResponsibleParty,
    SelfSufficiencyPlan,
    SupportProgram,
    TrainingPurpose,
    TrainingReferral,
    blank,
)
from domain.authorizations import events as authorization_events
from domain.authorizations.records import Authorization, Invoice
from domain.base import Actor, Aggregate
from domain.errors import InvalidCommand, RuleViolation
from domain.events import CaseEvent, CaseStatus, Program
from domain.policy import PolicyBook, TAPolicy, VRPolicy
from domain.values import (
    ServiceCategory,
    ServiceType,
)
from domain.vr import events as vr_events
from domain.vr.records import (
    OPEN_REQUEST_STATUSES,
    Grandfathering,
    ServiceRequest,
)
from domain.vr.rules import termination_due

CASE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:pes:case")


class Case(Aggregate):
    """A post-employment case. Public methods decide; private `@event` methods only record."""

    class CaseOpened(CaseEvent, Aggregate.Created):
        """A post-employment case was opened for a client, in a program, for a caseworker."""

        status_after = CaseStatus.OPEN
        judged_by_replay = True

        case_number: str
        program: Program
        client_ref: str
        caseworker_id: str

    OutcomeAchieved = vr_events.OutcomeAchieved
    OutcomeDateCorrected = vr_events.OutcomeDateCorrected
    GrandfatheringRecognized = vr_events.GrandfatheringRecognized
    PEServicesRequested = vr_events.PEServicesRequested
    PEServicesFoundAppropriate = vr_events.PEServicesFoundAppropriate
    NewEmploymentCaseOpened = vr_events.NewEmploymentCaseOpened
    PEServicesFoundNotAppropriate = vr_events.PEServicesFoundNotAppropriate
    ReviewRequested = vr_events.ReviewRequested
    ReviewDecided = vr_events.ReviewDecided
    ServiceAuthorized = authorization_events.ServiceAuthorized

    AuthorizationCancelled = authorization_events.AuthorizationCancelled
    ServiceProvided = authorization_events.ServiceProvided
    InvoiceReceived = authorization_events.InvoiceReceived
    InvoicePaid = authorization_events.InvoicePaid
    BalanceUnencumbered = authorization_events.BalanceUnencumbered

    ReturnedToMonitoring = vr_events.ReturnedToMonitoring
    RemovedFromPEServices = vr_events.RemovedFromPEServices
    CaseTerminated = vr_events.CaseTerminated

    # Cash-assistance program (TA-01..TA-11). Purchased services (TA-10) record the money
    # events above; their `request_id` names the plan goal the service serves.

    class SelfSufficiencyPlanEstablished(CaseEvent):
        """A post-employment self-sufficiency plan was established for the participant (TA-01)."""

        rules = ("TA-01",)

        emergent_needs: tuple[str, ...] = Field(description="The emergent needs, highest first")
        resources_mobilised: tuple[str, ...]
        next_reassessment_on: date
        policy_version: str

    class PlanGoalSet(CaseEvent):
        """A goal with a target date and a responsible party was added to the plan (TA-01)."""

        rules = ("TA-01",)

        goal_id: UUID
        description: str
        target_date: date
        responsible_party: ResponsibleParty
        policy_version: str

    class GoalStatusChanged(CaseEvent):
        """A goal of the plan moved to another status: in progress, achieved, discontinued (TA-01)."""

        rules = ("TA-01",)

        goal_id: UUID
        status: GoalStatus
        note: str
        policy_version: str

    class PlanReassessed(CaseEvent):
        """The plan was re-assessed: needs re-prioritised, resources, next date (TA-01, TA-02)."""

        rules = ("TA-01", "TA-02")

        emergent_needs: tuple[str, ...] = Field(description="The emergent needs, highest first")
        resources_mobilised: tuple[str, ...]
        summary: str
        next_reassessment_on: date
        policy_version: str

    class ContingencyPlanRecorded(CaseEvent):
        """A contingency for one area of the plan, or why it needs none, was recorded (TA-02)."""

        rules = ("TA-02",)

        area: ContingencyArea
        contingency: str | None
        not_needed_reason: str | None
        policy_version: str

    class InterventionLogged(CaseEvent):
        """Problem solving or crisis intervention was logged with its category and action (TA-03)."""

        rules = ("TA-03",)

        intervention_id: UUID
        kind: InterventionKind
        category: InterventionCategory
        situation: str
        action_taken: str
        policy_version: str

    class CommunityReferralMade(CaseEvent):
        """The participant was referred to a community resource for a need (TA-04)."""

        rules = ("TA-04",)

        referral_id: UUID
        need: str
        resource: str
        policy_version: str

    class CommunityReferralResultRecorded(CaseEvent):
        """What came of a referral to a community resource was recorded (TA-04)."""

        rules = ("TA-04",)

        referral_id: UUID
        result: ReferralResult
        note: str
        policy_version: str

    class ReachabilityRecorded(CaseEvent):
        """When and through which channels the participant can be reached was recorded (TA-05)."""

        rules = ("TA-05",)

        available_in_daytime: bool
        best_times: str
        channels: tuple[ContactChannel, ...]
        policy_version: str

    class ContactPlanned(CaseEvent):
        """A contact was put on the scheduling matrix for a date, through a channel (TA-05)."""

        rules = ("TA-05",)

        contact_id: UUID
        planned_for: date
        channel: ContactChannel
        purpose: str
        policy_version: str

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

    class EligibilityRecorded(CaseEvent):
        """The participant's status and renewal date in a support program were recorded (TA-06)."""

        rules = ("TA-06",)

        program: SupportProgram
        status: EligibilityStatus
        renewal_on: date | None
        note: str
        policy_version: str

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

    class WageChanged(CaseEvent):
        """The wage or the hours of a job changed on `effective_on` (TA-07, TA-11)."""

        rules = ("TA-07",)

        job_id: UUID
        hourly_wage_cents: int
        weekly_hours: float
        policy_version: str

    class JobLost(CaseEvent):
        """The participant lost or left a job on `effective_on`; re-employment begins (TA-07)."""

        rules = ("TA-07",)

        job_id: UUID
        reason: JobLossReason
        note: str
        policy_version: str

    class SiteVisitConsentGiven(CaseEvent):
        """The participant permitted visits to a job's site from `effective_on` (TA-08)."""

        rules = ("TA-08",)

        job_id: UUID
        how_given: str
        policy_version: str

    class SiteVisitConsentRevoked(CaseEvent):
        """The participant withdrew permission to visit a job's site on `effective_on` (TA-08)."""

        rules = ("TA-08",)

        job_id: UUID
        policy_version: str

    class JobSiteVisited(CaseEvent):
        """The career navigator visited a job site with the participant's permission (TA-08)."""

        rules = ("TA-08",)

        visit_id: UUID
        job_id: UUID
        purpose: str
        policy_version: str

    class CashAssistanceEnded(CaseEvent):
        """The participant's cash assistance ended on `effective_on` (TA-09)."""

        rules = ("TA-09",)

        reason: str
        training_window_closes_on: date
        policy_version: str

    class TrainingReferralMade(CaseEvent):
        """The participant was referred to education or training resources (TA-09)."""

        rules = ("TA-09",)

        referral_id: UUID
        resource: str
        purpose: TrainingPurpose
        window_closes_on: date | None = Field(
            description="The last day of the TA-09 window; null while cash assistance continues"
        )
        policy_version: str

    class SkillIdentified(CaseEvent):
        """A new personal skill of the participant was identified (TA-11)."""

        rules = ("TA-11",)

        skill_id: UUID
        skill: str
        how_identified: str
        policy_version: str

    @staticmethod
    def create_id(case_number: str, **_: Any) -> UUID:
        return case_id_for(case_number)

    @event(CaseOpened)
    def __init__(
        self,
        case_number: str,
        program: Program,
        client_ref: str,
        caseworker_id: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.case_number = case_number
        self.program = program
        self.client_ref = client_ref
        self.caseworker_id = caseworker_id
        self.opened_on = effective_on
        self.status = CaseStatus.OPEN
        self.outcome_date: date | None = None
        self.employer: str | None = None
        self.job_title: str | None = None
        self.hourly_wage_cents: int | None = None
        self.weekly_hours: float | None = None
        self.occupation_code: str | None = None
        self.grandfathering: Grandfathering | None = None
        self.requests: dict[UUID, ServiceRequest] = {}
        self.authorizations: dict[UUID, Authorization] = {}
        self.invoices: dict[UUID, Invoice] = {}
        self.left_pe_services_on: date | None = None
        self.terminated_on: date | None = None
        self.last_activity_on = effective_on
        self.assistance = AssistanceRecord()

    # Reads

    def governing_policy(self, policies: PolicyBook, on: date | None = None) -> VRPolicy:
        """The VR policy version for this case: the one in force on its outcome date."""
        reference = self.outcome_date or on or self.opened_on
        return policies.vr_in_force_on(reference)

    def assistance_policy(self, policies: PolicyBook) -> TAPolicy:
        """The cash-assistance policy version for this case: the one in force on its opening."""
        return policies.ta_in_force_on(self.opened_on)

    def termination_date(self, policy: VRPolicy) -> date | None:
        """The VR-11 date as things stand; None while a PE service is open, without outcome, or
        for a cash-assistance case (VR-11 is the VR program's; those cases never terminate)."""
        if self.terminated_on is not None:
            return self.terminated_on
        if self.program is not Program.VR:
            return None
        return termination_due(
            policy,
            self.outcome_date,
            self.status is CaseStatus.IN_PE_SERVICES,
            self.left_pe_services_on,
        )

    def open_requests(self) -> list[ServiceRequest]:
        return [r for r in self.requests.values() if r.status in OPEN_REQUEST_STATUSES]

    def open_authorizations(self) -> list[Authorization]:
        return [a for a in self.authorizations.values() if not a.is_closed]

    @property
    def encumbered_cents(self) -> int:
        return sum(a.encumbered_cents for a in self.authorizations.values())

    # Cash assistance: the self-sufficiency plan (TA-01) and its contingencies (TA-02)

    def establish_plan(
        self,
        established_on: date,
        emergent_needs: tuple[str, ...],
        resources_mobilised: tuple[str, ...],
        next_reassessment_on: date,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        emergent_needs, resources_mobilised = tuple(emergent_needs), tuple(resources_mobilised)
        plan = self.assistance.plan
        if plan is not None:
            if (
                plan.established_on,
                plan.emergent_needs,
                plan.resources_mobilised,
                plan.next_reassessment_on,
            ) == (established_on, emergent_needs, resources_mobilised, next_reassessment_on):
                return
            raise InvalidCommand(
                f"the self-sufficiency plan was established on {plan.established_on}; "
                "re-assess it instead",
                rule_id="TA-01",
            )
        self.require_not_before_opening(established_on, "a self-sufficiency plan")
        _check_needs_and_resources(emergent_needs, resources_mobilised)
        _check_next_reassessment(established_on, next_reassessment_on)
        self._establish_plan(
            effective_on=established_on,
            emergent_needs=emergent_needs,
            resources_mobilised=resources_mobilised,
            next_reassessment_on=next_reassessment_on,
            policy_version=policy.version,
            actor=actor,
        )

    @event(SelfSufficiencyPlanEstablished)
    def _establish_plan(
        self,
        effective_on: date,
        emergent_needs: tuple[str, ...],
        resources_mobilised: tuple[str, ...],
        next_reassessment_on: date,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.plan = SelfSufficiencyPlan(
            established_on=effective_on,
            emergent_needs=tuple(emergent_needs),
            resources_mobilised=tuple(resources_mobilised),
            next_reassessment_on=next_reassessment_on,
            last_reviewed_on=effective_on,
        )
        self.note_activity(effective_on)

    def set_goal(
        self,
        goal_id: UUID,
        set_on: date,
        description: str,
        target_date: date,
        responsible_party: ResponsibleParty,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        plan = self._plan("a goal")
        existing = plan.goals.get(goal_id)
        if existing is not None:
            if existing.terms() == (set_on, description, target_date, responsible_party):
                return
            raise InvalidCommand(f"goal {goal_id} was already recorded with other details")
        if set_on < plan.established_on:
            raise InvalidCommand(f"the plan was established on {plan.established_on}")
        if blank(description):
            raise RuleViolation("TA-01", "a goal of the plan says what is to be achieved")
        if target_date < set_on:
            raise RuleViolation(
                "TA-01", f"a goal's target date cannot precede the day it is set ({set_on})"
            )
        self._set_goal(
            effective_on=set_on,
            goal_id=goal_id,
            description=description,
            target_date=target_date,
            responsible_party=responsible_party,
            policy_version=policy.version,
            actor=actor,
        )

    @event(PlanGoalSet)
    def _set_goal(
        self,
        effective_on: date,
        goal_id: UUID,
        description: str,
        target_date: date,
        responsible_party: ResponsibleParty,
        policy_version: str,
        actor: Actor,
    ) -> None:
        plan = self._recorded_plan()
        plan.goals[goal_id] = PlanGoal(
            goal_id=goal_id,
            set_on=effective_on,
            description=description,
            target_date=target_date,
            responsible_party=responsible_party,
        )
        self.note_activity(effective_on)

    def change_goal_status(
        self,
        goal_id: UUID,
        changed_on: date,
        status: GoalStatus,
        note: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        goal = self._goal(goal_id)
        if goal.status is status:
            if goal.status_changed_on == changed_on:
                return
            raise InvalidCommand(f"goal {goal_id} is already {status}")
        if goal.is_closed:
            raise InvalidCommand(
                f"goal {goal_id} was {goal.status} on {goal.status_changed_on}; set a new goal"
            )
        if changed_on < (goal.status_changed_on or goal.set_on):
            raise InvalidCommand(
                f"goal {goal_id} was last updated on {goal.status_changed_on or goal.set_on}"
            )
        if status is GoalStatus.OPEN:
            raise InvalidCommand("a goal is open only until work on it starts")
        if status is GoalStatus.DISCONTINUED and blank(note):
            raise RuleViolation("TA-01", "a discontinued goal records why it was dropped")
        self._change_goal_status(
            effective_on=changed_on,
            goal_id=goal_id,
            status=status,
            note=note,
            policy_version=policy.version,
            actor=actor,
        )

    @event(GoalStatusChanged)
    def _change_goal_status(
        self,
        effective_on: date,
        goal_id: UUID,
        status: GoalStatus,
        note: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        goal = self._recorded_plan().goals[goal_id]
        goal.status = status
        goal.status_changed_on = effective_on
        self.note_activity(effective_on)

    def reassess_plan(
        self,
        reassessed_on: date,
        emergent_needs: tuple[str, ...],
        resources_mobilised: tuple[str, ...],
        summary: str,
        next_reassessment_on: date,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        emergent_needs, resources_mobilised = tuple(emergent_needs), tuple(resources_mobilised)
        plan = self._plan("a re-assessment")
        if (
            reassessed_on,
            emergent_needs,
            resources_mobilised,
            summary,
            next_reassessment_on,
        ) == (
            plan.last_reviewed_on,
            plan.emergent_needs,
            plan.resources_mobilised,
            plan.last_summary,
            plan.next_reassessment_on,
        ):
            return
        if reassessed_on <= plan.last_reviewed_on:
            raise InvalidCommand(f"the plan was last reviewed on {plan.last_reviewed_on}")
        _check_needs_and_resources(emergent_needs, resources_mobilised)
        if blank(summary):
            raise RuleViolation("TA-01", "a re-assessment records what was found")
        _check_next_reassessment(reassessed_on, next_reassessment_on)
        uncovered = plan.uncovered_areas(policy.contingency_areas)
        if uncovered:
            raise RuleViolation(
                "TA-02",
                "the plan is incomplete until each area has a contingency or a reason it is not "
                f"needed; missing: {', '.join(uncovered)}",
            )
        self._reassess_plan(
            effective_on=reassessed_on,
            emergent_needs=emergent_needs,
            resources_mobilised=resources_mobilised,
            summary=summary,
            next_reassessment_on=next_reassessment_on,
            policy_version=policy.version,
            actor=actor,
        )

    @event(PlanReassessed)
    def _reassess_plan(
        self,
        effective_on: date,
        emergent_needs: tuple[str, ...],
        resources_mobilised: tuple[str, ...],
        summary: str,
        next_reassessment_on: date,
        policy_version: str,
        actor: Actor,
    ) -> None:
        plan = self._recorded_plan()
        plan.emergent_needs = tuple(emergent_needs)
        plan.resources_mobilised = tuple(resources_mobilised)
        plan.next_reassessment_on = next_reassessment_on
        plan.last_reviewed_on = effective_on
        plan.last_summary = summary
        self.note_activity(effective_on)

    def record_contingency(
        self,
        area: ContingencyArea,
        recorded_on: date,
        contingency: str | None,
        not_needed_reason: str | None,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        plan = self._plan("a contingency plan", rule_id="TA-02")
        contingency = None if blank(contingency) else contingency
        not_needed_reason = None if blank(not_needed_reason) else not_needed_reason
        current = plan.contingencies.get(area)
        if current == Contingency(area, recorded_on, contingency, not_needed_reason):
            return
        if area not in policy.contingency_areas:
            raise RuleViolation("TA-02", f"the policy asks for no contingency plan for {area}")
        if (contingency is None) == (not_needed_reason is None):
            raise RuleViolation(
                "TA-02",
                f"the {area} area has either a contingency plan or a reason it is not needed",
            )
        if recorded_on < (current.recorded_on if current else plan.established_on):
            raise InvalidCommand(
                f"the {area} contingency was last recorded on "
                f"{current.recorded_on if current else plan.established_on}"
            )
        self._record_contingency(
            effective_on=recorded_on,
            area=area,
            contingency=contingency,
            not_needed_reason=not_needed_reason,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ContingencyPlanRecorded)
    def _record_contingency(
        self,
        effective_on: date,
        area: ContingencyArea,
        contingency: str | None,
        not_needed_reason: str | None,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self._recorded_plan().contingencies[area] = Contingency(
            area, effective_on, contingency, not_needed_reason
        )
        self.note_activity(effective_on)

    def uncovered_contingency_areas(self, policies: PolicyBook) -> list[ContingencyArea]:
        """The areas the plan still lacks a contingency for; all of them without a plan (TA-02)."""
        policy = self._assistance_policy(policies)
        if self.assistance.plan is None:
            return sorted(policy.contingency_areas)
        return self.assistance.plan.uncovered_areas(policy.contingency_areas)

    # Cash assistance: problem solving and crisis intervention (TA-03), community resources (TA-04)

    def log_intervention(
        self,
        intervention_id: UUID,
        logged_on: date,
        kind: InterventionKind,
        category: InterventionCategory,
        situation: str,
        action_taken: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        intervention = Intervention(logged_on, kind, category, situation, action_taken)
        existing = self.assistance.interventions.get(intervention_id)
        if existing is not None:
            if existing == intervention:
                return
            raise InvalidCommand(f"intervention {intervention_id} was already logged otherwise")
        self.require_not_before_opening(logged_on, "an intervention")
        if category not in policy.intervention_categories:
            raise RuleViolation("TA-03", f"{category} is not a category the policy lists")
        if blank(situation, action_taken):
            raise RuleViolation("TA-03", "an intervention records the situation and the action")
        self._log_intervention(
            effective_on=logged_on,
            intervention_id=intervention_id,
            kind=kind,
            category=category,
            situation=situation,
            action_taken=action_taken,
            policy_version=policy.version,
            actor=actor,
        )

    @event(InterventionLogged)
    def _log_intervention(
        self,
        effective_on: date,
        intervention_id: UUID,
        kind: InterventionKind,
        category: InterventionCategory,
        situation: str,
        action_taken: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.interventions[intervention_id] = Intervention(
            effective_on, kind, category, situation, action_taken
        )
        self.note_activity(effective_on)

    def refer_to_community_resource(
        self,
        referral_id: UUID,
        referred_on: date,
        need: str,
        resource: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        existing = self.assistance.community_referrals.get(referral_id)
        if existing is not None:
            if (existing.referred_on, existing.need, existing.resource) == (
                referred_on,
                need,
                resource,
            ):
                return
            raise InvalidCommand(f"referral {referral_id} was already recorded with other details")
        self.require_not_before_opening(referred_on, "a referral")
        if blank(need, resource):
            raise RuleViolation("TA-04", "a community referral records the need and the resource")
        self._refer_to_community_resource(
            effective_on=referred_on,
            referral_id=referral_id,
            need=need,
            resource=resource,
            policy_version=policy.version,
            actor=actor,
        )

    @event(CommunityReferralMade)
    def _refer_to_community_resource(
        self,
        effective_on: date,
        referral_id: UUID,
        need: str,
        resource: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.community_referrals[referral_id] = CommunityReferral(
            referral_id=referral_id, referred_on=effective_on, need=need, resource=resource
        )
        self.note_activity(effective_on)

    def record_referral_result(
        self,
        referral_id: UUID,
        recorded_on: date,
        result: ReferralResult,
        note: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        referral = self.assistance.community_referrals.get(referral_id)
        if referral is None:
            raise InvalidCommand(f"no community referral {referral_id} on case {self.case_number}")
        if referral.result is not None:
            if (referral.result_on, referral.result, referral.result_note) == (
                recorded_on,
                result,
                note,
            ):
                return
            raise InvalidCommand(
                f"the result of referral {referral_id} was recorded on {referral.result_on}",
                rule_id="TA-04",
            )
        if recorded_on < referral.referred_on:
            raise InvalidCommand("a referral's result cannot precede the referral")
        self._record_referral_result(
            effective_on=recorded_on,
            referral_id=referral_id,
            result=result,
            note=note,
            policy_version=policy.version,
            actor=actor,
        )

    @event(CommunityReferralResultRecorded)
    def _record_referral_result(
        self,
        effective_on: date,
        referral_id: UUID,
        result: ReferralResult,
        note: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        referral = self.assistance.community_referrals[referral_id]
        referral.result = result
        referral.result_on = effective_on
        referral.result_note = note
        self.note_activity(effective_on)

    # Cash assistance: reachability and the contact scheduling matrix (TA-05)

    def record_reachability(
        self,
        recorded_on: date,
        available_in_daytime: bool,
        best_times: str,
        channels: tuple[ContactChannel, ...],
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        channels = tuple(channels)
        reachability = Reachability(recorded_on, available_in_daytime, best_times, channels)
        current = self.assistance.reachability
        if current == reachability:
            return
        self.require_not_before_opening(recorded_on, "reachability")
        if current is not None and recorded_on < current.recorded_on:
            raise InvalidCommand(f"reachability was last recorded on {current.recorded_on}")
        if not channels:
            raise RuleViolation("TA-05", "name at least one channel the participant answers")
        self._require_channels(policy, channels)
        if not available_in_daytime and blank(best_times):
            raise RuleViolation(
                "TA-05", "a participant unavailable in the daytime says when they can be reached"
            )
        self._record_reachability(
            effective_on=recorded_on,
            available_in_daytime=available_in_daytime,
            best_times=best_times,
            channels=channels,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ReachabilityRecorded)
    def _record_reachability(
        self,
        effective_on: date,
        available_in_daytime: bool,
        best_times: str,
        channels: tuple[ContactChannel, ...],
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.reachability = Reachability(
            effective_on, available_in_daytime, best_times, tuple(channels)
        )
        self.note_activity(effective_on)

    def plan_contact(
        self,
        contact_id: UUID,
        scheduled_on: date,
        planned_for: date,
        channel: ContactChannel,
        purpose: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        existing = self.assistance.contacts.get(contact_id)
        if existing is not None:
            if (
                existing.scheduled_on,
                existing.planned_for,
                existing.planned_channel,
                existing.purpose,
            ) == (scheduled_on, planned_for, channel, purpose):
                return
            raise InvalidCommand(f"contact {contact_id} was already recorded with other details")
        self.require_not_before_opening(scheduled_on, "a contact")
        self._require_channels(policy, (channel,))
        if planned_for < scheduled_on:
            raise InvalidCommand("a contact is planned for the day it is scheduled or later")
        self._plan_contact(
            effective_on=scheduled_on,
            contact_id=contact_id,
            planned_for=planned_for,
            channel=channel,
            purpose=purpose,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ContactPlanned)
    def _plan_contact(
        self,
        effective_on: date,
        contact_id: UUID,
        planned_for: date,
        channel: ContactChannel,
        purpose: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.contacts[contact_id] = Contact(
            contact_id=contact_id,
            scheduled_on=effective_on,
            planned_for=planned_for,
            planned_channel=channel,
            purpose=purpose,
        )
        self.note_activity(effective_on)

    def record_contact(
        self,
        contact_id: UUID,
        made_on: date,
        channel: ContactChannel,
        summary: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        """Logs a contact made: the planned contact `contact_id` names, or an unplanned one."""
        policy = self._assistance_policy(policies)
        contact = self.assistance.contacts.get(contact_id)
        if contact is not None and contact.made_on is not None:
            if (contact.made_on, contact.channel, contact.summary) == (made_on, channel, summary):
                return
            raise InvalidCommand(f"contact {contact_id} was made on {contact.made_on}")
        self.require_not_before_opening(made_on, "a contact")
        self._require_channels(policy, (channel,))
        if blank(summary):
            raise RuleViolation("TA-05", "the contact log records what the contact was about")
        if (
            contact is not None
            and contact.scheduled_on is not None
            and made_on < contact.scheduled_on
        ):
            raise InvalidCommand(
                f"contact {contact_id} was only scheduled on {contact.scheduled_on}"
            )
        self._record_contact(
            effective_on=made_on,
            contact_id=contact_id,
            channel=channel,
            summary=summary,
            planned_for=contact.planned_for if contact is not None else None,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ContactMade)
    def _record_contact(
        self,
        effective_on: date,
        contact_id: UUID,
        channel: ContactChannel,
        summary: str,
        planned_for: date | None,
        policy_version: str,
        actor: Actor,
    ) -> None:
        contact = self.assistance.contacts.setdefault(contact_id, Contact(contact_id=contact_id))
        contact.made_on = effective_on
        contact.channel = channel
        contact.summary = summary
        self.note_activity(effective_on)

    # Cash assistance: eligibility maintenance (TA-06)

    def record_eligibility(
        self,
        program: SupportProgram,
        recorded_on: date,
        status: EligibilityStatus,
        renewal_on: date | None,
        note: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        current = self.assistance.eligibility.get(program)
        if current == Eligibility(program, recorded_on, status, renewal_on, note):
            return
        self.require_not_before_opening(recorded_on, "eligibility")
        if current is not None and recorded_on < current.recorded_on:
            raise InvalidCommand(
                f"{program} eligibility was last recorded on {current.recorded_on}"
            )
        if program not in policy.eligibility_programs:
            raise RuleViolation("TA-06", f"{program} is not a program the policy lists")
        if status is EligibilityStatus.ELIGIBLE and renewal_on is None:
            raise RuleViolation("TA-06", f"eligibility for {program} records its renewal date")
        if status is not EligibilityStatus.ELIGIBLE and renewal_on is not None:
            raise RuleViolation(
                "TA-06", f"only an eligible participant has a renewal date ({program} is {status})"
            )
        if renewal_on is not None and renewal_on <= recorded_on:
            raise InvalidCommand(f"a renewal date is after the day it is recorded ({recorded_on})")
        self._record_eligibility(
            effective_on=recorded_on,
            program=program,
            status=status,
            renewal_on=renewal_on,
            note=note,
            policy_version=policy.version,
            actor=actor,
        )

    @event(EligibilityRecorded)
    def _record_eligibility(
        self,
        effective_on: date,
        program: SupportProgram,
        status: EligibilityStatus,
        renewal_on: date | None,
        note: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.eligibility[program] = Eligibility(
            program, effective_on, status, renewal_on, note
        )
        self.note_activity(effective_on)

    # Cash assistance: jobs, job loss and re-employment (TA-07)

    def start_job(
        self,
        job_id: UUID,
        started_on: date,
        employer: str,
        job_title: str,
        hourly_wage_cents: int,
        weekly_hours: float,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        existing = self.assistance.jobs.get(job_id)
        if existing is not None:
            if existing.terms() == (
                started_on,
                employer,
                job_title,
                hourly_wage_cents,
                weekly_hours,
            ):
                return
            raise InvalidCommand(f"job {job_id} was already recorded with other details")
        self.require_not_before_opening(started_on, "a job")
        if blank(employer, job_title):
            raise RuleViolation("TA-07", "a job records its employer and title")
        if hourly_wage_cents <= 0 or weekly_hours <= 0:
            raise RuleViolation("TA-07", "a job records its wage and its weekly hours")
        self._start_job(
            effective_on=started_on,
            job_id=job_id,
            employer=employer,
            job_title=job_title,
            hourly_wage_cents=hourly_wage_cents,
            weekly_hours=weekly_hours,
            policy_version=policy.version,
            actor=actor,
        )

    @event(JobStarted)
    def _start_job(
        self,
        effective_on: date,
        job_id: UUID,
        employer: str,
        job_title: str,
        hourly_wage_cents: int,
        weekly_hours: float,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.jobs[job_id] = Job(
            job_id=job_id,
            started_on=effective_on,
            employer=employer,
            job_title=job_title,
            starting_hourly_wage_cents=hourly_wage_cents,
            starting_weekly_hours=weekly_hours,
            hourly_wage_cents=hourly_wage_cents,
            weekly_hours=weekly_hours,
        )
        self.status = CaseStatus.MONITORING
        self.note_activity(effective_on)

    def change_wage(
        self,
        job_id: UUID,
        changed_on: date,
        hourly_wage_cents: int,
        weekly_hours: float,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        job = self._job(job_id)
        terms = (hourly_wage_cents, weekly_hours)
        if terms == (job.hourly_wage_cents, job.weekly_hours):
            if job.wage_changed_on == changed_on:
                return
            raise InvalidCommand(
                f"job {job_id} already pays {hourly_wage_cents} for {weekly_hours}"
            )
        if not job.held_on(changed_on):
            raise InvalidCommand(f"job {job_id} was not held on {changed_on}")
        if changed_on < (job.wage_changed_on or job.started_on):
            raise InvalidCommand(
                f"job {job_id}'s wage was last set on {job.wage_changed_on or job.started_on}"
            )
        if hourly_wage_cents <= 0 or weekly_hours <= 0:
            raise RuleViolation("TA-07", "a job records its wage and its weekly hours")
        self._change_wage(
            effective_on=changed_on,
            job_id=job_id,
            hourly_wage_cents=hourly_wage_cents,
            weekly_hours=weekly_hours,
            policy_version=policy.version,
            actor=actor,
        )

    @event(WageChanged)
    def _change_wage(
        self,
        effective_on: date,
        job_id: UUID,
        hourly_wage_cents: int,
        weekly_hours: float,
        policy_version: str,
        actor: Actor,
    ) -> None:
        job = self.assistance.jobs[job_id]
        job.hourly_wage_cents = hourly_wage_cents
        job.weekly_hours = weekly_hours
        job.wage_changed_on = effective_on
        self.note_activity(effective_on)

    def lose_job(
        self,
        job_id: UUID,
        lost_on: date,
        reason: JobLossReason,
        note: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        job = self._job(job_id)
        if job.lost_on is not None:
            if (job.lost_on, job.loss_reason, job.loss_note) == (lost_on, reason, note):
                return
            raise InvalidCommand(f"job {job_id} ended on {job.lost_on}")
        if lost_on < job.last_fact_on:
            raise InvalidCommand(f"job {job_id} has facts recorded up to {job.last_fact_on}")
        self._lose_job(
            effective_on=lost_on,
            job_id=job_id,
            reason=reason,
            note=note,
            policy_version=policy.version,
            actor=actor,
        )

    @event(JobLost)
    def _lose_job(
        self,
        effective_on: date,
        job_id: UUID,
        reason: JobLossReason,
        note: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        job = self.assistance.jobs[job_id]
        job.lost_on = effective_on
        job.loss_reason = reason
        job.loss_note = note
        self.note_activity(effective_on)

    # Cash assistance: job-site visits, only with permission (TA-08)

    def give_site_visit_consent(
        self,
        job_id: UUID,
        given_on: date,
        how_given: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        job = self._job(job_id)
        last = job.consent_changes[-1] if job.consent_changes else None
        if last is not None and last.given:
            if (last.on, last.how) == (given_on, how_given):
                return
            raise InvalidCommand(f"permission to visit job {job_id} was given on {last.on}")
        self._require_consent_date(job, given_on, last)
        if blank(how_given):
            raise RuleViolation("TA-08", "record how the participant gave permission")
        self._give_site_visit_consent(
            effective_on=given_on,
            job_id=job_id,
            how_given=how_given,
            policy_version=policy.version,
            actor=actor,
        )

    @event(SiteVisitConsentGiven)
    def _give_site_visit_consent(
        self, effective_on: date, job_id: UUID, how_given: str, policy_version: str, actor: Actor
    ) -> None:
        self.assistance.jobs[job_id].consent_changes.append(
            ConsentChange(effective_on, True, how_given)
        )
        self.note_activity(effective_on)

    def revoke_site_visit_consent(
        self, job_id: UUID, revoked_on: date, actor: Actor, policies: PolicyBook
    ) -> None:
        policy = self._assistance_policy(policies)
        job = self._job(job_id)
        last = job.consent_changes[-1] if job.consent_changes else None
        if last is None or not last.given:
            if last is not None and last.on == revoked_on:
                return
            raise InvalidCommand(f"no permission to visit job {job_id} is in force to revoke")
        self._require_consent_date(job, revoked_on, last)
        self._revoke_site_visit_consent(
            effective_on=revoked_on, job_id=job_id, policy_version=policy.version, actor=actor
        )

    @event(SiteVisitConsentRevoked)
    def _revoke_site_visit_consent(
        self, effective_on: date, job_id: UUID, policy_version: str, actor: Actor
    ) -> None:
        self.assistance.jobs[job_id].consent_changes.append(ConsentChange(effective_on, False, ""))
        self.note_activity(effective_on)

    def visit_job_site(
        self,
        visit_id: UUID,
        job_id: UUID,
        visited_on: date,
        purpose: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        existing = self.assistance.visits.get(visit_id)
        if existing is not None:
            if existing == JobSiteVisit(visit_id, job_id, visited_on, purpose):
                return
            raise InvalidCommand(f"visit {visit_id} was already recorded with other details")
        job = self._job(job_id)
        if not job.held_on(visited_on):
            raise InvalidCommand(f"job {job_id} was not held on {visited_on}")
        if blank(purpose):
            raise InvalidCommand("a job-site visit records its purpose")
        if not job.consent_in_force_on(visited_on):
            raise RuleViolation(
                "TA-08",
                f"the participant's permission to visit the site of job {job_id} was not in "
                f"force on {visited_on}",
            )
        self._visit_job_site(
            effective_on=visited_on,
            visit_id=visit_id,
            job_id=job_id,
            purpose=purpose,
            policy_version=policy.version,
            actor=actor,
        )

    @event(JobSiteVisited)
    def _visit_job_site(
        self,
        effective_on: date,
        visit_id: UUID,
        job_id: UUID,
        purpose: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.visits[visit_id] = JobSiteVisit(visit_id, job_id, effective_on, purpose)
        self.assistance.jobs[job_id].visit_dates.append(effective_on)
        self.note_activity(effective_on)

    # Cash assistance: its end and the education and training window (TA-09)

    def end_cash_assistance(
        self, ended_on: date, reason: str, actor: Actor, policies: PolicyBook
    ) -> None:
        """Records the end of cash assistance, which may precede the case's opening."""
        policy = self._assistance_policy(policies)
        ended = self.assistance.cash_assistance_ended_on
        if ended is not None:
            if (ended, self.assistance.cash_assistance_end_reason) == (ended_on, reason):
                return
            raise InvalidCommand(f"cash assistance ended on {ended}", rule_id="TA-09")
        if blank(reason):
            raise InvalidCommand("the end of cash assistance records its reason")
        window_closes = policy.training_referral_window_closes(ended_on)
        late = [
            r for r in self.assistance.training_referrals.values() if r.referred_on > window_closes
        ]
        if late:
            raise RuleViolation(
                "TA-09",
                f"referral {late[0].referral_id} of {late[0].referred_on} would fall after the "
                f"window closing on {window_closes}",
            )
        self._end_cash_assistance(
            effective_on=ended_on,
            reason=reason,
            training_window_closes_on=window_closes,
            policy_version=policy.version,
            actor=actor,
        )

    @event(CashAssistanceEnded)
    def _end_cash_assistance(
        self,
        effective_on: date,
        reason: str,
        training_window_closes_on: date,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.cash_assistance_ended_on = effective_on
        self.assistance.cash_assistance_end_reason = reason
        self.note_activity(effective_on)

    def training_referral_window_closes(self, policies: PolicyBook) -> date | None:
        """The last day of the TA-09 window; None while cash assistance continues."""
        ended = self.assistance.cash_assistance_ended_on
        if ended is None:
            return None
        return self._assistance_policy(policies).training_referral_window_closes(ended)

    def refer_to_training(
        self,
        referral_id: UUID,
        referred_on: date,
        resource: str,
        purpose: TrainingPurpose,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        referral = TrainingReferral(referral_id, referred_on, resource, purpose)
        existing = self.assistance.training_referrals.get(referral_id)
        if existing is not None:
            if existing == referral:
                return
            raise InvalidCommand(f"referral {referral_id} was already recorded with other details")
        self.require_not_before_opening(referred_on, "a training referral")
        if blank(resource):
            raise InvalidCommand("a training referral names the education or training resource")
        window_closes = self.training_referral_window_closes(policies)
        if window_closes is not None and referred_on > window_closes:
            raise RuleViolation(
                "TA-09",
                f"education and training referrals end {policy.training_referral_months} months "
                f"after cash assistance ended on {self.assistance.cash_assistance_ended_on}: the "
                f"last day was {window_closes}",
            )
        self._refer_to_training(
            effective_on=referred_on,
            referral_id=referral_id,
            resource=resource,
            purpose=purpose,
            window_closes_on=window_closes,
            policy_version=policy.version,
            actor=actor,
        )

    @event(TrainingReferralMade)
    def _refer_to_training(
        self,
        effective_on: date,
        referral_id: UUID,
        resource: str,
        purpose: TrainingPurpose,
        window_closes_on: date | None,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.training_referrals[referral_id] = TrainingReferral(
            referral_id, effective_on, resource, purpose
        )
        self.note_activity(effective_on)

    # Cash assistance: new skills (TA-11)

    def identify_skill(
        self,
        skill_id: UUID,
        identified_on: date,
        skill: str,
        how_identified: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        policy = self._assistance_policy(policies)
        identified = IdentifiedSkill(identified_on, skill, how_identified)
        existing = self.assistance.skills.get(skill_id)
        if existing is not None:
            if existing == identified:
                return
            raise InvalidCommand(f"skill {skill_id} was already recorded with other details")
        self.require_not_before_opening(identified_on, "a skill")
        if blank(skill, how_identified):
            raise RuleViolation("TA-11", "a new skill is named, with how it was identified")
        self._identify_skill(
            effective_on=identified_on,
            skill_id=skill_id,
            skill=skill,
            how_identified=how_identified,
            policy_version=policy.version,
            actor=actor,
        )

    @event(SkillIdentified)
    def _identify_skill(
        self,
        effective_on: date,
        skill_id: UUID,
        skill: str,
        how_identified: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.assistance.skills[skill_id] = IdentifiedSkill(effective_on, skill, how_identified)
        self.note_activity(effective_on)

    # Cash assistance: purchased services (TA-10), recorded as VR money events

    def authorize_purchased_service(
        self,
        authorization_id: UUID,
        goal_id: UUID,
        authorized_on: date,
        service_type: ServiceType,
        category: ServiceCategory,
        provider: str,
        planned_start: date,
        planned_end: date,
        amount_cents: int,
        plan_entry: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        """Authorizes a service from contracted employment services for an open plan goal.

        Like VR-09 with the goal in place of the PE-appropriate request and the plan in place of
        the IPE: the service serves an open goal, is entered in the plan, and encumbers its
        amount for its provider. The event is `ServiceAuthorized`, its `request_id` the goal.
        """
        policy = self._assistance_policy(policies)
        existing = self.authorizations.get(authorization_id)
        if existing is not None:
            retry = Authorization(
                authorization_id=authorization_id,
                request_id=goal_id,
                authorized_on=authorized_on,
                service_type=service_type,
                category=category,
                provider=provider,
                planned_start=planned_start,
                planned_end=planned_end,
                amount_cents=amount_cents,
                ipe_entry=plan_entry,
                overrides=(),
                grandfathered=False,
            )
            if retry.terms() == existing.terms():
                return
            raise InvalidCommand(
                f"authorization {authorization_id} was already recorded with other details"
            )
        goal = self.assistance.plan.goals.get(goal_id) if self.assistance.plan else None
        if goal is None or goal.is_closed:
            raise RuleViolation(
                "TA-10",
                f"a purchased service serves an open goal of the plan; {goal_id} is not one",
            )
        if authorized_on < goal.set_on:
            raise RuleViolation("TA-10", f"goal {goal_id} was only set on {goal.set_on}")
        if blank(plan_entry):
            raise RuleViolation(
                "TA-10", "authorizing a purchased service means entering it in the plan"
            )
        if blank(provider):
            raise InvalidCommand("a purchased service names its contracted provider")
        if planned_end < planned_start:
            raise InvalidCommand("the planned end precedes the planned start")
        if amount_cents < 0:
            raise InvalidCommand("an authorized amount cannot be negative")
        self.record(
            authorization_events.ServiceAuthorized,
            effective_on=authorized_on,
            authorization_id=authorization_id,
            request_id=goal_id,
            service_type=service_type,
            category=category,
            provider=provider,
            planned_start=planned_start,
            planned_end=planned_end,
            amount_cents=amount_cents,
            ipe_entry=plan_entry,
            overrides=(),
            grandfathered=False,
            policy_version=policy.version,
            actor=actor,
        )

    # Helpers: checks raise, mutators only assign

    def refuse_if_terminated(self) -> None:
        if self.status is CaseStatus.TERMINATED:
            raise RuleViolation(
                "VR-11",
                f"case {self.case_number} terminated on {self.terminated_on}; "
                "no command is accepted after termination",
            )

    def _assistance_policy(self, policies: PolicyBook) -> TAPolicy:
        """The cash-assistance policy version of the case: the one in force on its opening."""
        self.refuse_if_terminated()
        if self.program is not Program.CASH_ASSISTANCE:
            raise InvalidCommand(f"case {self.case_number} is not a cash-assistance case")
        return policies.ta_in_force_on(self.opened_on)

    def require_not_before_opening(self, on: date, what: str) -> None:
        if on < self.opened_on:
            raise InvalidCommand(f"{what} cannot precede the case's opening on {self.opened_on}")

    def _plan(self, what: str, rule_id: str = "TA-01") -> SelfSufficiencyPlan:
        if self.assistance.plan is None:
            raise InvalidCommand(
                f"{what} belongs to the self-sufficiency plan; establish the plan first",
                rule_id=rule_id,
            )
        return self.assistance.plan

    def _recorded_plan(self) -> SelfSufficiencyPlan:
        plan = self.assistance.plan
        if plan is None:
            raise ValueError(f"case {self.case_number} recorded a plan fact without a plan")
        return plan

    def _goal(self, goal_id: UUID) -> PlanGoal:
        goal = self._plan("a goal").goals.get(goal_id)
        if goal is None:
            raise InvalidCommand(f"no goal {goal_id} on case {self.case_number}")
        return goal

    def _job(self, job_id: UUID) -> Job:
        job = self.assistance.jobs.get(job_id)
        if job is None:
            raise InvalidCommand(f"no job {job_id} on case {self.case_number}")
        return job

    def _require_channels(self, policy: TAPolicy, channels: tuple[ContactChannel, ...]) -> None:
        unlisted = [str(c) for c in channels if c not in policy.contact_channels]
        if unlisted:
            raise RuleViolation(
                "TA-05", f"not a contact channel the policy lists: {', '.join(unlisted)}"
            )

    def _require_consent_date(self, job: Job, on: date, last: ConsentChange | None) -> None:
        if last is not None and on < last.on:
            raise InvalidCommand(
                f"permission for job {job.job_id} last changed on {last.on}; changes are in order"
            )
        if on < self.opened_on:
            raise InvalidCommand(
                f"permission cannot precede the case's opening on {self.opened_on}"
            )
        if job.lost_on is not None and on > job.lost_on:
            raise InvalidCommand(f"job {job.job_id} ended on {job.lost_on}")

    def refuse_after_termination(self, on: date, policy: VRPolicy) -> None:
        due = self.termination_date(policy)
        if due is not None and on > due:
            raise RuleViolation(
                "VR-11",
                f"case {self.case_number} terminates on {due}; nothing can take effect later",
            )

    def require_not_before_last_activity(self, on: date) -> None:
        if on < self.last_activity_on:
            raise InvalidCommand(f"the case's last recorded fact is dated {self.last_activity_on}")

    def note_activity(self, on: date) -> None:
        self.last_activity_on = max(self.last_activity_on, on)


def _check_needs_and_resources(
    emergent_needs: tuple[str, ...], resources_mobilised: tuple[str, ...]
) -> None:
    if blank(*emergent_needs) or blank(*resources_mobilised):
        raise RuleViolation("TA-01", "emergent needs and resources are named, none blank")
    if len(set(emergent_needs)) != len(emergent_needs):
        raise RuleViolation("TA-01", "each emergent need has one place in the priority order")


def _check_next_reassessment(reviewed_on: date, next_reassessment_on: date) -> None:
    if next_reassessment_on <= reviewed_on:
        raise RuleViolation(
            "TA-01", f"the next re-assessment is dated after this review ({reviewed_on})"
        )


def case_id_for(case_number: str) -> UUID:
    """Case ids derive from case numbers, so opening the same case twice is detectable."""
    return uuid5(CASE_ID_NAMESPACE, case_number)
