"""Inputs taken literally over HTTP: money is a JSON integer, dates are YYYY-MM-DD strings,
booleans are booleans and every integer is bounded; anything else is a 422 naming the field,
and nothing is recorded."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import model_validator

from api.commands import command_from
from domain.case import case_id_for
from domain.commands import Command, OpenCase
from tests.builders import open_case, record_outcome
from tests.integration.api_support import (
    AUDITOR,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    assisted_case,
    auth,
    command_request,
    send,
    served_api,
    served_case,
)

ASSISTED = "TA-313"  # a cash-assistance case; its eligibility record is the next step
INVOICED = "VR-310"  # provided; its invoice is the next step
OPENED = "VR-311"  # opened; its outcome is the next step
REQUESTED = "VR-312"  # a request awaiting its determination
AWAITING: dict[str, list[Any]] = {
    INVOICED: served_case(INVOICED)[:6],
    OPENED: [(CASEWORKER, open_case(OPENED))],
    REQUESTED: served_case(REQUESTED)[:3],
    ASSISTED: assisted_case(ASSISTED)[:19],
}


INVOICE = served_case(INVOICED)[6]
OUTCOME = (CASEWORKER, record_outcome(OPENED))
DETERMINATION = served_case(REQUESTED)[3]
ELIGIBILITY = assisted_case(ASSISTED)[19]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(tmp_path_factory.mktemp("strict")) as client:
        for steps in AWAITING.values():
            for actor, command in steps:
                assert send(client, actor, command).status_code in (200, 201)
        yield client


def history_length(client: TestClient, number: str) -> int:
    response = client.get(f"/cases/{case_id_for(number)}/history", headers=auth(AUDITOR))
    assert response.status_code == 200, response.text
    return len(response.json()["events"])


def post_changed(
    client: TestClient, step: tuple[Any, Command], changes: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Posts the step's body with `changes` (nested with dotted names); the problem document."""
    actor, command = step
    path, body = command_request(command)
    for dotted, value in changes.items():
        *parents, name = dotted.split(".")
        target = body
        for parent in parents:
            target = target[parent]
        target[name] = value
    response = client.post(path, json=body, headers=auth(actor))
    return response.status_code, response.json()


def assert_refused_naming(
    client: TestClient, number: str, step: tuple[Any, Command], field: str, value: Any
) -> None:
    before = history_length(client, number)

    status, problem = post_changed(client, step, {field: value})

    assert status == 422, problem
    assert problem["type"] == "urn:pes:problem:validation-failed"
    assert [["body", *field.split(".")]] == [error["loc"] for error in problem["errors"]], problem
    assert history_length(client, number) == before


@pytest.mark.parametrize(
    "amount", [True, False, "100", "10000", 10_000.0, 100.5, None, [10_000], {"cents": 1}]
)
def test_invoice_money_that_is_not_a_json_integer_is_a_422_naming_amount_cents_VR_10(
    client: TestClient, amount: Any
) -> None:
    assert_refused_naming(client, INVOICED, INVOICE, "amount_cents", amount)


@pytest.mark.parametrize(
    "amount", [2**63, -(2**63), 10**21, 100_000_000_01, -1, 0], ids=lambda a: f"cents={a}"
)
def test_invoice_money_out_of_bounds_is_a_422_naming_amount_cents_VR_10(
    client: TestClient, amount: int
) -> None:
    assert_refused_naming(client, INVOICED, INVOICE, "amount_cents", amount)


@pytest.mark.parametrize(
    "day",
    [
        0,
        1735689600,
        1735689600.0,
        "1735689600",
        "2025-06-02T00:00:00",
        "2025-06-02T00:00:00Z",
        "20250602",
        "2025-W23-1",
        "2025-153",
        " 2025-06-02",
        "2025-06-02 ",
        "2025-6-2",
        "\uff12\uff10\uff12\uff15-\uff10\uff16-\uff10\uff12",  # full-width digits
        True,
        None,
    ],
    ids=repr,
)
def test_an_outcome_date_that_is_not_a_yyyy_mm_dd_string_is_a_422_naming_outcome_date_VR_01(
    client: TestClient, day: Any
) -> None:
    assert_refused_naming(client, OPENED, OUTCOME, "outcome_date", day)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hourly_wage_cents", 1850.0),
        ("hourly_wage_cents", 18.5),
        ("hourly_wage_cents", "1850"),
        ("hourly_wage_cents", True),
        ("hourly_wage_cents", 2**63),
        ("weekly_hours", "32.5"),
        ("weekly_hours", True),
        ("weekly_hours", -(2**63)),
    ],
    ids=repr,
)
def test_wages_and_hours_are_json_numbers_within_bounds_VR_01(
    client: TestClient, field: str, value: Any
) -> None:
    assert_refused_naming(client, OPENED, OUTCOME, field, value)


