"""The state a case keeps about its authorizations and the invoices against them (rebuilt from
events); VR authorizations and cash-assistance purchases alike (VR-09, VR-10, TA-10)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from domain.values import AuthorizationStatus, Override, ServiceCategory, ServiceType


def remaining_authorized_cents(amount_cents: int, invoiced_cents: int, released: bool) -> int:
    """What may still be invoiced against an authorization: its amount less what was invoiced,
    nothing once its balance is released (VR-10)."""
    return 0 if released else amount_cents - invoiced_cents


def encumbered_balance_cents(amount_cents: int, paid_cents: int, released: bool) -> int:
    """What an authorization still holds for its provider: its amount less what was paid, until
    its balance is released (VR-10)."""
    return 0 if released else amount_cents - paid_cents


def released_cents(amount_cents: int, paid_cents: int, released: bool) -> int:
    """What releasing the balance freed: the unpaid balance once released, nothing before (VR-10)."""
    return amount_cents - paid_cents if released else 0


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
        return remaining_authorized_cents(
            self.amount_cents, self.invoiced_cents, self.unencumbered_on is not None
        )

    @property
    def encumbered_cents(self) -> int:
        """What is still held for the provider: the amount less payments, until released."""
        return encumbered_balance_cents(
            self.amount_cents, self.paid_cents, self.unencumbered_on is not None
        )

    @property
    def released_cents(self) -> int:
        """What releasing the balance freed; nothing while it is not released."""
        return released_cents(self.amount_cents, self.paid_cents, self.unencumbered_on is not None)

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
