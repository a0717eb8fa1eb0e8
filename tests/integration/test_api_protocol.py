"""HTTP semantics: If-Match, Idempotency-Key, and bad requests answered with 4xx problems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from domain.case import case_id_for
from tests.builders import open_case, record_outcome, request_services
from tests.integration.api_support import (
    AUDITOR,
    BILLING,
    CASEWORKER,
    PROBLEM_JSON,
    SUPERVISOR,
    TestClient,
    api_client,
    assert_problem,
    auth,
    command_request,
    send,
)

NUMBER = "VR-200"
CASE = case_id_for(NUMBER)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        assert send(client, CASEWORKER, open_case(NUMBER)).status_code == 201
        yield client


def history_length(client: TestClient) -> int:
    return len(client.get(f"/cases/{CASE}/history", headers=auth(AUDITOR)).json()["events"])


# If-Match: optimistic concurrency


def test_a_command_with_the_current_version_in_if_match_is_accepted(client: TestClient) -> None:
    etag = client.get(f"/cases/{CASE}", headers=auth(CASEWORKER)).headers["ETag"]

    response = send(client, CASEWORKER, record_outcome(NUMBER), **{"If-Match": etag})

    assert etag == '"1"'
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


def test_a_command_with_a_stale_if_match_is_a_409_naming_the_case(client: TestClient) -> None:
    send(client, CASEWORKER, record_outcome(NUMBER))

    response = send(
        client, CASEWORKER, request_services(NUMBER, date(2024, 6, 3)), **{"If-Match": '"1"'}
    )

    problem = assert_problem(response, 409, "concurrency-conflict")
    assert str(CASE) in problem["detail"] and "version 2" in problem["detail"]
    assert history_length(client) == 2


def test_if_match_star_means_any_version(client: TestClient) -> None:
    response = send(client, CASEWORKER, record_outcome(NUMBER), **{"If-Match": "*"})

    assert response.status_code == 200


@pytest.mark.parametrize("if_match", ["1", 'W/"1"', '"one"', '"1", "2"', ""])
def test_a_malformed_if_match_is_a_400(client: TestClient, if_match: str) -> None:
    response = send(client, CASEWORKER, record_outcome(NUMBER), **{"If-Match": if_match})

    assert_problem(response, 400, "malformed-request")
    assert history_length(client) == 1


# Idempotency-Key


def test_a_retry_with_the_same_key_returns_the_original_response_and_records_once(
    client: TestClient,
) -> None:
    first = send(client, CASEWORKER, record_outcome(NUMBER), **{"Idempotency-Key": "k-1"})
    retry = send(client, CASEWORKER, record_outcome(NUMBER), **{"Idempotency-Key": "k-1"})

    assert first.status_code == retry.status_code == 200
    assert (
        retry.json()
        == first.json()
        == {
            "case_id": str(CASE),
            "case_number": NUMBER,
            "version": 2,
            "events": 1,
        }
    )
    assert retry.headers["ETag"] == '"2"'
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert history_length(client) == 2


def test_opening_a_case_again_with_the_same_key_returns_the_original_201(
    client: TestClient,
) -> None:
    first = send(client, CASEWORKER, open_case("VR-201"), **{"Idempotency-Key": "open-201"})
    retry = send(client, CASEWORKER, open_case("VR-201"), **{"Idempotency-Key": "open-201"})

    assert first.status_code == retry.status_code == 201
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.json() == first.json()


def test_the_same_key_with_another_body_is_a_422(client: TestClient) -> None:
    send(client, CASEWORKER, record_outcome(NUMBER), **{"Idempotency-Key": "k-2"})

    response = send(
        client, CASEWORKER, record_outcome(NUMBER, date(2024, 4, 1)), **{"Idempotency-Key": "k-2"}
    )

    assert_problem(response, 422, "idempotency-key-reused")
    assert history_length(client) == 2


def test_the_same_key_on_another_route_is_a_422(client: TestClient) -> None:
    send(client, CASEWORKER, record_outcome(NUMBER), **{"Idempotency-Key": "k-3"})

    response = send(
        client, CASEWORKER, request_services(NUMBER, date(2024, 6, 3)), **{"Idempotency-Key": "k-3"}
    )

    assert_problem(response, 422, "idempotency-key-reused")


def test_keys_belong_to_their_actor(client: TestClient) -> None:
    send(client, CASEWORKER, record_outcome(NUMBER), **{"Idempotency-Key": "shared"})

    response = send(client, SUPERVISOR, open_case("VR-202"), **{"Idempotency-Key": "shared"})

    assert response.status_code == 201


def test_a_refused_command_is_not_remembered_so_a_retry_runs_again(client: TestClient) -> None:
    early = request_services(NUMBER, date(2024, 6, 3))
    refused = send(client, CASEWORKER, early, **{"Idempotency-Key": "k-4"})
    send(client, CASEWORKER, record_outcome(NUMBER))

    retried = send(client, CASEWORKER, early, **{"Idempotency-Key": "k-4"})

    assert_problem(refused, 422, "rule-violation", "VR-01")
    assert retried.status_code == 200 and retried.json()["version"] == 3


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        first = send(client, CASEWORKER, open_case("VR-203"), **{"Idempotency-Key": "k-5"})
    with api_client(tmp_path) as restarted:
        retry = send(restarted, CASEWORKER, open_case("VR-203"), **{"Idempotency-Key": "k-5"})

    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "ünïcode"])
def test_a_malformed_idempotency_key_is_a_422(client: TestClient, key: str) -> None:
    path, body = command_request(record_outcome(NUMBER))

    response = client.post(
        path,
        content=json.dumps(body).encode(),
        headers={
            **auth(CASEWORKER),
            "Content-Type": "application/json",
            "Idempotency-Key": key.encode(),
        },
    )

    assert_problem(response, 422, "validation-failed")
    assert history_length(client) == 1


# Bad requests: always a 4xx problem document


def post_raw(client: TestClient, path: str, content: bytes, **headers: str) -> httpx.Response:
    return client.post(
        path,
        content=content,
        headers={**auth(CASEWORKER), "Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    "content", [b"{", b'{"outcome_date": }', b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b"NaN"]
)
def test_malformed_json_is_a_400(client: TestClient, content: bytes) -> None:
    response = post_raw(client, f"/cases/{CASE}/outcome", content)

    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == PROBLEM_JSON


def test_an_unparseable_body_names_the_problem(client: TestClient) -> None:
    response = post_raw(client, f"/cases/{CASE}/outcome", b'{"outcome_date": ')

    assert_problem(response, 400, "malformed-request")


def outcome_body(**changes: object) -> dict[str, object]:
    body = command_request(record_outcome(NUMBER))[1]
    body.update(changes)
    return {name: value for name, value in body.items() if value is not ...}


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        (outcome_body(hourly_wage_cents="lots"), "hourly_wage_cents", "int_type"),
        (outcome_body(weekly_hours=[40]), "weekly_hours", "float_type"),
        (outcome_body(employer=None), "employer", "string_type"),
        (outcome_body(nickname="Ada"), "nickname", "extra_forbidden"),
        (outcome_body(case_id=str(CASE)), "case_id", "extra_forbidden"),
        (outcome_body(outcome_date="2024-02-30"), "outcome_date", "date_from_datetime_parsing"),
        (outcome_body(outcome_date="yesterday"), "outcome_date", "iso_date"),
        (outcome_body(outcome_date=...), "outcome_date", "missing"),
        (outcome_body(outcome_date="9999-12-30"), "outcome_date", "less_than_equal"),
        (outcome_body(outcome_date="0001-01-01"), "outcome_date", "greater_than_equal"),
        (outcome_body(weekly_hours=1e400), "weekly_hours", "less_than_equal"),
    ],
)
def test_an_invalid_body_is_a_422_listing_the_field_errors(
    client: TestClient, body: dict[str, object], field: str, error_type: str
) -> None:
    response = post_raw(client, f"/cases/{CASE}/outcome", json.dumps(body).encode())

    problem = assert_problem(response, 422, "validation-failed")
    assert {"loc": ["body", field], "type": error_type} in [
        {"loc": e["loc"], "type": e["type"]} for e in problem["errors"]
    ], problem["errors"]
    assert all(set(error) == {"loc", "msg", "type"} for error in problem["errors"])


def test_a_case_cannot_be_opened_at_the_end_of_the_calendar(client: TestClient) -> None:
    body = command_request(open_case("VR-9999"))[1] | {"opened_on": "9999-12-01"}

    response = client.post("/cases", json=body, headers=auth(CASEWORKER))

    # Policy clocks add months to business dates; near year 9999 they would leave the calendar.
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"] == ["body", "opened_on"]


@pytest.mark.parametrize("content", [b"", b"[]", b'"text"', b"null", b"42"])
def test_a_body_that_is_not_an_object_is_a_422(client: TestClient, content: bytes) -> None:
    response = post_raw(client, f"/cases/{CASE}/outcome", content)

    assert_problem(response, 422, "validation-failed")


def test_a_body_sent_as_another_media_type_is_a_422(client: TestClient) -> None:
    body = json.dumps(outcome_body()).encode()

    response = post_raw(client, f"/cases/{CASE}/outcome", body, **{"Content-Type": "text/plain"})

    assert_problem(response, 422, "validation-failed")
    assert history_length(client) == 1


def test_a_declared_huge_payload_is_a_413(client: TestClient) -> None:
    huge = json.dumps(outcome_body(employer="x" * 70_000)).encode()

    response = post_raw(client, f"/cases/{CASE}/outcome", huge)

    assert_problem(response, 413, "content-too-large")


def test_a_streamed_huge_payload_without_length_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"employer": "'
        for _ in range(10):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post(
        f"/cases/{CASE}/outcome",
        content=chunks(),
        headers={**auth(CASEWORKER), "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "content-too-large")


def test_a_body_just_under_the_limit_is_read(client: TestClient) -> None:
    body = json.dumps(outcome_body(padding="x" * 60_000)).encode()

    response = post_raw(client, f"/cases/{CASE}/outcome", body)

    assert_problem(response, 422, "validation-failed")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/cases/-neither-an-id-nor-a-number", "case_id"),
        ("/cases/VR%201", "case_id"),
        (f"/cases/{CASE}/history?as_of=2024-13-01", "as_of"),
        (f"/cases/{CASE}/history?as_of=soon", "as_of"),
        ("/caseloads?status=closed", "status"),
    ],
)
def test_bad_path_or_query_parameters_are_a_422(client: TestClient, path: str, field: str) -> None:
    response = client.get(path, headers=auth(CASEWORKER))

    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"][-1] == field


def test_a_bad_id_in_a_command_path_is_a_422(client: TestClient) -> None:
    response = client.post(
        f"/cases/{CASE}/invoices/123/payment",
        json={"paid_on": "2024-08-01", "amount_cents": 100},
        headers=auth(BILLING),
    )

    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"] == ["path", "invoice_id"]


def test_an_unknown_path_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nothing-here", headers=auth(CASEWORKER))

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "about:blank"


def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.delete(f"/cases/{CASE}", headers=auth(CASEWORKER))

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["Allow"] == "GET"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json")

    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
    assert "Problem" in spec.json()["components"]["schemas"]
    assert client.get("/docs").status_code == 200
