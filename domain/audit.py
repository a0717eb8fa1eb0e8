"""What an auditor reads: each event as a decision (who, when, under which rule and policy, why),
each refused command as an attempt (domain/refusals.py), and a case's state as it stood on a
business date or at a version.

Pure: works on events already loaded. "As of a business date" counts the events recorded up to
the first one effective after that date; "at a version" counts the first N events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from itertools import takewhile
from typing import Any

from domain.assistance.plan import uncovered_contingency_areas
from domain.assistance.training import training_referral_window_closes
from domain.base import Aggregate
from domain.case import Case, Program
from domain.catalog import RULES_BY_EVENT
from domain.policy import PolicyBook
from domain.refusals import CommandRefused

_RULE_PREFIX = {Program.VR: "VR-", Program.CASH_ASSISTANCE: "TA-"}
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "actor", "effective_on"}
_REASON_FIELDS = ("reason", "written_explanation", "grounds", "evidence", "not_needed_reason")


@dataclass(frozen=True)
class AuditEntry:
    """One recorded fact, as a decision an auditor can trace."""

    case_version: int
    event_type: str
    effective_on: date
    recorded_at: datetime
    actor_id: str
    actor_role: str
    policy_version: str | None
    rule_ids: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...]
    reason: str | None
    facts: dict[str, Any]


def audit_entry(event: Aggregate.Event, program: Program | None = None) -> AuditEntry:
    """The event as a decision; given the case's program, only that program's rules are named."""
    event_type = type(event).__name__
    fields = event.model_dump(mode="json", exclude=_ENVELOPE | {"originator_topic"})
    overrides = tuple((o.rule_id, o.reason) for o in getattr(event, "overrides", ()))
    rules = RULES_BY_EVENT.get(event_type, ())
    if program is not None:
        rules = tuple(rule for rule in rules if rule.startswith(_RULE_PREFIX[program]))
    return AuditEntry(
        case_version=event.originator_version,
        event_type=event_type,
        effective_on=event.effective_on,
        recorded_at=event.timestamp,
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        policy_version=fields.get("policy_version"),
        rule_ids=rules,
        overrides=overrides,
        reason=next((str(fields[f]) for f in _REASON_FIELDS if fields.get(f)), None),
        facts=fields,
    )


@dataclass(frozen=True)
class RefusalEntry:
    """One refused command, as an attempt an auditor can trace: kept beside the case's facts."""

    refusal_number: int
    case_version: int
    command_type: str
    effective_on: date
    recorded_at: datetime
    actor_id: str
    actor_role: str
    policy_version: str | None
    rule_ids: tuple[str, ...]
    messages: tuple[str, ...]
    command: dict[str, Any]
    attempt: str
    """e.g. "attempted AuthorizeService, refused by VR-06"."""
    summary: str
    """The attempt and why it was refused."""


def refusal_entry(refusal: CommandRefused) -> RefusalEntry:
    """The refusal as an attempt: "attempted AuthorizeService, refused by VR-06: ..."."""
    by = f"refused by {', '.join(refusal.rule_ids)}" if refusal.rule_ids else "refused"
    attempt = f"attempted {refusal.command_type}, {by}"
    return RefusalEntry(
        refusal_number=refusal.originator_version,
        case_version=refusal.case_version,
        command_type=refusal.command_type,
        effective_on=refusal.effective_on,
        recorded_at=refusal.timestamp,
        actor_id=refusal.actor.id,
        actor_role=refusal.actor.role.value,
        policy_version=refusal.policy_version,
        rule_ids=refusal.rule_ids,
        messages=refusal.messages,
        command=json.loads(refusal.command),
        attempt=attempt,
        summary=f"{attempt}: {'; '.join(refusal.messages)}",
    )


def refusals_as_of(entries: Iterable[RefusalEntry], day: date) -> list[RefusalEntry]:
    """The attempts refused on business days up to `day`."""
    return [entry for entry in entries if entry.effective_on <= day]


def rebuild(events: Iterable[Aggregate.Event]) -> Case | None:
    """The case the events make, in the order given (None for no events)."""
    case: Any = None
    for domain_event in events:
        case = domain_event.mutate(case)
    return case


