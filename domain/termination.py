"""VR-11 as a pure function: when a case terminates, from its recorded events and a policy.

The case terminates on the later of (a) outcome + N months and (b) the day it last left PE
services (returned to monitoring or removed explicitly). While the case is in PE services
(a request is being assessed, reviewed or served) the date is not determinable yet.

The function reads only the events, so a policy-change analysis can replay any history under
another policy version. A recorded `CaseTerminated` does not feed the computation: under the
policy it was recorded with, the two agree (the aggregate refuses any other date).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.base import Actor, Aggregate, Role
from domain.catalog import ENTERS_PE_SERVICES, LEAVES_PE_SERVICES
from domain.policy import PolicyBook
from domain.vr.policy import VRPolicy
from domain.vr.rules import termination_due

DEADLINE_PROCESS = Actor(id="system:deadlines", role=Role.SYSTEM)


@dataclass(slots=True)
class ServicesClock:
    """What VR-11 needs from a history, folded one event (type name, business date) at a time.

    Event type names rather than classes, so a policy replay can fold decoded records without
    rebuilding events.
    """

    outcome_date: date | None = None
    in_pe_services: bool = False
    left_pe_services_on: date | None = None

    def observe(
        self, event_type: str, effective_on: date, corrected_outcome_date: date | None = None
    ) -> None:
        """`corrected_outcome_date` is the field of an `OutcomeDateCorrected`."""
        if event_type == "OutcomeAchieved":
            self.outcome_date = effective_on
        elif event_type == "OutcomeDateCorrected":
            self.outcome_date = corrected_outcome_date
        elif event_type in ENTERS_PE_SERVICES:
            self.in_pe_services = True
        elif event_type in LEAVES_PE_SERVICES:
            self.in_pe_services = False
            self.left_pe_services_on = effective_on

    def termination_on(self, policy: VRPolicy) -> date | None:
        """None when no outcome is recorded or a PE service is open."""
        return termination_due(
            policy, self.outcome_date, self.in_pe_services, self.left_pe_services_on
        )


def termination_date(
    events: Iterable[Aggregate.Event], policy: VRPolicy, as_of: date | None = None
) -> date | None:
    """The VR-11 termination date of the case whose events are given, under `policy`.

    Only events effective on or before `as_of` count (all of them when `as_of` is None).
    None when no outcome is recorded or a PE service is open; a date after `as_of` is the
    scheduled date, which moves if the case enters PE services before it.
    """
    return _clock(events, as_of).termination_on(policy)


def _clock(events: Iterable[Aggregate.Event], as_of: date | None = None) -> ServicesClock:
    clock = ServicesClock()
    for domain_event in sorted(events, key=lambda e: e.originator_version):
        if as_of is None or domain_event.effective_on <= as_of:
            clock.observe(
                type(domain_event).__name__,
                domain_event.effective_on,
                getattr(domain_event, "corrected_outcome_date", None),
            )
    return clock


def scheduled_termination(
    events: Iterable[Aggregate.Event], policies: PolicyBook, as_of: date | None = None
) -> date | None:
    """`termination_date` under the policy that governs the case (in force on its outcome date,
    as corrected)."""
    clock = _clock(events, as_of)
    if clock.outcome_date is None:
        return None
    return clock.termination_on(policies.vr_in_force_on(clock.outcome_date))
