"""A case judged under a candidate: its recorded facts, and the commands refused on it.

The questions are the aggregate's own (domain/vr/rules.py, domain/assistance/policy.py), asked
under the policy in force and under the candidate; only the differences are findings, except
that every refusal the replay can re-judge gets one finding per candidate (still refused, needs
an override, would be accepted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.assistance.policy import TAPolicy
from domain.replay.cases import Authorization, CaseFacts, Refused
from domain.replay.facts import Consequence, Difference, Judged
from domain.values import ServiceType
from domain.vr.policy import VRPolicy
from domain.vr.rules import authorization_breaches, within_initiation_window

AUTHORIZATION_RULES = frozenset({"VR-02", "VR-03", "VR-04", "VR-06"})
_AFTER_TERMINATION = (
    "it starts after the case's termination on {ends} (VR-11, as the candidate leaves it)"
)


@dataclass(frozen=True, slots=True)
class Policies:
    """The policies one judgement compares: in force for the case, and the candidate's."""

    vr: VRPolicy
    ta: TAPolicy
    candidate_vr: VRPolicy
    candidate_ta: TAPolicy


@dataclass(frozen=True, slots=True)
class _Verdict:
    refused_by: tuple[str, ...]
    needs_override: tuple[str, ...]
    unneeded_overrides: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return not self.refused_by and not self.needs_override


def _judge(policy: VRPolicy, outcome_date: date, a: Authorization) -> _Verdict:
    if a.grandfathered:
        return _Verdict((), (), tuple(sorted(a.overridden)))
    breached = [
        rule
        for rule, _ in authorization_breaches(
            policy, outcome_date, a.service_type, a.planned_start, a.planned_end
        )
    ]
    soft = {r for r in breached if r in policy.soft_rules}
    return _Verdict(
        refused_by=tuple(sorted(r for r in breached if r not in policy.soft_rules)),
        needs_override=tuple(sorted(soft - a.overridden)),
        unneeded_overrides=tuple(sorted(a.overridden - soft)),
    )