@pytest.mark.parametrize("flag", [1, 0, "true", "yes", 1.0, None], ids=repr)
def test_a_scope_criterion_given_anything_but_a_boolean_is_a_422_naming_it_VR_05(
    client: TestClient, flag: Any
) -> None:
    assert_refused_naming(client, REQUESTED, DETERMINATION, "criteria.readily_available", flag)


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "20300101", 0], ids=repr)
def test_an_optional_date_outside_the_calendar_or_not_iso_is_a_422_naming_it_TA_06(
    client: TestClient, day: Any
) -> None:
    assert_refused_naming(client, ASSISTED, ELIGIBILITY, "renewal_on", day)


def test_the_same_requests_with_literal_values_are_recorded(tmp_path: Path) -> None:
    with api_client(tmp_path) as fresh:
        for steps in AWAITING.values():
            for actor, command in steps:
                assert send(fresh, actor, command).status_code in (200, 201)
        for step, number in [
            (INVOICE, INVOICED),
            (OUTCOME, OPENED),
            (DETERMINATION, REQUESTED),
            (ELIGIBILITY, ASSISTED),
        ]:
            before = history_length(fresh, number)

            assert send(fresh, *step).status_code == 200
            assert history_length(fresh, number) == before + 1


# Queries


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("version=999999999999999999999", "version"),
        (f"version={2**63}", "version"),
        (f"version={-(2**63)}", "version"),
        ("version=0", "version"),
        ("version=1.0", "version"),
        ("version=true", "version"),
        ("as_of=20250602", "as_of"),
        ("as_of=2025-06-02T00:00:00", "as_of"),
        ("as_of=1735689600", "as_of"),
        ("as_of=2025-W23-1", "as_of"),
    ],
)
def test_a_state_query_out_of_bounds_or_not_iso_is_a_422_naming_the_parameter(
    client: TestClient, query: str, field: str
) -> None:
    response = client.get(f"/cases/{case_id_for(OPENED)}/state?{query}", headers=auth(AUDITOR))

    problem = assert_problem(response, 422, "validation-failed")
    assert [error["loc"] for error in problem["errors"]] == [["query", field]]


def test_the_largest_version_the_store_holds_is_looked_up_and_not_found(
    client: TestClient,
) -> None:
    response = client.get(
        f"/cases/{case_id_for(OPENED)}/state?version={2**63 - 1}", headers=auth(AUDITOR)
    )

    assert_problem(response, 404, "case-not-found")


@pytest.mark.parametrize(
    "path",
    [
        f"/cases/{case_id_for(OPENED)}/history?as_of=20250602",
        f"/cases/{case_id_for(OPENED)}/deadlines?today=2025-06-02T00:00:00",
        "/caseloads?today=1735689600",
        "/deadlines?due_by=2025-W23-1",
        f"/cases/{case_id_for(OPENED)}/audit?as_of=0",
    ],
)
def test_a_query_date_that_is_not_yyyy_mm_dd_is_a_422(client: TestClient, path: str) -> None:
    response = client.get(path, headers=auth(AUDITOR))

    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["loc"][0] == "query"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The API on a real socket; yields its port."""
    with served_api(tmp_path_factory.mktemp("strict-server")) as port:
        yield port


def test_an_oversized_version_keeps_the_connection_open_for_the_next_request(
    server: int,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    try:
        case_id = case_id_for(OPENED)
        connection.request(
            "GET", f"/cases/{case_id}/state?version=999999999999999999999", headers=auth(AUDITOR)
        )
        refused = connection.getresponse()
        refused.read()
        socket_used = connection.sock

        connection.request("GET", "/openapi.json")
        answered = connection.getresponse()
        answered.read()

        assert refused.status == 422
        assert refused.getheader("connection") != "close"
        assert answered.status == 200
        assert connection.sock is socket_used
    finally:
        connection.close()


def test_the_openapi_document_describes_money_as_integers_and_dates_as_iso_dates(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    state = document["paths"]["/cases/{case_id}/state"]["get"]["parameters"]
    version = next(p for p in state if p["name"] == "version")["schema"]["anyOf"][0]

    assert schemas["ReceiveInvoice"]["properties"]["amount_cents"]["type"] == "integer"
    assert schemas["RecordOutcome"]["properties"]["outcome_date"] == {
        "type": "string",
        "format": "date",
        "title": "Outcome Date",
    }
    assert schemas["ScopeCriteria"]["properties"]["readily_available"]["type"] == "boolean"
    assert schemas["RecordOutcome"]["properties"]["weekly_hours"]["type"] == "number"
    assert version == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_a_check_only_the_whole_command_makes_is_a_422_about_the_body_not_a_500() -> None:
    class CheckedAsAWhole(OpenCase):
        @model_validator(mode="after")
        def _refused_as_a_whole(self) -> Self:
            raise ValueError("refused as a whole")

    with pytest.raises(RequestValidationError) as refused:
        command_from(CheckedAsAWhole, command_request(open_case("VR-314"))[1])

    assert [error["loc"] for error in refused.value.errors()] == [("body",)]
