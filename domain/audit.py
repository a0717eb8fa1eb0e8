"""What an auditor reads: each event as a decision (who, when, under which rule and policy, why),
and a case's state as it stood on a business date or at a version.

Pure: works on events already loaded. "As of a business date" counts the events recorded up to
the first one effective after that date; "at a version" counts the first N events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from itertools import takewhile
from typing import Any

from domain.base import Aggregate
from domain.case import Case, Program
from domain.policy import PolicyBook

RULES_BY_EVENT: dict[str, tuple[str, ...]] = {
    "CaseOpened": (),
    "OutcomeAchieved": ("VR-01",),
    "OutcomeDateCorrected": ("VR-01",),
    "GrandfatheringRecognized": ("VR-12",),
    "PEServicesRequested": ("VR-01", "VR-02", "VR-07"),
    "PEServicesFoundAppropriate": ("VR-05", "VR-08"),
    "NewEmploymentCaseOpened": ("VR-08",),
    "PEServicesFoundNotAppropriate": ("VR-08",),
    "ReviewRequested": ("VR-08",),
    "ReviewDecided": ("VR-08",),
    "ServiceAuthorized": ("VR-02", "VR-03", "VR-04", "VR-06", "VR-09", "TA-10"),
    "AuthorizationCancelled": ("VR-10", "TA-10"),
    "ServiceProvided": ("VR-10", "TA-10"),
    "InvoiceReceived": ("VR-10", "TA-10"),
    "InvoicePaid": ("VR-10", "TA-10"),
    "BalanceUnencumbered": ("VR-10", "TA-10"),
    "ReturnedToMonitoring": ("VR-10", "VR-11"),
    "RemovedFromPEServices": ("VR-11",),
    "CaseTerminated": ("VR-11",),
    "SelfSufficiencyPlanEstablished": ("TA-01",),
    "PlanGoalSet": ("TA-01",),
    "GoalStatusChanged": ("TA-01",),
    "PlanReassessed": ("TA-01", "TA-02"),
    "ContingencyPlanRecorded": ("TA-02",),
    "InterventionLogged": ("TA-03",),
    "CommunityReferralMade": ("TA-04",),
    "CommunityReferralResultRecorded": ("TA-04",),
    "ReachabilityRecorded": ("TA-05",),
    "ContactPlanned": ("TA-05",),
    "ContactMade": ("TA-05",),
    "EligibilityRecorded": ("TA-06",),
    "JobStarted": ("TA-07",),
    "WageChanged": ("TA-07",),
    "JobLost": ("TA-07",),
    "SiteVisitConsentGiven": ("TA-08",),
    "SiteVisitConsentRevoked": ("TA-08",),
    "JobSiteVisited": ("TA-08",),
    "CashAssistanceEnded": ("TA-09",),
    "TrainingReferralMade": ("TA-09",),
    "SkillIdentified": ("TA-11",),
}
"""The rules each kind of decision is checked against (docs/domain.md; POLICY.md).

The money events serve both programs: a VR case's are checked against the VR rules, a
cash-assistance case's purchased services against TA-10 (which applies VR-09's and VR-10's
money rules)."""

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
    if getattr(event, "grandfathered", False):
        rules = (*rules, "VR-12")
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
    return list(takewhile(lambda e: e.effective_on <= day, events))


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
            area.value for area in case.uncovered_contingency_areas(policies)
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
        "training_referral_window_closes": case.training_referral_window_closes(policies),
        "training_referrals": [_fields_of(r) for r in record.training_referrals.values()],
        "skills": [{"skill_id": i, **_fields_of(v)} for i, v in record.skills.items()],
    }


def _fields_of(record: Any) -> dict[str, Any]:
    """A record's fields as a dict: values are immutable but for id lists, which are copied.

    Not `dataclasses.asdict`: its deep copies were half the cost of an as-of reconstruction.
    """
    return {
        f.name: list(value) if isinstance(value := getattr(record, f.name), list) else value
        for f in fields(record)
    }
