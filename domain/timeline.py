"""A case's deadline timeline: what its deadlines depend on, folded from its events.

`advance` folds one event into a `CaseTimeline` (pure, JSON round-trippable); `TimelineFold`
folds a run of events of one case on a mutable draft. `domain.deadlines` derives the deadlines
from the timeline. Each event type the timeline knows has one function saying which fields it
changes, found by the event's class in one dictionary lookup (`_CHANGES`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from domain.assistance.values import CLOSED_GOAL_STATUSES, EligibilityStatus, SupportProgram
from domain.base import Aggregate, ValueObject
from domain.case import Case, Program
from domain.values import ReviewDecision


class AuthorizationTimeline(ValueObject):
    """The dates of one authorization that its deadlines need."""

    authorization_id: UUID
    request_id: UUID
    authorized_on: date
    planned_start: date
    planned_end: date
    grandfathered: bool = False
    provided_on: date | None = None
    cancelled_on: date | None = None
    unencumbered_on: date | None = None

    @property
    def ended_on(self) -> date | None:
        return self.provided_on or self.cancelled_on


class InvoiceTimeline(ValueObject):
    """The dates of one invoice that its payment deadline needs."""

    invoice_id: UUID
    authorization_id: UUID
    received_on: date
    paid_on: date | None = None


class GoalTimeline(ValueObject):
    """The dates of one plan goal that its deadline needs (TA-01)."""

    goal_id: UUID
    target_date: date
    closed_on: date | None = None


class ContactTimeline(ValueObject):
    """The dates of one planned contact that its deadline needs (TA-05)."""

    contact_id: UUID
    planned_for: date
    made_on: date | None = None


class RenewalTimeline(ValueObject):
    """A support program's pending renewal (TA-06)."""

    program: SupportProgram
    renewal_on: date


class CaseTimeline(ValueObject):
    """What a case's deadlines depend on, folded from its events; JSON round-trippable."""

    case_id: UUID
    version: int = 0
    program: Program | None = None
    opened_on: date | None = None
    outcome_on: date | None = None
    policy_version: str | None = None
    grandfathered_on: date | None = None
    in_pe_services: bool = False
    undecided_request_ids: tuple[UUID, ...] = ()
    unserved_request_ids: tuple[UUID, ...] = ()
    """Requests found PE-appropriate with no authorization yet: services still to come (VR-10)."""
    authorizations: tuple[AuthorizationTimeline, ...] = ()
    invoices: tuple[InvoiceTimeline, ...] = ()
    last_activity_on: date | None = None
    ready_to_return_on: date | None = None
    left_pe_services_on: date | None = None
    terminated_on: date | None = None
    goals: tuple[GoalTimeline, ...] = ()
    next_reassessment_on: date | None = None
    planned_contacts: tuple[ContactTimeline, ...] = ()
    renewals: tuple[RenewalTimeline, ...] = ()
    cash_assistance_ended_on: date | None = None


def advance(timeline: CaseTimeline | None, event: Aggregate.Event) -> CaseTimeline:
    """The timeline after one more event of its case; unknown event types leave it unchanged.

    A timeline starts with `Case.CaseOpened`; an event of another case is refused.
    """
    fold = TimelineFold(timeline)
    fold.advance(event)
    return fold.timeline()


