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

from domain.assignment import events as assignment_events
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
from domain.base import Actor, Aggregate, Role
from domain.errors import InvalidCommand, RuleViolation
from domain.events import CaseEvent, CaseStatus, PEServices, Program
from domain.policy import PolicyBook, TAPolicy, VRPolicy
from domain.rules import authorization_breaches, check_assessment, enforce
from domain.values import (
    AdvanceAssessment,
    AuthorizationStatus,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    RequestStatus,
    ReviewDecision,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from domain.vr import events as vr_events
from domain.vr.records import (
    OPEN_REQUEST_STATUSES,
    UNDECIDED_REQUEST_STATUSES,
    Grandfathering,
    ServiceRequest,
)

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

    class OutcomeDateCorrected(CaseEvent):
        """A wrongly recorded outcome date was corrected on `effective_on`, with reason and evidence."""

        rules = ("VR-01",)
        judged_by_replay = True

        original_outcome_date: date
        corrected_outcome_date: date
        reason: str
        evidence_ref: str
        policy_version: str

    class GrandfatheringRecognized(CaseEvent):
        """The case was found to be receiving EW services on the grandfathering date (VR-12)."""

        rules = ("VR-12",)
        judged_by_replay = True

        evidence: str
        services_started_on: date
        planned_services: tuple[ServiceType, ...]
        grandfathering_date: date
        policy_version: str

    class PEServicesRequested(CaseEvent):
        """The client asked for post-employment services for a purpose (VR-01, VR-02, VR-07)."""

        rules = ("VR-01", "VR-02", "VR-07")
        status_after = CaseStatus.IN_PE_SERVICES
        pe_services = PEServices.ENTERS
        judged_by_replay = True

        request_id: UUID
        purpose: RequestPurpose
        maintain: MaintainAssessment | None
        advance: AdvanceAssessment | None
        policy_version: str

    class PEServicesFoundAppropriate(CaseEvent):
        """The request was determined appropriate for PE; all scope criteria affirmed (VR-05)."""

        rules = ("VR-05", "VR-07", "VR-08")

        request_id: UUID
        criteria: ScopeCriteria
        expected_provided_by: date
        policy_version: str

    class NewEmploymentCaseOpened(CaseEvent):
        """The request needs a new employment program case, which was opened and linked (VR-08)."""

        rules = ("VR-08",)

        request_id: UUID
        new_case_number: str
        reasons: tuple[NewCaseReason, ...]
        policy_version: str

    class PEServicesFoundNotAppropriate(CaseEvent):
        """Neither PE nor a new case is appropriate; explained in writing, review notice given."""

        rules = ("VR-08",)

        request_id: UUID
        written_explanation: str
        review_notice_given: bool
        policy_version: str

    class ReviewRequested(CaseEvent):
        """The client asked for a Review of Decisions of a not-appropriate determination (VR-08)."""

        rules = ("VR-08",)
        status_after = CaseStatus.IN_PE_SERVICES
        pe_services = PEServices.ENTERS
        judged_by_replay = True

        request_id: UUID
        grounds: str
        policy_version: str

    class ReviewDecided(CaseEvent):
        """The review upheld or reversed the not-appropriate determination (VR-08)."""

        rules = ("VR-08",)

        request_id: UUID
        decision: ReviewDecision
        reason: str
        policy_version: str

    ServiceAuthorized = authorization_events.ServiceAuthorized

    class AuthorizationCancelled(CaseEvent):
        """The authorization was cancelled before the service was provided."""

        rules = ("VR-10", "TA-10")

        authorization_id: UUID
        reason: str
        policy_version: str

    class ServiceProvided(CaseEvent):
        """The authorized service was provided (completed) on `effective_on`."""

        rules = ("VR-10", "TA-10")

        authorization_id: UUID
        policy_version: str

    class InvoiceReceived(CaseEvent):
        """A provider's invoice was received, within what remains authorized (VR-10)."""

        rules = ("VR-10", "TA-10")

        invoice_id: UUID
        authorization_id: UUID
        invoice_number: str
        amount_cents: int
        remaining_authorized_cents: int
        policy_version: str

    class InvoicePaid(CaseEvent):
        """The invoice was paid, never above its amount (VR-10)."""

        rules = ("VR-10", "TA-10")
        judged_by_replay = True

        invoice_id: UUID
        authorization_id: UUID
        amount_cents: int
        policy_version: str

    class BalanceUnencumbered(CaseEvent):
        """The authorization's unpaid balance was released, closing it (VR-10)."""

        rules = ("VR-10", "TA-10")

        authorization_id: UUID
        amount_cents: int
        policy_version: str

    class ReturnedToMonitoring(CaseEvent):
        """Every request was settled and every authorization closed; back to monitoring (VR-10)."""

        rules = ("VR-10", "VR-11")
        status_after = CaseStatus.MONITORING
        pe_services = PEServices.LEAVES
        judged_by_replay = True

        completed_request_ids: tuple[UUID, ...]
        policy_version: str

    class RemovedFromPEServices(CaseEvent):
        """The case was removed from PE services explicitly, ending its open requests (VR-11)."""

        rules = ("VR-10", "VR-11")
        status_after = CaseStatus.MONITORING
        pe_services = PEServices.LEAVES
        judged_by_replay = True

        reason: str
        closed_request_ids: tuple[UUID, ...]
        policy_version: str

    class CaseTerminated(CaseEvent):
        """The system terminated the case on its VR-11 date; nothing is accepted afterwards."""

        rules = ("VR-11",)
        status_after = CaseStatus.TERMINATED
        judged_by_replay = True

        anniversary_on: date
        left_pe_services_on: date | None
        policy_version: str

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

    CaseReassigned = assignment_events.CaseReassigned

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

    def termination_date(self, policy: VRPolicy) -> date | None:
        """The VR-11 date as things stand; None while a PE service is open, without outcome, or
        for a cash-assistance case (VR-11 is the VR program's; those cases never terminate)."""
        if self.terminated_on is not None:
            return self.terminated_on
        if self.program is not Program.VR:
            return None
        if self.outcome_date is None or self.status is CaseStatus.IN_PE_SERVICES:
            return None
        return policy.termination_on(self.outcome_date, self.left_pe_services_on)

    def open_requests(self) -> list[ServiceRequest]:
        return [r for r in self.requests.values() if r.status in OPEN_REQUEST_STATUSES]

    def open_authorizations(self) -> list[Authorization]:
        return [a for a in self.authorizations.values() if not a.is_closed]

    @property
    def encumbered_cents(self) -> int:
        return sum(a.encumbered_cents for a in self.authorizations.values())

    def correct_outcome_date(
        self,
        corrected_outcome_date: date,
        corrected_on: date,
        reason: str,
        evidence_ref: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        """Corrects a wrongly recorded outcome date, with a reason and the evidence for it.

        The original stays in the history; every date derived from the outcome (the VR-02
        window, the VR-11 termination) follows the corrected date from then on. Refused when the case's recorded requests and authorizations would not have been
        allowed under the corrected date (VR-02..VR-04, VR-06): the correction must not make
        the history break the rules it was checked against.
        """
        self._refuse_if_closed()
        if self.outcome_date is None:
            raise RuleViolation("VR-01", f"case {self.case_number} has no outcome to correct")
        if corrected_outcome_date == self.outcome_date:
            raise InvalidCommand(f"the outcome date is already {corrected_outcome_date}")
        if corrected_outcome_date < self.opened_on:
            raise RuleViolation("VR-01", "the outcome date cannot precede the case's opening")
        if corrected_outcome_date > corrected_on:
            raise InvalidCommand("an outcome date cannot be after the day it is corrected")
        self.require_not_before_last_activity(corrected_on)
        if not reason.strip() or not evidence_ref.strip():
            raise InvalidCommand("a correction needs a reason and a reference to its evidence")
        policy = policies.vr_in_force_on(corrected_outcome_date)
        self._require_history_allowed_from(corrected_outcome_date, policy)
        self._correct_outcome_date(
            effective_on=corrected_on,
            original_outcome_date=self.outcome_date,
            corrected_outcome_date=corrected_outcome_date,
            reason=reason,
            evidence_ref=evidence_ref,
            policy_version=policy.version,
            actor=actor,
        )

    @event(OutcomeDateCorrected)
    def _correct_outcome_date(
        self,
        effective_on: date,
        original_outcome_date: date,
        corrected_outcome_date: date,
        reason: str,
        evidence_ref: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.outcome_date = corrected_outcome_date
        self.note_activity(effective_on)

    def _require_history_allowed_from(self, outcome_date: date, policy: VRPolicy) -> None:
        window_closes = policy.initiation_window_closes(outcome_date)
        if self.grandfathering is None:
            for request in self.requests.values():
                if not outcome_date <= request.requested_on <= window_closes:
                    raise RuleViolation(
                        "VR-02",
                        f"request {request.request_id} of {request.requested_on} would fall "
                        f"outside the window {outcome_date}..{window_closes}",
                    )
        for authorization in self.authorizations.values():
            if authorization.grandfathered:
                continue
            breaches = authorization_breaches(
                policy,
                outcome_date,
                authorization.service_type,
                authorization.planned_start,
                authorization.planned_end,
            )
            overridden = {o.rule_id for o in authorization.overrides}
            for rule_id, explanation in breaches:
                if rule_id not in overridden:
                    raise RuleViolation(
                        rule_id,
                        f"authorization {authorization.authorization_id} would breach it: "
                        f"{explanation}",
                    )

    # Grandfathering (VR-12)

    def recognize_grandfathering(
        self,
        recognized_on: date,
        evidence: str,
        services_started_on: date,
        planned_services: tuple[ServiceType, ...],
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self._refuse_if_closed()
        policy = self.governing_policy(policies, recognized_on)
        if self.grandfathering is not None:
            if self.grandfathering == Grandfathering(
                recognized_on, evidence, services_started_on, tuple(planned_services)
            ):
                return
            raise InvalidCommand(
                f"grandfathering was already recognized on {self.grandfathering.recognized_on}",
                rule_id="VR-12",
            )
        if not evidence.strip():
            raise RuleViolation("VR-12", "grandfathering needs evidence of EW services")
        if not planned_services:
            raise RuleViolation("VR-12", "grandfathering covers planned services; name them")
        if services_started_on > policy.grandfathering_date:
            raise RuleViolation(
                "VR-12",
                f"services that started on {services_started_on} were not being received on "
                f"{policy.grandfathering_date}",
            )
        if self.opened_on > policy.grandfathering_date:
            raise RuleViolation(
                "VR-12",
                f"the case opened on {self.opened_on}, after {policy.grandfathering_date}",
            )
        if recognized_on < self.opened_on:
            raise InvalidCommand("grandfathering cannot be recognized before the case opened")
        self.refuse_after_termination(recognized_on, policy)
        self._recognize_grandfathering(
            effective_on=recognized_on,
            evidence=evidence,
            services_started_on=services_started_on,
            planned_services=tuple(planned_services),
            grandfathering_date=policy.grandfathering_date,
            policy_version=policy.version,
            actor=actor,
        )

    @event(GrandfatheringRecognized)
    def _recognize_grandfathering(
        self,
        effective_on: date,
        evidence: str,
        services_started_on: date,
        planned_services: tuple[ServiceType, ...],
        grandfathering_date: date,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.grandfathering = Grandfathering(
            effective_on, evidence, services_started_on, tuple(planned_services)
        )
        self.note_activity(effective_on)

    # Requests (VR-01, VR-02, VR-07)

    def request_services(
        self,
        request_id: UUID,
        requested_on: date,
        purpose: RequestPurpose,
        maintain: MaintainAssessment | None,
        advance: AdvanceAssessment | None,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self._refuse_if_closed()
        existing = self.requests.get(request_id)
        if existing is not None:
            if (existing.requested_on, existing.purpose, existing.maintain, existing.advance) == (
                requested_on,
                purpose,
                maintain,
                advance,
            ):
                return
            raise InvalidCommand(f"request {request_id} was already recorded with other details")
        outcome_date = self._require_outcome(requested_on)
        policy = self.governing_policy(policies)
        window_closes = policy.initiation_window_closes(outcome_date)
        # Checked before the generic VR-11 date so a late request hears why: the window closed.
        if requested_on > window_closes and self.grandfathering is None:
            raise RuleViolation(
                "VR-02",
                f"PE services can only be initiated until {window_closes}; "
                "later needs go to a new employment program case",
            )
        check_assessment(purpose, maintain, advance)
        self.refuse_after_termination(requested_on, policy)
        self._request_services(
            effective_on=requested_on,
            request_id=request_id,
            purpose=purpose,
            maintain=maintain,
            advance=advance,
            policy_version=policy.version,
            actor=actor,
        )

    @event(PEServicesRequested)
    def _request_services(
        self,
        effective_on: date,
        request_id: UUID,
        purpose: RequestPurpose,
        maintain: MaintainAssessment | None,
        advance: AdvanceAssessment | None,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.requests[request_id] = ServiceRequest(
            request_id=request_id,
            requested_on=effective_on,
            purpose=purpose,
            maintain=maintain,
            advance=advance,
        )
        self.status = CaseStatus.IN_PE_SERVICES
        self.note_activity(effective_on)

    # Determinations (VR-05, VR-07, VR-08)

    def determine_pe_appropriate(
        self,
        request_id: UUID,
        determined_on: date,
        criteria: ScopeCriteria,
        expected_provided_by: date,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        request, policy = self._request_to_determine(request_id, determined_on, policies)
        if request.purpose is RequestPurpose.REGAIN:
            raise RuleViolation(
                "VR-07",
                "regaining employment is a job search: the client re-applies through a new "
                "employment program case, never PE",
            )
        unmet = criteria.unmet()
        if unmet:
            raise RuleViolation(
                "VR-05",
                f"a PE service must meet every scope criterion; not affirmed: {', '.join(unmet)}",
            )
        if expected_provided_by < determined_on:
            raise InvalidCommand("the service cannot be expected before it is determined")
        scope_deadline = policy.scope_deadline(determined_on)
        if expected_provided_by > scope_deadline:
            raise RuleViolation(
                "VR-05",
                f"a PE service must be providable within {policy.scope_days} days, "
                f"by {scope_deadline}",
            )
        self.refuse_after_termination(determined_on, policy)
        self._found_appropriate(
            effective_on=determined_on,
            request_id=request_id,
            criteria=criteria,
            expected_provided_by=expected_provided_by,
            policy_version=policy.version,
            actor=actor,
        )

    @event(PEServicesFoundAppropriate)
    def _found_appropriate(
        self,
        effective_on: date,
        request_id: UUID,
        criteria: ScopeCriteria,
        expected_provided_by: date,
        policy_version: str,
        actor: Actor,
    ) -> None:
        request = self.requests[request_id]
        request.status = RequestStatus.PE_APPROPRIATE
        request.determined_on = effective_on
        self.note_activity(effective_on)

    def determine_new_employment_case(
        self,
        request_id: UUID,
        determined_on: date,
        new_case_number: str,
        reasons: tuple[NewCaseReason, ...],
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        _, policy = self._request_to_determine(request_id, determined_on, policies)
        if not new_case_number.strip():
            raise RuleViolation(
                "VR-08", "the new employment program case must be opened and linked"
            )
        if new_case_number == self.case_number:
            raise InvalidCommand("the new employment program case must be another case")
        if not reasons:
            raise RuleViolation(
                "VR-08", "say why the need belongs in a new employment program case"
            )
        self.refuse_after_termination(determined_on, policy)
        self._open_new_employment_case(
            effective_on=determined_on,
            request_id=request_id,
            new_case_number=new_case_number,
            reasons=tuple(reasons),
            policy_version=policy.version,
            actor=actor,
        )

    @event(NewEmploymentCaseOpened)
    def _open_new_employment_case(
        self,
        effective_on: date,
        request_id: UUID,
        new_case_number: str,
        reasons: tuple[NewCaseReason, ...],
        policy_version: str,
        actor: Actor,
    ) -> None:
        request = self.requests[request_id]
        request.status = RequestStatus.NEW_EMPLOYMENT_CASE
        request.determined_on = effective_on
        request.linked_case_number = new_case_number
        request.closed_on = effective_on
        self.note_activity(effective_on)

    def determine_not_appropriate(
        self,
        request_id: UUID,
        determined_on: date,
        written_explanation: str,
        review_notice_given: bool,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        request, policy = self._request_to_determine(request_id, determined_on, policies)
        if request.purpose is RequestPurpose.REGAIN:
            raise RuleViolation(
                "VR-07", "a request to regain employment is determined as a new employment case"
            )
        if not written_explanation.strip():
            raise RuleViolation("VR-08", "the client must be given a written explanation")
        if not review_notice_given:
            raise RuleViolation("VR-08", "the client must be told about the Review of Decisions")
        self.refuse_after_termination(determined_on, policy)
        self._found_not_appropriate(
            effective_on=determined_on,
            request_id=request_id,
            written_explanation=written_explanation,
            review_notice_given=review_notice_given,
            policy_version=policy.version,
            actor=actor,
        )

    @event(PEServicesFoundNotAppropriate)
    def _found_not_appropriate(
        self,
        effective_on: date,
        request_id: UUID,
        written_explanation: str,
        review_notice_given: bool,
        policy_version: str,
        actor: Actor,
    ) -> None:
        request = self.requests[request_id]
        request.status = RequestStatus.NOT_APPROPRIATE
        request.determined_on = effective_on
        request.closed_on = effective_on
        self.note_activity(effective_on)

    # Review of Decisions (VR-08)

    def request_review(
        self,
        request_id: UUID,
        requested_on: date,
        grounds: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self._refuse_if_closed()
        request = self._request(request_id)
        policy = self.governing_policy(policies)
        if request.status is not RequestStatus.NOT_APPROPRIATE:
            raise RuleViolation(
                "VR-08", "only a determination that neither PE nor a new case fits is reviewed"
            )
        if request.review_decision is not None:
            raise RuleViolation("VR-08", f"request {request_id} was already reviewed")
        if request.determined_on is not None and requested_on < request.determined_on:
            raise InvalidCommand("a review cannot be requested before the determination")
        self.refuse_after_termination(requested_on, policy)
        self._request_review(
            effective_on=requested_on,
            request_id=request_id,
            grounds=grounds,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ReviewRequested)
    def _request_review(
        self,
        effective_on: date,
        request_id: UUID,
        grounds: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        request = self.requests[request_id]
        request.status = RequestStatus.UNDER_REVIEW
        request.review_requested_on = effective_on
        request.closed_on = None
        self.status = CaseStatus.IN_PE_SERVICES
        self.note_activity(effective_on)

    def decide_review(
        self,
        request_id: UUID,
        decided_on: date,
        decision: ReviewDecision,
        reason: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self._refuse_if_closed()
        request = self._request(request_id)
        policy = self.governing_policy(policies)
        if request.status is not RequestStatus.UNDER_REVIEW:
            raise RuleViolation("VR-08", f"request {request_id} is not under review")
        if request.review_requested_on is not None and decided_on < request.review_requested_on:
            raise InvalidCommand("a review cannot be decided before it was requested")
        if not reason.strip():
            raise RuleViolation("VR-08", "a review decision records its reason")
        self.refuse_after_termination(decided_on, policy)
        self._decide_review(
            effective_on=decided_on,
            request_id=request_id,
            decision=decision,
            reason=reason,
            policy_version=policy.version,
            actor=actor,
        )

    @event(ReviewDecided)
    def _decide_review(
        self,
        effective_on: date,
        request_id: UUID,
        decision: ReviewDecision,
        reason: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        request = self.requests[request_id]
        request.review_decision = decision
        if decision is ReviewDecision.REVERSED:
            request.status = RequestStatus.AWAITING_DETERMINATION
            request.determined_on = None
        else:
            request.status = RequestStatus.NOT_APPROPRIATE
            request.closed_on = effective_on
        self.note_activity(effective_on)

    # Authorizations (VR-02, VR-03, VR-04, VR-06, VR-09, VR-12)

    def authorize_service(
        self,
        authorization_id: UUID,
        request_id: UUID,
        authorized_on: date,
        service_type: ServiceType,
        category: ServiceCategory,
        provider: str,
        planned_start: date,
        planned_end: date,
        amount_cents: int,
        ipe_entry: str,
        overrides: tuple[Override, ...],
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self._refuse_if_closed()
        overrides = tuple(overrides)
        existing = self.authorizations.get(authorization_id)
        if existing is not None:
            retry = Authorization(
                authorization_id=authorization_id,
                request_id=request_id,
                authorized_on=authorized_on,
                service_type=service_type,
                category=category,
                provider=provider,
                planned_start=planned_start,
                planned_end=planned_end,
                amount_cents=amount_cents,
                ipe_entry=ipe_entry,
                overrides=overrides,
                grandfathered=existing.grandfathered,
            )
            if retry.terms() == existing.terms():
                return
            raise InvalidCommand(
                f"authorization {authorization_id} was already recorded with other details"
            )
        outcome_date = self._require_outcome(authorized_on)
        policy = self.governing_policy(policies)
        request = self.requests.get(request_id)
        if request is None or request.status is not RequestStatus.PE_APPROPRIATE:
            raise RuleViolation(
                "VR-09", f"request {request_id} has no open PE-appropriate determination"
            )
        if request.determined_on is not None and authorized_on < request.determined_on:
            raise RuleViolation(
                "VR-09",
                f"the request was determined PE-appropriate only on {request.determined_on}",
            )
        if not ipe_entry.strip():
            raise RuleViolation("VR-09", "authorizing a PE service means entering it in the IPE")
        if planned_end < planned_start:
            raise InvalidCommand("the planned end precedes the planned start")
        if amount_cents < 0:
            raise InvalidCommand("an authorized amount cannot be negative")
        grandfathered = self.grandfathering is not None and self.grandfathering.covers(service_type)
        breaches = (
            []
            if grandfathered
            else authorization_breaches(
                policy, outcome_date, service_type, planned_start, planned_end
            )
        )
        enforce(policy, breaches, overrides)
        self.refuse_after_termination(authorized_on, policy)
        self.record(
            authorization_events.ServiceAuthorized,
            effective_on=authorized_on,
            authorization_id=authorization_id,
            request_id=request_id,
            service_type=service_type,
            category=category,
            provider=provider,
            planned_start=planned_start,
            planned_end=planned_end,
            amount_cents=amount_cents,
            ipe_entry=ipe_entry,
            overrides=overrides,
            grandfathered=grandfathered,
            policy_version=policy.version,
            actor=actor,
        )

    def cancel_authorization(
        self,
        authorization_id: UUID,
        cancelled_on: date,
        reason: str,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self.refuse_if_terminated()
        authorization = self._open_service(authorization_id, cancelled_on, "cancelled")
        if not reason.strip():
            raise InvalidCommand("a cancellation records its reason")
        policy_version = self._money_policy_version(policies, cancelled_on)
        self._cancel_authorization(
            effective_on=cancelled_on,
            authorization_id=authorization.authorization_id,
            reason=reason,
            policy_version=policy_version,
            actor=actor,
        )

    @event(AuthorizationCancelled)
    def _cancel_authorization(
        self,
        effective_on: date,
        authorization_id: UUID,
        reason: str,
        policy_version: str,
        actor: Actor,
    ) -> None:
        authorization = self.authorizations[authorization_id]
        authorization.status = AuthorizationStatus.CANCELLED
        authorization.ended_on = effective_on
        self.note_activity(effective_on)

    def record_service_provided(
        self,
        authorization_id: UUID,
        provided_on: date,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self.refuse_if_terminated()
        authorization = self._open_service(authorization_id, provided_on, "provided")
        policy_version = self._money_policy_version(policies, provided_on)
        self._record_service_provided(
            effective_on=provided_on,
            authorization_id=authorization.authorization_id,
            policy_version=policy_version,
            actor=actor,
        )

    @event(ServiceProvided)
    def _record_service_provided(
        self,
        effective_on: date,
        authorization_id: UUID,
        policy_version: str,
        actor: Actor,
    ) -> None:
        authorization = self.authorizations[authorization_id]
        authorization.status = AuthorizationStatus.PROVIDED
        authorization.ended_on = effective_on
        self.note_activity(effective_on)

    # Money (VR-10)

    def receive_invoice(
        self,
        invoice_id: UUID,
        authorization_id: UUID,
        received_on: date,
        invoice_number: str,
        amount_cents: int,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self.refuse_if_terminated()
        existing = self.invoices.get(invoice_id)
        if existing is not None:
            if (
                existing.authorization_id,
                existing.received_on,
                existing.invoice_number,
                existing.amount_cents,
            ) == (authorization_id, received_on, invoice_number, amount_cents):
                return
            raise InvalidCommand(f"invoice {invoice_id} was already recorded with other details")
        authorization = self._authorization(authorization_id)
        if received_on < authorization.authorized_on:
            raise InvalidCommand("an invoice cannot precede its authorization")
        if amount_cents <= 0:
            raise InvalidCommand("an invoice is for a positive amount")
        if amount_cents > authorization.remaining_cents:
            raise RuleViolation(
                self.money_rule,
                f"the invoice of {amount_cents} cents exceeds the {authorization.remaining_cents} "
                f"cents that remain authorized on {authorization_id}",
            )
        policy_version = self._money_policy_version(policies, received_on)
        self._receive_invoice(
            effective_on=received_on,
            invoice_id=invoice_id,
            authorization_id=authorization_id,
            invoice_number=invoice_number,
            amount_cents=amount_cents,
            remaining_authorized_cents=authorization.remaining_cents - amount_cents,
            policy_version=policy_version,
            actor=actor,
        )

    @event(InvoiceReceived)
    def _receive_invoice(
        self,
        effective_on: date,
        invoice_id: UUID,
        authorization_id: UUID,
        invoice_number: str,
        amount_cents: int,
        remaining_authorized_cents: int,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.invoices[invoice_id] = Invoice(
            invoice_id=invoice_id,
            authorization_id=authorization_id,
            invoice_number=invoice_number,
            amount_cents=amount_cents,
            received_on=effective_on,
        )
        authorization = self.authorizations[authorization_id]
        authorization.invoice_ids.append(invoice_id)
        authorization.invoiced_cents += amount_cents
        self.note_activity(effective_on)

    def pay_invoice(
        self,
        invoice_id: UUID,
        paid_on: date,
        amount_cents: int,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self.refuse_if_terminated()
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise InvalidCommand(f"no invoice {invoice_id} on case {self.case_number}")
        if invoice.is_paid:
            if (invoice.paid_on, invoice.paid_cents) == (paid_on, amount_cents):
                return
            raise RuleViolation(
                self.money_rule, f"invoice {invoice_id} was already paid on {invoice.paid_on}"
            )
        if paid_on < invoice.received_on:
            raise InvalidCommand("an invoice cannot be paid before it was received")
        if amount_cents <= 0:
            raise InvalidCommand("a payment is for a positive amount")
        if amount_cents > invoice.amount_cents:
            raise RuleViolation(
                self.money_rule,
                f"the payment of {amount_cents} cents exceeds the invoice of "
                f"{invoice.amount_cents} cents",
            )
        policy_version = self._money_policy_version(policies, paid_on)
        self._pay_invoice(
            effective_on=paid_on,
            invoice_id=invoice_id,
            authorization_id=invoice.authorization_id,
            amount_cents=amount_cents,
            policy_version=policy_version,
            actor=actor,
        )

    @event(InvoicePaid)
    def _pay_invoice(
        self,
        effective_on: date,
        invoice_id: UUID,
        authorization_id: UUID,
        amount_cents: int,
        policy_version: str,
        actor: Actor,
    ) -> None:
        invoice = self.invoices[invoice_id]
        invoice.paid_cents = amount_cents
        invoice.paid_on = effective_on
        self.authorizations[authorization_id].paid_cents += amount_cents
        self.note_activity(effective_on)

    def unencumber_balance(
        self,
        authorization_id: UUID,
        unencumbered_on: date,
        actor: Actor,
        policies: PolicyBook,
    ) -> None:
        self.refuse_if_terminated()
        authorization = self._authorization(authorization_id)
        if authorization.is_closed:
            raise InvalidCommand(
                f"the balance of {authorization_id} was unencumbered on "
                f"{authorization.unencumbered_on}"
            )
        if authorization.status is AuthorizationStatus.AUTHORIZED:
            raise RuleViolation(
                self.money_rule,
                f"the service of {authorization_id} is neither provided nor cancelled",
            )
        unpaid = [i for i in authorization.invoice_ids if not self.invoices[i].is_paid]
        if unpaid:
            raise RuleViolation(
                self.money_rule, f"invoices not yet paid: {', '.join(map(str, unpaid))}"
            )
        latest = max(
            [authorization.ended_on or authorization.authorized_on]
            + [
                self.invoices[i].paid_on or authorization.authorized_on
                for i in authorization.invoice_ids
            ]
        )
        if unencumbered_on < latest:
            raise InvalidCommand(f"the balance can be unencumbered from {latest}")
        policy_version = self._money_policy_version(policies, unencumbered_on)
        self._unencumber_balance(
            effective_on=unencumbered_on,
            authorization_id=authorization_id,
            amount_cents=authorization.encumbered_cents,
            policy_version=policy_version,
            actor=actor,
        )

    @event(BalanceUnencumbered)
    def _unencumber_balance(
        self,
        effective_on: date,
        authorization_id: UUID,
        amount_cents: int,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.authorizations[authorization_id].unencumbered_on = effective_on
        self.note_activity(effective_on)

    # Leaving PE services (VR-10, VR-11)

    def return_to_monitoring(self, returned_on: date, actor: Actor, policies: PolicyBook) -> None:
        self._refuse_if_closed()
        self._require_in_pe_services()
        undecided = [
            str(r.request_id)
            for r in self.requests.values()
            if r.status in UNDECIDED_REQUEST_STATUSES
        ]
        if undecided:
            raise RuleViolation(
                "VR-10",
                f"requests still awaiting a determination or review: {', '.join(undecided)}",
            )
        self._require_authorizations_closed()
        self.require_not_before_last_activity(returned_on)
        policy = self.governing_policy(policies)
        self.refuse_after_termination(returned_on, policy)
        self._return_to_monitoring(
            effective_on=returned_on,
            completed_request_ids=tuple(
                r.request_id
                for r in self.requests.values()
                if r.status is RequestStatus.PE_APPROPRIATE
            ),
            policy_version=policy.version,
            actor=actor,
        )

    @event(ReturnedToMonitoring)
    def _return_to_monitoring(
        self,
        effective_on: date,
        completed_request_ids: tuple[UUID, ...],
        policy_version: str,
        actor: Actor,
    ) -> None:
        for request_id in completed_request_ids:
            request = self.requests[request_id]
            request.status = RequestStatus.COMPLETED
            request.closed_on = effective_on
        self._leave_pe_services(effective_on)

    def remove_from_pe_services(
        self, removed_on: date, reason: str, actor: Actor, policies: PolicyBook
    ) -> None:
        self._refuse_if_closed()
        self._require_in_pe_services()
        if not reason.strip():
            raise InvalidCommand("a removal from PE services records its reason")
        self._require_authorizations_closed()
        self.require_not_before_last_activity(removed_on)
        policy = self.governing_policy(policies)
        self.refuse_after_termination(removed_on, policy)
        self._remove_from_pe_services(
            effective_on=removed_on,
            reason=reason,
            closed_request_ids=tuple(r.request_id for r in self.open_requests()),
            policy_version=policy.version,
            actor=actor,
        )

    @event(RemovedFromPEServices)
    def _remove_from_pe_services(
        self,
        effective_on: date,
        reason: str,
        closed_request_ids: tuple[UUID, ...],
        policy_version: str,
        actor: Actor,
    ) -> None:
        for request_id in closed_request_ids:
            request = self.requests[request_id]
            request.status = RequestStatus.REMOVED
            request.closed_on = effective_on
        self._leave_pe_services(effective_on)

    # Termination (VR-11)

    def terminate(self, terminated_on: date, actor: Actor, policies: PolicyBook) -> None:
        self._refuse_if_closed()
        if actor.role is not Role.SYSTEM:
            raise RuleViolation("VR-11", "termination is automatic; only the system records it")
        if self.outcome_date is None:
            raise RuleViolation("VR-11", "a case without an employment outcome does not terminate")
        policy = self.governing_policy(policies)
        due = self.termination_date(policy)
        if due is None:
            raise RuleViolation("VR-11", "termination waits until the open PE services are closed")
        if terminated_on != due:
            raise RuleViolation("VR-11", f"the case terminates on {due}, not on {terminated_on}")
        self._terminate(
            effective_on=terminated_on,
            anniversary_on=policy.termination_on(self.outcome_date, None),
            left_pe_services_on=self.left_pe_services_on,
            policy_version=policy.version,
            actor=actor,
        )

    @event(CaseTerminated)
    def _terminate(
        self,
        effective_on: date,
        anniversary_on: date,
        left_pe_services_on: date | None,
        policy_version: str,
        actor: Actor,
    ) -> None:
        self.status = CaseStatus.TERMINATED
        self.terminated_on = effective_on
        self.note_activity(effective_on)

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

    def _refuse_if_closed(self) -> None:
        self.refuse_if_terminated()
        if self.program is not Program.VR:
            raise InvalidCommand(f"case {self.case_number} is not a VR case")

    @property
    def money_rule(self) -> str:
        """The rule the money checks enforce: VR-10, or TA-10 which applies it to purchases."""
        return "TA-10" if self.program is Program.CASH_ASSISTANCE else "VR-10"

    def _money_policy_version(self, policies: PolicyBook, on: date) -> str:
        """The policy version a money decision records; VR money stops at termination (VR-11)."""
        if self.program is Program.CASH_ASSISTANCE:
            return self._assistance_policy(policies).version
        policy = self.governing_policy(policies)
        self.refuse_after_termination(on, policy)
        return policy.version

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

    def _require_outcome(self, on: date) -> date:
        if self.outcome_date is None:
            raise RuleViolation(
                "VR-01", "PE services need a successful employment outcome; none is recorded"
            )
        if on < self.outcome_date:
            raise RuleViolation(
                "VR-01", f"PE services start after the employment outcome of {self.outcome_date}"
            )
        return self.outcome_date

    def _request(self, request_id: UUID) -> ServiceRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise InvalidCommand(f"no request {request_id} on case {self.case_number}")
        return request

    def _request_to_determine(
        self, request_id: UUID, determined_on: date, policies: PolicyBook
    ) -> tuple[ServiceRequest, VRPolicy]:
        self._refuse_if_closed()
        request = self._request(request_id)
        if request.status is not RequestStatus.AWAITING_DETERMINATION:
            raise RuleViolation(
                "VR-08", f"request {request_id} is not awaiting a determination ({request.status})"
            )
        if determined_on < request.requested_on:
            raise InvalidCommand("a determination cannot precede its request")
        return request, self.governing_policy(policies)

    def _authorization(self, authorization_id: UUID) -> Authorization:
        authorization = self.authorizations.get(authorization_id)
        if authorization is None:
            raise InvalidCommand(f"no authorization {authorization_id} on case {self.case_number}")
        return authorization

    def _open_service(self, authorization_id: UUID, on: date, what: str) -> Authorization:
        authorization = self._authorization(authorization_id)
        if authorization.status is not AuthorizationStatus.AUTHORIZED:
            raise InvalidCommand(
                f"authorization {authorization_id} is already {authorization.status}; "
                f"it cannot be {what}"
            )
        if on < authorization.authorized_on:
            raise InvalidCommand(f"a service cannot be {what} before it was authorized")
        return authorization

    def _require_in_pe_services(self) -> None:
        if self.status is not CaseStatus.IN_PE_SERVICES:
            raise InvalidCommand(f"case {self.case_number} is not in PE services ({self.status})")

    def _require_authorizations_closed(self) -> None:
        still_open = [str(a.authorization_id) for a in self.open_authorizations()]
        if still_open:
            raise RuleViolation(
                "VR-10",
                "every authorization must be provided or cancelled, its invoices paid and its "
                f"balance unencumbered; still open: {', '.join(still_open)}",
            )

    def require_not_before_last_activity(self, on: date) -> None:
        if on < self.last_activity_on:
            raise InvalidCommand(f"the case's last recorded fact is dated {self.last_activity_on}")

    def _leave_pe_services(self, on: date) -> None:
        self.status = CaseStatus.MONITORING
        self.left_pe_services_on = on
        self.note_activity(on)

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
