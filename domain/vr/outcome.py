"""The employment outcome that starts the post-employment clock (VR-01)."""

from __future__ import annotations

from domain.base import Actor
from domain.case import Case
from domain.errors import RuleViolation
from domain.policy import PolicyBook
from domain.vr.commands import RecordOutcome
from domain.vr.events import OutcomeAchieved


def record_outcome(case: Case, command: RecordOutcome, actor: Actor, policies: PolicyBook) -> None:
    if case.outcome_date is not None:
        raise RuleViolation("VR-01", f"case {case.case_number} already has an employment outcome")
    if command.outcome_date < case.opened_on:
        raise RuleViolation("VR-01", "the outcome date cannot precede the case's opening")
    case.record(
        OutcomeAchieved,
        effective_on=command.outcome_date,
        employer=command.employer,
        job_title=command.job_title,
        hourly_wage_cents=command.hourly_wage_cents,
        weekly_hours=command.weekly_hours,
        occupation_code=command.occupation_code,
        actor=actor,
    )
