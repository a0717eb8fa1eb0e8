from datetime import date

from domain.assistance.values import ContingencyArea
from domain.audit import audit_entry, events_as_of, rebuild, state_of
from domain.case import Program
from domain.values import Override
from tests.builders import POLICIES, SUPERVISOR, AssistanceFile, CaseFile


def test_an_entry_carries_the_override_and_its_reason_and_names_the_grandfathering_check_VR_12() -> (
    None
):
    file = CaseFile()
    request = file.open_request(date(2024, 3, 4))
    file.authorized(
        request,
        date(2024, 3, 4),
        end=date(2024, 7, 30),
        overrides=(Override(rule_id="VR-04", reason="licensing takes four months"),),
    )
    entry = audit_entry(file.all_events()[-1])

    assert entry.overrides == (("VR-04", "licensing takes four months"),)
    assert entry.policy_version == "2018-10-02"
    # Every authorization is checked for a VR-12 exemption; this one was not exempt.
    assert "VR-12" in entry.rule_ids
    assert entry.facts["grandfathered"] is False
    assert entry.facts["planned_end"] == "2024-07-30"


def test_as_of_a_date_counts_the_events_effective_that_day() -> None:
    file = CaseFile()
    file.do(file.correct_outcome(date(2024, 3, 15), on=date(2024, 4, 2)), SUPERVISOR)
    events = file.all_events()

    assert len(events_as_of(events, date(2024, 4, 1))) == 2
    assert len(events_as_of(events, date(2024, 4, 2))) == 3


def test_a_backdated_fact_counts_from_where_it_was_recorded() -> None:
    file = CaseFile()
    request = file.open_request(date(2024, 4, 1))
    authorization = file.authorized(request, date(2024, 4, 1))
    file.do(file.provided(authorization, date(2024, 4, 20)))
    file.do(file.request(date(2024, 3, 15)))  # entered late, dated earlier
    events = file.all_events()

    # 2024-04-10: the record holds everything up to the provision (2024-04-20), not the
    # backdated request recorded after it.
    assert [e.originator_version for e in events_as_of(events, date(2024, 4, 10))] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert len(events_as_of(events, date(2024, 4, 20))) == len(events)
    assert rebuild(events_as_of(events, date(2024, 3, 20))) is not None


def test_given_the_program_an_entry_names_only_that_programs_rules_TA_10() -> None:
    assistance = AssistanceFile()
    assistance.planned(date(2024, 3, 4))
    goal_id = assistance.goal_set(date(2024, 3, 4))
    assistance.do(assistance.purchase(goal_id, date(2024, 3, 4)))
    purchase = assistance.last_event()
    vr = CaseFile()
    vr.authorized(vr.open_request(date(2024, 3, 4)), date(2024, 3, 4))
    authorization = vr.all_events()[-1]

    assert "TA-10" in audit_entry(purchase).rule_ids
    assert audit_entry(purchase, Program.CASH_ASSISTANCE).rule_ids == ("TA-10",)
    assert audit_entry(authorization, Program.VR).rule_ids == (
        "VR-01",
        "VR-02",
        "VR-03",
        "VR-04",
        "VR-06",
        "VR-09",
        "VR-12",
    )


def test_a_cash_assistance_event_names_its_rule_and_policy_version_TA_02() -> None:
    file = AssistanceFile()
    file.planned(date(2024, 3, 4))
    file.do(file.contingency(ContingencyArea.CHILD_CARE, date(2024, 3, 4), None, "no children"))
    entry = audit_entry(file.last_event(), Program.CASH_ASSISTANCE)

    assert (entry.rule_ids, entry.policy_version, entry.reason) == (
        ("TA-02",),
        "TA-3440",
        "no children",
    )


def test_the_state_of_a_cash_assistance_case_holds_its_plan_jobs_and_window() -> None:
    file = AssistanceFile()
    job_id = file.job_started(date(2024, 2, 5))
    file.planned(date(2024, 3, 4))
    file.goal_set(date(2024, 3, 4))
    file.do(file.contingency(ContingencyArea.CHILD_CARE, date(2024, 3, 4), None, "no children"))
    file.do(file.consent(job_id, date(2024, 3, 5)))
    file.do(file.end_assistance(date(2024, 2, 29)))
    state = state_of(rebuild(file.all_events()), POLICIES)  # type: ignore[arg-type]

    assert (state["program"], state["policy_version"], state["scheduled_termination"]) == (
        "cash_assistance",
        "TA-3440",
        None,
    )
    assert state["uncovered_contingency_areas"] == ("preventable_crises", "transportation")
    assert [g["status"] for g in state["goals"]] == ["open"]
    assert state["jobs"][0]["consent_changes"][0]["given"] is True
    assert state["training_referral_window_closes"] == date(2025, 2, 28)
