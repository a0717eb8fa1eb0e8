"""The facts of an authorization's life, in either program. A VR case's are checked against the
VR rules, a cash-assistance case's purchased services against TA-10, which applies VR-09's and
VR-10's money rules; each event names both."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.authorizations.records import Authorization
from domain.events import CaseEvent
from domain.values import Override, ServiceCategory, ServiceType

if TYPE_CHECKING:
    from domain.case import Case


class ServiceAuthorized(CaseEvent):
    """A PE service was entered in the IPE and authorized, encumbering its amount (VR-09)."""

    rules = ("VR-02", "VR-03", "VR-04", "VR-06", "VR-09", "VR-12", "TA-10")
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
