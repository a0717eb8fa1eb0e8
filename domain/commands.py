"""Commands: what a user asks the system to do to a case. Validated on construction.

Each case command hands its fields to one public method of the Case aggregate, which checks the
rules and records the event; the application only loads, applies and saves.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from domain.assistance.commands import (
    AuthorizePurchasedService,
    ChangeGoalStatus,
    ChangeWage,
    EndCashAssistance,
    EstablishSelfSufficiencyPlan,
    GiveSiteVisitConsent,
    IdentifySkill,
    LogIntervention,
    PlanContact,
    ReassessPlan,
    RecordContact,
    RecordContingencyPlan,
    RecordEligibility,
    RecordJobLoss,
    RecordJobSiteVisit,
    RecordReachability,
    RecordReferralResult,
    ReferToCommunityResource,
    ReferToTraining,
    RevokeSiteVisitConsent,
    SetPlanGoal,
    StartJob,
)
from domain.base import Actor
from domain.case import Case, Program
from domain.command import MAX_CENTS, CaseCommand, Command, Text
from domain.inputs import Day, Flag, Whole
from domain.policy import PolicyBook
from domain.values import (
    AdvanceAssessment,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from domain.vr.commands import RecordOutcome


class OpenCase(Command):
    """Open a post-employment case for a client."""

    case_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    program: Program
    client_ref: str = Field(min_length=1, max_length=64)
    caseworker_id: str = Field(min_length=1, max_length=100)
    opened_on: Day

    effective_field = "opened_on"


class CorrectOutcomeDate(CaseCommand):
    """Correct a wrongly recorded outcome date, citing the reason and the evidence (VR-01)."""

    corrected_outcome_date: Day
    corrected_on: Day
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(min_length=1, max_length=500)

    effective_field = "corrected_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.correct_outcome_date(
            corrected_outcome_date=self.corrected_outcome_date,
            corrected_on=self.corrected_on,
            reason=self.reason,
            evidence_ref=self.evidence_ref,
            actor=actor,
            policies=policies,
        )


class RecognizeGrandfathering(CaseCommand):
    """Record that the case was receiving EW services on the grandfathering date (VR-12)."""

    recognized_on: Day
    evidence: str = Field(min_length=1, max_length=2000)
    services_started_on: Day
    planned_services: tuple[ServiceType, ...] = Field(min_length=1)

    effective_field = "recognized_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.recognize_grandfathering(
            recognized_on=self.recognized_on,
            evidence=self.evidence,
            services_started_on=self.services_started_on,
            planned_services=self.planned_services,
            actor=actor,
            policies=policies,
        )


class RequestPEServices(CaseCommand):
    """Record a client's request for post-employment services and its assessment (VR-07)."""

    request_id: UUID
    requested_on: Day
    purpose: RequestPurpose
    maintain: MaintainAssessment | None = None
    advance: AdvanceAssessment | None = None

    effective_field = "requested_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.request_services(
            request_id=self.request_id,
            requested_on=self.requested_on,
            purpose=self.purpose,
            maintain=self.maintain,
            advance=self.advance,
            actor=actor,
            policies=policies,
        )


class DeterminePEAppropriate(CaseCommand):
    """Determine that the request is a PE need, affirming the scope criteria (VR-05, VR-08)."""

    request_id: UUID
    determined_on: Day
    criteria: ScopeCriteria
    expected_provided_by: Day

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_pe_appropriate(
            request_id=self.request_id,
            determined_on=self.determined_on,
            criteria=self.criteria,
            expected_provided_by=self.expected_provided_by,
            actor=actor,
            policies=policies,
        )


class DetermineNewEmploymentCase(CaseCommand):
    """Determine that the need requires a new employment program case, opened and linked (VR-08)."""

    request_id: UUID
    determined_on: Day
    new_case_number: str = Field(min_length=1, max_length=40)
    reasons: tuple[NewCaseReason, ...] = Field(min_length=1)

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_new_employment_case(
            request_id=self.request_id,
            determined_on=self.determined_on,
            new_case_number=self.new_case_number,
            reasons=self.reasons,
            actor=actor,
            policies=policies,
        )


class DetermineNotAppropriate(CaseCommand):
    """Determine that neither PE nor a new case is appropriate, with explanation and notice (VR-08)."""

    request_id: UUID
    determined_on: Day
    written_explanation: Text
    review_notice_given: Flag

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_not_appropriate(
            request_id=self.request_id,
            determined_on=self.determined_on,
            written_explanation=self.written_explanation,
            review_notice_given=self.review_notice_given,
            actor=actor,
            policies=policies,
        )


class RequestReview(CaseCommand):
    """Record the client's request for a Review of Decisions (VR-08)."""

    request_id: UUID
    requested_on: Day
    grounds: Text

    effective_field = "requested_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.request_review(
            request_id=self.request_id,
            requested_on=self.requested_on,
            grounds=self.grounds,
            actor=actor,
            policies=policies,
        )


class DecideReview(CaseCommand):
    """Record the review's decision: upheld or reversed (VR-08)."""

    request_id: UUID
    decided_on: Day
    decision: ReviewDecision
    reason: Text

    effective_field = "decided_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.decide_review(
            request_id=self.request_id,
            decided_on=self.decided_on,
            decision=self.decision,
            reason=self.reason,
            actor=actor,
            policies=policies,
        )


