"""Access control: which roles may call which operation. The one place it is decided.

docs/roles.md shows the same matrix; a test keeps the two equal.
"""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime,
# and they name dependencies built in closures.

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from api.auth import ActorDependency
from api.problems import FORBIDDEN, ApiProblem
from domain.base import Actor, Role
from domain.commands import Command

EVERYONE = frozenset(Role)
CASE_STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
BILLING = frozenset({Role.BILLING})
SYSTEM = frozenset({Role.SYSTEM})
SUPERVISOR = frozenset({Role.SUPERVISOR})
AUDIT = frozenset({Role.AUDITOR, Role.SUPERVISOR})
STATE_READERS = AUDIT | {Role.CASEWORKER}

OVERRIDE_ROLES = frozenset({Role.SUPERVISOR})
"""Who may send a command that asks for soft-rule overrides (`Command.requested_overrides()`)."""

ROLES_BY_OPERATION: dict[str, frozenset[Role]] = {
    "open_case": CASE_STAFF,
    "record_outcome": CASE_STAFF,
    "correct_outcome_date": SUPERVISOR,
    "recognize_grandfathering": CASE_STAFF,
    "request_pe_services": CASE_STAFF,
    "determine_pe_appropriate": CASE_STAFF,
    "determine_new_employment_case": CASE_STAFF,
    "determine_not_appropriate": CASE_STAFF,
    "request_review": CASE_STAFF,
    "decide_review": CASE_STAFF,
    "authorize_service": CASE_STAFF,
    "cancel_authorization": CASE_STAFF,
    "record_service_provided": CASE_STAFF,
    "receive_invoice": BILLING,
    "pay_invoice": BILLING,
    "unencumber_balance": BILLING,
    "return_to_monitoring": CASE_STAFF,
    "remove_from_pe_services": CASE_STAFF,
    "terminate_case": SYSTEM,
    "reassign_case": SUPERVISOR,
    # Cash-assistance program: the career navigator's work is case staff's
    "establish_self_sufficiency_plan": CASE_STAFF,
    "set_plan_goal": CASE_STAFF,
    "change_goal_status": CASE_STAFF,
    "reassess_plan": CASE_STAFF,
    "record_contingency_plan": CASE_STAFF,
    "authorize_purchased_service": CASE_STAFF,
    "log_intervention": CASE_STAFF,
    "refer_to_community_resource": CASE_STAFF,
    "record_referral_result": CASE_STAFF,
    "record_reachability": CASE_STAFF,
    "plan_contact": CASE_STAFF,
    "record_contact": CASE_STAFF,
    "record_eligibility": CASE_STAFF,
    "start_job": CASE_STAFF,
    "change_wage": CASE_STAFF,
    "record_job_loss": CASE_STAFF,
    "give_site_visit_consent": CASE_STAFF,
    "revoke_site_visit_consent": CASE_STAFF,
    "record_job_site_visit": CASE_STAFF,
    "end_cash_assistance": CASE_STAFF,
    "refer_to_training": CASE_STAFF,
    "identify_skill": CASE_STAFF,
    "get_case": EVERYONE,
    "get_case_history": EVERYONE,
    "get_caseloads": EVERYONE,
    "get_case_deadlines": EVERYONE,
    "get_due_deadlines": EVERYONE,
    # Audit: the decisions behind every fact, as of any date
    "get_case_audit": AUDIT,
    "get_case_audit_page": AUDIT,
    # A caseworker sees what a case lacks (a plan's contingencies) before a command is refused
    "get_case_state": STATE_READERS,
    # Pages in a browser: the case page shows what the audit trail and the state show
    "get_case_page": STATE_READERS,
    "get_caseload_board": EVERYONE,
    "get_audit_file": AUDIT,
    # Personal data: never billing, auditors, analysts or system
    "put_personal_data": CASE_STAFF,
    "get_personal_data": CASE_STAFF,
    "erase_personal_data": SUPERVISOR,
}


def require_role(actor: Actor, operation: str) -> None:
    allowed = ROLES_BY_OPERATION[operation]
    if actor.role not in allowed:
        raise ApiProblem(
            FORBIDDEN,
            f"{operation} is for the {', '.join(sorted(allowed))} role(s); "
            f"{actor.id} acts as {actor.role}",
        )


def require_override_authority(actor: Actor, command: Command) -> None:
    overrides = command.requested_overrides()
    if overrides and actor.role not in OVERRIDE_ROLES:
        rules = ", ".join(override.rule_id for override in overrides)
        raise ApiProblem(
            FORBIDDEN,
            f"only a supervisor may override {rules}; {actor.id} acts as {actor.role}",
        )


def authorizer(authenticated_actor: ActorDependency) -> Callable[[str], ActorDependency]:
    """Per operation, a dependency giving the authenticated actor if its role may call it."""

    def for_operation(operation: str) -> ActorDependency:
        if operation not in ROLES_BY_OPERATION:
            raise KeyError(f"operation {operation} has no entry in the role matrix")

        async def authorized_actor(  # async: in memory only, no worker thread (api/auth.py)
            actor: Annotated[Actor, Depends(authenticated_actor)],
        ) -> Actor:
            require_role(actor, operation)
            return actor

        return authorized_actor

    return for_operation
