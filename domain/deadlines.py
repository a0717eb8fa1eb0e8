"""The deadlines of a case, derived from its event timeline (POLICY.md, "Deadlines").

A read model keeps one `CaseTimeline` per case, folded from the case's events with `advance`
(pure, JSON round-trippable), and recomputes `deadlines(timeline, policies)` after every event.
A deadline carries its due date and the date it was met; `status_on(deadline, today)` says
whether it is pending, due soon, overdue or met on a given day. Dates come from the policy
version governing the case (in force on its outcome date, as for every rule and for VR-11), so a
policy book holding another version recomputes them for a what-if analysis.

| Kind | Subject | Due | Met |
|---|---|---|---|
| initiation window (VR-02) | case | outcome + window months | the day after (the window closed) |
| service end (VR-04) | authorization | its planned end | provided or cancelled |
| invoice payment (agency) | invoice | received + invoice payment days | paid |
| return to monitoring (VR-10) | case | services closed + return days | returned or removed |
| termination (VR-11) | case | `termination_date` (None in PE services) | `CaseTerminated` |

Choices:

- The initiation window is informational: nobody owes anything when it closes, so it is never
  overdue. It is due soon in its last days and met on the first day it is closed (the day after
  its last day), when later PE requests start being refused. Grandfathered cases show it too:
  they may still request afterwards, but services outside their planned services may not
  start after it (VR-12).
- A service's end is met by its provision or its cancellation (nothing more is owed). A
  grandfathered service is exempt from VR-04; its planned end is still tracked, named VR-12.
- Invoice payment is an agency setting, not a policy rule: its `rule_id` is None.
- Return to monitoring is due once the case is *ready to return*: in PE services, no request
  awaiting a determination or a review, every authorization closed (VR-10). Its clock starts
  on the case's latest business date at that moment (a return cannot be dated earlier), so a
  request determined "new employment case" or "not appropriate" starts it as well as closed
  services do. Returning or being removed meets it; entering PE services again replaces it.
- Termination's due date is `domain.termination.termination_date` of the same events, from
  the same `VRPolicy.termination_on`; it is met on the date `CaseTerminated` records.
- Only VR cases have these deadlines; a case without an outcome has none (VR-01).

A cash-assistance case has its own, under the TA policy version in force on its opening (the
VR deadlines above, termination included, never apply to it):

| Kind | Subject | Due | Met |
|---|---|---|---|
| goal target (TA-01) | goal | its target date | achieved or discontinued |
| plan re-assessment (TA-01) | case | the plan's next re-assessment date | replaced by the next one |
| planned contact (TA-05) | contact | its planned date | the contact made |
| benefit renewal (TA-06) | program (`eligibility_subject_id`) | the renewal date; due soon from the agency's lead time (30 days) | replaced when a new renewal date or status is recorded |
| training referral window (TA-09) | case | cash assistance end + 12 months | the day after (the window closed) |
| invoice payment (agency) | invoice | received + invoice payment days | paid |

- A discontinued goal is no longer owed: it meets its deadline as an achieved one does.
- The training referral window, like the VR initiation window, is informational: never overdue.
- A renewal deadline exists while the program's latest status is eligible; any later record of
  the program (renewed with a new date, lapsed, not eligible...) replaces it.

A case has at most one deadline per (kind, subject), so a read model may key them so.
Events are folded in the case's order. An event at or below the version already folded is a
redelivery and leaves the timeline unchanged, so a consumer may fold at-least-once deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from pydantic import Field

from domain.assistance.policy import TAPolicy
from domain.assistance.records import eligibility_subject_id
from domain.assistance.values import CLOSED_GOAL_STATUSES, EligibilityStatus, SupportProgram
from domain.base import Aggregate, ValueObject
from domain.case import Case, Program
from domain.policy import PolicyBook
from domain.values import ReviewDecision
from domain.vr.policy import VRPolicy
from domain.vr.rules import termination_due


class DeadlineKind(StrEnum):
    """What a deadline is about."""

    INITIATION_WINDOW = "initiation_window"
    SERVICE_END = "service_end"
    INVOICE_PAYMENT = "invoice_payment"
    RETURN_TO_MONITORING = "return_to_monitoring"
    TERMINATION = "termination"
    GOAL_TARGET = "goal_target"
    PLAN_REASSESSMENT = "plan_reassessment"
    PLANNED_CONTACT = "planned_contact"
    BENEFIT_RENEWAL = "benefit_renewal"
    TRAINING_REFERRAL_WINDOW = "training_referral_window"


class DeadlineStatus(StrEnum):
    """Where a deadline stands on a given day."""

    PENDING = "pending"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"


class Deadline(ValueObject):
    """A date a case must meet, derived from its events under the policy version that governs it."""

    kind: DeadlineKind
    rule_id: str | None
    subject_id: UUID | None
    due_on: date | None
    met_on: date | None
    policy_version: str
    due_soon_from: date | None = Field(
        None, description="Due soon from this day, if earlier than the reader's due-soon days"
    )

    def status_on(self, today: date, due_soon_days: int = 7) -> DeadlineStatus:
        """The deadline's status on `today` (see `status_on`)."""
        return status_on(self, today, due_soon_days)


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
    copied into a `CaseTimeline` once, at the end, instead of twice per event."""

    def __init__(self, timeline: CaseTimeline | None) -> None:
        self._base = timeline
        self._draft: Any = None if timeline is None else SimpleNamespace(**timeline.__dict__)
        self._changed: set[str] = set()

    def advance(self, event: Aggregate.Event) -> None:
        """Folds one more event (see `advance`); an event refused leaves the fold as it was."""
        draft = self._draft
        if draft is None:
            if not isinstance(event, Case.CaseOpened):
                raise ValueError(
                    f"a case's timeline starts with CaseOpened, not {type(event).__name__}"
                )
            self._base = CaseTimeline(case_id=event.originator_id)
            self._draft = draft = SimpleNamespace(**self._base.__dict__)
        elif event.originator_id != draft.case_id:
            raise ValueError(
                f"event of case {event.originator_id} folded into the timeline of {draft.case_id}"
            )
        if event.originator_version <= draft.version:
            return
        changes = _changes(draft, event)
        if changes is None:
            return
        on = event.effective_on
        changes["version"] = event.originator_version
        last = draft.last_activity_on
        changes["last_activity_on"] = on if last is None else max(last, on)
        if (policy_version := getattr(event, "policy_version", None)) is not None:
            changes["policy_version"] = policy_version
        vars(draft).update(changes)
        draft.ready_to_return_on = _ready_to_return_on(draft)
        self._changed.update(changes, ("ready_to_return_on",))

    def timeline(self) -> CaseTimeline:
        """The timeline folded so far (the one given, if no event changed it)."""
        if self._base is None:
            raise ValueError("nothing folded: a case's timeline starts with CaseOpened")
        if not self._changed:
            return self._base
        fields = vars(self._draft)
        return self._base.model_copy(update={name: fields[name] for name in self._changed})


def timeline_of(events: Iterable[Aggregate.Event]) -> CaseTimeline | None:
    """The timeline of one case folded from its events (None when there are none)."""
    timeline: CaseTimeline | None = None
    for domain_event in events:
        timeline = advance(timeline, domain_event)
    return timeline


def deadlines(timeline: CaseTimeline, policies: PolicyBook) -> list[Deadline]:
    """Every deadline of the case, met or not: case-level first, then by authorization, invoice
    (for a cash-assistance case: case-level, then goals, contacts, renewals, invoices)."""
    if timeline.program is Program.CASH_ASSISTANCE:
        return _assistance_deadlines(timeline, policies)
    if timeline.program is not Program.VR or timeline.outcome_on is None:
        return []
    policy = policies.vr_in_force_on(timeline.outcome_on)
    window_closes = policy.initiation_window_closes(timeline.outcome_on)
    found = [
        _deadline(
            policy,
            DeadlineKind.INITIATION_WINDOW,
            "VR-02",
            None,
            window_closes,
            window_closes + timedelta(days=1),
        ),
        _deadline(
            policy,
            DeadlineKind.TERMINATION,
            "VR-11",
            None,
            termination_due(
                policy, timeline.outcome_on, timeline.in_pe_services, timeline.left_pe_services_on
            ),
            timeline.terminated_on,
        ),
    ]
    if timeline.ready_to_return_on is not None:
        found.append(
            _deadline(
                policy,
                DeadlineKind.RETURN_TO_MONITORING,
                "VR-10",
                None,
                policy.return_to_monitoring_due(timeline.ready_to_return_on),
                None if timeline.in_pe_services else timeline.left_pe_services_on,
            )
        )
    found.extend(
        _deadline(
            policy,
            DeadlineKind.SERVICE_END,
            "VR-12" if authorization.grandfathered else "VR-04",
            authorization.authorization_id,
            authorization.planned_end,
            authorization.ended_on,
        )
        for authorization in timeline.authorizations
    )
    found.extend(
        _deadline(
            policy,
            DeadlineKind.INVOICE_PAYMENT,
            None,
            invoice.invoice_id,
            policy.invoice_payment_due(invoice.received_on),
            invoice.paid_on,
        )
        for invoice in timeline.invoices
    )
    return found


def status_on(deadline: Deadline, today: date, due_soon_days: int = 7) -> DeadlineStatus:
    """Met from its `met_on`; otherwise overdue after its due date, due soon within the days before.

    The due date itself is not overdue (deadlines are inclusive). A deadline without a due date
    yet (termination while in PE services) is pending.
    """
    if due_soon_days < 0:
        raise ValueError(f"due_soon_days cannot be negative, got {due_soon_days}")
    if deadline.met_on is not None and deadline.met_on <= today:
        return DeadlineStatus.MET
    if deadline.due_on is None:
        return DeadlineStatus.PENDING
    if today > deadline.due_on:
        return DeadlineStatus.OVERDUE
    if (deadline.due_on - today).days <= due_soon_days:
        return DeadlineStatus.DUE_SOON
    if deadline.due_soon_from is not None and today >= deadline.due_soon_from:
        return DeadlineStatus.DUE_SOON
    return DeadlineStatus.PENDING


def _deadline(
    policy: VRPolicy | TAPolicy,
    kind: DeadlineKind,
    rule_id: str | None,
    subject_id: UUID | None,
    due_on: date | None,
    met_on: date | None,
    due_soon_from: date | None = None,
) -> Deadline:
    return Deadline(
        kind=kind,
        rule_id=rule_id,
        subject_id=subject_id,
        due_on=due_on,
        met_on=met_on,
        policy_version=policy.version,
        due_soon_from=due_soon_from,
    )


def _assistance_deadlines(timeline: CaseTimeline, policies: PolicyBook) -> list[Deadline]:
    if timeline.opened_on is None:
        return []
    policy = policies.ta_in_force_on(timeline.opened_on)
    found = []
    if timeline.next_reassessment_on is not None:
        found.append(
            _deadline(
                policy,
                DeadlineKind.PLAN_REASSESSMENT,
                "TA-01",
                None,
                timeline.next_reassessment_on,
                None,
            )
        )
    if timeline.cash_assistance_ended_on is not None:
        window_closes = policy.training_referral_window_closes(timeline.cash_assistance_ended_on)
        found.append(
            _deadline(
                policy,
                DeadlineKind.TRAINING_REFERRAL_WINDOW,
                "TA-09",
                None,
                window_closes,
                window_closes + timedelta(days=1),
            )
        )
    found.extend(
        _deadline(policy, DeadlineKind.GOAL_TARGET, "TA-01", g.goal_id, g.target_date, g.closed_on)
        for g in timeline.goals
    )
    found.extend(
        _deadline(
            policy, DeadlineKind.PLANNED_CONTACT, "TA-05", c.contact_id, c.planned_for, c.made_on
        )
        for c in timeline.planned_contacts
    )
    found.extend(
        _deadline(
            policy,
            DeadlineKind.BENEFIT_RENEWAL,
            "TA-06",
            eligibility_subject_id(timeline.case_id, r.program),
            r.renewal_on,
            None,
            policy.renewal_due_soon_from(r.renewal_on),
        )
        for r in timeline.renewals
    )
    found.extend(
        _deadline(
            policy,
            DeadlineKind.INVOICE_PAYMENT,
            None,
            invoice.invoice_id,
            policy.invoice_payment_due(invoice.received_on),
            invoice.paid_on,
        )
        for invoice in timeline.invoices
    )
    return found


def _changes(timeline: CaseTimeline, event: Aggregate.Event) -> dict[str, Any] | None:
    """The fields `event` changes; None for an event type the timeline does not know."""
    on = event.effective_on
    match event:
        case Case.CaseOpened():
            return {"program": event.program, "opened_on": on}
        case Case.OutcomeAchieved():
            return {"outcome_on": on}
        case Case.OutcomeDateCorrected():
            return {"outcome_on": event.corrected_outcome_date}
        case Case.GrandfatheringRecognized():
            return {"grandfathered_on": on}
        case Case.PEServicesRequested() | Case.ReviewRequested():
            return {
                "in_pe_services": True,
                "undecided_request_ids": _with(timeline.undecided_request_ids, event.request_id),
            }
        case Case.PEServicesFoundAppropriate():
            return {
                "undecided_request_ids": _without(
                    timeline.undecided_request_ids, {event.request_id}
                ),
                "unserved_request_ids": _with(timeline.unserved_request_ids, event.request_id),
            }
        case Case.NewEmploymentCaseOpened() | Case.PEServicesFoundNotAppropriate():
            return {
                "undecided_request_ids": _without(
                    timeline.undecided_request_ids, {event.request_id}
                )
            }
        case Case.ReviewDecided():
            undecided = (
                _with(timeline.undecided_request_ids, event.request_id)
                if event.decision is ReviewDecision.REVERSED
                else _without(timeline.undecided_request_ids, {event.request_id})
            )
            return {"undecided_request_ids": undecided}
        case Case.ServiceAuthorized():
            authorization = AuthorizationTimeline(
                authorization_id=event.authorization_id,
                request_id=event.request_id,
                authorized_on=on,
                planned_start=event.planned_start,
                planned_end=event.planned_end,
                grandfathered=event.grandfathered,
            )
            kept = tuple(
                a for a in timeline.authorizations if a.authorization_id != event.authorization_id
            )
            return {
                "authorizations": (*kept, authorization),
                "unserved_request_ids": _without(timeline.unserved_request_ids, {event.request_id}),
            }
        case Case.AuthorizationCancelled():
            return _authorization_update(timeline, event.authorization_id, cancelled_on=on)
        case Case.ServiceProvided():
            return _authorization_update(timeline, event.authorization_id, provided_on=on)
        case Case.BalanceUnencumbered():
            return _authorization_update(timeline, event.authorization_id, unencumbered_on=on)
        case Case.InvoiceReceived():
            invoice = InvoiceTimeline(
                invoice_id=event.invoice_id,
                authorization_id=event.authorization_id,
                received_on=on,
            )
            kept_invoices = tuple(i for i in timeline.invoices if i.invoice_id != event.invoice_id)
            return {"invoices": (*kept_invoices, invoice)}
        case Case.InvoicePaid():
            return {
                "invoices": tuple(
                    i.model_copy(update={"paid_on": on}) if i.invoice_id == event.invoice_id else i
                    for i in timeline.invoices
                )
            }
        case Case.ReturnedToMonitoring():
            return {"in_pe_services": False, "left_pe_services_on": on, "unserved_request_ids": ()}
        case Case.RemovedFromPEServices():
            return {
                "in_pe_services": False,
                "left_pe_services_on": on,
                "unserved_request_ids": (),
                "undecided_request_ids": _without(
                    timeline.undecided_request_ids, set(event.closed_request_ids)
                ),
            }
        case Case.CaseTerminated():
            return {"terminated_on": on}
        case Case.SelfSufficiencyPlanEstablished() | Case.PlanReassessed():
            return {"next_reassessment_on": event.next_reassessment_on}
        case Case.PlanGoalSet():
            goal = GoalTimeline(goal_id=event.goal_id, target_date=event.target_date)
            kept_goals = tuple(g for g in timeline.goals if g.goal_id != event.goal_id)
            return {"goals": (*kept_goals, goal)}
        case Case.GoalStatusChanged():
            closed_on = on if event.status in CLOSED_GOAL_STATUSES else None
            return {
                "goals": tuple(
                    g.model_copy(update={"closed_on": closed_on})
                    if g.goal_id == event.goal_id
                    else g
                    for g in timeline.goals
                )
            }
        case Case.ContactPlanned():
            contact = ContactTimeline(contact_id=event.contact_id, planned_for=event.planned_for)
            kept_contacts = tuple(
                c for c in timeline.planned_contacts if c.contact_id != event.contact_id
            )
            return {"planned_contacts": (*kept_contacts, contact)}
        case Case.ContactMade():
            return {
                "planned_contacts": tuple(
                    c.model_copy(update={"made_on": on}) if c.contact_id == event.contact_id else c
                    for c in timeline.planned_contacts
                )
            }
        case Case.EligibilityRecorded():
            renewals = tuple(r for r in timeline.renewals if r.program is not event.program)
            if event.status is EligibilityStatus.ELIGIBLE and event.renewal_on is not None:
                renewals = (
                    *renewals,
                    RenewalTimeline(program=event.program, renewal_on=event.renewal_on),
                )
            return {"renewals": renewals}
        case Case.CashAssistanceEnded():
            return {"cash_assistance_ended_on": on}
    return None


def _authorization_update(
    timeline: CaseTimeline, authorization_id: UUID, **dates: date
) -> dict[str, Any]:
    return {
        "authorizations": tuple(
            a.model_copy(update=dates) if a.authorization_id == authorization_id else a
            for a in timeline.authorizations
        )
    }


def _ready_to_return_on(timeline: CaseTimeline) -> date | None:
    """Since when the case could return to monitoring (VR-10); kept once it has left."""
    if not timeline.in_pe_services:
        return timeline.ready_to_return_on
    # Settled: every request decided, none found PE-appropriate still waiting for its service
    # (with no authorization, "every authorization closed" would hold vacuously), and every
    # authorization closed.
    settled = (
        not timeline.undecided_request_ids
        and not timeline.unserved_request_ids
        and all(a.unencumbered_on is not None for a in timeline.authorizations)
    )
    if not settled:
        return None
    return timeline.ready_to_return_on or timeline.last_activity_on


def _with(ids: tuple[UUID, ...], added: UUID) -> tuple[UUID, ...]:
    return ids if added in ids else (*ids, added)


def _without(ids: tuple[UUID, ...], removed: set[UUID]) -> tuple[UUID, ...]:
    return tuple(i for i in ids if i not in removed)
