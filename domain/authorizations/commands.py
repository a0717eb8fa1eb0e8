"""What a caseworker or billing asks of an authorization after it was granted, in either program:
plain data, validated on construction. Field names are the HTTP bodies' (docs/api.md)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from domain.command import MAX_CENTS, CaseCommand, Text
from domain.inputs import Day, Whole


class CancelAuthorization(CaseCommand):
    """Cancel an authorization whose service was not provided."""

    authorization_id: UUID
    cancelled_on: Day
    reason: Text

    effective_field = "cancelled_on"


class RecordServiceProvided(CaseCommand):
    """Record that an authorized service was provided."""

    authorization_id: UUID
    provided_on: Day

    effective_field = "provided_on"


class ReceiveInvoice(CaseCommand):
    """Record a provider's invoice against an authorization (VR-10)."""

    invoice_id: UUID
    authorization_id: UUID
    received_on: Day
    invoice_number: str = Field(min_length=1, max_length=100)
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "received_on"


class PayInvoice(CaseCommand):
    """Record the payment of an invoice (VR-10)."""

    invoice_id: UUID
    paid_on: Day
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "paid_on"


class UnencumberBalance(CaseCommand):
    """Release an authorization's unpaid balance once its service is closed (VR-10)."""

    authorization_id: UUID
    unencumbered_on: Day

    effective_field = "unencumbered_on"
