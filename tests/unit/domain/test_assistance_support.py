"""Crisis intervention (TA-03), community referrals (TA-04), contacts (TA-05), eligibility (TA-06)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.assistance.policy import TAPolicy
from domain.assistance.values import (
    ContactChannel,
    EligibilityStatus,
    InterventionCategory,
    InterventionKind,
    ReferralResult,
    SupportProgram,
)
from domain.errors import InvalidCommand, RuleViolation
from tests.builders import OPENED, POLICIES, AssistanceFile

ON = date(2024, 3, 4)


@pytest.fixture
def file() -> AssistanceFile:
    return AssistanceFile()


def with_policy(**changes: object) -> AssistanceFile:
    policy = TAPolicy(version="TA-narrow", effective_from=date(2000, 1, 1), **changes)  # type: ignore[arg-type]
    return AssistanceFile(policies=POLICIES.model_copy(update={"ta": (policy,)}))


# TA-03: problem solving and crisis intervention


@pytest.mark.parametrize("category", list(InterventionCategory))
def test_every_category_the_policy_lists_is_logged_with_its_action_TA_03(
    file: AssistanceFile, category: InterventionCategory
) -> None:
    command = file.intervention(ON, category=category, kind=InterventionKind.CRISIS_INTERVENTION)
    file.do(command)
    logged = file.case.assistance.interventions[command.intervention_id]
    assert (logged.category, logged.kind, logged.action_taken) == (
        category,
        InterventionKind.CRISIS_INTERVENTION,
        "Role-played asking for the schedule a week ahead",
    )


def test_an_intervention_without_the_action_taken_is_refused_TA_03(file: AssistanceFile) -> None:
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.intervention(ON, action_taken="  "))
    assert refusal.value.rule_id == "TA-03"


def test_a_category_the_policy_no_longer_lists_is_refused_TA_03() -> None:
    file = with_policy(intervention_categories=frozenset({InterventionCategory.JOB_STRESS}))
    with pytest.raises(RuleViolation, match="TA-03"):
        file.do(file.intervention(ON, category=InterventionCategory.LIFE_BALANCE))
    file.do(file.intervention(ON, category=InterventionCategory.JOB_STRESS))
    recorded = file.last_event()
    assert type(recorded).__name__ == "InterventionLogged"
    assert recorded.category is InterventionCategory.JOB_STRESS  # type: ignore[attr-defined]


def test_a_logged_intervention_retried_records_nothing_and_its_id_is_not_reused(
    file: AssistanceFile,
) -> None:
    command = file.intervention(ON)
    file.do(command)
    events = len(file.all_events())
    file.do(command)
    assert len(file.all_events()) == events
    with pytest.raises(InvalidCommand):
        file.do(command.model_copy(update={"situation": "another one"}))


# TA-04: community resources


def test_a_referral_records_the_need_the_resource_and_later_the_result_TA_04(
    file: AssistanceFile,
) -> None:
    command = file.community_referral(ON)
    file.do(command)
    file.do(file.referral_result(command.referral_id, ON + timedelta(days=14)))
    referral = file.case.assistance.community_referrals[command.referral_id]
    assert (referral.need, referral.resource, referral.result, referral.result_on) == (
        "winter coats for the children",
        "Eastside Family Resource Center",
        ReferralResult.CONNECTED,
        ON + timedelta(days=14),
    )


def test_a_referral_without_need_or_resource_is_refused_TA_04(file: AssistanceFile) -> None:
    with pytest.raises(RuleViolation, match="TA-04"):
        file.do(file.community_referral(ON, need=" "))


def test_a_result_is_recorded_once_not_before_the_referral_TA_04(file: AssistanceFile) -> None:
    command = file.community_referral(ON)
    file.do(command)
    with pytest.raises(InvalidCommand):
        file.do(file.referral_result(command.referral_id, ON - timedelta(days=1)))
    file.do(file.referral_result(command.referral_id, ON))
    with pytest.raises(InvalidCommand) as refusal:
        file.do(file.referral_result(command.referral_id, ON, ReferralResult.DECLINED))
    assert refusal.value.rule_id == "TA-04"


# TA-05: reachability and the scheduling matrix


def test_a_participant_unavailable_in_the_daytime_says_when_they_can_be_reached_TA_05(
    file: AssistanceFile,
) -> None:
    with pytest.raises(RuleViolation, match="TA-05"):
        file.do(file.reachability(ON, available_in_daytime=False, best_times=""))
    file.do(file.reachability(ON, available_in_daytime=True, best_times=""))
    file.do(file.reachability(ON + timedelta(days=1)))
    reachability = file.case.assistance.reachability
    assert reachability is not None
    assert (reachability.available_in_daytime, reachability.best_times) == (
        False,
        "weekdays after 6 pm",
    )


@pytest.mark.parametrize("channel", list(ContactChannel))
def test_every_channel_the_policy_lists_plans_and_logs_contacts_TA_05(
    file: AssistanceFile, channel: ContactChannel
) -> None:
    planned = file.plan_contact(ON, ON + timedelta(days=30), channel=channel)
    file.do(planned)
    file.do(file.contact(planned.contact_id, ON + timedelta(days=29), channel=channel))
    contact = file.case.assistance.contacts[planned.contact_id]
    assert (contact.planned_channel, contact.channel, contact.made_on) == (
        channel,
        channel,
        ON + timedelta(days=29),
    )


def test_a_channel_the_policy_does_not_list_is_refused_TA_05() -> None:
    file = with_policy(contact_channels=frozenset({ContactChannel.PHONE}))
    with pytest.raises(RuleViolation, match="TA-05"):
        file.do(file.plan_contact(ON, ON, channel=ContactChannel.EMAIL))
    with pytest.raises(RuleViolation, match="TA-05"):
        file.do(file.reachability(ON, channels=(ContactChannel.PHONE, ContactChannel.EMAIL)))
    file.do(file.plan_contact(ON, ON, channel=ContactChannel.PHONE))
    recorded = file.last_event()
    assert type(recorded).__name__ == "ContactPlanned"
    assert recorded.channel is ContactChannel.PHONE  # type: ignore[attr-defined]


def test_a_contact_is_planned_for_its_scheduling_day_or_later(file: AssistanceFile) -> None:
    with pytest.raises(InvalidCommand):
        file.do(file.plan_contact(ON, ON - timedelta(days=1)))
    file.do(file.plan_contact(ON, ON))
    recorded = file.last_event()
    assert type(recorded).__name__ == "ContactPlanned"
    assert (recorded.effective_on, recorded.planned_for) == (ON, ON)  # type: ignore[attr-defined]


def test_an_unplanned_contact_goes_to_the_log_with_no_planned_date_TA_05(
    file: AssistanceFile,
) -> None:
    file.do(file.contact(file.next_id("contact"), ON))
    event = file.last_event()
    assert type(event).__name__ == "ContactMade"
    assert event.planned_for is None  # type: ignore[attr-defined]


def test_a_planned_contact_made_records_its_planned_date_and_is_made_once_TA_05(
    file: AssistanceFile,
) -> None:
    planned = file.plan_contact(ON, date(2024, 4, 1))
    file.do(planned)
    with pytest.raises(InvalidCommand):
        file.do(file.contact(planned.contact_id, ON - timedelta(days=1)))
    file.do(file.contact(planned.contact_id, date(2024, 4, 3)))
    assert file.last_event().planned_for == date(2024, 4, 1)  # type: ignore[attr-defined]
    file.do(file.contact(planned.contact_id, date(2024, 4, 3)))  # a retry
    with pytest.raises(InvalidCommand):
        file.do(file.contact(planned.contact_id, date(2024, 4, 4)))


def test_a_contact_log_entry_says_what_it_was_about_TA_05(file: AssistanceFile) -> None:
    with pytest.raises(RuleViolation, match="TA-05"):
        file.do(file.contact(file.next_id("contact"), ON, summary=" "))


# TA-06: eligibility maintenance


@pytest.mark.parametrize("program", list(SupportProgram))
def test_every_program_the_policy_lists_records_status_and_renewal_TA_06(
    file: AssistanceFile, program: SupportProgram
) -> None:
    file.do(file.eligibility(program, ON, renewal_on=date(2024, 9, 30)))
    eligibility = file.case.assistance.eligibility[program]
    assert (eligibility.status, eligibility.renewal_on) == (
        EligibilityStatus.ELIGIBLE,
        date(2024, 9, 30),
    )


def test_an_eligible_participant_has_a_renewal_date_others_none_TA_06(
    file: AssistanceFile,
) -> None:
    program = SupportProgram.FOOD_ASSISTANCE
    with pytest.raises(RuleViolation, match="TA-06"):
        file.do(file.eligibility(program, ON).model_copy(update={"renewal_on": None}))
    with pytest.raises(RuleViolation, match="TA-06"):
        file.do(file.eligibility(program, ON, EligibilityStatus.APPLIED, date(2024, 9, 30)))
    file.do(file.eligibility(program, ON, EligibilityStatus.APPLIED))
    assert file.case.assistance.eligibility[program].renewal_on is None
    eligible = file.eligibility(program, ON + timedelta(days=20))
    file.do(eligible)
    assert eligible.renewal_on is not None
    recorded = file.last_event()
    assert type(recorded).__name__ == "EligibilityRecorded"
    assert (recorded.status, recorded.renewal_on) == (  # type: ignore[attr-defined]
        EligibilityStatus.ELIGIBLE,
        eligible.renewal_on,
    )
    assert file.case.assistance.eligibility[program].renewal_on == eligible.renewal_on


def test_a_renewal_date_is_after_the_day_it_is_recorded_TA_06(file: AssistanceFile) -> None:
    program = SupportProgram.HEALTH_INSURANCE
    with pytest.raises(InvalidCommand):
        file.do(file.eligibility(program, ON, renewal_on=ON))
    file.do(file.eligibility(program, ON, renewal_on=ON + timedelta(days=1)))
    assert file.case.assistance.eligibility[program].renewal_on == ON + timedelta(days=1)


def test_a_program_the_policy_does_not_list_is_refused_TA_06() -> None:
    file = with_policy(eligibility_programs=frozenset({SupportProgram.HEALTH_INSURANCE}))
    with pytest.raises(RuleViolation, match="TA-06"):
        file.do(file.eligibility(SupportProgram.UTILITY_ASSISTANCE, ON))


def test_eligibility_records_are_in_date_order_per_program(file: AssistanceFile) -> None:
    program = SupportProgram.CHILD_CARE_SUBSIDY
    file.do(file.eligibility(program, ON))
    with pytest.raises(InvalidCommand):
        file.do(file.eligibility(program, ON - timedelta(days=1), EligibilityStatus.LAPSED))
    file.do(file.eligibility(SupportProgram.FOOD_ASSISTANCE, ON - timedelta(days=1)))
    eligibility = file.case.assistance.eligibility
    assert (eligibility[program].recorded_on, eligibility[program].status) == (
        ON,
        EligibilityStatus.ELIGIBLE,
    )
    assert eligibility[SupportProgram.FOOD_ASSISTANCE].recorded_on == ON - timedelta(days=1)


def test_support_records_cannot_precede_the_case_opening(file: AssistanceFile) -> None:
    before = OPENED - timedelta(days=1)
    for command in (
        file.intervention(before),
        file.community_referral(before),
        file.reachability(before),
        file.plan_contact(before, ON),
        file.eligibility(SupportProgram.FOOD_ASSISTANCE, before),
    ):
        with pytest.raises(InvalidCommand):
            file.do(command)
