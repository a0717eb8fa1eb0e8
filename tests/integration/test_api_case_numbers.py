"""Cases found by number: every route that takes a case takes its id or its case number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.case import case_id_for
from tests.builders import open_case, record_outcome
from tests.integration.api_support import (
    AUDITOR,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    auth,
    command_request,
)

NUMBER = "VR-1-000004"
CASE = case_id_for(NUMBER)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        path, body = command_request(open_case(NUMBER))
        assert client.post(path, json=body, headers=auth(CASEWORKER)).status_code == 201
        yield client


def test_a_case_reads_the_same_by_number_as_by_id_and_names_both(client: TestClient) -> None:
    by_number = client.get(f"/cases/{NUMBER}", headers=auth(CASEWORKER))
    by_id = client.get(f"/cases/{CASE}", headers=auth(CASEWORKER))

    assert by_number.status_code == 200, by_number.text
    assert by_number.json() == by_id.json()
    assert (by_number.json()["case_id"], by_number.json()["case_number"]) == (str(CASE), NUMBER)
    assert by_number.headers["ETag"] == by_id.headers["ETag"]


def test_a_command_sent_to_the_case_number_is_recorded_on_the_case(client: TestClient) -> None:
    path, body = command_request(record_outcome(NUMBER))
    by_number = path.replace(str(CASE), NUMBER)

    response = client.post(by_number, json=body, headers={**auth(CASEWORKER), "If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "case_id": str(CASE),
        "case_number": NUMBER,
        "version": 2,
        "events": 1,
    }
    assert client.get(f"/cases/{CASE}", headers=auth(CASEWORKER)).json()["outcome_date"] == (
        "2024-03-01"
    )


def test_history_audit_state_and_deadlines_take_the_case_number(client: TestClient) -> None:
    history = client.get(f"/cases/{NUMBER}/history", headers=auth(CASEWORKER)).json()
    audit = client.get(f"/cases/{NUMBER}/audit", headers=auth(AUDITOR)).json()
    state = client.get(f"/cases/{NUMBER}/state?version=1", headers=auth(AUDITOR)).json()
    page = client.get(f"/cases/{NUMBER}/audit.html", headers=auth(AUDITOR))
    deadlines = client.get(f"/cases/{NUMBER}/deadlines", headers=auth(CASEWORKER))

    for document in (history, audit, state):
        assert (document["case_id"], document["case_number"]) == (str(CASE), NUMBER)
    assert [event["type"] for event in history["events"]] == ["CaseOpened"]
    assert page.status_code == 200 and NUMBER in page.text
    assert deadlines.status_code == 200


@pytest.mark.parametrize(
    "path", ["/cases/VR-9-999999", "/cases/VR-9-999999/history", "/cases/VR-9-999999/audit"]
)
def test_an_unknown_case_number_is_the_same_404_as_an_unknown_id(
    client: TestClient, path: str
) -> None:
    unknown_id = path.replace("VR-9-999999", str(case_id_for("VR-9-999999")))

    by_number = assert_problem(client.get(path, headers=auth(AUDITOR)), 404, "case-not-found")
    by_id = assert_problem(client.get(unknown_id, headers=auth(AUDITOR)), 404, "case-not-found")

    assert "VR-9-999999" in by_number["detail"]
    assert by_number["title"] == by_id["title"]


def test_a_command_on_an_unknown_case_number_is_a_404_and_records_nothing(
    client: TestClient,
) -> None:
    path, body = command_request(record_outcome("VR-9-999999"))

    response = client.post(
        path.replace(str(case_id_for("VR-9-999999")), "VR-9-999999"),
        json=body,
        headers=auth(CASEWORKER),
    )

    assert "VR-9-999999" in assert_problem(response, 404, "case-not-found")["detail"]
    assert client.get("/cases/VR-9-999999", headers=auth(CASEWORKER)).status_code == 404


def test_a_reference_that_is_neither_an_id_nor_a_number_is_a_422(client: TestClient) -> None:
    response = client.get("/cases/VR 1;drop", headers=auth(CASEWORKER))

    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"] == ["path", "case_id"]


def test_the_openapi_document_says_a_case_path_takes_an_id_or_a_number(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    case_parameters = [
        parameter
        for operations in paths.values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] == "case_id"
    ]

    assert len(case_parameters) > 40
    for parameter in case_parameters:
        assert "case number" in parameter["description"]
        assert parameter["schema"]["type"] == "string"
        assert "format" not in parameter["schema"]


def test_opening_a_case_under_a_number_shaped_like_an_id_is_a_422(client: TestClient) -> None:
    path, body = command_request(open_case("VR-1-000005"))

    response = client.post(
        path, json={**body, "case_number": str(case_id_for("x"))}, headers=auth(CASEWORKER)
    )

    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"] == ["body", "case_number"]
