"""Termination: the VR-11 date as a pure function, the system's TerminateCase, and afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.assistance.values import ContingencyArea, GoalStatus, SupportProgram
from domain.case import CaseStatus
from domain.commands import CASE_COMMANDS, CaseCommand
from domain.errors import RuleViolation
from domain.termination import DEADLINE_PROCESS, scheduled_termination, termination_date
from domain.values import ReviewDecision, ScopeCriteria, ServiceType
from domain.vr.policy import VRPolicy
from tests.builders import (
    ANNIVERSARY,
    BILLING,
    OUTCOME,
    POLICIES,
    POLICY,
    SUPERVISOR,
    AssistanceFile,
    CaseFile,
    day,
)


def served_case(request_on: date, service_from: date) -> tuple[CaseFile, date]:
    """A case with one request served and closed; returns it and the closing date."""
    file = CaseFile()
    request_id = file.open_request(request_on)
    authorization_id = file.authorized(
        request_id, service_from, end=min(ANNIVERSARY, service_from + timedelta(days=60))
    )
    closed_on = file.close_service(authorization_id, service_from + timedelta(days=10))
    return file, closed_on


def test_a_case_never_in_pe_services_terminates_on_the_anniversary_VR_11() -> None:
    file = CaseFile()
    assert termination_date(file.all_events(), POLICY) == ANNIVERSARY
    assert file.case.termination_date(POLICY) == ANNIVERSARY


def test_a_case_without_an_outcome_has_no_termination_date_VR_11() -> None:
    file = CaseFile(outcome=None)
    assert termination_date(file.all_events(), POLICY) is None
    assert scheduled_termination(file.all_events(), POLICIES) is None


def test_a_case_back_in_monitoring_before_the_anniversary_terminates_on_it_VR_11() -> None:
    file, closed_on = served_case(day(30), day(31))
    file.do(file.back_to_monitoring(closed_on))
    assert termination_date(file.all_events(), POLICY) == ANNIVERSARY


def test_a_case_in_pe_services_has_no_termination_date_yet_VR_11() -> None:
    file = CaseFile()
    file.open_request(day(300))
    assert termination_date(file.all_events(), POLICY) is None
    assert file.case.termination_date(POLICY) is None


def test_a_case_returned_to_monitoring_after_the_anniversary_terminates_that_day_VR_11() -> None:
    file, closed_on = served_case(ANNIVERSARY - timedelta(days=20), ANNIVERSARY - timedelta(days=5))
    assert closed_on > ANNIVERSARY
    file.do(file.back_to_monitoring(closed_on + timedelta(days=3)))
    assert termination_date(file.all_events(), POLICY) == closed_on + timedelta(days=3)


def test_a_case_removed_on_the_anniversary_terminates_on_it_and_the_day_after_on_that_day_VR_11() -> (
    None
):
    on_the_day = CaseFile()
    on_the_day.open_request(ANNIVERSARY - timedelta(days=3))
    on_the_day.do(on_the_day.remove(ANNIVERSARY))
    assert termination_date(on_the_day.all_events(), POLICY) == ANNIVERSARY
    day_after = CaseFile()
    day_after.open_request(ANNIVERSARY - timedelta(days=3))
    day_after.do(day_after.remove(ANNIVERSARY + timedelta(days=1)))
    assert termination_date(day_after.all_events(), POLICY) == ANNIVERSARY + timedelta(days=1)


def test_the_termination_date_as_of_a_day_ignores_later_facts_VR_11() -> None:
    file, closed_on = served_case(day(300), day(301))
    file.do(file.back_to_monitoring(closed_on))
    events = file.all_events()
    assert termination_date(events, POLICY, as_of=day(299)) == ANNIVERSARY
    assert termination_date(events, POLICY, as_of=day(305)) is None
    assert termination_date(events, POLICY, as_of=closed_on) == ANNIVERSARY


def test_a_replay_under_another_policy_moves_the_termination_date_VR_11() -> None:
    file = CaseFile()
    longer = VRPolicy(
        version="what-if-18", effective_from=date(2026, 1, 1), termination_after_months=18
    )
    assert termination_date(file.all_events(), longer) == date(2025, 8, 29)


def test_the_system_terminates_the_case_on_its_vr11_date_VR_11() -> None:
    file = CaseFile()
    file.do(file.terminate(ANNIVERSARY), DEADLINE_PROCESS)
    assert file.case.status is CaseStatus.TERMINATED
    recorded = file.all_events()[-1]
    assert (recorded.anniversary_on, recorded.left_pe_services_on) == (ANNIVERSARY, None)  # type: ignore[attr-defined]
    assert recorded.policy_version == POLICY.version  # type: ignore[attr-defined]


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_termination_dated_off_the_vr11_date_is_refused_VR_11(offset: int) -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.terminate(ANNIVERSARY + timedelta(days=offset)), DEADLINE_PROCESS)
    assert refusal.value.rule_id == "VR-11"


def test_only_the_system_terminates_a_case_VR_11() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation, match="VR-11"):
        file.do(file.terminate(ANNIVERSARY), SUPERVISOR)


def test_termination_waits_while_a_pe_service_is_open_VR_11() -> None:
    file = CaseFile()
    request_id = file.open_request(ANNIVERSARY - timedelta(days=10))
    file.authorized(request_id, ANNIVERSARY - timedelta(days=9), end=ANNIVERSARY)
    with pytest.raises(RuleViolation, match="VR-11"):
        file.do(file.terminate(ANNIVERSARY), DEADLINE_PROCESS)


def test_facts_dated_after_the_scheduled_termination_are_refused_VR_11() -> None:
    file = CaseFile()
    request = file.request(day(30))
    file.do(request)
    file.do(file.not_appropriate(request.request_id, day(31)))
    file.do(file.back_to_monitoring(day(31)))
    with pytest.raises(RuleViolation, match="VR-11"):
        file.do(file.review(request.request_id, ANNIVERSARY + timedelta(days=1)))
    file.do(file.review(request.request_id, ANNIVERSARY))
    assert file.case.status is CaseStatus.IN_PE_SERVICES


def terminated_case() -> tuple[CaseFile, dict[str, UUID]]:
    """A case that went through services, returned to monitoring and terminated."""
    file = CaseFile()
    request_id = file.open_request(day(10))
    authorization_id = file.authorized(request_id, day(11))
    invoice = file.invoice(authorization_id, day(12), 1_000)
    file.do(invoice, BILLING)
    file.do(file.provided(authorization_id, day(20)))
    file.do(file.pay(invoice.invoice_id, day(30), 1_000), BILLING)
    file.do(file.unencumber(authorization_id, day(31)), BILLING)
    file.do(file.back_to_monitoring(day(32)))
    file.do(file.terminate(ANNIVERSARY), DEADLINE_PROCESS)
    ids = {"request": request_id, "authorization": authorization_id, "invoice": invoice.invoice_id}
    return file, ids


AFTER = ANNIVERSARY + timedelta(days=1)
COMMAND_SAMPLES: dict[str, Callable[[CaseFile, dict[str, UUID]], CaseCommand]] = {
    "RecordOutcome": lambda f, ids: f.record_outcome(AFTER),
    "ReassignCase": lambda f, ids: f.reassign(AFTER),
    "RecognizeGrandfathering": lambda f, ids: f.grandfather(AFTER),
    "CorrectOutcomeDate": lambda f, ids: f.correct_outcome(OUTCOME + timedelta(days=1), AFTER),
    "RequestPEServices": lambda f, ids: f.request(ANNIVERSARY),
    "DeterminePEAppropriate": lambda f, ids: f.appropriate(
        ids["request"],
        AFTER,
        criteria=ScopeCriteria(
            readily_available=True,
            easy_to_arrange=True,
            routine=True,
            providable_within_scope_days=True,
        ),
    ),
    "DetermineNewEmploymentCase": lambda f, ids: f.new_case(ids["request"], AFTER),
    "DetermineNotAppropriate": lambda f, ids: f.not_appropriate(ids["request"], AFTER),
    "RequestReview": lambda f, ids: f.review(ids["request"], AFTER),
    "DecideReview": lambda f, ids: f.decide(ids["request"], AFTER, ReviewDecision.REVERSED),
    "AuthorizeService": lambda f, ids: f.authorize(
        ids["request"], AFTER, service_type=ServiceType.TRANSPORTATION
    ),
    "CancelAuthorization": lambda f, ids: f.cancel(ids["authorization"], AFTER),
    "RecordServiceProvided": lambda f, ids: f.provided(ids["authorization"], AFTER),
    "ReceiveInvoice": lambda f, ids: f.invoice(ids["authorization"], AFTER, 1),
    "PayInvoice": lambda f, ids: f.pay(ids["invoice"], AFTER, 1_000),
    "UnencumberBalance": lambda f, ids: f.unencumber(ids["authorization"], AFTER),
    "ReturnToMonitoring": lambda f, ids: f.back_to_monitoring(AFTER),
    "RemoveFromPEServices": lambda f, ids: f.remove(AFTER),
    "TerminateCase": lambda f, ids: f.terminate(ANNIVERSARY),
}


def for_the_vr_case(
    build: Callable[[AssistanceFile], CaseCommand],
) -> Callable[[CaseFile, dict[str, UUID]], CaseCommand]:
    """A cash-assistance command sent to the terminated VR case."""
    return lambda f, ids: build(AssistanceFile()).model_copy(update={"case_id": f.id})


COMMAND_SAMPLES |= {
    "EstablishSelfSufficiencyPlan": for_the_vr_case(lambda a: a.establish(AFTER)),
    "SetPlanGoal": for_the_vr_case(lambda a: a.goal(AFTER)),
    "ChangeGoalStatus": for_the_vr_case(
        lambda a: a.goal_status(a.next_id("goal"), AFTER, GoalStatus.ACHIEVED)
    ),
    "ReassessPlan": for_the_vr_case(lambda a: a.reassess(AFTER)),
    "RecordContingencyPlan": for_the_vr_case(
        lambda a: a.contingency(ContingencyArea.CHILD_CARE, AFTER)
    ),
    "LogIntervention": for_the_vr_case(lambda a: a.intervention(AFTER)),
    "ReferToCommunityResource": for_the_vr_case(lambda a: a.community_referral(AFTER)),
    "RecordReferralResult": for_the_vr_case(
        lambda a: a.referral_result(a.next_id("community_referral"), AFTER)
    ),
    "RecordReachability": for_the_vr_case(lambda a: a.reachability(AFTER)),
    "PlanContact": for_the_vr_case(lambda a: a.plan_contact(AFTER, AFTER)),
    "RecordContact": for_the_vr_case(lambda a: a.contact(a.next_id("contact"), AFTER)),
    "RecordEligibility": for_the_vr_case(
        lambda a: a.eligibility(SupportProgram.FOOD_ASSISTANCE, AFTER)
    ),
    "StartJob": for_the_vr_case(lambda a: a.start_job(AFTER)),
    "ChangeWage": for_the_vr_case(lambda a: a.wage(a.next_id("job"), AFTER, 1_600, 30.0)),
    "RecordJobLoss": for_the_vr_case(lambda a: a.lose_job(a.next_id("job"), AFTER)),
    "GiveSiteVisitConsent": for_the_vr_case(lambda a: a.consent(a.next_id("job"), AFTER)),
    "RevokeSiteVisitConsent": for_the_vr_case(lambda a: a.revoke(a.next_id("job"), AFTER)),
    "RecordJobSiteVisit": for_the_vr_case(lambda a: a.visit(a.next_id("job"), AFTER)),
    "EndCashAssistance": for_the_vr_case(lambda a: a.end_assistance(AFTER)),
    "ReferToTraining": for_the_vr_case(lambda a: a.training(AFTER)),
    "IdentifySkill": for_the_vr_case(lambda a: a.skill(AFTER, "forklift operation")),
    "AuthorizePurchasedService": for_the_vr_case(lambda a: a.purchase(a.next_id("goal"), AFTER)),
}


def test_every_case_command_has_a_sample_for_the_terminated_case_check() -> None:
    assert set(COMMAND_SAMPLES) == {c.__name__ for c in CASE_COMMANDS}


@pytest.mark.parametrize("command_name", sorted(COMMAND_SAMPLES))
def test_a_terminated_case_refuses_every_command_VR_11(command_name: str) -> None:
    file, ids = terminated_case()
    command = COMMAND_SAMPLES[command_name](file, ids)
    version = file.case.version
    for actor in (SUPERVISOR, DEADLINE_PROCESS):
        with pytest.raises(RuleViolation) as refusal:
            file.do(command, actor)
        assert refusal.value.rule_id == "VR-11"
    assert file.case.version == version


def test_the_scheduled_termination_uses_the_policy_in_force_on_the_outcome_date_VR_11() -> None:
    later = VRPolicy(
        version="2030",
        effective_from=date(2030, 1, 1),
        initiation_window_months=6,
        planned_end_limit_months=6,
        termination_after_months=6,
    )
    book = POLICIES.model_copy(update={"vr": (*POLICIES.vr, later)})
    file = CaseFile()
    assert later.effective_from > OUTCOME
    assert scheduled_termination(file.all_events(), book) == ANNIVERSARY
    late = CaseFile(outcome=date(2030, 3, 31))
    assert scheduled_termination(late.all_events(), book) == date(2030, 9, 30)
