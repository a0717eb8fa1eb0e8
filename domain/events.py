"""What every case event says about itself, once: the rules its decision enforces, the status it
leads to, whether it enters or leaves PE services, whether a policy replay judges it.

Each program defines its events on `CaseEvent` beside its decisions; `domain.case.Case` lists
them in its body, which registers them under the stored topic `domain.case:Case.<Event>`.
Every map of event types the read side, the audit trail and the replay use is derived from
these class attributes (`domain.catalog`), never kept by hand.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from domain.base import Aggregate

if TYPE_CHECKING:
    from domain.case import Case


class Program(StrEnum):
    """The program whose post-employment policy governs the case."""

    VR = "vr"
    CASH_ASSISTANCE = "cash_assistance"


class CaseStatus(StrEnum):
    """Where a case stands: open until its outcome, then monitoring, PE services, terminated."""

    OPEN = "open"
    MONITORING = "monitoring"
    IN_PE_SERVICES = "in_pe_services"
    TERMINATED = "terminated"


class PEServices(StrEnum):
    """How an event moves a case with respect to PE services (VR-11 counts from leaving)."""

    ENTERS = "enters"
    LEAVES = "leaves"


class CaseEvent(Aggregate.Event):
    """A fact about a case. Subclasses say what they are about in the class attributes below,
    and change the case's own state in `apply`; the bookkeeping every event shares (status,
    leaving PE services, the date of the last fact) happens here, from those attributes."""

    rules: ClassVar[tuple[str, ...]] = ()
    """The rule IDs (POLICY.md) the decision recording this event enforces; the audit trail
    names them beside the fact."""

    status_after: ClassVar[CaseStatus | None] = None
    """The status the case is in after this event; None leaves it as it was."""

    pe_services: ClassVar[PEServices | None] = None
    """Whether this event enters or leaves PE services; None for neither."""

    judged_by_replay: ClassVar[bool] = False
    """Whether a policy replay reads this event (sources may skip decoding the others)."""

    def apply(self, aggregate: Any) -> None:
        """Changes the case's state for this fact; the default changes nothing of its own."""

    def mutate(self, aggregate: Any) -> Any:
        case: Case = super().mutate(aggregate)
        if self.status_after is not None:
            case.status = self.status_after
        if self.pe_services is PEServices.LEAVES:
            case.left_pe_services_on = self.effective_on
        case.note_activity(self.effective_on)
        return case
