"""The self-sufficiency plan (TA-01), its goals, its re-assessments and its contingencies (TA-02)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.assistance.commands import (
    ChangeGoalStatus,
    EstablishSelfSufficiencyPlan,
    ReassessPlan,
    RecordContingencyPlan,
    SetPlanGoal,
)
from domain.assistance.events import (
    ContingencyPlanRecorded,
    GoalStatusChanged,
    PlanGoalSet,
    PlanReassessed,
    SelfSufficiencyPlanEstablished,
)
from domain.assistance.records import Contingency, PlanGoal, SelfSufficiencyPlan, blank
from domain.assistance.values import ContingencyArea, GoalStatus
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook


def establish_plan(
    case: Case, command: EstablishSelfSufficiencyPlan, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    established_on, next_reassessment_on = command.established_on, command.next_reassessment_on
    emergent_needs = tuple(command.emergent_needs)
    resources_mobilised = tuple(command.resources_mobilised)
    plan = case.assistance.plan
    if plan is not None:
        if (
            plan.established_on,
            plan.emergent_needs,
            plan.resources_mobilised,
            plan.next_reassessment_on,
        ) == (established_on, emergent_needs, resources_mobilised, next_reassessment_on):
            return
        raise InvalidCommand(
            f"the self-sufficiency plan was established on {plan.established_on}; "
            "re-assess it instead",
            rule_id="TA-01",
        )
    case.require_not_before_opening(established_on, "a self-sufficiency plan")
    _check_needs_and_resources(emergent_needs, resources_mobilised)
    _check_next_reassessment(established_on, next_reassessment_on)
    case.record(
        SelfSufficiencyPlanEstablished,
        effective_on=established_on,
        emergent_needs=emergent_needs,
        resources_mobilised=resources_mobilised,
        next_reassessment_on=next_reassessment_on,
        policy_version=policy.version,
        actor=actor,
    )


def set_goal(case: Case, command: SetPlanGoal, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    plan = _plan(case, "a goal", "TA-01")
    existing = plan.goals.get(command.goal_id)
    if existing is not None:
        if existing.terms() == (
            command.set_on,
            command.description,
            command.target_date,
            command.responsible_party,
        ):
            return
        raise InvalidCommand(f"goal {command.goal_id} was already recorded with other details")
    if command.set_on < plan.established_on:
        raise InvalidCommand(f"the plan was established on {plan.established_on}")
    if blank(command.description):
        raise RuleViolation("TA-01", "a goal of the plan says what is to be achieved")
    if command.target_date < command.set_on:
        raise RuleViolation(
            "TA-01", f"a goal's target date cannot precede the day it is set ({command.set_on})"
        )
    case.record(
        PlanGoalSet,
        effective_on=command.set_on,
        goal_id=command.goal_id,
        description=command.description,
        target_date=command.target_date,
        responsible_party=command.responsible_party,
        policy_version=policy.version,
        actor=actor,
    )


def change_goal_status(
    case: Case, command: ChangeGoalStatus, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    goal_id, changed_on, status = command.goal_id, command.changed_on, command.status
    goal = _goal(case, goal_id)
    if goal.status is status:
        if goal.status_changed_on == changed_on:
            return
        raise InvalidCommand(f"goal {goal_id} is already {status}")
    if goal.is_closed:
        raise InvalidCommand(
            f"goal {goal_id} was {goal.status} on {goal.status_changed_on}; set a new goal"
        )
    if changed_on < (goal.status_changed_on or goal.set_on):
        raise InvalidCommand(
            f"goal {goal_id} was last updated on {goal.status_changed_on or goal.set_on}"
        )
    if status is GoalStatus.OPEN:
        raise InvalidCommand("a goal is open only until work on it starts")
    if status is GoalStatus.DISCONTINUED and blank(command.note):
        raise RuleViolation("TA-01", "a discontinued goal records why it was dropped")
    case.record(
        GoalStatusChanged,
        effective_on=changed_on,
        goal_id=goal_id,
        status=status,
        note=command.note,
        policy_version=policy.version,
        actor=actor,
    )


def reassess_plan(case: Case, command: ReassessPlan, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    reassessed_on, next_reassessment_on = command.reassessed_on, command.next_reassessment_on
    emergent_needs = tuple(command.emergent_needs)
    resources_mobilised = tuple(command.resources_mobilised)
    plan = _plan(case, "a re-assessment", "TA-01")
    if (
        reassessed_on,
        emergent_needs,
        resources_mobilised,
        command.summary,
        next_reassessment_on,
    ) == (
        plan.last_reviewed_on,
        plan.emergent_needs,
        plan.resources_mobilised,
        plan.last_summary,
        plan.next_reassessment_on,
    ):
        return
    if reassessed_on <= plan.last_reviewed_on:
        raise InvalidCommand(f"the plan was last reviewed on {plan.last_reviewed_on}")
    _check_needs_and_resources(emergent_needs, resources_mobilised)
    if blank(command.summary):
        raise RuleViolation("TA-01", "a re-assessment records what was found")
    _check_next_reassessment(reassessed_on, next_reassessment_on)
    uncovered = plan.uncovered_areas(policy.contingency_areas)
    if uncovered:
        raise RuleViolation(
            "TA-02",
            "the plan is incomplete until each area has a contingency or a reason it is not "
            f"needed; missing: {', '.join(uncovered)}",
        )
    case.record(
        PlanReassessed,
        effective_on=reassessed_on,
        emergent_needs=emergent_needs,
        resources_mobilised=resources_mobilised,
        summary=command.summary,
        next_reassessment_on=next_reassessment_on,
        policy_version=policy.version,
        actor=actor,
    )


def record_contingency(
    case: Case, command: RecordContingencyPlan, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    area, recorded_on = command.area, command.recorded_on
    plan = _plan(case, "a contingency plan", "TA-02")
    contingency = None if blank(command.contingency) else command.contingency
    not_needed_reason = None if blank(command.not_needed_reason) else command.not_needed_reason
    current = plan.contingencies.get(area)
    if current == Contingency(area, recorded_on, contingency, not_needed_reason):
        return
    if area not in policy.contingency_areas:
        raise RuleViolation("TA-02", f"the policy asks for no contingency plan for {area}")
    if (contingency is None) == (not_needed_reason is None):
        raise RuleViolation(
            "TA-02",
            f"the {area} area has either a contingency plan or a reason it is not needed",
        )
    if recorded_on < (current.recorded_on if current else plan.established_on):
        raise InvalidCommand(
            f"the {area} contingency was last recorded on "
            f"{current.recorded_on if current else plan.established_on}"
        )
    case.record(
        ContingencyPlanRecorded,
        effective_on=recorded_on,
        area=area,
        contingency=contingency,
        not_needed_reason=not_needed_reason,
        policy_version=policy.version,
        actor=actor,
    )


def uncovered_contingency_areas(case: Case, policies: PolicyBook) -> list[ContingencyArea]:
    """The areas the plan still lacks a contingency for; all of them without a plan (TA-02)."""
    policy = case.assistance_policy(policies)
    if case.assistance.plan is None:
        return sorted(policy.contingency_areas)
    return case.assistance.plan.uncovered_areas(policy.contingency_areas)


def _plan(case: Case, what: str, rule_id: str) -> SelfSufficiencyPlan:
    if case.assistance.plan is None:
        raise InvalidCommand(
            f"{what} belongs to the self-sufficiency plan; establish the plan first",
            rule_id=rule_id,
        )
    return case.assistance.plan


def _goal(case: Case, goal_id: UUID) -> PlanGoal:
    goal = _plan(case, "a goal", "TA-01").goals.get(goal_id)
    if goal is None:
        raise InvalidCommand(f"no goal {goal_id} on case {case.case_number}")
    return goal


def _check_needs_and_resources(
    emergent_needs: tuple[str, ...], resources_mobilised: tuple[str, ...]
) -> None:
    if blank(*emergent_needs) or blank(*resources_mobilised):
        raise RuleViolation("TA-01", "emergent needs and resources are named, none blank")
    if len(set(emergent_needs)) != len(emergent_needs):
        raise RuleViolation("TA-01", "each emergent need has one place in the priority order")


def _check_next_reassessment(reviewed_on: date, next_reassessment_on: date) -> None:
    if next_reassessment_on <= reviewed_on:
        raise RuleViolation(
            "TA-01", f"the next re-assessment is dated after this review ({reviewed_on})"
        )
