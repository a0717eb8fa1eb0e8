"""The deadlines of a case, derived from its event timeline (POLICY.md, "Deadlines").

A read model keeps one `CaseTimeline` per case, folded from the case's events with `advance`
(`domain.timeline`, pure, JSON round-trippable), and recomputes `deadlines(timeline, policies)` after every event.
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

from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from pydantic import Field

from domain.assistance.policy import TAPolicy
from domain.assistance.records import eligibility_subject_id
from domain.base import ValueObject
from domain.case import Program
from domain.policy import PolicyBook
from domain.timeline import AuthorizationTimeline as AuthorizationTimeline
from domain.timeline import CaseTimeline as CaseTimeline
from domain.timeline import ContactTimeline as ContactTimeline
from domain.timeline import GoalTimeline as GoalTimeline
from domain.timeline import InvoiceTimeline as InvoiceTimeline
from domain.timeline import RenewalTimeline as RenewalTimeline
from domain.timeline import TimelineFold as TimelineFold
from domain.timeline import advance as advance
from domain.timeline import timeline_of as timeline_of
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


class DeadlineRow(NamedTuple):
    """A deadline's fields as plain values, for a reader that only compares and stores them."""

    kind: DeadlineKind
    rule_id: str | None
    subject_id: UUID | None
    due_on: date | None
    met_on: date | None
    policy_version: str
    due_soon_from: date | None


def deadlines(timeline: CaseTimeline, policies: PolicyBook) -> list[Deadline]:
    """Every deadline of the case, met or not: case-level first, then by authorization, invoice
    (for a cash-assistance case: case-level, then goals, contacts, renewals, invoices)."""
    return [Deadline(**row._asdict()) for row in deadline_rows(timeline, policies)]


def deadline_rows(timeline: CaseTimeline, policies: PolicyBook) -> list[DeadlineRow]:
    """What `deadlines` gives, in the same order, without building (and validating) a model
    per deadline."""
    if timeline.program is Program.CASH_ASSISTANCE:
        return _assistance_deadlines(timeline, policies)
    if timeline.program is not Program.VR or timeline.outcome_on is None:
        return []
    policy = policies.vr_in_force_on(timeline.outcome_on)
    version = policy.version
    window_closes = policy.initiation_window_closes(timeline.outcome_on)
    found = [
        DeadlineRow(
            DeadlineKind.INITIATION_WINDOW,
            "VR-02",
            None,
            window_closes,
            window_closes + _A_DAY,
            version,
            None,
        ),
        DeadlineRow(
            DeadlineKind.TERMINATION,
            "VR-11",
            None,
            termination_due(
                policy, timeline.outcome_on, timeline.in_pe_services, timeline.left_pe_services_on
            ),
            timeline.terminated_on,
            version,
            None,
        ),
    ]
    if timeline.ready_to_return_on is not None:
        found.append(
            DeadlineRow(
                DeadlineKind.RETURN_TO_MONITORING,
                "VR-10",
                None,
                policy.return_to_monitoring_due(timeline.ready_to_return_on),
                None if timeline.in_pe_services else timeline.left_pe_services_on,
                version,
                None,
            )
        )
    found += [
        DeadlineRow(
            DeadlineKind.SERVICE_END,
            "VR-12" if authorization.grandfathered else "VR-04",
            authorization.authorization_id,
            authorization.planned_end,
            authorization.ended_on,
            version,
            None,
        )
        for authorization in timeline.authorizations
    ]
    found += _invoice_deadlines(timeline, policy)
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


_A_DAY = timedelta(days=1)


def _invoice_deadlines(timeline: CaseTimeline, policy: VRPolicy | TAPolicy) -> list[DeadlineRow]:
    return [
        DeadlineRow(
            DeadlineKind.INVOICE_PAYMENT,
            None,
            invoice.invoice_id,
            policy.invoice_payment_due(invoice.received_on),
            invoice.paid_on,
            policy.version,
            None,
        )
        for invoice in timeline.invoices
    ]


def _assistance_deadlines(timeline: CaseTimeline, policies: PolicyBook) -> list[DeadlineRow]:
    if timeline.opened_on is None:
        return []
    policy = policies.ta_in_force_on(timeline.opened_on)
    version = policy.version
    found = []
    if timeline.next_reassessment_on is not None:
        found.append(
            DeadlineRow(
                DeadlineKind.PLAN_REASSESSMENT,
                "TA-01",
                None,
                timeline.next_reassessment_on,
                None,
                version,
                None,
            )
        )
    if timeline.cash_assistance_ended_on is not None:
        window_closes = policy.training_referral_window_closes(timeline.cash_assistance_ended_on)
        found.append(
            DeadlineRow(
                DeadlineKind.TRAINING_REFERRAL_WINDOW,
                "TA-09",
                None,
                window_closes,
                window_closes + _A_DAY,
                version,
                None,
            )
        )
    found += [
        DeadlineRow(
            DeadlineKind.GOAL_TARGET, "TA-01", g.goal_id, g.target_date, g.closed_on, version, None
        )
        for g in timeline.goals
    ]
    found += [
        DeadlineRow(
            DeadlineKind.PLANNED_CONTACT,
            "TA-05",
            c.contact_id,
            c.planned_for,
            c.made_on,
            version,
            None,
        )
        for c in timeline.planned_contacts
    ]
    found += [
        DeadlineRow(
            DeadlineKind.BENEFIT_RENEWAL,
            "TA-06",
            eligibility_subject_id(timeline.case_id, r.program),
            r.renewal_on,
            None,
            version,
            policy.renewal_due_soon_from(r.renewal_on),
        )
        for r in timeline.renewals
    ]
    found += _invoice_deadlines(timeline, policy)
    return found
