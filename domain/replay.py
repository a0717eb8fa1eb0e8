"""Policy replay: the recorded history judged under a candidate policy and under the policy in force.

A replay folds each case's recorded facts (event type name, business date and fields: decoded
records, not rebuilt events, so a million of them fold in seconds) into the little a judgement
needs, then asks the same questions the aggregate asks, under both policies:

- a recorded PE request dated after the initiation window closes would be refused (VR-02);
- a recorded authorization would be refused by a hard rule (VR-02, VR-06), or would need an
  override of a soft rule it does not carry (VR-03, VR-04), or carries one it no longer needs;
  grandfathered authorizations are exempt (VR-12), as the aggregate exempts them;
- the VR-11 termination date would move, by so many days.

Only differences between the two judgements are reported: what the recorded history already did
under the policy in force is the baseline. A case's state is dropped once it is judged (when it
terminates, or at the end), so memory grows with the open cases, not with the events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.policy import PolicyBook
from domain.termination import ServicesClock
from domain.values import ServiceType
from domain.vr.policy import VRPolicy
from domain.vr.rules import authorization_breaches, within_initiation_window


@dataclass(frozen=True, slots=True)
class Fact:
    """One recorded event as a replay sees it."""

    event_type: str
    case_id: str
    case_version: int
    effective_on: date
    fields: Mapping[str, Any]


class Consequence(StrEnum):
    REQUEST_REFUSED = "request_refused"
    AUTHORIZATION_REFUSED = "authorization_refused"
    OVERRIDE_REQUIRED = "override_required"
    OVERRIDE_NOT_NEEDED = "override_not_needed"
    TERMINATION_MOVED = "termination_moved"


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing that would have gone otherwise under the candidate policy."""

    case_number: str
    case_id: str
    consequence: Consequence
    subject: str
    rule_ids: tuple[str, ...] = ()
    days_moved: int = 0
    authorized_cents: int = 0
    paid_cents: int = 0
    detail: str = ""


@dataclass(slots=True)
class _Authorization:
    authorization_id: str
    authorized_on: date
    service_type: ServiceType
    planned_start: date
    planned_end: date
    amount_cents: int
    overridden: frozenset[str]
    grandfathered: bool
    paid_cents: int = 0


@dataclass(slots=True)
class _CaseFacts:
    case_id: str
    case_number: str = ""
    clock: ServicesClock = field(default_factory=ServicesClock)
    requests: list[tuple[str, date]] = field(default_factory=list)
    authorizations: dict[str, _Authorization] = field(default_factory=dict)
    grandfathered: bool = False


@dataclass(frozen=True, slots=True)
class _Judgement:
    refused_by: tuple[str, ...]
    needs_override: tuple[str, ...]
    unneeded_overrides: tuple[str, ...]


def _judge(policy: VRPolicy, outcome_date: date, a: _Authorization) -> _Judgement:
    if a.grandfathered:
        return _Judgement((), (), tuple(sorted(a.overridden)))
    breached = [
        rule
        for rule, _ in authorization_breaches(
            policy, outcome_date, a.service_type, a.planned_start, a.planned_end
        )
    ]
    hard = tuple(sorted(r for r in breached if r not in policy.soft_rules))
    soft = {r for r in breached if r in policy.soft_rules}
    return _Judgement(
        refused_by=hard,
        needs_override=tuple(sorted(soft - a.overridden)),
        unneeded_overrides=tuple(sorted(a.overridden - soft)),
    )


CandidateFor = Callable[[VRPolicy], VRPolicy]
"""The candidate policy for a case, given the policy in force for it."""


def candidate_from_changes(changes: Mapping[str, Any]) -> CandidateFor:
    """A candidate that changes the named parameters of whichever policy is in force.

    Raises `ValueError` (pydantic's, naming the parameter) if the changes make an invalid policy.
    """

    def candidate(in_force: VRPolicy) -> VRPolicy:
        return VRPolicy.model_validate({**in_force.model_dump(), **changes})

    candidate(VRPolicy(version="validation", effective_from=date(2000, 1, 1)))
    return candidate


@dataclass
class ReplayTotals:
    cases: int = 0
    events: int = 0
    cases_affected: int = 0
    consequences: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    terminations_earlier: int = 0
    terminations_later: int = 0
    termination_days_moved: int = 0
    authorized_cents_affected: int = 0
    paid_cents_affected: int = 0


