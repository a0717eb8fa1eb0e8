"""Reads over HTTP: a case as it stands, its history as of a date, caseloads from the view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.consumer import Delivery
from application.bootstrap import build_case_management, open_caseload_view
from application.settings import Settings
from domain.case import case_id_for
from tests.builders import ids
from tests.integration.api_support import (
    ANALYST,
    AUDITOR,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    auth,
    send,
    served_case,
)

NUMBER = "VR-300"
CASE = case_id_for(NUMBER)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        yield client


def run(client: TestClient, steps: list) -> None:
    for actor, command in steps:
        assert send(client, actor, command).status_code in (200, 201)


def test_a_case_reads_as_it_stands_with_its_version_as_etag(client: TestClient) -> None:
    run(client, served_case(NUMBER)[:7])

    response = client.get(f"/cases/{CASE}", headers=auth(AUDITOR))

    assert response.status_code == 200
    assert response.headers["ETag"] == '"7"'
    case = response.json()
    assert {k: case[k] for k in ("case_number", "program", "caseworker_id", "status")} == {
        "case_number": NUMBER,
        "program": "vr",
        "caseworker_id": "cw-ada",
        "status": "in_pe_services",
    }
    assert (case["opened_on"], case["outcome_date"], case["version"]) == (
        "2024-01-15",
        "2024-03-01",
        7,
    )
    assert case["scheduled_termination"] is None  # in PE services: not determinable
    assert [r["status"] for r in case["requests"]] == ["pe_appropriate"]
    [authorization] = case["authorizations"]
    assert authorization["authorization_id"] == str(ids(NUMBER, "authorization"))
    assert (authorization["status"], authorization["invoiced_cents"]) == ("provided", 10_000)
    assert authorization["encumbered_cents"] == 12_000 and case["encumbered_cents"] == 12_000
    assert authorization["closed"] is False  # invoiced, not yet paid nor unencumbered
    assert [i["invoice_number"] for i in case["invoices"]] == ["INV-1"]


def test_a_case_in_monitoring_shows_its_termination_date(client: TestClient) -> None:
    run(client, served_case(NUMBER)[:10])

    case = client.get(f"/cases/{CASE}", headers=auth(ANALYST)).json()

    assert (case["status"], case["scheduled_termination"]) == ("monitoring", "2025-03-01")


def test_history_lists_events_with_type_version_dates_and_actor(client: TestClient) -> None:
    steps = served_case(NUMBER)
    run(client, steps)

    history = client.get(f"/cases/{CASE}/history", headers=auth(AUDITOR)).json()

    events = history["events"]
    assert [e["type"] for e in events] == [
        "CaseOpened",
        "OutcomeAchieved",
        "PEServicesRequested",
        "PEServicesFoundAppropriate",
        "ServiceAuthorized",
        "ServiceProvided",
        "InvoiceReceived",
        "InvoicePaid",
        "BalanceUnencumbered",
        "ReturnedToMonitoring",
        "CaseTerminated",
    ]
    assert [e["version"] for e in events] == list(range(1, len(steps) + 1))
    assert [e["actor"]["role"] for e in events] == [a.role.value for a, _ in steps]
    assert events[1]["effective_on"] == "2024-03-01" and events[1]["recorded_at"]
    assert events[1]["data"]["employer"] == "Riverside Grocers"
    assert "originator_id" not in events[1]["data"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2024-01-14", 0), ("2024-01-15", 1), ("2024-06-10", 4), ("2024-08-05", 10), (None, 11)],
)
def test_history_as_of_a_date_keeps_the_events_effective_by_then(
    client: TestClient, as_of: str | None, expected: int
) -> None:
    run(client, served_case(NUMBER))

    response = client.get(
        f"/cases/{CASE}/history", params={"as_of": as_of} if as_of else {}, headers=auth(AUDITOR)
    )

    assert response.json()["as_of"] == as_of
    assert len(response.json()["events"]) == expected
    assert all(e["effective_on"] <= (as_of or "9999") for e in response.json()["events"])


def test_an_unknown_case_is_a_404_problem_for_both_reads(client: TestClient) -> None:
    assert_problem(client.get(f"/cases/{CASE}", headers=auth(AUDITOR)), 404, "case-not-found")
    assert_problem(
        client.get(f"/cases/{CASE}/history", headers=auth(AUDITOR)), 404, "case-not-found"
    )


def project(settings: Settings, numbers: list[str]) -> None:
    """Feeds the cases' events to the caseload view as its Kafka consumer would."""
    cases = build_case_management(settings)
    view = open_caseload_view(settings, cases.policies)
    try:
        for number in numbers:
            events = cases.history(case_id_for(number))
            deliveries = [
                Delivery("pes.case-events", 0, offset, event) for offset, event in enumerate(events)
            ]
            view.apply("pes.case-events", 0, deliveries, len(events), lambda rejected: None)
    finally:
        view.close()
        cases.close()


