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
