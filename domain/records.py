"""The state a case keeps about its requests, authorizations and invoices (rebuilt from events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from domain.values import (
    AdvanceAssessment,
    AuthorizationStatus,
    MaintainAssessment,
    Override,
    RequestPurpose,
    RequestStatus,
    ReviewDecision,
    ServiceCategory,
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


@dataclass
class Invoice:
    """A provider's invoice against one authorization, and its payment (VR-10)."""

    invoice_id: UUID
    authorization_id: UUID
    invoice_number: str
    amount_cents: int
    received_on: date
    paid_cents: int | None = None
    paid_on: date | None = None

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


@dataclass
class Authorization:
    """A PE service entered in the IPE and authorized; its amount stays encumbered until released."""

    authorization_id: UUID
    request_id: UUID
    authorized_on: date
    service_type: ServiceType
    category: ServiceCategory
    provider: str
    planned_start: date
    planned_end: date
    amount_cents: int
    ipe_entry: str
    overrides: tuple[Override, ...]
    grandfathered: bool
    status: AuthorizationStatus = AuthorizationStatus.AUTHORIZED
    ended_on: date | None = None
    unencumbered_on: date | None = None
    invoice_ids: list[UUID] = field(default_factory=list)
    invoiced_cents: int = 0
    paid_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        """What may still be invoiced: nothing once the balance is unencumbered."""
        return 0 if self.unencumbered_on else self.amount_cents - self.invoiced_cents

    @property
    def encumbered_cents(self) -> int:
        """What is still held for the provider: the amount less payments, until released."""
        return 0 if self.unencumbered_on else self.amount_cents - self.paid_cents

    @property
    def is_closed(self) -> bool:
        """Provided or cancelled, invoices paid and balance unencumbered (VR-10)."""
        return self.unencumbered_on is not None

    def terms(self) -> tuple[object, ...]:
        """What was authorized, whatever happened since: a retry carries the same terms."""
        return (
            self.request_id,
            self.authorized_on,
            self.service_type,
            self.category,
            self.provider,
            self.planned_start,
            self.planned_end,
            self.amount_cents,
            self.ipe_entry,
            self.overrides,
        )
