"""The state a VR case keeps about its requests and its grandfathering (rebuilt from events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.values import (
    AdvanceAssessment,
    MaintainAssessment,
    RequestPurpose,
    RequestStatus,
    ReviewDecision,
    ServiceType,
)

OPEN_REQUEST_STATUSES = frozenset(
    {RequestStatus.AWAITING_DETERMINATION, RequestStatus.PE_APPROPRIATE, RequestStatus.UNDER_REVIEW}
)
UNDECIDED_REQUEST_STATUSES = frozenset(
    {RequestStatus.AWAITING_DETERMINATION, RequestStatus.UNDER_REVIEW}
)


@dataclass
class Grandfathering:
    """Evidence that the case was receiving EW services on the grandfathering date (VR-12)."""

    recognized_on: date
    evidence: str
    services_started_on: date
    planned_services: tuple[ServiceType, ...]

    def covers(self, service_type: ServiceType) -> bool:
        return service_type in self.planned_services


@dataclass
class ServiceRequest:
    """A post-employment service request, its VR-07 assessment and its determination (VR-08)."""

    request_id: UUID
    requested_on: date
    purpose: RequestPurpose
    maintain: MaintainAssessment | None
    advance: AdvanceAssessment | None
    status: RequestStatus = RequestStatus.AWAITING_DETERMINATION
    determined_on: date | None = None
    linked_case_number: str | None = None
    review_requested_on: date | None = None
    review_decision: ReviewDecision | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class CaseLink:
    """The earlier case a new employment program case serves: the request determined to need it,
    when, and whether that determination opened the case or linked one already open (VR-08)."""

    case_id: UUID
    case_number: str
    request_id: UUID
    linked_on: date
    opened_by_determination: bool