def test_caseloads_list_the_views_cases_by_caseworker_and_status(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        run(client, served_case("VR-301")[:3])  # in PE services
        run(client, served_case("VR-302")[:2])  # monitoring
        run(client, served_case("VR-303")[:1])  # open
        before = client.get("/caseloads", headers=auth(CASEWORKER)).json()["cases"]
        project(Settings(data_dir=tmp_path), ["VR-301", "VR-302", "VR-303"])

        everything = client.get(
            "/caseloads", params={"today": "2024-06-05"}, headers=auth(CASEWORKER)
        ).json()
        monitoring = client.get(
            "/caseloads",
            params={"caseworker": "cw-ada", "status": "monitoring", "today": "2024-06-05"},
            headers=auth(ANALYST),
        ).json()
        nobody = client.get("/caseloads?caseworker=cw-nobody", headers=auth(CASEWORKER)).json()

    assert before == [], "the view is built from the event stream, not the store"
    assert [(c["case_number"], c["status"], c["version"]) for c in everything["cases"]] == [
        ("VR-301", "in_pe_services", 3),
        ("VR-302", "monitoring", 2),
        ("VR-303", "open", 1),
    ]
    [entry] = monitoring["cases"]
    assert entry == {
        "case_id": str(case_id_for("VR-302")),
        "case_number": "VR-302",
        "program": "vr",
        "caseworker_id": "cw-ada",
        "status": "monitoring",
        "outcome_date": str(date(2024, 3, 1)),
        "version": 2,
        # outcome 2024-03-01: the VR-02 window closes 2025-03-01, nothing is overdue
        "next_deadline": {
            "kind": "initiation_window",
            "rule_id": "VR-02",
            "subject": "",
            "due_on": "2025-03-01",
            "status": "pending",
        },
        "overdue": 0,
        "overdue_items": [],
    }
    assert monitoring["today"] == "2024-06-05"
    assert nobody["cases"] == []


def test_deadlines_of_a_case_and_across_cases_with_their_status_on_a_day(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        run(client, served_case("VR-311")[:7])  # provided 2024-07-15, invoiced 2024-07-20, unpaid
        run(client, served_case("VR-312")[:2])  # outcome 2024-03-01, monitoring
        project(Settings(data_dir=tmp_path), ["VR-311", "VR-312"])

        case = client.get(
            f"/cases/{case_id_for('VR-311')}/deadlines",
            params={"today": "2024-08-25"},
            headers=auth(CASEWORKER),
        ).json()
        due = client.get(
            "/deadlines",
            params={"due_by": "2024-08-31", "today": "2024-08-25"},
            headers=auth(ANALYST),
        ).json()
        missing = client.get("/deadlines", headers=auth(ANALYST))
        caseload = client.get(
            "/caseloads", params={"today": "2024-08-25"}, headers=auth(CASEWORKER)
        ).json()

    by_kind = {d["kind"]: d for d in case["deadlines"]}
    assert case["today"] == "2024-08-25"
    # The invoice received 2024-07-20 falls due 30 days later, 2024-08-19: overdue on 08-25.
    invoice = by_kind["invoice_payment"]
    assert (invoice["due_on"], invoice["met_on"], invoice["status"]) == (
        "2024-08-19",
        None,
        "overdue",
    )
    assert by_kind["initiation_window"]["rule_id"] == "VR-02"
    assert by_kind["initiation_window"]["due_on"] == "2025-03-01"
    assert [(d["case_number"], d["kind"]) for d in due["deadlines"]] == [
        ("VR-311", "invoice_payment")
    ]
    lines = {c["case_number"]: c for c in caseload["cases"]}
    assert lines["VR-311"]["overdue"] == 1  # the unpaid invoice
    assert lines["VR-312"]["overdue"] == 0
    assert lines["VR-311"]["next_deadline"]["due_on"] >= "2024-08-25"
    assert assert_problem(missing, 422, "validation-failed")["errors"][0]["loc"] == [
        "query",
        "due_by",
    ]
