"""The case read of both programs: a cash-assistance case carries its plan, contingencies,
contacts, eligibility, jobs and consent, training window and outcome measures (TA-01..TA-11);
a caseworker may read the state of a case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from domain.assistance.values import ContingencyArea
from domain.case import case_id_for
from domain.commands import (
    EstablishSelfSufficiencyPlan,
    OpenCase,
    ReassessPlan,
    RecordContingencyPlan,
)
from tests.integration.api_support import (
    AUDITOR,
    BILLING,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    assisted_case,
    auth,
    send,
    served_case,
)

ASSISTED = "TA-400"
INCOMPLETE = "TA-401"
SERVED = "VR-402"
TODAY = date(2025, 5, 31)  # the last day of the TA-09 window of the assisted case


def incomplete_plan(number: str) -> list[tuple[Any, Any]]:
    """Opened, a plan, and a contingency for transportation only."""
    steps = assisted_case(number)
    kept = (OpenCase, EstablishSelfSufficiencyPlan)
    transport = next(
        c
        for _, c in steps
        if isinstance(c, RecordContingencyPlan) and c.area is ContingencyArea.TRANSPORTATION
    )
    return [(a, c) for a, c in steps if isinstance(c, kept)] + [(CASEWORKER, transport)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("api"), clock=lambda: TODAY) as client:
        for scenario, number in (
            (assisted_case, ASSISTED),
            (incomplete_plan, INCOMPLETE),
            (served_case, SERVED),
        ):
            for actor, command in scenario(number):
                response = send(client, actor, command)
                assert response.status_code in (200, 201), response.text
        yield client


def cash_assistance(client: TestClient, number: str) -> dict[str, Any]:
    response = client.get(f"/cases/{number}", headers=auth(CASEWORKER))
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()["cash_assistance"]
    return state


def test_the_plan_reads_with_its_goals_and_its_next_reassessment_TA_01(client: TestClient) -> None:
    plan = cash_assistance(client, ASSISTED)["plan"]

    assert plan["established_on"] == "2024-01-29"
    assert (plan["last_reviewed_on"], plan["next_reassessment_on"]) == ("2024-04-25", "2024-07-25")
    assert plan["reassessment_overdue"] is True
    assert plan["emergent_needs"] == ["bus fare"]
    [goal] = plan["goals"]
    assert (goal["status"], goal["target_date"], goal["responsible_party"]) == (
        "achieved",
        "2024-04-30",
        "contracted_provider",
    )


def test_a_complete_plan_has_no_missing_contingency_TA_02(client: TestClient) -> None:
    coverage = cash_assistance(client, ASSISTED)["contingencies"]

    assert coverage["missing"] == [] and coverage["complete"] is True
    assert sorted(c["area"] for c in coverage["recorded"]) == sorted(coverage["required"])
    child_care = next(c for c in coverage["recorded"] if c["area"] == "child_care")
    assert (child_care["plan"], child_care["not_needed_reason"]) == (None, "No children under 13")


def test_an_incomplete_plan_names_the_areas_a_reassessment_would_be_refused_for_TA_02(
    client: TestClient,
) -> None:
    coverage = cash_assistance(client, INCOMPLETE)["contingencies"]
    reassessment = next(c for _, c in assisted_case(INCOMPLETE) if isinstance(c, ReassessPlan))

    refused = assert_problem(send(client, CASEWORKER, reassessment), 422, "rule-violation", "TA-02")

    assert coverage["missing"] == ["child_care", "preventable_crises"]
    assert coverage["complete"] is False
    assert "missing: child_care, preventable_crises" in refused["detail"]


def test_contacts_read_planned_and_made_TA_05(client: TestClient) -> None:
    state = cash_assistance(client, ASSISTED)

    [contact] = state["contacts"]
    assert (contact["planned"], contact["planned_for"], contact["planned_channel"]) == (
        True,
        "2024-02-28",
        "phone",
    )
    assert (contact["made"], contact["made_on"], contact["summary"]) == (
        True,
        "2024-02-27",
        "The new schedule works.",
    )
    assert state["reachability"]["channels"] == ["message", "postcard"]


def test_eligibility_reads_with_its_renewal_TA_06(client: TestClient) -> None:
    [eligibility] = cash_assistance(client, ASSISTED)["eligibility"]

    assert (eligibility["program"], eligibility["status"]) == ("food_assistance", "eligible")
    assert (eligibility["renewal_on"], eligibility["renewal_due_soon_from"]) == (
        "2024-08-01",
        "2024-07-02",
    )


def test_jobs_read_with_their_wages_loss_and_site_visit_consent_TA_07_TA_08(
    client: TestClient,
) -> None:
    first, second = cash_assistance(client, ASSISTED)["jobs"]

    assert (first["employer"], first["lost_on"], first["loss_reason"]) == (
        "Riverside Grocers",
        "2024-05-10",
        "laid_off",
    )
    assert (first["starting_hourly_wage_cents"], first["hourly_wage_cents"]) == (1_500, 1_700)
    assert [c["given"] for c in first["consent_changes"]] == [True, False]
    assert first["site_visit_consent"] is False  # revoked on 2024-03-15
    assert [v["visited_on"] for v in first["site_visits"]] == ["2024-03-01"]
    assert (second["employer"], second["held_today"], second["site_visit_consent"]) == (
        "Metro Transit",
        True,
        False,
    )


def test_the_training_window_reads_open_on_its_last_day_TA_09(client: TestClient) -> None:
    training = cash_assistance(client, ASSISTED)["training"]

    assert (training["cash_assistance_ended_on"], training["window_closes_on"]) == (
        "2024-05-31",
        "2025-05-31",
    )
    assert training["open_today"] is True
    assert [r["referred_on"] for r in training["referrals"]] == ["2025-05-31"]


def test_outcome_measures_read_as_of_today_TA_11(client: TestClient) -> None:
    measures = cash_assistance(client, ASSISTED)["outcome_measures"]

    assert measures["as_of"] == "2025-05-31"
    assert [j["retained_days"] for j in measures["jobs"]] == [109, 368]
    assert (measures["first_hourly_wage_cents"], measures["current_hourly_wage_cents"]) == (
        1_500,
        1_800,
    )
    assert measures["hourly_wage_change_cents"] == 300
    assert measures["new_skills"] == ["customer de-escalation"]
    [spell] = measures["reemployment"]
    assert (spell["lost_on"], spell["next_job_started_on"], spell["days"]) == (
        "2024-05-10",
        "2024-05-28",
        18,
    )
    after_exit = measures["after_exit"]
    assert (after_exit["exit_quarter"], after_exit["second_quarter"]) == ("2024-Q2", "2024-Q4")
    assert after_exit["employed_second_quarter"] is True
    assert after_exit["employed_fourth_quarter"] is None  # 2025-Q2 has not ended


def test_a_vr_case_reads_without_a_cash_assistance_part(client: TestClient) -> None:
    case = client.get(f"/cases/{SERVED}", headers=auth(CASEWORKER)).json()

    assert case["cash_assistance"] is None
    assert case["terminated_on"] == "2025-03-01"
    assert case["left_pe_services_on"] == "2024-08-05"


def test_the_openapi_document_describes_the_cash_assistance_read(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    assert {"CashAssistanceState", "PlanRead", "ContingencyCoverage", "OutcomeMeasuresRead"} <= set(
        schemas
    )
    assert "missing" in schemas["ContingencyCoverage"]["properties"]


@pytest.mark.parametrize("actor", [CASEWORKER, AUDITOR], ids=lambda a: a.role)
def test_a_caseworker_or_auditor_reads_the_state_of_a_case(client: TestClient, actor: Any) -> None:
    response = client.get(f"/cases/{ASSISTED}/state?as_of=2024-02-01", headers=auth(actor))

    assert response.status_code == 200, response.text
    assert response.json()["case_id"] == str(case_id_for(ASSISTED))
    assert response.json()["state"]["case_number"] == ASSISTED


def test_billing_may_not_read_the_state_of_a_case(client: TestClient) -> None:
    response = client.get(f"/cases/{ASSISTED}/state?version=1", headers=auth(BILLING))

    assert_problem(response, 403, "forbidden")
