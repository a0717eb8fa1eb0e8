"""The VR rules as predicates and checks, each written once and used by the decisions, the
policy replay and the reports alike: the initiation window (VR-02), the termination date (VR-11), assessments (VR-07),
authorization limits (VR-02..VR-06) and soft-rule overrides."""

from __future__ import annotations

from datetime import date

from domain.errors import InvalidCommand, OverrideRequired, RuleViolation, exemption
from domain.values import (
    AdvanceAssessment,
    MaintainAssessment,
    Override,
    RequestPurpose,
    ServiceType,
)
from domain.vr.policy import VRPolicy
from domain.vr.records import Grandfathering


@exemption("VR-12")
def exempt_from_the_window(grandfathering: Grandfathering | None) -> bool:
    """VR-12: a case receiving EW services on the grandfathering date initiates its services
    outside the VR-02 window."""
    return grandfathering is not None


@exemption("VR-12")
def exempt_service(grandfathering: Grandfathering | None, service_type: ServiceType) -> bool:
    """VR-12: a grandfathered case's planned services are exempt from VR-02, VR-03, VR-04 and
    VR-06."""
    return grandfathering is not None and grandfathering.covers(service_type)


def within_initiation_window(policy: VRPolicy, outcome_date: date, day: date) -> bool:
    """Whether `day` lies between the outcome and the end of the initiation window (VR-02)."""
    return outcome_date <= day <= policy.initiation_window_closes(outcome_date)


def termination_due(
    policy: VRPolicy,
    outcome_date: date | None,
    in_pe_services: bool,
    left_pe_services_on: date | None,
) -> date | None:
    """The VR-11 date as things stand: none without an outcome or while the case is in PE
    services (it is not determinable yet), else the later of the anniversary and the day the
    case last left PE services."""
    if outcome_date is None or in_pe_services:
        return None
    return policy.termination_on(outcome_date, left_pe_services_on)


def check_assessment(
    purpose: RequestPurpose,
    maintain: MaintainAssessment | None,
    advance: AdvanceAssessment | None,
) -> None:
    """Refuses a request whose assessment does not fit its purpose (VR-07)."""
    if purpose is RequestPurpose.MAINTAIN:
        if maintain is None or advance is not None:
            raise RuleViolation(
                "VR-07", "a request to maintain the job records the maintain assessment"
            )
        blank = [
            name
            for name in ("concern", "what_client_thinks_will_help", "services_needed")
            if not getattr(maintain, name).strip()
        ]
        if blank:
            raise RuleViolation("VR-07", f"the maintain assessment needs: {', '.join(blank)}")
    elif purpose is RequestPurpose.ADVANCE:
        if advance is None or maintain is not None:
            raise RuleViolation("VR-07", "a request to advance records the advancement assessment")
        if not advance.same_employer:
            raise RuleViolation("VR-07", "PE advancement is with the employer held at the outcome")
        blank = [
            name
            for name in ("client_needs", "employer_assistance", "barriers_to_arranging_alone")
            if not getattr(advance, name).strip()
        ]
        if blank:
            raise RuleViolation("VR-07", f"the advancement assessment needs: {', '.join(blank)}")
        if not advance.expected_results:
            raise RuleViolation(
                "VR-07",
                "an advancement is expected to bring greater pay, more hours, a promotion or benefits",
            )
    elif maintain is not None or advance is not None:
        raise RuleViolation(
            "VR-07", "a request to regain employment is a job search; it has no PE assessment"
        )


def authorization_breaches(
    policy: VRPolicy,
    outcome_date: date,
    service_type: ServiceType,
    planned_start: date,
    planned_end: date,
) -> list[tuple[str, str]]:
    """The rules an authorization breaches, as (rule id, explanation), hard rules first."""
    breaches: list[tuple[str, str]] = []
    if policy.is_excluded(service_type):
        breaches.append(
            (
                "VR-06",
                f"{service_type} is never a PE service; it needs a new employment program case",
            )
        )
    if not within_initiation_window(policy, outcome_date, planned_start):
        window_closes = policy.initiation_window_closes(outcome_date)
        breaches.append(
            (
                "VR-02",
                f"a PE service starts between the outcome on {outcome_date} and {window_closes}; "
                f"this one starts on {planned_start}",
            )
        )
    end_limit = policy.planned_end_limit(outcome_date)
    if planned_end > end_limit:
        breaches.append(
            (
                "VR-03",
                f"the planned end {planned_end} is after {end_limit}, a year after the outcome",
            )
        )
    longest_end = policy.longest_planned_end(planned_start)
    if planned_end > longest_end:
        breaches.append(
            (
                "VR-04",
                f"the planned end {planned_end} is more than {policy.max_service_duration_months} "
                f"months after the planned start (latest {longest_end})",
            )
        )
    return sorted(breaches, key=lambda breach: breach[0] in policy.soft_rules)


def enforce(
    policy: VRPolicy, breaches: list[tuple[str, str]], overrides: tuple[Override, ...]
) -> None:
    """Hard breaches refuse; soft breaches refuse unless overridden; overrides must be needed."""
    overridden = [o.rule_id for o in overrides]
    for rule_id in overridden:
        if overridden.count(rule_id) > 1:
            raise InvalidCommand(f"{rule_id} is overridden more than once", rule_id=rule_id)
    for override in overrides:
        if override.rule_id not in policy.soft_rules:
            raise InvalidCommand(
                f"{override.rule_id} is not a soft rule; it cannot be overridden",
                rule_id=override.rule_id,
            )
        if not override.reason.strip():
            raise InvalidCommand("an override needs a reason", rule_id=override.rule_id)
    for rule_id, explanation in breaches:
        if rule_id not in policy.soft_rules:
            raise RuleViolation(rule_id, explanation)
        if rule_id not in overridden:
            raise OverrideRequired(rule_id, explanation)
    breached = {rule_id for rule_id, _ in breaches}
    for rule_id in overridden:
        if rule_id not in breached:
            raise InvalidCommand(
                f"the authorization does not breach {rule_id}; no override is needed",
                rule_id=rule_id,
            )
