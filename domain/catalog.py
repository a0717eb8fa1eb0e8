"""Every map of case event types, derived from what each event class says about itself
(`domain.events.CaseEvent`): nothing here is written by hand.

Keyed by event type name, the name the stored topic and the Avro contract carry, so read models
and replays can look events up without rebuilding them.
"""

from __future__ import annotations

from domain.case import Case
from domain.events import CaseEvent, CaseStatus, PEServices


def _case_event_classes() -> dict[str, type[CaseEvent]]:
    found: dict[str, type[CaseEvent]] = {}
    for name, value in vars(Case).items():
        if isinstance(value, type) and issubclass(value, CaseEvent) and value is not CaseEvent:
            found[name] = value
    return found


EVENT_CLASSES: dict[str, type[CaseEvent]] = _case_event_classes()
"""Every case event type, by name, as registered on the aggregate (`domain.case:Case.<name>`)."""

RULES_BY_EVENT: dict[str, tuple[str, ...]] = {
    name: cls.rules for name, cls in EVENT_CLASSES.items()
}
"""The rules each kind of decision enforces (POLICY.md): the audit trail names them.

The money events serve both programs: a VR case's are checked against the VR rules, a
cash-assistance case's purchased services against TA-10 (which applies VR-09's and VR-10's
money rules)."""

STATUS_AFTER_EVENT: dict[str, CaseStatus] = {
    name: cls.status_after for name, cls in EVENT_CLASSES.items() if cls.status_after is not None
}
"""The status each event type moves a case to; other events leave it as it was."""

ENTERS_PE_SERVICES: frozenset[str] = frozenset(
    name for name, cls in EVENT_CLASSES.items() if cls.pe_services is PEServices.ENTERS
)
LEAVES_PE_SERVICES: frozenset[str] = frozenset(
    name for name, cls in EVENT_CLASSES.items() if cls.pe_services is PEServices.LEAVES
)

EVENT_TYPES_JUDGED: frozenset[str] = frozenset(
    name for name, cls in EVENT_CLASSES.items() if cls.judged_by_replay
)
"""The only event types a policy replay reads; sources may skip decoding the others."""