class TimelineFold:
    """Advances one case's timeline by events in turn (as `advance` does), on a mutable draft
    copied into a `CaseTimeline` once, at the end, instead of twice per event. Its nested
    entries (authorizations, invoices, goals, contacts) are kept by id on the draft, their
    changed dates gathered, and copied once each at the end too."""

    __slots__ = ("_base", "_changed", "_draft", "_ready_known")

    def __init__(self, timeline: CaseTimeline | None) -> None:
        self._base = timeline
        self._draft: Any = None if timeline is None else _draft_of(timeline)
        self._changed: set[str] = set()
        # Whether the draft's ready_to_return_on is what `_ready_to_return_on` gives for it.
        self._ready_known = False

    def advance(self, event: Aggregate.Event) -> None:
        """Folds one more event (see `advance`); an event refused leaves the fold as it was."""
        draft = self._draft
        if draft is not None and event.originator_id != draft.case_id:
            raise ValueError(
                f"event of case {event.originator_id} folded into the timeline of {draft.case_id}"
            )
        self.advance_own(event)

    def advance_own(self, event: Aggregate.Event) -> None:
        """`advance`, for an event its caller knows to be of the fold's case (once it is opened)."""
        draft = self._draft
        if draft is None:
            if not isinstance(event, Case.CaseOpened):
                raise ValueError(
                    f"a case's timeline starts with CaseOpened, not {type(event).__name__}"
                )
            self._base = CaseTimeline(case_id=event.originator_id)
            self._draft = draft = _draft_of(self._base)
        if event.originator_version <= draft.version:
            return
        fold = _FOLDS.get(type(event)) or _fold_of(type(event))
        if fold is None:
            return
        changes = fold.changes(draft, event)
        on = event.effective_on
        changes["version"] = event.originator_version
        last = draft.last_activity_on
        changes["last_activity_on"] = on if last is None or on > last else last
        if (
            fold.may_carry_policy_version
            and (policy_version := getattr(event, "policy_version", None)) is not None
        ):
            changes["policy_version"] = policy_version
        draft.__dict__.update(changes)
        self._changed.update(changes)
        # The other fields it reads leave it as it was (see `_ready_to_return_on`).
        if not self._ready_known or not _READY_READS.isdisjoint(changes):
            draft.ready_to_return_on = _ready_to_return_on(draft)
            self._changed.add("ready_to_return_on")
            self._ready_known = draft.last_activity_on is not None

    @property
    def started_from(self) -> CaseTimeline | None:
        """The timeline the fold started from; for a case opened in it, its opening's, empty."""
        return self._base

    def timeline(self) -> CaseTimeline:
        """The timeline folded so far (the one given, if no event changed it)."""
        if self._base is None:
            raise ValueError("nothing folded: a case's timeline starts with CaseOpened")
        if not self._changed:
            return self._base
        fields = vars(self._draft)
        return self._base.model_copy(
            update={
                name: fields[name].frozen() if name in _NESTED else fields[name]
                for name in self._changed
            }
        )


def timeline_of(events: Iterable[Aggregate.Event]) -> CaseTimeline | None:
    """The timeline of one case folded from its events (None when there are none)."""
    timeline: CaseTimeline | None = None
    for domain_event in events:
        timeline = advance(timeline, domain_event)
    return timeline


_Nested = AuthorizationTimeline | InvoiceTimeline | GoalTimeline | ContactTimeline


class _Entry:
    """A nested entry of a draft: its value object, or the fields of one added in this fold
    (built once, when the timeline is), and the dates changed on it since."""

    __slots__ = ("fields", "value")

    def __init__(self, value: _Nested | None, fields: dict[str, Any] | None) -> None:
        self.value = value
        self.fields = fields

    def get(self, name: str) -> Any:
        fields = self.fields
        if fields is not None and name in fields:
            return fields[name]
        return None if self.value is None else getattr(self.value, name)

    def frozen(self, cls: type[_Nested]) -> Any:
        if self.value is None:
            self.value = cls(**self.fields or {})
            self.fields = None
        elif self.fields:
            self.value = self.value.model_copy(update=self.fields)
            self.fields = None
        return self.value


class _Entries(dict[Any, _Entry]):
    """A draft's nested entries of one kind, by id, in the timeline's order."""

    def __init__(self, cls: type[_Nested], key: str, values: Iterable[_Nested]) -> None:
        super().__init__((_by_id(getattr(v, key)), _Entry(v, None)) for v in values)
        self.cls = cls
        self.key = key

    def frozen(self) -> tuple[Any, ...]:
        """The entries as the timeline's tuple of value objects."""
        cls = self.cls
        added = [entry for entry in self.values() if entry.value is None]
        if added:
            # Validated in one call rather than one model at a time.
            built = _MANY[cls].validate_python([entry.fields for entry in added])
            for entry, value in zip(added, built, strict=True):
                entry.value, entry.fields = value, None
        return tuple(entry.frozen(cls) for entry in self.values())


