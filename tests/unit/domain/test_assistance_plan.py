"""The self-sufficiency plan (TA-01) and its contingency plans (TA-02); the program boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from domain.assistance.decisions import DECISIONS
from domain.assistance.plan import uncovered_contingency_areas
from domain.assistance.policy import TAPolicy
from domain.assistance.values import ContingencyArea, GoalStatus, ResponsibleParty, SupportProgram
from domain.case import Case, CaseStatus, Program
from domain.command import CaseCommand
from domain.commands import CASH_ASSISTANCE_COMMANDS, RecordOutcome
from domain.errors import InvalidCommand, RuleViolation
from domain.handling import HANDLERS
from domain.policy import PolicyBook
from tests.builders import OPENED, POLICIES, AssistanceFile, CaseFile, rebuilt

PLANNED = date(2024, 2, 12)


@pytest.fixture
def file() -> AssistanceFile:
    file = AssistanceFile()
    file.planned(PLANNED)
    return file


# The program boundary


def test_a_cash_assistance_case_opens_without_an_outcome_and_records_no_vr_outcome() -> None:
    file = AssistanceFile()
    assert file.case.status is CaseStatus.OPEN
    outcome = RecordOutcome(
        case_id=file.id,
        outcome_date=OPENED,
        employer="Riverside Grocers",
        job_title="cashier",
        hourly_wage_cents=1_500,
        weekly_hours=30.0,
    )
    with pytest.raises(InvalidCommand, match="not a VR case"):
        file.do(outcome)


def test_a_vr_case_takes_no_cash_assistance_command() -> None:
    vr = CaseFile()
    assistance = AssistanceFile()
    command = assistance.establish(PLANNED).model_copy(update={"case_id": vr.id})
    with pytest.raises(InvalidCommand, match="not a cash-assistance case"):
        vr.do(command)


TA_SAMPLES: dict[str, Callable[[AssistanceFile], CaseCommand]] = {
    "EstablishSelfSufficiencyPlan": lambda a: a.establish(PLANNED),
    "SetPlanGoal": lambda a: a.goal(PLANNED),
    "ChangeGoalStatus": lambda a: a.goal_status(a.next_id("goal"), PLANNED, GoalStatus.ACHIEVED),
    "ReassessPlan": lambda a: a.reassess(PLANNED),
    "RecordContingencyPlan": lambda a: a.contingency(ContingencyArea.CHILD_CARE, PLANNED),
    "LogIntervention": lambda a: a.intervention(PLANNED),
    "ReferToCommunityResource": lambda a: a.community_referral(PLANNED),
    "RecordReferralResult": lambda a: a.referral_result(a.next_id("community_referral"), PLANNED),
    "RecordReachability": lambda a: a.reachability(PLANNED),
    "PlanContact": lambda a: a.plan_contact(PLANNED, PLANNED),
    "RecordContact": lambda a: a.contact(a.next_id("contact"), PLANNED),
    "RecordEligibility": lambda a: a.eligibility(SupportProgram.FOOD_ASSISTANCE, PLANNED),
    "StartJob": lambda a: a.start_job(PLANNED),
    "ChangeWage": lambda a: a.wage(a.next_id("job"), PLANNED, 1_600, 30.0),
    "RecordJobLoss": lambda a: a.lose_job(a.next_id("job"), PLANNED),
    "GiveSiteVisitConsent": lambda a: a.consent(a.next_id("job"), PLANNED),
    "RevokeSiteVisitConsent": lambda a: a.revoke(a.next_id("job"), PLANNED),
    "RecordJobSiteVisit": lambda a: a.visit(a.next_id("job"), PLANNED),
    "EndCashAssistance": lambda a: a.end_assistance(PLANNED),
    "ReferToTraining": lambda a: a.training(PLANNED),
    "IdentifySkill": lambda a: a.skill(PLANNED, "forklift operation"),
    "AuthorizePurchasedService": lambda a: a.purchase(a.next_id("goal"), PLANNED),
}


def test_every_cash_assistance_command_is_decided_for_cash_assistance_cases_only() -> None:
    assert {HANDLERS[command].programs for command in DECISIONS} == {
        frozenset({Program.CASH_ASSISTANCE})
    }
    assert set(TA_SAMPLES) == {command.__name__ for command in CASH_ASSISTANCE_COMMANDS}


@pytest.mark.parametrize("command_name", sorted(TA_SAMPLES))
def test_a_vr_case_refuses_every_cash_assistance_command_and_records_nothing(
    command_name: str,
) -> None:
    vr = CaseFile()
    version = vr.case.version
    command = TA_SAMPLES[command_name](AssistanceFile()).model_copy(update={"case_id": vr.id})
    with pytest.raises(
        InvalidCommand, match=f"case {vr.case.case_number} is not a cash-assistance case"
    ):
        vr.do(command)
    assert vr.case.version == version


def test_the_first_job_puts_the_case_in_monitoring() -> None:
    file = AssistanceFile()
    file.job_started(OPENED)
    assert file.case.status is CaseStatus.MONITORING


def test_every_decision_records_the_cash_assistance_policy_version(file: AssistanceFile) -> None:
    assert [getattr(e, "policy_version", None) for e in file.all_events()] == [None, "TA-3440"]


def test_the_case_is_governed_by_the_version_in_force_on_its_opening() -> None:
    revised = TAPolicy(version="TA-3440-2025", effective_from=date(2025, 1, 1))
    book = POLICIES.model_copy(update={"ta": (*POLICIES.ta, revised)})
    before = AssistanceFile(policies=book)
    after = AssistanceFile(opened_on=date(2025, 3, 3), case_number="TA-TEST-2", policies=book)
    before.planned(date(2025, 4, 1))
    after.planned(date(2025, 4, 1))
    assert before.last_event().policy_version == "TA-3440"  # type: ignore[attr-defined]
    assert after.last_event().policy_version == "TA-3440-2025"  # type: ignore[attr-defined]


def test_policy_versions_are_unique_across_programs() -> None:
    clash = TAPolicy(version=POLICIES.vr[0].version, effective_from=date(2025, 1, 1))
    with pytest.raises(ValueError, match="unique"):
        PolicyBook(vr=POLICIES.vr, ta=(clash,))


# TA-01: the plan


def test_the_plan_holds_needs_in_priority_order_resources_and_the_next_reassessment_TA_01(
    file: AssistanceFile,
) -> None:
    plan = file.case.assistance.plan
    assert plan is not None
    assert plan.emergent_needs == ("child care for the late shift", "bus fare")
    assert plan.resources_mobilised == ("sister watches the children on Fridays",)
    assert plan.next_reassessment_on == PLANNED + timedelta(days=90)


def test_a_plan_is_established_once_a_retry_records_nothing_TA_01(file: AssistanceFile) -> None:
    events = len(file.all_events())
    file.do(file.establish(PLANNED))
    assert len(file.all_events()) == events
    with pytest.raises(InvalidCommand) as refusal:
        file.do(file.establish(PLANNED + timedelta(days=1)))
    assert refusal.value.rule_id == "TA-01"


def test_the_next_reassessment_comes_after_the_plan_is_made_TA_01() -> None:
    same_day = AssistanceFile()
    with pytest.raises(RuleViolation) as refusal:
        same_day.planned(PLANNED, next_reassessment_on=PLANNED)
    assert refusal.value.rule_id == "TA-01"
    next_day = AssistanceFile()
    next_day.planned(PLANNED, next_reassessment_on=PLANNED + timedelta(days=1))
    assert next_day.case.assistance.plan is not None
    assert next_day.case.assistance.plan.next_reassessment_on == PLANNED + timedelta(days=1)


def test_an_emergent_need_has_one_place_in_the_priority_order_TA_01() -> None:
    with pytest.raises(RuleViolation, match="TA-01"):
        AssistanceFile().planned(PLANNED, emergent_needs=("rent", "rent"))
    with pytest.raises(RuleViolation, match="TA-01"):
        AssistanceFile().planned(PLANNED, emergent_needs=("rent", " "))


def test_a_plan_cannot_precede_the_case_opening() -> None:
    with pytest.raises(InvalidCommand):
        AssistanceFile().planned(OPENED - timedelta(days=1))
    file = AssistanceFile()
    file.planned(OPENED)
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.established_on == OPENED


def test_a_goal_records_target_date_responsible_party_and_starts_open_TA_01(
    file: AssistanceFile,
) -> None:
    goal_id = file.goal_set(
        PLANNED,
        target_date=date(2024, 5, 31),
        responsible_party=ResponsibleParty.CONTRACTED_PROVIDER,
    )
    assert file.case.assistance.plan is not None
    goal = file.case.assistance.plan.goals[goal_id]
    assert (goal.target_date, goal.responsible_party, goal.status) == (
        date(2024, 5, 31),
        ResponsibleParty.CONTRACTED_PROVIDER,
        GoalStatus.OPEN,
    )


def test_a_goal_needs_the_plan_first_TA_01() -> None:
    file = AssistanceFile()
    with pytest.raises(InvalidCommand) as refusal:
        file.do(file.goal(PLANNED))
    assert refusal.value.rule_id == "TA-01"


def test_a_goal_may_be_due_the_day_it_is_set_but_not_before_TA_01(file: AssistanceFile) -> None:
    file.goal_set(PLANNED, target_date=PLANNED)
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.goal(PLANNED, target_date=PLANNED - timedelta(days=1)))
    assert refusal.value.rule_id == "TA-01"


def test_a_goal_moves_through_in_progress_to_achieved_and_then_stays_TA_01(
    file: AssistanceFile,
) -> None:
    goal_id = file.goal_set(PLANNED)
    file.do(file.goal_status(goal_id, date(2024, 3, 1), GoalStatus.IN_PROGRESS))
    file.do(file.goal_status(goal_id, date(2024, 4, 1), GoalStatus.ACHIEVED))
    file.do(file.goal_status(goal_id, date(2024, 4, 1), GoalStatus.ACHIEVED))  # a retry
    with pytest.raises(InvalidCommand):
        file.do(file.goal_status(goal_id, date(2024, 4, 2), GoalStatus.DISCONTINUED, "moved"))
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.goals[goal_id].status is GoalStatus.ACHIEVED


def test_a_discontinued_goal_says_why_TA_01(file: AssistanceFile) -> None:
    goal_id = file.goal_set(PLANNED)
    with pytest.raises(RuleViolation, match="TA-01"):
        file.do(file.goal_status(goal_id, date(2024, 3, 1), GoalStatus.DISCONTINUED))
    file.do(file.goal_status(goal_id, date(2024, 3, 1), GoalStatus.DISCONTINUED, "changed jobs"))
    recorded = file.last_event()
    assert type(recorded).__name__ == "GoalStatusChanged"
    assert (recorded.status, recorded.note) == (GoalStatus.DISCONTINUED, "changed jobs")  # type: ignore[attr-defined]
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.goals[goal_id].status is GoalStatus.DISCONTINUED


def test_a_reassessment_records_new_priorities_and_the_next_date_TA_01(
    file: AssistanceFile,
) -> None:
    file.covered(PLANNED)
    file.do(file.reassess(date(2024, 5, 10), next_reassessment_on=date(2024, 8, 10)))
    plan = file.case.assistance.plan
    assert plan is not None
    assert (plan.emergent_needs, plan.next_reassessment_on, plan.last_reviewed_on) == (
        ("bus fare",),
        date(2024, 8, 10),
        date(2024, 5, 10),
    )
    events = len(file.all_events())
    file.do(file.reassess(date(2024, 5, 10), next_reassessment_on=date(2024, 8, 10)))
    assert len(file.all_events()) == events


def test_a_reassessment_is_dated_after_the_last_review_TA_01(file: AssistanceFile) -> None:
    file.covered(PLANNED)
    with pytest.raises(InvalidCommand):
        file.do(file.reassess(PLANNED))
    file.do(file.reassess(PLANNED + timedelta(days=1)))
    assert type(file.last_event()).__name__ == "PlanReassessed"
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.last_reviewed_on == PLANNED + timedelta(days=1)


# TA-02: contingency plans


def test_a_plan_without_contingencies_misses_all_three_areas_TA_02(file: AssistanceFile) -> None:
    assert uncovered_contingency_areas(file.case, POLICIES) == [
        ContingencyArea.CHILD_CARE,
        ContingencyArea.PREVENTABLE_CRISES,
        ContingencyArea.TRANSPORTATION,
    ]


def test_the_plan_is_incomplete_until_each_area_is_covered_or_not_needed_TA_02(
    file: AssistanceFile,
) -> None:
    file.do(file.contingency(ContingencyArea.CHILD_CARE, PLANNED, None, "no children at home"))
    file.do(file.contingency(ContingencyArea.TRANSPORTATION, PLANNED, "Cousin drives"))
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.reassess(date(2024, 5, 10)))
    assert refusal.value.rule_id == "TA-02"
    assert "preventable_crises" in str(refusal.value)
    assert uncovered_contingency_areas(file.case, POLICIES) == [ContingencyArea.PREVENTABLE_CRISES]

    file.do(file.contingency(ContingencyArea.PREVENTABLE_CRISES, PLANNED, "Emergency fund"))
    file.do(file.reassess(date(2024, 5, 10)))
    assert uncovered_contingency_areas(file.case, POLICIES) == []


def test_an_area_has_a_plan_or_a_reason_it_is_not_needed_never_both_nor_neither_TA_02(
    file: AssistanceFile,
) -> None:
    area = ContingencyArea.TRANSPORTATION
    with pytest.raises(RuleViolation, match="TA-02"):
        file.do(file.contingency(area, PLANNED, None, None))
    with pytest.raises(RuleViolation, match="TA-02"):
        file.do(file.contingency(area, PLANNED, " ", "  "))
    with pytest.raises(RuleViolation, match="TA-02"):
        file.do(file.contingency(area, PLANNED, "bus", "walks to work"))
    file.do(file.contingency(area, PLANNED, None, "walks to work"))
    assert file.case.assistance.plan is not None
    contingency = file.case.assistance.plan.contingencies[area]
    assert (contingency.plan, contingency.not_needed_reason) == (None, "walks to work")


def test_a_contingency_belongs_to_the_plan_TA_02() -> None:
    file = AssistanceFile()
    with pytest.raises(InvalidCommand) as refusal:
        file.do(file.contingency(ContingencyArea.CHILD_CARE, PLANNED))
    assert refusal.value.rule_id == "TA-02"


def test_a_contingency_can_be_replaced_later_and_a_retry_records_nothing_TA_02(
    file: AssistanceFile,
) -> None:
    area = ContingencyArea.CHILD_CARE
    file.do(file.contingency(area, PLANNED, "Grandmother"))
    events = len(file.all_events())
    file.do(file.contingency(area, PLANNED, "Grandmother"))
    assert len(file.all_events()) == events
    file.do(file.contingency(area, date(2024, 3, 1), "After-school program"))
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.contingencies[area].plan == "After-school program"
    with pytest.raises(InvalidCommand):
        file.do(file.contingency(area, date(2024, 2, 20), "Neighbour"))


def test_the_areas_the_plan_must_cover_are_policy_data_TA_02() -> None:
    fewer = TAPolicy(
        version="TA-transport-only",
        effective_from=date(2000, 1, 1),
        contingency_areas=frozenset({ContingencyArea.TRANSPORTATION}),
    )
    file = AssistanceFile(policies=POLICIES.model_copy(update={"ta": (fewer,)}))
    file.planned(PLANNED)
    with pytest.raises(RuleViolation, match="TA-02"):
        file.do(file.contingency(ContingencyArea.CHILD_CARE, PLANNED))
    file.do(file.contingency(ContingencyArea.TRANSPORTATION, PLANNED))
    file.do(file.reassess(date(2024, 5, 10)))
    assert uncovered_contingency_areas(file.case, file.policies) == []
    assert type(file.last_event()).__name__ == "PlanReassessed"
    assert file.case.assistance.plan is not None
    assert file.case.assistance.plan.last_reviewed_on == date(2024, 5, 10)


def test_the_plan_rebuilds_from_its_events(file: AssistanceFile) -> None:
    goal_id = file.goal_set(PLANNED)
    file.covered(PLANNED)
    file.do(file.goal_status(goal_id, date(2024, 3, 1), GoalStatus.IN_PROGRESS))
    file.do(file.reassess(date(2024, 5, 10)))
    case: Case = rebuilt(file.all_events())
    assert case.assistance == file.case.assistance