def _requested_authorization(r: Refused) -> Authorization | None:
    c = r.command
    try:
        service_type = ServiceType(c["service_type"])
        return Authorization(
            authorization_id=str(c["authorization_id"]),
            authorized_on=date.fromisoformat(c["authorized_on"]),
            service_type=service_type,
            provider=str(c.get("provider", "")),
            planned_start=date.fromisoformat(c["planned_start"]),
            planned_end=date.fromisoformat(c["planned_end"]),
            amount_cents=int(c.get("amount_cents", 0)),
            overridden=frozenset(str(o["rule_id"]) for o in c.get("overrides", ())),
            grandfathered=r.grandfathered,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _day(command: dict[str, Any], name: str) -> date | None:
    try:
        return date.fromisoformat(command[name])
    except (KeyError, TypeError, ValueError):
        return None


def _refusal_accepted(r: Refused, vr: VRPolicy, ta: TAPolicy) -> bool | _Verdict | None:
    """Whether the refused command would pass the rules it was refused by under these policies;
    a verdict for an authorization; None if no policy parameter decides it."""
    rules, c = set(r.rule_ids), r.command
    if r.program == "vr" and r.outcome_date is not None:
        if r.command_type == "AuthorizeService" and rules & AUTHORIZATION_RULES:
            a = _requested_authorization(r)
            return None if a is None else _judge(vr, r.outcome_date, a)
        if r.command_type == "RequestPEServices" and "VR-02" in rules and not r.grandfathered:
            day = _day(c, "requested_on")
            return None if day is None else within_initiation_window(vr, r.outcome_date, day)
    if r.program == "cash_assistance":
        if r.command_type == "ReferToTraining" and "TA-09" in rules:
            day = _day(c, "referred_on")
            if day is None or r.cash_assistance_ended_on is None:
                return None
            return ta.allows_training_referral_on(day, r.cash_assistance_ended_on)
        if r.command_type == "ReassessPlan" and "TA-02" in rules and r.covered_areas is not None:
            return not [a for a in ta.contingency_areas if a not in r.covered_areas]
        if r.command_type == "RecordContingencyPlan" and "TA-02" in rules:
            filled = [
                bool(str(c.get(k) or "").strip()) for k in ("contingency", "not_needed_reason")
            ]
            return c.get("area") in ta.contingency_areas and filled.count(True) == 1
    return None


def not_rejudged(r: Refused, in_force: Policies) -> bool:
    """A refusal no policy parameter decides, or one the policy in force would not repeat (the
    command was refused on something the replay does not judge): counted, never judged."""
    verdict = _refusal_accepted(r, in_force.vr, in_force.ta)
    if verdict is None:
        return True
    return verdict.accepted if isinstance(verdict, _Verdict) else verdict


def judge_case(case: CaseFacts, p: Policies, rejudged: list[Refused]) -> list[Difference]:
    found: list[Difference] = []

    def add(consequence: Consequence, subject: str, **details: Any) -> None:
        found.append(
            Difference(
                case.case_number,
                case.case_id,
                consequence,
                subject,
                program=case.program,
                caseworker=case.caseworker,
                **details,
            )
        )

    if case.program == "vr" and case.clock.outcome_date is not None:
        _judge_vr_facts(case, p, case.clock.outcome_date, add)
    elif case.program == "cash_assistance":
        _judge_ta_facts(case, p, add)
    for r in rejudged:
        _judge_refusal(case, r, p, add)
    return found


Add = Callable[..., None]


def _judge_vr_facts(case: CaseFacts, p: Policies, outcome_date: date, add: Add) -> None:
    if not case.grandfathered:
        closes_then = p.candidate_vr.initiation_window_closes(outcome_date)
        for request_id, requested_on in case.requests:
            if within_initiation_window(
                p.vr, outcome_date, requested_on
            ) and not within_initiation_window(p.candidate_vr, outcome_date, requested_on):
                add(
                    Consequence.WOULD_BE_REFUSED,
                    f"request {request_id}",
                    rule_ids=("VR-02",),
                    detail=f"requested {requested_on}; the window would close {closes_then}",
                )
    for a in case.authorizations.values():
        before = _judge(p.vr, outcome_date, a)
        after = _judge(p.candidate_vr, outcome_date, a)
        subject = f"authorization {a.authorization_id}"
        service = {
            "service_type": a.service_type.value,
            "provider": a.provider,
            "amount_cents": a.amount_cents,
            "paid_cents": a.paid_cents,
            "detail": f"{a.service_type.value} from {a.planned_start} to {a.planned_end}",
        }
        newly_refused = tuple(r for r in after.refused_by if r not in before.refused_by)
        if newly_refused:
            add(Consequence.WOULD_BE_REFUSED, subject, rule_ids=newly_refused, **service)
            continue
        newly_needed = tuple(r for r in after.needs_override if r not in before.needs_override)
        if newly_needed:
            add(Consequence.OVERRIDE_REQUIRED, subject, rule_ids=newly_needed, **service)
        unneeded = tuple(r for r in after.unneeded_overrides if r not in before.unneeded_overrides)
        if unneeded:
            add(
                Consequence.OVERRIDE_NOT_NEEDED,
                subject,
                rule_ids=unneeded,
                **{k: v for k, v in service.items() if k != "detail"},
            )
    ends_now = case.clock.termination_on(p.vr)
    ends_then = case.clock.termination_on(p.candidate_vr)
    if ends_now is not None and ends_then is not None and ends_now != ends_then:
        add(
            Consequence.TERMINATION_MOVED,
            "termination",
            rule_ids=("VR-11",),
            days_moved=(ends_then - ends_now).days,
            detail=f"{ends_now} -> {ends_then}",
        )


def _judge_ta_facts(case: CaseFacts, p: Policies, add: Add) -> None:
    ended = case.cash_assistance_ended_on
    if ended is not None:
        closes_then = p.candidate_ta.training_referral_window_closes(ended)
        for referral_id, referred_on, resource in case.referrals:
            if p.ta.allows_training_referral_on(
                referred_on, ended
            ) and not p.candidate_ta.allows_training_referral_on(referred_on, ended):
                add(
                    Consequence.WOULD_BE_REFUSED,
                    f"training referral {referral_id}",
                    rule_ids=("TA-09",),
                    provider=resource,
                    detail=f"referred {referred_on}; cash assistance ended {ended}, the window "
                    f"would close {closes_then}",
                )
    for reassessed_on, covered in case.reassessments:
        missing_now = [a for a in p.ta.contingency_areas if a not in covered]
        missing_then = sorted(a for a in p.candidate_ta.contingency_areas if a not in covered)
        if not missing_now and missing_then:
            add(
                Consequence.WOULD_BE_REFUSED,
                f"plan re-assessment of {reassessed_on}",
                rule_ids=("TA-02",),
                detail=f"the plan would lack a contingency for: {', '.join(missing_then)}",
            )
    for area, recorded_on in case.contingencies:
        if area in p.ta.contingency_areas and area not in p.candidate_ta.contingency_areas:
            add(
                Consequence.WOULD_BE_REFUSED,
                f"{area} contingency of {recorded_on}",
                rule_ids=("TA-02",),
                detail=f"the candidate asks for no contingency plan for {area}",
            )


def _judge_refusal(case: CaseFacts, r: Refused, p: Policies, add: Add) -> None:
    verdict = _refusal_accepted(r, p.candidate_vr, p.candidate_ta)
    subject = f"refused {r.command_type} of {r.refused_on}"
    details: dict[str, Any] = {"judged": Judged.REFUSED}
    note = ""
    if isinstance(verdict, _Verdict):
        a = _requested_authorization(r)
        assert a is not None  # a verdict was reached on it
        subject = f"refused authorization {a.authorization_id}"
        details |= {
            "service_type": a.service_type.value,
            "provider": a.provider,
            "amount_cents": a.amount_cents,
        }
        note = f"{a.service_type.value} from {a.planned_start} to {a.planned_end}"
        was = _refusal_accepted(r, p.vr, p.ta)
        if verdict.needs_override and isinstance(was, _Verdict) and not was.refused_by:
            # Refused for want of an override then, and for want of one still: the command as
            # submitted would be refused again.
            add(
                Consequence.STILL_REFUSED,
                subject,
                rule_ids=verdict.needs_override,
                detail=f"{note}; an override is still required",
                **details,
            )
        elif verdict.refused_by:
            add(
                Consequence.STILL_REFUSED,
                subject,
                rule_ids=verdict.refused_by,
                detail=note,
                **details,
            )
        elif verdict.needs_override:
            note, moved = _services_beyond_termination(case, p, a, note)
            add(
                Consequence.OVERRIDE_REQUIRED,
                subject,
                rule_ids=verdict.needs_override,
                days_moved=moved,
                detail=note,
                **details,
            )
        else:
            if verdict.unneeded_overrides:
                note += f"; without its override of {', '.join(verdict.unneeded_overrides)}"
            note, moved = _services_beyond_termination(case, p, a, note)
            add(
                Consequence.WOULD_BE_ACCEPTED,
                subject,
                rule_ids=r.rule_ids,
                days_moved=moved,
                detail=note,
                **details,
            )
        return
    if r.command_type == "ReferToTraining":
        subject = f"refused training referral {r.command.get('referral_id', '')}"
        details["provider"] = str(r.command.get("resource", ""))
        ended = r.cash_assistance_ended_on
        assert ended is not None
        note = (
            f"referred {r.command.get('referred_on')}; cash assistance ended {ended}, the window "
            f"would close {p.candidate_ta.training_referral_window_closes(ended)}"
        )
    elif r.command_type == "RequestPEServices":
        subject = f"refused request {r.command.get('request_id', '')}"
        assert r.outcome_date is not None
        note = (
            f"requested {r.command.get('requested_on')}; the window would close "
            f"{p.candidate_vr.initiation_window_closes(r.outcome_date)}"
        )
        ends, requested_on = (
            case.clock.termination_on(p.candidate_vr),
            _day(r.command, "requested_on"),
        )
        if verdict and ends is not None and requested_on is not None and requested_on > ends:
            note += f"; {_AFTER_TERMINATION.format(ends=ends)}"
    add(
        Consequence.WOULD_BE_ACCEPTED if verdict else Consequence.STILL_REFUSED,
        subject,
        rule_ids=r.rule_ids,
        detail=note,
        **details,
    )


def _services_beyond_termination(
    case: CaseFacts, p: Policies, a: Authorization, note: str
) -> tuple[str, int]:
    """An authorization the candidate would accept, set against the case's termination (VR-11)
    under the candidate: services planned past it would hold the case open until they end."""
    ends = case.clock.termination_on(p.candidate_vr)
    if ends is None:
        return note, 0
    if a.planned_start > ends:
        return f"{note}; {_AFTER_TERMINATION.format(ends=ends)}", 0
    if a.planned_end > ends:
        moved = (a.planned_end - ends).days
        return (
            f"{note}; services to {a.planned_end} would move the termination {ends} -> {a.planned_end}",
            moved,
        )
    return note, 0
