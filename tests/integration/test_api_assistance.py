"""Cash-assistance commands over HTTP: refusals name the TA rule; programs keep to their own
commands; purchased services are billed by billing only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.case import case_id_for
from domain.commands import (
    EstablishSelfSufficiencyPlan,
    PayInvoice,
    RecordJobSiteVisit,
    ReferToTraining,
)
from tests.builders import ids, open_case
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

NUMBER = "TA-300"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        for actor, command in assisted_case(NUMBER):
            assert send(client, actor, command).status_code in (200, 201)
        yield client


def step(command_class: type) -> object:
    return next(c for _, c in assisted_case(NUMBER) if type(c) is command_class)


def test_a_visit_after_the_permission_was_revoked_is_a_422_naming_TA_08(client: TestClient) -> None:
    visit = step(RecordJobSiteVisit)
    assert isinstance(visit, RecordJobSiteVisit)
    late = visit.model_copy(
        update={"visit_id": ids(NUMBER, "visit", 2), "visited_on": date(2024, 3, 16)}
    )

    problem = assert_problem(send(client, CASEWORKER, late), 422, "rule-violation", "TA-08")
    assert "2024-03-16" in problem["detail"]


def test_a_training_referral_the_day_after_the_window_is_a_422_naming_TA_09(
    client: TestClient,
) -> None:
    referral = step(ReferToTraining)
    assert isinstance(referral, ReferToTraining)
    late = referral.model_copy(
        update={"referral_id": ids(NUMBER, "training_referral", 2), "referred_on": date(2025, 6, 1)}
    )

    assert_problem(send(client, CASEWORKER, late), 422, "rule-violation", "TA-09")


def test_a_vr_case_refuses_cash_assistance_commands_and_the_reverse(client: TestClient) -> None:
    send(client, CASEWORKER, open_case("VR-301"))
    plan = step(EstablishSelfSufficiencyPlan)
    assert isinstance(plan, EstablishSelfSufficiencyPlan)

    on_vr = send(client, CASEWORKER, plan.model_copy(update={"case_id": case_id_for("VR-301")}))
    assert "not a cash-assistance case" in assert_problem(on_vr, 422, "invalid-command")["detail"]
    outcome = served_case(NUMBER)[1][1]
    assert (
        "not a VR case"
        in assert_problem(send(client, CASEWORKER, outcome), 422, "invalid-command")["detail"]
    )


def test_paying_a_purchased_service_is_billings_not_the_caseworkers(client: TestClient) -> None:
    payment = PayInvoice(
        case_id=case_id_for(NUMBER),
        invoice_id=ids(NUMBER, "invoice"),
        paid_on=date(2024, 3, 20),
        amount_cents=40_000,
    )

    assert_problem(send(client, CASEWORKER, payment), 403, "forbidden")
    retried = send(client, BILLING, payment)
    assert (retried.status_code, retried.json()["events"]) == (200, 0)


def test_the_history_shows_the_cash_assistance_facts_with_their_actors(
    client: TestClient,
) -> None:
    history = client.get(f"/cases/{case_id_for(NUMBER)}/history", headers=auth(CASEWORKER))

    events = history.json()["events"]
    assert len(events) == len(assisted_case(NUMBER))
    visit = next(e for e in events if e["type"] == "JobSiteVisited")
    assert (visit["effective_on"], visit["actor"]["role"], visit["data"]["policy_version"]) == (
        "2024-03-01",
        "caseworker",
        "TA-3440",
    )
    case = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()
    assert (case["program"], case["status"], case["scheduled_termination"]) == (
        "cash_assistance",
        "monitoring",
        None,
    )


def test_an_auditor_sees_the_cash_assistance_decisions_with_their_ta_rules(
    client: TestClient,
) -> None:
    audit = client.get(f"/cases/{case_id_for(NUMBER)}/audit", headers=auth(AUDITOR))

    assert audit.status_code == 200, audit.text
    body = audit.json()
    rules = {e["event_type"]: e["rule_ids"] for e in body["timeline"]}
    assert (rules["ServiceAuthorized"], rules["JobSiteVisited"]) == (["TA-10"], ["TA-08"])
    assert body["state"]["policy_version"] == "TA-3440"
    assert body["state"]["training_referral_window_closes"] == "2025-05-31"
    page = client.get(f"/cases/{case_id_for(NUMBER)}/audit.html", headers=auth(AUDITOR))
    assert page.status_code == 200 and "<strong>Job site visited</strong>" in page.text
    version = 1 + [type(c) for _, c in assisted_case(NUMBER)].index(RecordJobSiteVisit)
    then = client.get(
        f"/cases/{case_id_for(NUMBER)}/state?version={version}", headers=auth(AUDITOR)
    )
    visits = then.json()["state"]["site_visits"]
    assert [(v["visited_on"], v["purpose"]) for v in visits] == [
        ("2024-03-01", "Meet the supervisor about the schedule")
    ]