def events_as_of(events: Iterable[Aggregate.Event], day: date) -> list[Aggregate.Event]:
    """The events the case's record holds for `day`: in recorded order, up to the first one
    effective after it.

    A fact may be backdated (a request entered after a later-dated payment): it counts from
    where it was recorded, because every later decision was taken knowing the ones before it.
    """
    return list(effective_by(events, day))


def effective_by(events: Iterable[Aggregate.Event], day: date) -> Iterator[Aggregate.Event]:
    """`events_as_of`, lazily: an event after the first one effective after `day` is never
    reached."""
    return takewhile(lambda e: e.effective_on <= day, events)


def state_of(case: Case, policies: PolicyBook) -> dict[str, Any]:
    """A case's state as plain values: what an auditor compares and what the audit page shows."""
    policy = case.governing_policy(policies)
    state: dict[str, Any] = {
        "case_number": case.case_number,
        "program": case.program.value,
        "caseworker_id": case.caseworker_id,
        "version": case.version,
        "status": case.status.value,
        "opened_on": case.opened_on,
        "outcome_date": case.outcome_date,
        "employer": case.employer,
        "job_title": case.job_title,
        "hourly_wage_cents": case.hourly_wage_cents,
        "weekly_hours": case.weekly_hours,
        "grandfathered": case.grandfathering is not None,
        "policy_version": policy.version,
        "left_pe_services_on": case.left_pe_services_on,
        "scheduled_termination": case.termination_date(policy),
        "terminated_on": case.terminated_on,
        "requests": [_fields_of(r) for r in case.requests.values()],
        "authorizations": [
            {
                **_fields_of(a),
                "encumbered_cents": a.encumbered_cents,
                "remaining_cents": a.remaining_cents,
            }
            for a in case.authorizations.values()
        ],
        "invoices": [_fields_of(i) for i in case.invoices.values()],
    }
    if case.program is Program.CASH_ASSISTANCE:
        state |= _assistance_state(case, policies)
    return state


def _assistance_state(case: Case, policies: PolicyBook) -> dict[str, Any]:
    """What a cash-assistance case keeps (TA-01..TA-11), as plain values."""
    record, plan = case.assistance, case.assistance.plan
    return {
        "policy_version": policies.ta_in_force_on(case.opened_on).version,
        "plan_established_on": plan.established_on if plan else None,
        "emergent_needs": plan.emergent_needs if plan else (),
        "resources_mobilised": plan.resources_mobilised if plan else (),
        "next_reassessment_on": plan.next_reassessment_on if plan else None,
        "uncovered_contingency_areas": tuple(
            area.value for area in uncovered_contingency_areas(case, policies)
        ),
        "goals": [_fields_of(g) for g in plan.goals.values()] if plan else [],
        "contingencies": [_fields_of(c) for c in plan.contingencies.values()] if plan else [],
        "interventions": [
            {"intervention_id": i, **_fields_of(v)} for i, v in record.interventions.items()
        ],
        "community_referrals": [_fields_of(r) for r in record.community_referrals.values()],
        "contacts": [_fields_of(c) for c in record.contacts.values()],
        "eligibility": [_fields_of(e) for e in record.eligibility.values()],
        "jobs": [
            {
                **_fields_of(job),
                "consent_changes": [_fields_of(c) for c in job.consent_changes],
            }
            for job in record.jobs.values()
        ],
        "site_visits": [_fields_of(v) for v in record.visits.values()],
        "cash_assistance_ended_on": record.cash_assistance_ended_on,
        "training_referral_window_closes": training_referral_window_closes(case, policies),
        "training_referrals": [_fields_of(r) for r in record.training_referrals.values()],
        "skills": [{"skill_id": i, **_fields_of(v)} for i, v in record.skills.items()],
    }


def _fields_of(record: Any) -> dict[str, Any]:
    """A record's fields as a dict: values are immutable but for id lists, which are copied.

    Not `dataclasses.asdict`: its deep copies were half the cost of an as-of reconstruction,
    and `dataclasses.fields` per record a third of what was left.
    """
    return {
        name: list(value) if isinstance(value := getattr(record, name), list) else value
        for name in _field_names(type(record))
    }


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record_class: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_class)
    if names is None:
        names = _FIELD_NAMES[record_class] = tuple(f.name for f in fields(record_class))
    return names