class AuthorizeService(CaseCommand):
    """Enter a PE service in the IPE and authorize it (VR-02..VR-04, VR-06, VR-09, VR-12)."""

    authorization_id: UUID
    request_id: UUID
    authorized_on: Day
    service_type: ServiceType
    category: ServiceCategory
    provider: str = Field(min_length=1, max_length=200)
    planned_start: Day
    planned_end: Day
    amount_cents: Whole = Field(ge=0, le=MAX_CENTS)
    ipe_entry: Text
    overrides: tuple[Override, ...] = ()

    effective_field = "authorized_on"

    def requested_overrides(self) -> tuple[Override, ...]:
        return self.overrides

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.authorize_service(
            authorization_id=self.authorization_id,
            request_id=self.request_id,
            authorized_on=self.authorized_on,
            service_type=self.service_type,
            category=self.category,
            provider=self.provider,
            planned_start=self.planned_start,
            planned_end=self.planned_end,
            amount_cents=self.amount_cents,
            ipe_entry=self.ipe_entry,
            overrides=self.overrides,
            actor=actor,
            policies=policies,
        )


class CancelAuthorization(CaseCommand):
    """Cancel an authorization whose service was not provided."""

    authorization_id: UUID
    cancelled_on: Day
    reason: Text

    effective_field = "cancelled_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.cancel_authorization(
            authorization_id=self.authorization_id,
            cancelled_on=self.cancelled_on,
            reason=self.reason,
            actor=actor,
            policies=policies,
        )


class RecordServiceProvided(CaseCommand):
    """Record that an authorized service was provided."""

    authorization_id: UUID
    provided_on: Day

    effective_field = "provided_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_service_provided(
            authorization_id=self.authorization_id,
            provided_on=self.provided_on,
            actor=actor,
            policies=policies,
        )


class ReceiveInvoice(CaseCommand):
    """Record a provider's invoice against an authorization (VR-10)."""

    invoice_id: UUID
    authorization_id: UUID
    received_on: Day
    invoice_number: str = Field(min_length=1, max_length=100)
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "received_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.receive_invoice(
            invoice_id=self.invoice_id,
            authorization_id=self.authorization_id,
            received_on=self.received_on,
            invoice_number=self.invoice_number,
            amount_cents=self.amount_cents,
            actor=actor,
            policies=policies,
        )


class PayInvoice(CaseCommand):
    """Record the payment of an invoice (VR-10)."""

    invoice_id: UUID
    paid_on: Day
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "paid_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.pay_invoice(
            invoice_id=self.invoice_id,
            paid_on=self.paid_on,
            amount_cents=self.amount_cents,
            actor=actor,
            policies=policies,
        )


class UnencumberBalance(CaseCommand):
    """Release an authorization's unpaid balance once its service is closed (VR-10)."""

    authorization_id: UUID
    unencumbered_on: Day

    effective_field = "unencumbered_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.unencumber_balance(
            authorization_id=self.authorization_id,
            unencumbered_on=self.unencumbered_on,
            actor=actor,
            policies=policies,
        )


class ReturnToMonitoring(CaseCommand):
    """Return the case to Post Employment Monitoring once its services are closed (VR-10)."""

    returned_on: Day

    effective_field = "returned_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.return_to_monitoring(returned_on=self.returned_on, actor=actor, policies=policies)


class RemoveFromPEServices(CaseCommand):
    """Remove the case from PE services explicitly, with a reason (VR-10, VR-11)."""

    removed_on: Day
    reason: Text

    effective_field = "removed_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.remove_from_pe_services(
            removed_on=self.removed_on, reason=self.reason, actor=actor, policies=policies
        )


class TerminateCase(CaseCommand):
    """Record the automatic termination on the case's VR-11 date (system actor only)."""

    terminated_on: Day

    effective_field = "terminated_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.terminate(terminated_on=self.terminated_on, actor=actor, policies=policies)


# Cash-assistance program (TA-01..TA-11)

CASH_ASSISTANCE_COMMANDS: tuple[type[CaseCommand], ...] = (
    EstablishSelfSufficiencyPlan,
    SetPlanGoal,
    ChangeGoalStatus,
    ReassessPlan,
    RecordContingencyPlan,
    LogIntervention,
    ReferToCommunityResource,
    RecordReferralResult,
    RecordReachability,
    PlanContact,
    RecordContact,
    RecordEligibility,
    StartJob,
    ChangeWage,
    RecordJobLoss,
    GiveSiteVisitConsent,
    RevokeSiteVisitConsent,
    RecordJobSiteVisit,
    EndCashAssistance,
    ReferToTraining,
    IdentifySkill,
    AuthorizePurchasedService,
)
"""The commands only a cash-assistance case accepts. The money commands that follow an
authorization (`CancelAuthorization` to `UnencumberBalance`) serve both programs."""
CASE_COMMANDS: tuple[type[CaseCommand], ...] = (
    RecordOutcome,
    CorrectOutcomeDate,
    RecognizeGrandfathering,
    RequestPEServices,
    DeterminePEAppropriate,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    RequestReview,
    DecideReview,
    AuthorizeService,
    CancelAuthorization,
    RecordServiceProvided,
    ReceiveInvoice,
    PayInvoice,
    UnencumberBalance,
    ReturnToMonitoring,
    RemoveFromPEServices,
    TerminateCase,
    *CASH_ASSISTANCE_COMMANDS,
)
COMMANDS_WITH_OVERRIDES: tuple[type[CaseCommand], ...] = (AuthorizeService,)
