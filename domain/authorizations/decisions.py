"""Which decision handles each command of the shared authorization lifecycle (read by
`domain.handling`, which accepts them on VR and cash-assistance cases alike)."""

from __future__ import annotations

from domain.authorizations import money, services
from domain.authorizations.commands import (
    CancelAuthorization,
    PayInvoice,
    ReceiveInvoice,
    RecordServiceProvided,
    UnencumberBalance,
)
from domain.command import CaseCommand, Decision

DECISIONS: dict[type[CaseCommand], Decision] = {
    CancelAuthorization: services.cancel_authorization,
    RecordServiceProvided: services.record_service_provided,
    ReceiveInvoice: money.receive_invoice,
    PayInvoice: money.pay_invoice,
    UnencumberBalance: money.unencumber_balance,
}
