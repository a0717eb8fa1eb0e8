"""What a VR caseworker, supervisor or the system asks of a VR case: plain data, validated on
construction. Field names are the HTTP bodies' (docs/api.md)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from domain.command import MAX_CENTS, CaseCommand, Text
from domain.inputs import Day, Flag, Number, Whole
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


class RecordOutcome(CaseCommand):
    """Record the successful employment outcome (VR-01)."""

    outcome_date: Day
    employer: str = Field(min_length=1, max_length=200)
    job_title: str = Field(min_length=1, max_length=200)
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)
    occupation_code: str | None = Field(None, pattern=r"^\d{2}-\d{4}$")

    effective_field = "outcome_date"


class CorrectOutcomeDate(CaseCommand):
    """Correct a wrongly recorded outcome date, citing the reason and the evidence (VR-01)."""

    corrected_outcome_date: Day
    corrected_on: Day
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(min_length=1, max_length=500)

    effective_field = "corrected_on"


class RecognizeGrandfathering(CaseCommand):
    """Record that the case was receiving EW services on the grandfathering date (VR-12)."""

    recognized_on: Day
    evidence: str = Field(min_length=1, max_length=2000)
    services_started_on: Day
    planned_services: tuple[ServiceType, ...] = Field(min_length=1)

    effective_field = "recognized_on"


class RequestPEServices(CaseCommand):
    """Record a client's request for post-employment services and its assessment (VR-07)."""

    request_id: UUID
    requested_on: Day
    purpose: RequestPurpose
    maintain: MaintainAssessment | None = None
    advance: AdvanceAssessment | None = None

    effective_field = "requested_on"


class DeterminePEAppropriate(CaseCommand):
    """Determine that the request is a PE need, affirming the scope criteria (VR-05, VR-08)."""

    request_id: UUID
    determined_on: Day
    criteria: ScopeCriteria
    expected_provided_by: Day

    effective_field = "determined_on"


class DetermineNewEmploymentCase(CaseCommand):
    """Determine that the need requires a new employment program case, opened and linked (VR-08)."""

    request_id: UUID
    determined_on: Day
    new_case_number: str = Field(min_length=1, max_length=40)
    reasons: tuple[NewCaseReason, ...] = Field(min_length=1)

    effective_field = "determined_on"


class DetermineNotAppropriate(CaseCommand):
    """Determine that neither PE nor a new case is appropriate, with explanation and notice (VR-08)."""

    request_id: UUID
    determined_on: Day
    written_explanation: Text
    review_notice_given: Flag

    effective_field = "determined_on"


class RequestReview(CaseCommand):
    """Record the client's request for a Review of Decisions (VR-08)."""

    request_id: UUID
    requested_on: Day
    grounds: Text

    effective_field = "requested_on"


class DecideReview(CaseCommand):
    """Record the review's decision: upheld or reversed (VR-08)."""

    request_id: UUID
    decided_on: Day
    decision: ReviewDecision
    reason: Text

    effective_field = "decided_on"


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


class ReturnToMonitoring(CaseCommand):
    """Return the case to Post Employment Monitoring once its services are closed (VR-10)."""

    returned_on: Day

    effective_field = "returned_on"


class RemoveFromPEServices(CaseCommand):
    """Remove the case from PE services explicitly, with a reason (VR-10, VR-11)."""

    removed_on: Day
    reason: Text

    effective_field = "removed_on"


class TerminateCase(CaseCommand):
    """Record the automatic termination on the case's VR-11 date (system actor only)."""

    terminated_on: Day

    effective_field = "terminated_on"
