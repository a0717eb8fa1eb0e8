"""Entering a PE service in the IPE and authorizing it (VR-02..VR-04, VR-06, VR-09, VR-12).

The authorization it records, `ServiceAuthorized`, and what follows it (the money lifecycle)
are shared with the cash-assistance program's purchased services (`domain.authorizations`).
"""

from __future__ import annotations

from domain.authorizations.events import ServiceAuthorized
from domain.authorizations.records import Authorization
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook
from domain.values import RequestStatus
from domain.vr.commands import AuthorizeService
from domain.vr.requests import require_outcome
from domain.vr.rules import authorization_breaches, enforce, exempt_service


def authorize_service(
    case: Case, command: AuthorizeService, actor: Actor, policies: PolicyBook
) -> None:
    authorization_id, request_id = command.authorization_id, command.request_id
    authorized_on, service_type = command.authorized_on, command.service_type
    planned_start, planned_end = command.planned_start, command.planned_end
    overrides = tuple(command.overrides)
    existing = case.authorizations.get(authorization_id)
    if existing is not None:
        retry = Authorization(
            authorization_id=authorization_id,
            request_id=request_id,
            authorized_on=authorized_on,
            service_type=service_type,
            category=command.category,
            provider=command.provider,
            planned_start=planned_start,
            planned_end=planned_end,
            amount_cents=command.amount_cents,
            ipe_entry=command.ipe_entry,
            overrides=overrides,
            grandfathered=existing.grandfathered,
        )
        if retry.terms() == existing.terms():
            return
        raise InvalidCommand(
            f"authorization {authorization_id} was already recorded with other details"
        )
    outcome_date = require_outcome(case, authorized_on)
    policy = case.governing_policy(policies)
    request = case.requests.get(request_id)
    if request is None or request.status is not RequestStatus.PE_APPROPRIATE:
        raise RuleViolation(
            "VR-09", f"request {request_id} has no open PE-appropriate determination"
        )
    if request.determined_on is not None and authorized_on < request.determined_on:
        raise RuleViolation(
            "VR-09",
            f"the request was determined PE-appropriate only on {request.determined_on}",
        )
    if not command.ipe_entry.strip():
        raise RuleViolation("VR-09", "authorizing a PE service means entering it in the IPE")
    if planned_end < planned_start:
        raise InvalidCommand("the planned end precedes the planned start")
    if command.amount_cents < 0:
        raise InvalidCommand("an authorized amount cannot be negative")
    grandfathered = exempt_service(case.grandfathering, service_type)
    breaches = (
        []
        if grandfathered
        else authorization_breaches(policy, outcome_date, service_type, planned_start, planned_end)
    )
    enforce(policy, breaches, overrides)
    case.refuse_after_termination(authorized_on, policy)
    case.record(
        ServiceAuthorized,
        effective_on=authorized_on,
        authorization_id=authorization_id,
        request_id=request_id,
        service_type=service_type,
        category=command.category,
        provider=command.provider,
        planned_start=planned_start,
        planned_end=planned_end,
        amount_cents=command.amount_cents,
        ipe_entry=command.ipe_entry,
        overrides=overrides,
        grandfathered=grandfathered,
        policy_version=policy.version,
        actor=actor,
    )
