"""A case's file as a page shows it: the case, every fact, its deadlines and whether its hash
chain holds, optionally seen as of a business date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from application.audit import refusals_of
from application.cases import CaseManagement
from application.verification import observe_case
from domain.audit import AuditEntry, RefusalEntry, audit_entry, events_as_of, rebuild
from domain.case import Case
from domain.deadlines import Deadline, deadlines, timeline_of
from domain.errors import CaseNotFound
from domain.integrity import BrokenLink, ChainVerifier


@dataclass(frozen=True)
class ChainStatus:
    """Whether the case's stored events still are what was sealed when they were recorded."""

    verified_to: int
    """The last version up to which every event matches its seal and its predecessor's."""
    versions: int
    unchained: int
    """Events recorded before the chain began (version 1 of the contract): counted, not judged."""
    breaks: tuple[BrokenLink, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


@dataclass(frozen=True)
class CaseFile:
    case: Case
    events: tuple[Any, ...]
    entries: tuple[AuditEntry, ...]
    deadlines: tuple[Deadline, ...]
    """The case's deadlines; as of a date, those its record held then."""
    chain: ChainStatus
    today: date
    as_of: date | None = None
    versions_as_of: int | None = None
    """How many of the events the case's record held on `as_of` (the rest came later)."""
    case_as_of: Case | None = None
    refusals: tuple[RefusalEntry, ...] = ()
    """The commands refused on the case, kept beside its history."""
    refusal_chain: ChainStatus | None = None
    """The case as it stood on `as_of`; None before it was opened (or without `as_of`)."""

    @property
    def shown(self) -> Case | None:
        """The case the page's figures describe: as of the date, or as it stands."""
        return self.case_as_of if self.as_of is not None else self.case


def case_file_of(
    app: CaseManagement, case_id: UUID, today: date, as_of: date | None = None
) -> CaseFile:
    chain = chain_status(app, case_id)
    events = app.history(case_id)
    case = rebuild(events)
    if case is None:
        raise CaseNotFound(f"no case with id {case_id}")
    then = events_as_of(events, as_of) if as_of is not None else None
    # As of a date, the deadlines are those the record held then, judged on that date.
    timeline = timeline_of(then if then is not None else events)
    found = deadlines(timeline, app.policies) if timeline is not None else []
    return CaseFile(
        case=case,
        events=tuple(events),
        entries=tuple(audit_entry(e, case.program) for e in events),
        deadlines=tuple(found),
        chain=chain,
        today=today,
        as_of=as_of,
        versions_as_of=len(then) if then is not None else None,
        case_as_of=rebuild(then) if then else None,
        refusals=tuple(refusals_of(app, case_id)),
        refusal_chain=refusal_chain_status(app, case_id),
    )


def chain_status(app: CaseManagement, case_id: UUID) -> ChainStatus:
    """The case's stored rows checked one by one, as `pes verify` checks every case."""
    status = _checked(app.recorder, app.mapper, case_id, "event store")
    if status.versions == 0:
        raise CaseNotFound(f"no case with id {case_id}")
    return status


def refusal_chain_status(app: CaseManagement, case_id: UUID) -> ChainStatus | None:
    """The case's refusal log checked the same way; None where no refusal logs are kept."""
    if app.refusals is None:
        return None
    records = app.refusals.records
    return _checked(records.recorder, records.mapper, case_id, "refusal log")


def _checked(recorder: Any, mapper: Any, case_id: UUID, copy: str) -> ChainStatus:
    verifier = ChainVerifier(copy=copy)
    versions = observe_case(verifier, recorder, mapper, case_id)
    breaks = tuple(verifier.breaks())
    first_break = min((b.case_version for b in breaks), default=versions + 1)
    return ChainStatus(
        verified_to=first_break - 1,
        versions=versions,
        unchained=verifier.unchained_events,
        breaks=breaks,
    )