def _by_id(entry_id: Any) -> Any:
    """An id as `_Entries` key it: a UUID by its number (equal exactly when the UUIDs are), as
    hashing and comparing UUIDs runs Python code."""
    return entry_id.int if isinstance(entry_id, UUID) else entry_id


_MANY: dict[type[_Nested], TypeAdapter[list[Any]]] = {
    cls: TypeAdapter(list[cls])  # type: ignore[valid-type]
    for cls in (AuthorizationTimeline, InvoiceTimeline, GoalTimeline, ContactTimeline)
}

# The timeline's nested tuples, and the id that keys each entry of theirs.
_NESTED: dict[str, tuple[type[_Nested], str]] = {
    "authorizations": (AuthorizationTimeline, "authorization_id"),
    "invoices": (InvoiceTimeline, "invoice_id"),
    "goals": (GoalTimeline, "goal_id"),
    "planned_contacts": (ContactTimeline, "contact_id"),
}


def _draft_of(timeline: CaseTimeline) -> SimpleNamespace:
    """A mutable copy of `timeline`; its nested tuples become `_Entries` when an event changes
    them (`_entries`)."""
    return SimpleNamespace(**timeline.__dict__)


def _entries(draft: Any, name: str) -> _Entries:
    """The draft's nested entries called `name`, kept by id from now on."""
    found = getattr(draft, name)
    if not isinstance(found, _Entries):
        cls, key = _NESTED[name]
        found = _Entries(cls, key, found)
        setattr(draft, name, found)
    return found


# The two changes an event makes to nested entries, each in one call (these run for half the
# events a caseload folds).


def _added(draft: Any, name: str, fields: dict[str, Any]) -> _Entries:
    """The draft's entries called `name` with a new one of `fields` last, in place of the one
    of its id if there is one."""
    entries = _entries(draft, name)
    key = _by_id(fields[entries.key])
    entries.pop(key, None)
    entries[key] = _Entry(None, fields)
    return entries


def _dated(draft: Any, name: str, entry_id: Any, field: str, day: date | None) -> _Entries:
    """The draft's entries called `name`, the one of `entry_id` (if any) with `field` set to
    `day`."""
    entries = _entries(draft, name)
    entry = entries.get(_by_id(entry_id))
    if entry is not None:
        if entry.fields is None:
            entry.fields = {field: day}
        else:
            entry.fields[field] = day
    return entries


