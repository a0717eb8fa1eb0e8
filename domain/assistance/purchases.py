"""Purchased services (TA-10): authorized for an open plan goal, recorded as the shared money
lifecycle's `ServiceAuthorized`, whose `request_id` is the goal."""

from __future__ import annotations

from domain.assistance.commands import AuthorizePurchasedService
from domain.assistance.records import blank
from domain.authorizations.events import ServiceAuthorized
from domain.authorizations.records import Authorization
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook


def authorize_purchased_service(
    case: Case, command: AuthorizePurchasedService, actor: Actor, policies: PolicyBook
) -> None:
    """Authorizes a service from contracted employment services for an open plan goal.

    Like VR-09 with the goal in place of the PE-appropriate request and the plan in place of
    the IPE: the service serves an open goal, is entered in the plan, and encumbers its
    amount for its provider. The event is `ServiceAuthorized`, its `request_id` the goal.
    """
    policy = case.assistance_policy(policies)
    authorization_id, goal_id, authorized_on = (
        command.authorization_id,
        command.goal_id,
        command.authorized_on,
    )
    existing = case.authorizations.get(authorization_id)
    if existing is not None:
        retry = Authorization(
            authorization_id=authorization_id,
            request_id=goal_id,
            authorized_on=authorized_on,
            service_type=command.service_type,
            category=command.category,
            provider=command.provider,
            planned_start=command.planned_start,
            planned_end=command.planned_end,
            amount_cents=command.amount_cents,
            ipe_entry=command.plan_entry,
            overrides=(),
            grandfathered=False,
        )
        if retry.terms() == existing.terms():
            return
        raise InvalidCommand(
            f"authorization {authorization_id} was already recorded with other details"
        )
    goal = case.assistance.plan.goals.get(goal_id) if case.assistance.plan else None
    if goal is None or goal.is_closed:
        raise RuleViolation(
            "TA-10",
            f"a purchased service serves an open goal of the plan; {goal_id} is not one",
        )
    if authorized_on < goal.set_on:
        raise RuleViolation("TA-10", f"goal {goal_id} was only set on {goal.set_on}")
    if blank(command.plan_entry):
        raise RuleViolation(
            "TA-10", "authorizing a purchased service means entering it in the plan"
        )
    if blank(command.provider):
        raise InvalidCommand("a purchased service names its contracted provider")
    if command.planned_end < command.planned_start:
        raise InvalidCommand("the planned end precedes the planned start")
    if command.amount_cents < 0:
        raise InvalidCommand("an authorized amount cannot be negative")
    case.record(
        ServiceAuthorized,
        effective_on=authorized_on,
        authorization_id=authorization_id,
        request_id=goal_id,
        service_type=command.service_type,
        category=command.category,
        provider=command.provider,
        planned_start=command.planned_start,
        planned_end=command.planned_end,
        amount_cents=command.amount_cents,
        ipe_entry=command.plan_entry,
        overrides=(),
        grandfathered=False,
        policy_version=policy.version,
        actor=actor,
    )
