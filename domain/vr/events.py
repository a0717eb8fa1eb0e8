"""The VR program's facts. Each says which rules its decision enforces and how it moves the
case (`domain.events.CaseEvent`), and applies its own change to the case."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from pydantic import Field

from domain.base import Aggregate
from domain.events import CaseEvent, CaseStatus, PEServices
from domain.values import (
    AdvanceAssessment,
    MaintainAssessment,
    NewCaseReason,
    RequestPurpose,
    RequestStatus,
    ReviewDecision,
    ScopeCriteria,
    ServiceType,
)
from domain.vr.records import CaseLink, Grandfathering, ServiceRequest

if TYPE_CHECKING:
    from domain.case import Case


class OutcomeAchieved(CaseEvent):
    """The client achieved a successful employment outcome on `effective_on` (VR-01)."""

    rules = ("VR-01",)
    status_after = CaseStatus.MONITORING
    judged_by_replay = True

    class_version: ClassVar[int] = 3

    employer: str
    job_title: str
    hourly_wage_cents: int
    weekly_hours: float
    occupation_code: str | None = Field(
        None, description="Standard Occupational Classification code (e.g. 51-3011), if known"
    )

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 2 added the occupation code; outcomes recorded before it have none."""
        state["occupation_code"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 3 chained the events (as version 2 of the other event types did)."""
        Aggregate.Event.upcast_v1_v2(state)

    def apply(self, case: Case) -> None:
        case.outcome_date = self.effective_on
        case.employer = self.employer
        case.job_title = self.job_title
        case.hourly_wage_cents = self.hourly_wage_cents
        case.weekly_hours = self.weekly_hours
        case.occupation_code = self.occupation_code


class OutcomeDateCorrected(CaseEvent):
    """A wrongly recorded outcome date was corrected on `effective_on`, with reason and evidence."""

    rules = ("VR-01", "VR-02", "VR-03", "VR-04", "VR-06", "VR-12")
    judged_by_replay = True

    original_outcome_date: date
    corrected_outcome_date: date
    reason: str
    evidence_ref: str
    policy_version: str

    def apply(self, case: Case) -> None:
        case.outcome_date = self.corrected_outcome_date


class GrandfatheringRecognized(CaseEvent):
    """The case was found to be receiving EW services on the grandfathering date (VR-12)."""

    rules = ("VR-12",)
    judged_by_replay = True

    evidence: str
    services_started_on: date
    planned_services: tuple[ServiceType, ...]
    grandfathering_date: date
    policy_version: str

    def apply(self, case: Case) -> None:
        case.grandfathering = Grandfathering(
            self.effective_on, self.evidence, self.services_started_on, tuple(self.planned_services)
        )


class PEServicesRequested(CaseEvent):
    """The client asked for post-employment services for a purpose (VR-01, VR-02, VR-07)."""

    rules = ("VR-01", "VR-02", "VR-07", "VR-12")
    status_after = CaseStatus.IN_PE_SERVICES
    pe_services = PEServices.ENTERS
    judged_by_replay = True

    request_id: UUID
    purpose: RequestPurpose
    maintain: MaintainAssessment | None
    advance: AdvanceAssessment | None
    policy_version: str

    def apply(self, case: Case) -> None:
        case.requests[self.request_id] = ServiceRequest(
            request_id=self.request_id,
            requested_on=self.effective_on,
            purpose=self.purpose,
            maintain=self.maintain,
            advance=self.advance,
        )


class PEServicesFoundAppropriate(CaseEvent):
    """The request was determined appropriate for PE; all scope criteria affirmed (VR-05)."""

    rules = ("VR-05", "VR-07", "VR-08")

    request_id: UUID
    criteria: ScopeCriteria
    expected_provided_by: date
    policy_version: str

    def apply(self, case: Case) -> None:
        request = case.requests[self.request_id]
        request.status = RequestStatus.PE_APPROPRIATE
        request.determined_on = self.effective_on


class NewEmploymentCaseOpened(CaseEvent):
    """The request needs a new employment program case, which was opened and linked (VR-08)."""

    rules = ("VR-08",)

    request_id: UUID
    new_case_number: str
    reasons: tuple[NewCaseReason, ...]
    policy_version: str

    def apply(self, case: Case) -> None:
        request = case.requests[self.request_id]
        request.status = RequestStatus.NEW_EMPLOYMENT_CASE
        request.determined_on = self.effective_on
        request.linked_case_number = self.new_case_number
        request.closed_on = self.effective_on


class LinkedFromEarlierCase(CaseEvent):
    """This case is the new employment program case an earlier case's request needs (VR-08)."""

    rules = ("VR-08",)

    earlier_case_id: UUID
    earlier_case_number: str
    request_id: UUID
    opened_by_determination: bool
    policy_version: str

    def apply(self, case: Case) -> None:
        case.linked_from = CaseLink(
            case_id=self.earlier_case_id,
            case_number=self.earlier_case_number,
            request_id=self.request_id,
            linked_on=self.effective_on,
            opened_by_determination=self.opened_by_determination,
        )


class PEServicesFoundNotAppropriate(CaseEvent):
    """Neither PE nor a new case is appropriate; explained in writing, review notice given."""

    rules = ("VR-07", "VR-08")

    request_id: UUID
    written_explanation: str
    review_notice_given: bool
    policy_version: str

    def apply(self, case: Case) -> None:
        request = case.requests[self.request_id]
        request.status = RequestStatus.NOT_APPROPRIATE
        request.determined_on = self.effective_on
        request.closed_on = self.effective_on


class ReviewRequested(CaseEvent):
    """The client asked for a Review of Decisions of a not-appropriate determination (VR-08)."""

    rules = ("VR-08",)
    status_after = CaseStatus.IN_PE_SERVICES
    pe_services = PEServices.ENTERS
    judged_by_replay = True

    request_id: UUID
    grounds: str
    policy_version: str

    def apply(self, case: Case) -> None:
        request = case.requests[self.request_id]
        request.status = RequestStatus.UNDER_REVIEW
        request.review_requested_on = self.effective_on
        request.closed_on = None


class ReviewDecided(CaseEvent):
    """The review upheld or reversed the not-appropriate determination (VR-08)."""

    rules = ("VR-08",)

    request_id: UUID
    decision: ReviewDecision
    reason: str
    policy_version: str

    def apply(self, case: Case) -> None:
        request = case.requests[self.request_id]
        request.review_decision = self.decision
        if self.decision is ReviewDecision.REVERSED:
            request.status = RequestStatus.AWAITING_DETERMINATION
            request.determined_on = None
        else:
            request.status = RequestStatus.NOT_APPROPRIATE
            request.closed_on = self.effective_on


class ReturnedToMonitoring(CaseEvent):
    """Every request was settled and every authorization closed; back to monitoring (VR-10)."""

    rules = ("VR-10",)
    status_after = CaseStatus.MONITORING
    pe_services = PEServices.LEAVES
    judged_by_replay = True

    completed_request_ids: tuple[UUID, ...]
    policy_version: str

    def apply(self, case: Case) -> None:
        for request_id in self.completed_request_ids:
            request = case.requests[request_id]
            request.status = RequestStatus.COMPLETED
            request.closed_on = self.effective_on


class RemovedFromPEServices(CaseEvent):
    """The case was removed from PE services explicitly, ending its open requests (VR-11)."""

    rules = ("VR-10",)
    status_after = CaseStatus.MONITORING
    pe_services = PEServices.LEAVES
    judged_by_replay = True

    reason: str
    closed_request_ids: tuple[UUID, ...]
    policy_version: str

    def apply(self, case: Case) -> None:
        for request_id in self.closed_request_ids:
            request = case.requests[request_id]
            request.status = RequestStatus.REMOVED
            request.closed_on = self.effective_on


class CaseTerminated(CaseEvent):
    """The system terminated the case on its VR-11 date; nothing is accepted afterwards."""

    rules = ("VR-11",)
    status_after = CaseStatus.TERMINATED
    judged_by_replay = True

    anniversary_on: date
    left_pe_services_on: date | None
    policy_version: str

    def apply(self, case: Case) -> None:
        case.terminated_on = self.effective_on
