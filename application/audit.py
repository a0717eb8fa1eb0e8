"""Audit use cases: a case's timeline of decisions, and its state as of a date or at a version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from application.cases import CaseManagement
from domain.audit import (
    AuditEntry,
    RefusalEntry,
    audit_entry,
    events_as_of,
    rebuild,
    refusal_entry,
    state_of,
)
from domain.errors import CaseNotFound, InvalidCommand


@dataclass(frozen=True)
class CaseAudit:
    """Everything recorded about a case, in order, and the state it reached; beside it, the
    commands refused on it."""

    case_id: UUID
    case_number: str
    entries: list[AuditEntry]
    state: dict[str, Any]
    refusals: list[RefusalEntry] = field(default_factory=list)


def audit_of(app: CaseManagement, case_id: UUID) -> CaseAudit:
    events = app.history(case_id)
    case = rebuild(events)
    if case is None:
        raise CaseNotFound(f"no case with id {case_id}")
    state = state_of(case, app.policies)
    return CaseAudit(
        case_id=case_id,
        case_number=state["case_number"],
        entries=[audit_entry(e, case.program) for e in events],
        state=state,
        refusals=refusals_of(app, case_id),
    )


def refusals_of(app: CaseManagement, case_id: UUID) -> list[RefusalEntry]:
    """The commands refused on the case, in the order they were recorded."""
    if app.refusals is None:
        return []
    return [refusal_entry(r) for r in app.refusals.refusals_of(case_id)]


def state_as_of(app: CaseManagement, case_id: UUID, day: date) -> dict[str, Any] | None:
    """The case as it stood on business date `day`; None if it had not been opened yet."""
    # Lazily: the events after the first one effective after `day` are never decoded.
    case = rebuild(events_as_of(app.events_of(case_id), day))
    if case is None and not app.recorder.select_events(case_id, limit=1):
        raise CaseNotFound(f"no case with id {case_id}")
    return None if case is None else state_of(case, app.policies)


def state_at_version(app: CaseManagement, case_id: UUID, version: int) -> dict[str, Any]:
    """The case after its first `version` events."""
    if version < 1:
        raise InvalidCommand(f"a case's versions start at 1, not {version}")
    case = app.get_case(case_id, version=version)
    if case.version < version:
        raise CaseNotFound(f"case {case_id} has no version {version} (it is at {case.version})")
    return state_of(case, app.policies)