class PolicyReplay:
    """Folds facts in per-case order (any interleaving of cases) and judges each case once."""

    def __init__(self, policies: PolicyBook, candidate: CandidateFor) -> None:
        self.policies = policies
        self.candidate = candidate
        self.totals = ReplayTotals()
        self.differences: list[Difference] = []
        self._open: dict[str, _CaseFacts] = {}

    def observe(self, fact: Fact) -> None:
        self.totals.events += 1
        case = self._open.get(fact.case_id)
        if case is None:
            case = self._open[fact.case_id] = _CaseFacts(fact.case_id)
            self.totals.cases += 1
        kind, f = fact.event_type, fact.fields
        case.clock.observe(kind, fact.effective_on, f.get("corrected_outcome_date"))
        if kind == "CaseOpened":
            case.case_number = f["case_number"]
        elif kind == "GrandfatheringRecognized":
            case.grandfathered = True
        elif kind == "PEServicesRequested":
            case.requests.append((str(f["request_id"]), fact.effective_on))
        elif kind == "ServiceAuthorized":
            key = str(f["authorization_id"])
            case.authorizations[key] = _Authorization(
                authorization_id=key,
                authorized_on=fact.effective_on,
                service_type=ServiceType(f["service_type"]),
                planned_start=f["planned_start"],
                planned_end=f["planned_end"],
                amount_cents=int(f["amount_cents"]),
                overridden=frozenset(o["rule_id"] for o in f["overrides"]),
                grandfathered=bool(f["grandfathered"]),
            )
        elif kind == "InvoicePaid":
            paid = case.authorizations.get(str(f["authorization_id"]))
            if paid is not None:
                paid.paid_cents += int(f["amount_cents"])
        elif kind == "CaseTerminated":
            self._judge_case(self._open.pop(fact.case_id))

    def observe_all(self, facts: Iterable[Fact]) -> PolicyReplay:
        for fact in facts:
            self.observe(fact)
        return self

    def finish(self) -> list[Difference]:
        """Judges the cases still open; returns every difference in a stable order."""
        for case_id in sorted(self._open):
            self._judge_case(self._open.pop(case_id))
        self.differences.sort(
            key=lambda d: (d.case_number, d.case_id, d.consequence.value, d.subject)
        )
        return self.differences

    def _judge_case(self, case: _CaseFacts) -> None:
        outcome_date = case.clock.outcome_date
        if outcome_date is None:
            return
        in_force = self.policies.vr_in_force_on(outcome_date)
        candidate = self.candidate(in_force)
        found: list[Difference] = []

        def add(consequence: Consequence, subject: str, **details: Any) -> None:
            found.append(
                Difference(case.case_number, case.case_id, consequence, subject, **details)
            )

        if not case.grandfathered:
            closes_then = candidate.initiation_window_closes(outcome_date)
            for request_id, requested_on in case.requests:
                if within_initiation_window(
                    in_force, outcome_date, requested_on
                ) and not within_initiation_window(candidate, outcome_date, requested_on):
                    add(
                        Consequence.REQUEST_REFUSED,
                        f"request {request_id}",
                        rule_ids=("VR-02",),
                        detail=f"requested {requested_on}; the window would close {closes_then}",
                    )
        for a in case.authorizations.values():
            before = _judge(in_force, outcome_date, a)
            after = _judge(candidate, outcome_date, a)
            subject = f"authorization {a.authorization_id}"
            money = {"authorized_cents": a.amount_cents, "paid_cents": a.paid_cents}
            newly_refused = tuple(r for r in after.refused_by if r not in before.refused_by)
            if newly_refused:
                add(
                    Consequence.AUTHORIZATION_REFUSED,
                    subject,
                    rule_ids=newly_refused,
                    detail=f"{a.service_type.value} from {a.planned_start} to {a.planned_end}",
                    **money,
                )
                continue
            newly_needed = tuple(r for r in after.needs_override if r not in before.needs_override)
            if newly_needed:
                add(
                    Consequence.OVERRIDE_REQUIRED,
                    subject,
                    rule_ids=newly_needed,
                    detail=f"{a.service_type.value} from {a.planned_start} to {a.planned_end}",
                    **money,
                )
            unneeded = tuple(
                r for r in after.unneeded_overrides if r not in before.unneeded_overrides
            )
            if unneeded:
                add(Consequence.OVERRIDE_NOT_NEEDED, subject, rule_ids=unneeded)
        ends_now = case.clock.termination_on(in_force)
        ends_then = case.clock.termination_on(candidate)
        if ends_now is not None and ends_then is not None and ends_now != ends_then:
            add(
                Consequence.TERMINATION_MOVED,
                "termination",
                rule_ids=("VR-11",),
                days_moved=(ends_then - ends_now).days,
                detail=f"{ends_now} -> {ends_then}",
            )
        self._count(found)

    def _count(self, found: list[Difference]) -> None:
        if not found:
            return
        totals = self.totals
        totals.cases_affected += 1
        for d in found:
            totals.consequences[d.consequence.value] += 1
            for rule in d.rule_ids:
                totals.by_rule[f"{d.consequence.value} {rule}"] += 1
            if d.consequence in (Consequence.AUTHORIZATION_REFUSED, Consequence.OVERRIDE_REQUIRED):
                totals.authorized_cents_affected += d.authorized_cents
                totals.paid_cents_affected += d.paid_cents
            if d.consequence is Consequence.TERMINATION_MOVED:
                totals.termination_days_moved += d.days_moved
                if d.days_moved < 0:
                    totals.terminations_earlier += 1
                else:
                    totals.terminations_later += 1
        self.differences.extend(found)


def fact_of(event: Any) -> Fact:
    """The fact a rebuilt domain event records (a replay over events already in memory)."""
    return Fact(
        event_type=type(event).__name__,
        case_id=str(event.originator_id),
        case_version=event.originator_version,
        effective_on=event.effective_on,
        fields=event.model_dump(),
    )
