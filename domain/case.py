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

from domain.assistance import events as assistance_events
from domain.assistance.records import AssistanceRecord
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

    SelfSufficiencyPlanEstablished = assistance_events.SelfSufficiencyPlanEstablished
    PlanGoalSet = assistance_events.PlanGoalSet
    GoalStatusChanged = assistance_events.GoalStatusChanged
    PlanReassessed = assistance_events.PlanReassessed
    ContingencyPlanRecorded = assistance_events.ContingencyPlanRecorded
    InterventionLogged = assistance_events.InterventionLogged
    CommunityReferralMade = assistance_events.CommunityReferralMade
    CommunityReferralResultRecorded = assistance_events.CommunityReferralResultRecorded
    ReachabilityRecorded = assistance_events.ReachabilityRecorded
    ContactPlanned = assistance_events.ContactPlanned
    ContactMade = assistance_events.ContactMade
    EligibilityRecorded = assistance_events.EligibilityRecorded
    JobStarted = assistance_events.JobStarted
    WageChanged = assistance_events.WageChanged
    JobLost = assistance_events.JobLost
    SiteVisitConsentGiven = assistance_events.SiteVisitConsentGiven
    SiteVisitConsentRevoked = assistance_events.SiteVisitConsentRevoked
    JobSiteVisited = assistance_events.JobSiteVisited
    CashAssistanceEnded = assistance_events.CashAssistanceEnded
    TrainingReferralMade = assistance_events.TrainingReferralMade
    SkillIdentified = assistance_events.SkillIdentified

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
            return self.assistance_policy(policies).version
        policy = self.governing_policy(policies)
        self.refuse_after_termination(on, policy)
        return policy.version

    def assistance_policy(self, policies: PolicyBook) -> TAPolicy:
        """The cash-assistance policy version of the case: the one in force on its opening."""
        return policies.ta_in_force_on(self.opened_on)

    def require_not_before_opening(self, on: date, what: str) -> None:
        if on < self.opened_on:
            raise InvalidCommand(f"{what} cannot precede the case's opening on {self.opened_on}")

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


def case_id_for(case_number: str) -> UUID:
    """Case ids derive from case numbers, so opening the same case twice is detectable."""
    return uuid5(CASE_ID_NAMESPACE, case_number)
