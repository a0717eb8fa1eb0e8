"""Audit use cases: a case's timeline of decisions, and its state as of a date or at a version."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from adapters.case_snapshots import CaseSnapshots, SnapshotRejected
from application.cases import CaseManagement
from domain.audit import (
    AuditEntry,
    RefusalEntry,
    audit_entry,
    effective_by,
    rebuild,
    refusal_entry,
    state_of,
)
from domain.base import content_digest
from domain.case import Case
from domain.errors import CaseNotFound, InvalidCommand

log = logging.getLogger(__name__)


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
    case = case_as_of(app, case_id, day).case
    if case is None and not app.recorder.select_events(case_id, limit=1):
        raise CaseNotFound(f"no case with id {case_id}")
    return None if case is None else state_of(case, app.policies)


@dataclass(frozen=True)
class AsOf:
    """A case as of a date, and how it was reached: from the snapshot at `snapshot_version`
    (None: from the first event), then `events_folded` events."""

    case: Case | None
    snapshot_version: int | None
    events_folded: int


def case_as_of(app: CaseManagement, case_id: UUID, day: date) -> AsOf:
    """The case as it stood on `day`, from the latest snapshot whose events were all effective
    by then; snapshots are taken on the way, every `PES_SNAPSHOT_INTERVAL` versions.

    A snapshot is used only if the stored event it was taken after is still that event (its
    content digest), and only if its own row is intact; otherwise the events are folded from
    the first, and the mismatch logged.
    """
    snapshots = app.case_snapshots
    if snapshots is None:
        return _folded(app.events_of(case_id), day)
    try:
        found = snapshots.for_date(case_id, day)
    except Exception:  # the database's own errors: the events still answer
        log.warning(
            "cannot read the snapshots of case %s: folding its events", case_id, exc_info=True
        )
        return _folded(app.events_of(case_id), day)
    # An event up to the next snapshot was effective after `day`: none beyond it counts.
    upto = None if found.next_version is None else found.next_version - 1
    start = found.usable
    if start is None:
        return _folded_keeping(snapshots, None, None, iter(app.events.get(case_id, lte=upto)), day)
    try:
        case = snapshots.restore(start)
        events = iter(app.events.get(case_id, gt=start.case_version - 1, lte=upto))
        last: Any = next(events, None)
        if last is None:
            raise SnapshotRejected(f"the store holds no event at version {start.case_version}")
        if content_digest(last) != start.last_event_digest:
            raise SnapshotRejected(
                f"the stored event at version {start.case_version} is not the one it was taken "
                "after (its content digest differs)"
            )
    except SnapshotRejected as rejected:
        log.warning(
            "the snapshot of case %s at version %s is not used: %s; folding its events from the "
            "first",
            case_id,
            start.case_version,
            rejected,
        )
        return _folded(app.events_of(case_id), day)
    return _folded_keeping(snapshots, case, start.effective_through, events, day)


def _folded(events: Iterator[Any], day: date) -> AsOf:
    folded = 0

    def counted() -> Iterator[Any]:
        nonlocal folded
        for event in effective_by(events, day):
            folded += 1
            yield event

    return AsOf(rebuild(counted()), None, folded)


def _folded_keeping(
    snapshots: CaseSnapshots,
    case: Case | None,
    through: date | None,
    events: Iterator[Any],
    day: date,
) -> AsOf:
    """Folds the events effective by `day` onto `case` (whose events were all effective by
    `through`), keeping a snapshot at every multiple of the interval passed."""
    from_version = None if case is None else case.version
    # Snapshots of other domain code go once this case has none usable (they never will be).
    folded, keeping, dropped = 0, True, case is not None
    for event in effective_by(events, day):
        case = event.mutate(case)
        folded += 1
        through = event.effective_on if through is None else max(through, event.effective_on)
        if keeping and case is not None and case.version % snapshots.interval == 0:
            keeping = _keep(snapshots, case, through, event, drop_other_code=not dropped)
            dropped = True
    return AsOf(case, from_version, folded)


def _keep(
    snapshots: CaseSnapshots, case: Case, through: date, event: Any, *, drop_other_code: bool
) -> bool:
    """Keeps a snapshot; False if the store refused it (the read goes on without)."""
    try:
        if drop_other_code:
            snapshots.drop_other_code(case.id)
        snapshots.add(case, through, content_digest(event))
    except Exception:  # the database's own errors: a snapshot is only ever a shortcut
        log.warning("cannot keep a snapshot of case %s", case.id, exc_info=True)
        return False
    return True


def state_at_version(app: CaseManagement, case_id: UUID, version: int) -> dict[str, Any]:
    """The case after its first `version` events."""
    if version < 1:
        raise InvalidCommand(f"a case's versions start at 1, not {version}")
    case = app.get_case(case_id, version=version)
    if case.version < version:
        raise CaseNotFound(f"case {case_id} has no version {version} (it is at {case.version})")
    return state_of(case, app.policies)
