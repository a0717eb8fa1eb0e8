"""The employment outcome that starts the post-employment clock (VR-01), its correction, and
the grandfathering that exempts a case's services from the limits (VR-12)."""

from __future__ import annotations

from datetime import date

from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook
from domain.vr.commands import CorrectOutcomeDate, RecognizeGrandfathering, RecordOutcome
from domain.vr.events import GrandfatheringRecognized, OutcomeAchieved, OutcomeDateCorrected
from domain.vr.policy import VRPolicy
from domain.vr.records import Grandfathering
from domain.vr.rules import (
    authorization_breaches,
    exempt_from_the_window,
    within_initiation_window,
)


def record_outcome(case: Case, command: RecordOutcome, actor: Actor, policies: PolicyBook) -> None:
    if case.outcome_date is not None:
        raise RuleViolation("VR-01", f"case {case.case_number} already has an employment outcome")
    _require_not_before_opening(case, command.outcome_date)
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


def correct_outcome_date(
    case: Case, command: CorrectOutcomeDate, actor: Actor, policies: PolicyBook
) -> None:
    """Corrects a wrongly recorded outcome date, with a reason and the evidence for it.

    The original stays in the history; every date derived from the outcome (the VR-02
    window, the VR-11 termination) follows the corrected date from then on. Refused when the
    case's recorded requests and authorizations would not have been allowed under the corrected
    date (VR-02..VR-04, VR-06): the correction must not make the history break the rules it was
    checked against.
    """
    corrected, corrected_on = command.corrected_outcome_date, command.corrected_on
    if case.outcome_date is None:
        raise RuleViolation("VR-01", f"case {case.case_number} has no outcome to correct")
    if corrected == case.outcome_date:
        raise InvalidCommand(f"the outcome date is already {corrected}")
    _require_not_before_opening(case, corrected)
    if corrected > corrected_on:
        raise InvalidCommand("an outcome date cannot be after the day it is corrected")
    case.require_not_before_last_activity(corrected_on)
    if not command.reason.strip() or not command.evidence_ref.strip():
        raise InvalidCommand("a correction needs a reason and a reference to its evidence")
    policy = policies.vr_in_force_on(corrected)
    _require_history_allowed_from(case, corrected, policy)
    case.record(
        OutcomeDateCorrected,
        effective_on=corrected_on,
        original_outcome_date=case.outcome_date,
        corrected_outcome_date=corrected,
        reason=command.reason,
        evidence_ref=command.evidence_ref,
        policy_version=policy.version,
        actor=actor,
    )


def _require_not_before_opening(case: Case, outcome_date: date) -> None:
    if outcome_date < case.opened_on:
        raise RuleViolation("VR-01", "the outcome date cannot precede the case's opening")


def _require_history_allowed_from(case: Case, outcome_date: date, policy: VRPolicy) -> None:
    if not exempt_from_the_window(case.grandfathering):
        for request in case.requests.values():
            if not within_initiation_window(policy, outcome_date, request.requested_on):
                window_closes = policy.initiation_window_closes(outcome_date)
                raise RuleViolation(
                    "VR-02",
                    f"request {request.request_id} of {request.requested_on} would fall "
                    f"outside the window {outcome_date}..{window_closes}",
                )
    for authorization in case.authorizations.values():
        if authorization.grandfathered:
            continue
        breaches = authorization_breaches(
            policy,
            outcome_date,
            authorization.service_type,
            authorization.planned_start,
            authorization.planned_end,
        )
        overridden = {o.rule_id for o in authorization.overrides}
        for rule_id, explanation in breaches:
            if rule_id not in overridden:
                raise RuleViolation(
                    rule_id,
                    f"authorization {authorization.authorization_id} would breach it: "
                    f"{explanation}",
                )


def recognize_grandfathering(
    case: Case, command: RecognizeGrandfathering, actor: Actor, policies: PolicyBook
) -> None:
    recognized_on, evidence = command.recognized_on, command.evidence
    services_started_on, planned_services = command.services_started_on, command.planned_services
    policy = case.governing_policy(policies, recognized_on)
    if case.grandfathering is not None:
        if case.grandfathering == Grandfathering(
            recognized_on, evidence, services_started_on, tuple(planned_services)
        ):
            return
        raise InvalidCommand(
            f"grandfathering was already recognized on {case.grandfathering.recognized_on}",
            rule_id="VR-12",
        )
    if not evidence.strip():
        raise RuleViolation("VR-12", "grandfathering needs evidence of EW services")
    if not planned_services:
        raise RuleViolation("VR-12", "grandfathering covers planned services; name them")
    if services_started_on > policy.grandfathering_date:
        raise RuleViolation(
            "VR-12",
            f"services that started on {services_started_on} were not being received on "
            f"{policy.grandfathering_date}",
        )
    if case.opened_on > policy.grandfathering_date:
        raise RuleViolation(
            "VR-12",
            f"the case opened on {case.opened_on}, after {policy.grandfathering_date}",
        )
    if recognized_on < case.opened_on:
        raise InvalidCommand("grandfathering cannot be recognized before the case opened")
    case.refuse_after_termination(recognized_on, policy)
    case.record(
        GrandfatheringRecognized,
        effective_on=recognized_on,
        evidence=evidence,
        services_started_on=services_started_on,
        planned_services=tuple(planned_services),
        grandfathering_date=policy.grandfathering_date,
        policy_version=policy.version,
        actor=actor,
    )
