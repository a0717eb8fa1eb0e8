"""Moving a case to another caseworker: a recorded fact with its actor and reason, never an edit."""

from __future__ import annotations

from domain.assignment.commands import ReassignCase
from domain.assignment.events import CaseReassigned
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand
from domain.policy import PolicyBook


def reassign_case(case: Case, command: ReassignCase, actor: Actor, policies: PolicyBook) -> None:
    if command.caseworker_id == case.caseworker_id:
        raise InvalidCommand(f"case {case.case_number} is already {command.caseworker_id}'s")
    if not command.reason.strip():
        raise InvalidCommand("a reassignment needs a reason")
    case.require_not_before_opening(command.reassigned_on, "a reassignment")
    case.require_not_before_last_activity(command.reassigned_on)
    case.record(
        CaseReassigned,
        effective_on=command.reassigned_on,
        previous_caseworker_id=case.caseworker_id,
        caseworker_id=command.caseworker_id,
        reason=command.reason,
        actor=actor,
    )
