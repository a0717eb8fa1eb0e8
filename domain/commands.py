"""Commands: what a user asks the system to do to a case. Validated on construction.

Each case command hands its fields to one public method of the Case aggregate, which checks the
rules and records the event; the application only loads, applies and saves.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from typing import Annotated, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain.base import Actor, ValueObject
from domain.case import Case, Program
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

Text = Annotated[str, Field(max_length=2000)]
MAX_CENTS = 100_000_000_00


EARLIEST_BUSINESS_DATE = date(1900, 1, 1)
LATEST_BUSINESS_DATE = date(2199, 12, 31)


class Command(ValueObject):
    """An instruction to change the case records."""

    @model_validator(mode="after")
    def _business_dates_are_plausible(self) -> Self:
        # Date arithmetic (anniversaries, windows) must stay inside the calendar for any input.
        for name, value in self:
            if isinstance(value, date) and not (
                EARLIEST_BUSINESS_DATE <= value <= LATEST_BUSINESS_DATE
            ):
                raise ValueError(
                    f"{name} {value} is outside the supported business dates "
                    f"{EARLIEST_BUSINESS_DATE} to {LATEST_BUSINESS_DATE}"
                )
        return self

    @property
    @abstractmethod
    def effective_on(self) -> date:
        """The business date the command takes effect on."""

    def requested_overrides(self) -> tuple[Override, ...]:
        """The soft-rule overrides the command asks for (only supervisors may, in the API)."""
        return ()


class OpenCase(Command):
    """Open a post-employment case for a client."""

    case_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    program: Program
    client_ref: str = Field(min_length=1, max_length=64)
    caseworker_id: str = Field(min_length=1, max_length=100)
    opened_on: date

    @property
    def effective_on(self) -> date:
        return self.opened_on

    def create(self, actor: Actor) -> Case:
        return Case(
            case_number=self.case_number,
            program=self.program,
            client_ref=self.client_ref,
            caseworker_id=self.caseworker_id,
            effective_on=self.opened_on,
            actor=actor,
        )


class CaseCommand(Command):
    """A command on an existing case."""

    case_id: UUID

    @abstractmethod
    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        """Let the case decide; it records events or raises a DomainError."""


class RecordOutcome(CaseCommand):
    """Record the successful employment outcome (VR-01)."""

    outcome_date: date
    employer: str = Field(min_length=1, max_length=200)
    job_title: str = Field(min_length=1, max_length=200)
    hourly_wage_cents: int = Field(gt=0, le=100_000_00)
    weekly_hours: float = Field(gt=0, le=168)
    occupation_code: str | None = Field(None, pattern=r"^\d{2}-\d{4}$")

    @property
    def effective_on(self) -> date:
        return self.outcome_date

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.achieve_outcome(
            outcome_date=self.outcome_date,
            employer=self.employer,
            job_title=self.job_title,
            hourly_wage_cents=self.hourly_wage_cents,
            weekly_hours=self.weekly_hours,
            occupation_code=self.occupation_code,
            actor=actor,
        )


class CorrectOutcomeDate(CaseCommand):
    """Correct a wrongly recorded outcome date, citing the reason and the evidence (VR-01)."""

    corrected_outcome_date: date
    corrected_on: date
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(min_length=1, max_length=500)

    @property
    def effective_on(self) -> date:
        return self.corrected_on

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

    recognized_on: date
    evidence: str = Field(min_length=1, max_length=2000)
    services_started_on: date
    planned_services: tuple[ServiceType, ...] = Field(min_length=1)

    @property
    def effective_on(self) -> date:
        return self.recognized_on

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
    requested_on: date
    purpose: RequestPurpose
    maintain: MaintainAssessment | None = None
    advance: AdvanceAssessment | None = None

    @property
    def effective_on(self) -> date:
        return self.requested_on

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
    determined_on: date
    criteria: ScopeCriteria
    expected_provided_by: date

    @property
    def effective_on(self) -> date:
        return self.determined_on

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
    determined_on: date
    new_case_number: str = Field(min_length=1, max_length=40)
    reasons: tuple[NewCaseReason, ...] = Field(min_length=1)

    @property
    def effective_on(self) -> date:
        return self.determined_on

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
    determined_on: date
    written_explanation: Text
    review_notice_given: bool

    @property
    def effective_on(self) -> date:
        return self.determined_on

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
    requested_on: date
    grounds: Text

    @property
    def effective_on(self) -> date:
        return self.requested_on

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
    decided_on: date
    decision: ReviewDecision
    reason: Text

    @property
    def effective_on(self) -> date:
        return self.decided_on

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
    authorized_on: date
    service_type: ServiceType
    category: ServiceCategory
    provider: str = Field(min_length=1, max_length=200)
    planned_start: date
    planned_end: date
    amount_cents: int = Field(ge=0, le=MAX_CENTS)
    ipe_entry: Text
    overrides: tuple[Override, ...] = ()

    @property
    def effective_on(self) -> date:
        return self.authorized_on

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
    cancelled_on: date
    reason: Text

    @property
    def effective_on(self) -> date:
        return self.cancelled_on

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
    provided_on: date

    @property
    def effective_on(self) -> date:
        return self.provided_on

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
    received_on: date
    invoice_number: str = Field(min_length=1, max_length=100)
    amount_cents: int = Field(gt=0, le=MAX_CENTS)

    @property
    def effective_on(self) -> date:
        return self.received_on

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
    paid_on: date
    amount_cents: int = Field(gt=0, le=MAX_CENTS)

    @property
    def effective_on(self) -> date:
        return self.paid_on

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
    unencumbered_on: date

    @property
    def effective_on(self) -> date:
        return self.unencumbered_on

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.unencumber_balance(
            authorization_id=self.authorization_id,
            unencumbered_on=self.unencumbered_on,
            actor=actor,
            policies=policies,
        )


class ReturnToMonitoring(CaseCommand):
    """Return the case to Post Employment Monitoring once its services are closed (VR-10)."""

    returned_on: date

    @property
    def effective_on(self) -> date:
        return self.returned_on

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.return_to_monitoring(returned_on=self.returned_on, actor=actor, policies=policies)


class RemoveFromPEServices(CaseCommand):
    """Remove the case from PE services explicitly, with a reason (VR-10, VR-11)."""

    removed_on: date
    reason: Text

    @property
    def effective_on(self) -> date:
        return self.removed_on

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.remove_from_pe_services(
            removed_on=self.removed_on, reason=self.reason, actor=actor, policies=policies
        )


class TerminateCase(CaseCommand):
    """Record the automatic termination on the case's VR-11 date (system actor only)."""

    terminated_on: date

    @property
    def effective_on(self) -> date:
        return self.terminated_on

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.terminate(terminated_on=self.terminated_on, actor=actor, policies=policies)


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
)
COMMANDS_WITH_OVERRIDES: tuple[type[CaseCommand], ...] = (AuthorizeService,)
