"""The facts of an authorization's life, in either program. A VR case's are checked against the
VR rules, a cash-assistance case's purchased services against TA-10, which applies VR-09's and
VR-10's money rules; each event names both."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.authorizations.records import Authorization, Invoice
from domain.events import CaseEvent
from domain.values import AuthorizationStatus, Override, ServiceCategory, ServiceType

if TYPE_CHECKING:
    from domain.case import Case


class ServiceAuthorized(CaseEvent):
    """A PE service was entered in the IPE and authorized, encumbering its amount (VR-09)."""

    rules = ("VR-01", "VR-02", "VR-03", "VR-04", "VR-06", "VR-09", "VR-12", "TA-10")
    judged_by_replay = True

    authorization_id: UUID
    request_id: UUID
    service_type: ServiceType
    category: ServiceCategory
    provider: str
    planned_start: date
    planned_end: date
    amount_cents: int
    ipe_entry: str
    overrides: tuple[Override, ...]
    grandfathered: bool
    policy_version: str

    def apply(self, case: Case) -> None:
        case.authorizations[self.authorization_id] = Authorization(
            authorization_id=self.authorization_id,
            request_id=self.request_id,
            authorized_on=self.effective_on,
            service_type=self.service_type,
            category=self.category,
            provider=self.provider,
            planned_start=self.planned_start,
            planned_end=self.planned_end,
            amount_cents=self.amount_cents,
            ipe_entry=self.ipe_entry,
            overrides=tuple(self.overrides),
            grandfathered=self.grandfathered,
        )


class AuthorizationCancelled(CaseEvent):
    """The authorization was cancelled before the service was provided."""

    rules = ("VR-10", "TA-10")

    authorization_id: UUID
    reason: str
    policy_version: str

    def apply(self, case: Case) -> None:
        authorization = case.authorizations[self.authorization_id]
        authorization.status = AuthorizationStatus.CANCELLED
        authorization.ended_on = self.effective_on


class ServiceProvided(CaseEvent):
    """The authorized service was provided (completed) on `effective_on`."""

    rules = ("VR-10", "TA-10")

    authorization_id: UUID
    policy_version: str

    def apply(self, case: Case) -> None:
        authorization = case.authorizations[self.authorization_id]
        authorization.status = AuthorizationStatus.PROVIDED
        authorization.ended_on = self.effective_on


class InvoiceReceived(CaseEvent):
    """A provider's invoice was received, within what remains authorized (VR-10)."""

    rules = ("VR-10", "TA-10")

    invoice_id: UUID
    authorization_id: UUID
    invoice_number: str
    amount_cents: int
    remaining_authorized_cents: int
    policy_version: str

    def apply(self, case: Case) -> None:
        case.invoices[self.invoice_id] = Invoice(
            invoice_id=self.invoice_id,
            authorization_id=self.authorization_id,
            invoice_number=self.invoice_number,
            amount_cents=self.amount_cents,
            received_on=self.effective_on,
        )
        authorization = case.authorizations[self.authorization_id]
        authorization.invoice_ids.append(self.invoice_id)
        authorization.invoiced_cents += self.amount_cents


class InvoicePaid(CaseEvent):
    """The invoice was paid, never above its amount (VR-10)."""

    rules = ("VR-10", "TA-10")
    judged_by_replay = True

    invoice_id: UUID
    authorization_id: UUID
    amount_cents: int
    policy_version: str

    def apply(self, case: Case) -> None:
        invoice = case.invoices[self.invoice_id]
        invoice.paid_cents = self.amount_cents
        invoice.paid_on = self.effective_on
        case.authorizations[self.authorization_id].paid_cents += self.amount_cents


class BalanceUnencumbered(CaseEvent):
    """The authorization's unpaid balance was released, closing it (VR-10)."""

    rules = ("VR-10", "TA-10")

    authorization_id: UUID
    amount_cents: int
    policy_version: str

    def apply(self, case: Case) -> None:
        case.authorizations[self.authorization_id].unencumbered_on = self.effective_on
