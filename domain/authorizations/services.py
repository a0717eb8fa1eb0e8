"""The service an authorization pays for ends one of two ways: provided, or cancelled before it
was (VR-10; TA-10 for cash-assistance purchases). Either way its money can then be settled."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.authorizations.commands import CancelAuthorization, RecordServiceProvided
from domain.authorizations.events import AuthorizationCancelled, ServiceProvided
from domain.authorizations.money import authorization, money_policy_version, money_rule
from domain.authorizations.records import Authorization
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand
from domain.policy import PolicyBook
from domain.values import AuthorizationStatus


def open_service(case: Case, authorization_id: UUID, on: date, what: str) -> Authorization:
    """The authorization, still neither provided nor cancelled and dated no later than `on`."""
    found = authorization(case, authorization_id)
    if found.status is not AuthorizationStatus.AUTHORIZED:
        raise InvalidCommand(
            f"authorization {authorization_id} is already {found.status}; it cannot be {what}",
            rule_id=money_rule(case),
        )
    if on < found.authorized_on:
        raise InvalidCommand(
            f"a service cannot be {what} before it was authorized", rule_id=money_rule(case)
        )
    return found


def cancel_authorization(
    case: Case, command: CancelAuthorization, actor: Actor, policies: PolicyBook
) -> None:
    cancelled = open_service(case, command.authorization_id, command.cancelled_on, "cancelled")
    if not command.reason.strip():
        raise InvalidCommand("a cancellation records its reason")
    policy_version = money_policy_version(case, policies, command.cancelled_on)
    case.record(
        AuthorizationCancelled,
        effective_on=command.cancelled_on,
        authorization_id=cancelled.authorization_id,
        reason=command.reason,
        policy_version=policy_version,
        actor=actor,
    )


def record_service_provided(
    case: Case, command: RecordServiceProvided, actor: Actor, policies: PolicyBook
) -> None:
    provided = open_service(case, command.authorization_id, command.provided_on, "provided")
    policy_version = money_policy_version(case, policies, command.provided_on)
    case.record(
        ServiceProvided,
        effective_on=command.provided_on,
        authorization_id=provided.authorization_id,
        policy_version=policy_version,
        actor=actor,
    )