# The fields an event of each type changes, from the timeline before it (a draft) and the event.
_Changes = Callable[[Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class _Fold:
    """How events of one class fold: the fields they change, and whether they may carry a
    policy version (looked up once per class instead of per event)."""

    changes: _Changes
    may_carry_policy_version: bool


def _fold_of(cls: type) -> _Fold | None:
    """How events of `cls` fold; None for an event type the timeline does not know."""
    fold = _FOLDS.get(cls)
    if fold is None and cls not in _UNKNOWN:
        # A subclass of a known type folds as its base does (as a class pattern matched it).
        changes = _CHANGES.get(cls) or next(
            (c for base, c in _BY_BASE if issubclass(cls, base)), None
        )
        if changes is None:
            _UNKNOWN.add(cls)
            return None
        fold = _FOLDS[cls] = _Fold(
            changes,
            "policy_version" in getattr(cls, "model_fields", {}) or hasattr(cls, "policy_version"),
        )
    return fold


def _opened(t: Any, e: Any) -> dict[str, Any]:
    return {"program": e.program, "opened_on": e.effective_on}


def _requested(t: Any, e: Any) -> dict[str, Any]:
    return {
        "in_pe_services": True,
        "undecided_request_ids": _with(t.undecided_request_ids, e.request_id),
    }


def _found_appropriate(t: Any, e: Any) -> dict[str, Any]:
    return {
        "undecided_request_ids": _without(t.undecided_request_ids, (e.request_id,)),
        "unserved_request_ids": _with(t.unserved_request_ids, e.request_id),
    }


def _decided_otherwise(t: Any, e: Any) -> dict[str, Any]:
    return {"undecided_request_ids": _without(t.undecided_request_ids, (e.request_id,))}


def _review_decided(t: Any, e: Any) -> dict[str, Any]:
    undecided = (
        _with(t.undecided_request_ids, e.request_id)
        if e.decision is ReviewDecision.REVERSED
        else _without(t.undecided_request_ids, (e.request_id,))
    )
    return {"undecided_request_ids": undecided}


def _authorized(t: Any, e: Any) -> dict[str, Any]:
    authorizations = _added(
        t,
        "authorizations",
        {
            "authorization_id": e.authorization_id,
            "request_id": e.request_id,
            "authorized_on": e.effective_on,
            "planned_start": e.planned_start,
            "planned_end": e.planned_end,
            "grandfathered": e.grandfathered,
        },
    )
    return {
        "authorizations": authorizations,
        "unserved_request_ids": _without(t.unserved_request_ids, (e.request_id,)),
    }


def _invoice_received(t: Any, e: Any) -> dict[str, Any]:
    invoices = _added(
        t,
        "invoices",
        {
            "invoice_id": e.invoice_id,
            "authorization_id": e.authorization_id,
            "received_on": e.effective_on,
        },
    )
    return {"invoices": invoices}


def _invoice_paid(t: Any, e: Any) -> dict[str, Any]:
    return {"invoices": _dated(t, "invoices", e.invoice_id, "paid_on", e.effective_on)}


def _removed(t: Any, e: Any) -> dict[str, Any]:
    return {
        "in_pe_services": False,
        "left_pe_services_on": e.effective_on,
        "unserved_request_ids": (),
        "undecided_request_ids": _without(t.undecided_request_ids, set(e.closed_request_ids)),
    }


def _goal_set(t: Any, e: Any) -> dict[str, Any]:
    return {"goals": _added(t, "goals", {"goal_id": e.goal_id, "target_date": e.target_date})}


def _goal_status_changed(t: Any, e: Any) -> dict[str, Any]:
    closed_on = e.effective_on if e.status in CLOSED_GOAL_STATUSES else None
    return {"goals": _dated(t, "goals", e.goal_id, "closed_on", closed_on)}


def _contact_planned(t: Any, e: Any) -> dict[str, Any]:
    contacts = _added(
        t, "planned_contacts", {"contact_id": e.contact_id, "planned_for": e.planned_for}
    )
    return {"planned_contacts": contacts}


def _contact_made(t: Any, e: Any) -> dict[str, Any]:
    return {
        "planned_contacts": _dated(t, "planned_contacts", e.contact_id, "made_on", e.effective_on)
    }


def _eligibility_recorded(t: Any, e: Any) -> dict[str, Any]:
    renewals = tuple(r for r in t.renewals if r.program is not e.program)
    if e.status is EligibilityStatus.ELIGIBLE and e.renewal_on is not None:
        renewals = (*renewals, RenewalTimeline(program=e.program, renewal_on=e.renewal_on))
    return {"renewals": renewals}


def _authorization_dated(field: str) -> _Changes:
    def changes(t: Any, e: Any) -> dict[str, Any]:
        return {
            "authorizations": _dated(t, "authorizations", e.authorization_id, field, e.effective_on)
        }

    return changes


# In the order the timeline's `match` used to try them: a subclass folds as its first base here.
_BY_BASE: tuple[tuple[type, _Changes], ...] = (
    (Case.CaseOpened, _opened),
    (Case.OutcomeAchieved, lambda t, e: {"outcome_on": e.effective_on}),
    (Case.OutcomeDateCorrected, lambda t, e: {"outcome_on": e.corrected_outcome_date}),
    (Case.GrandfatheringRecognized, lambda t, e: {"grandfathered_on": e.effective_on}),
    (Case.PEServicesRequested, _requested),
    (Case.ReviewRequested, _requested),
    (Case.PEServicesFoundAppropriate, _found_appropriate),
    (Case.NewEmploymentCaseOpened, _decided_otherwise),
    (Case.PEServicesFoundNotAppropriate, _decided_otherwise),
    (Case.ReviewDecided, _review_decided),
    (Case.ServiceAuthorized, _authorized),
    (Case.AuthorizationCancelled, _authorization_dated("cancelled_on")),
    (Case.ServiceProvided, _authorization_dated("provided_on")),
    (Case.BalanceUnencumbered, _authorization_dated("unencumbered_on")),
    (Case.InvoiceReceived, _invoice_received),
    (Case.InvoicePaid, _invoice_paid),
    (
        Case.ReturnedToMonitoring,
        lambda t, e: {
            "in_pe_services": False,
            "left_pe_services_on": e.effective_on,
            "unserved_request_ids": (),
        },
    ),
    (Case.RemovedFromPEServices, _removed),
    (Case.CaseTerminated, lambda t, e: {"terminated_on": e.effective_on}),
    (
        Case.SelfSufficiencyPlanEstablished,
        lambda t, e: {"next_reassessment_on": e.next_reassessment_on},
    ),
    (Case.PlanReassessed, lambda t, e: {"next_reassessment_on": e.next_reassessment_on}),
    (Case.PlanGoalSet, _goal_set),
    (Case.GoalStatusChanged, _goal_status_changed),
    (Case.ContactPlanned, _contact_planned),
    (Case.ContactMade, _contact_made),
    (Case.EligibilityRecorded, _eligibility_recorded),
    (Case.CashAssistanceEnded, lambda t, e: {"cash_assistance_ended_on": e.effective_on}),
)
_CHANGES: dict[type, _Changes] = dict(reversed(_BY_BASE))
_FOLDS: dict[type, _Fold] = {}
_UNKNOWN: set[type] = set()


# The fields `_ready_to_return_on` reads besides its own and the last activity's: once it has
# been worked out, an event changing none of them leaves it as it was (the last activity only
# counts while it is None, and it is set on every event folded).
_READY_READS = frozenset(
    ("in_pe_services", "undecided_request_ids", "unserved_request_ids", "authorizations")
)


def _ready_to_return_on(timeline: Any) -> date | None:
    """Since when the case could return to monitoring (VR-10); kept once it has left. Reads a
    fold's draft."""
    if not timeline.in_pe_services:
        return timeline.ready_to_return_on
    # Settled: every request decided, none found PE-appropriate still waiting for its service
    # (with no authorization, "every authorization closed" would hold vacuously), and every
    # authorization closed.
    settled = (
        not timeline.undecided_request_ids
        and not timeline.unserved_request_ids
        and _all_unencumbered(timeline.authorizations)
    )
    if not settled:
        return None
    return timeline.ready_to_return_on or timeline.last_activity_on


def _all_unencumbered(authorizations: tuple[AuthorizationTimeline, ...] | _Entries) -> bool:
    if isinstance(authorizations, _Entries):
        return all(a.get("unencumbered_on") is not None for a in authorizations.values())
    return all(a.unencumbered_on is not None for a in authorizations)


def _with(ids: tuple[UUID, ...], added: UUID) -> tuple[UUID, ...]:
    return ids if added in ids else (*ids, added)


def _without(ids: tuple[UUID, ...], removed: Container[UUID]) -> tuple[UUID, ...]:
    if not ids:
        return ids
    return tuple(i for i in ids if i not in removed)
