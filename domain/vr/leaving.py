"""Leaving PE services, back to monitoring or by removal (VR-10, VR-11), and the automatic
termination on the VR-11 date."""

from __future__ import annotations

from domain.base import Actor, Role
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.events import CaseStatus
from domain.policy import PolicyBook
from domain.values import RequestStatus
from domain.vr.commands import RemoveFromPEServices, ReturnToMonitoring, TerminateCase
from domain.vr.events import CaseTerminated, RemovedFromPEServices, ReturnedToMonitoring
from domain.vr.records import UNDECIDED_REQUEST_STATUSES


def return_to_monitoring(
    case: Case, command: ReturnToMonitoring, actor: Actor, policies: PolicyBook
) -> None:
    returned_on = command.returned_on
    _require_in_pe_services(case)
    undecided = [
        str(r.request_id) for r in case.requests.values() if r.status in UNDECIDED_REQUEST_STATUSES
    ]
    if undecided:
        raise RuleViolation(
            "VR-10",
            f"requests still awaiting a determination or review: {', '.join(undecided)}",
        )
    _require_authorizations_closed(case)
    case.require_not_before_last_activity(returned_on)
    policy = case.governing_policy(policies)
    case.refuse_after_termination(returned_on, policy)
    case.record(
        ReturnedToMonitoring,
        effective_on=returned_on,
        completed_request_ids=tuple(
            r.request_id for r in case.requests.values() if r.status is RequestStatus.PE_APPROPRIATE
        ),
        policy_version=policy.version,
        actor=actor,
    )


def remove_from_pe_services(
    case: Case, command: RemoveFromPEServices, actor: Actor, policies: PolicyBook
) -> None:
    removed_on = command.removed_on
    _require_in_pe_services(case)
    if not command.reason.strip():
        raise InvalidCommand("a removal from PE services records its reason")
    _require_authorizations_closed(case)
    case.require_not_before_last_activity(removed_on)
    policy = case.governing_policy(policies)
    case.refuse_after_termination(removed_on, policy)
    case.record(
        RemovedFromPEServices,
        effective_on=removed_on,
        reason=command.reason,
        closed_request_ids=tuple(r.request_id for r in case.open_requests()),
        policy_version=policy.version,
        actor=actor,
    )


def terminate(case: Case, command: TerminateCase, actor: Actor, policies: PolicyBook) -> None:
    terminated_on = command.terminated_on
    if actor.role is not Role.SYSTEM:
        raise RuleViolation("VR-11", "termination is automatic; only the system records it")
    if case.outcome_date is None:
        raise RuleViolation("VR-11", "a case without an employment outcome does not terminate")
    policy = case.governing_policy(policies)
    due = case.termination_date(policy)
    if due is None:
        raise RuleViolation("VR-11", "termination waits until the open PE services are closed")
    if terminated_on != due:
        raise RuleViolation("VR-11", f"the case terminates on {due}, not on {terminated_on}")
    case.record(
        CaseTerminated,
        effective_on=terminated_on,
        anniversary_on=policy.termination_on(case.outcome_date, None),
        left_pe_services_on=case.left_pe_services_on,
        policy_version=policy.version,
        actor=actor,
    )


def _require_in_pe_services(case: Case) -> None:
    if case.status is not CaseStatus.IN_PE_SERVICES:
        raise InvalidCommand(f"case {case.case_number} is not in PE services ({case.status})")


def _require_authorizations_closed(case: Case) -> None:
    still_open = [str(a.authorization_id) for a in case.open_authorizations()]
    if still_open:
        raise RuleViolation(
            "VR-10",
            "every authorization must be provided or cancelled, its invoices paid and its "
            f"balance unencumbered; still open: {', '.join(still_open)}",
        )
