"""Every command of the domain through HTTP: accepted ones answer with the case's new version,
refused ones with a problem document naming the rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.access import ROLES_BY_OPERATION
from api.commands import CASE_COMMAND_ROUTES
from domain.base import Actor
from domain.case import case_id_for
from domain.commands import (
    CASE_COMMANDS,
    Command,
    DetermineNewEmploymentCase,
    OpenCase,
    PayInvoice,
    TerminateCase,
)
from domain.termination import DEADLINE_PROCESS
from domain.values import ServiceType
from synthetic import REFUSALS, SyntheticCaseload
from tests.builders import (
    authorize,
    determine_appropriate,
    ids,
    open_case,
    record_outcome,
    request_services,
)
from tests.integration.api_support import (
    BILLING,
    CASEWORKER,
    ROUTES_BY_COMMAND,
    SUPERVISOR,
    SYSTEM,
    TestClient,
    api_client,
    assert_problem,
    assisted_case,
    auth,
    command_request,
    grandfathered_case,
    reviewed_case,
    send,
    served_case,
)

Scenario = Callable[[str], list[tuple[Actor, Command]]]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        yield client


def run(client: TestClient, steps: list[tuple[Actor, Command]]) -> None:
    for actor, command in steps:
        response = send(client, actor, command)
        assert response.status_code in (200, 201), f"{type(command).__name__}: {response.text}"


def test_every_case_command_of_the_domain_has_exactly_one_route() -> None:
    routed = Counter(route.command for route in CASE_COMMAND_ROUTES)

    assert set(routed) == set(CASE_COMMANDS)
    assert max(routed.values()) == 1


@pytest.mark.parametrize(
    "scenario", [served_case, reviewed_case, grandfathered_case, assisted_case]
)
def test_each_accepted_command_answers_with_the_new_version_as_etag(
    client: TestClient, scenario: Scenario
) -> None:
    steps = scenario("VR-100")
    for expected_version, (actor, command) in enumerate(steps, start=1):
        response = send(client, actor, command)

        assert response.status_code == (201 if isinstance(command, OpenCase) else 200), (
            f"{type(command).__name__}: {response.text}"
        )
        answer = response.json()
        # A new-employment-case determination also names the case it opened (VR-08).
        linked = answer.pop("linked_case", None)
        assert answer == {
            "case_id": str(case_id_for("VR-100")),
            "case_number": "VR-100",
            "version": expected_version,
            "events": 1,
        }
        assert response.headers["ETag"] == f'"{expected_version}"'
        if isinstance(command, DetermineNewEmploymentCase):
            assert linked is not None
            assert (linked["case_number"], linked["opened"]) == (command.new_case_number, True)
        else:
            assert linked is None


def test_the_scenarios_together_send_every_command_of_the_domain() -> None:
    sent = {
        type(command)
        for scenario in (served_case, reviewed_case, grandfathered_case, assisted_case)
        for _, command in scenario("VR-1")
    }

    assert sent == {OpenCase, *CASE_COMMANDS}


def test_opening_a_case_answers_201_with_its_location(client: TestClient) -> None:
    response = send(client, CASEWORKER, open_case("VR-101"))

    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/cases/{case_id_for('VR-101')}")
    assert client.get(response.headers["Location"], headers=auth(CASEWORKER)).status_code == 200


def test_every_event_records_the_actor_of_the_token(client: TestClient) -> None:
    steps = served_case("VR-102")
    run(client, steps)

    history = client.get(f"/cases/{case_id_for('VR-102')}/history", headers=auth(CASEWORKER))

    recorded = [(e["actor"]["id"], e["actor"]["role"]) for e in history.json()["events"]]
    assert recorded == [(actor.id, actor.role.value) for actor, _ in steps]


def test_a_retried_creation_command_records_nothing(client: TestClient) -> None:
    run(client, served_case("VR-103")[:3])

    retry = send(client, CASEWORKER, request_services("VR-103", date(2024, 6, 3)))

    assert retry.status_code == 200
    assert retry.json()["events"] == 0 and retry.json()["version"] == 3


# Refusals: one problem document per kind of domain error.


def test_a_hard_rule_refusal_is_a_422_problem_naming_the_rule_VR_01(client: TestClient) -> None:
    run(client, [(CASEWORKER, open_case("VR-110")), (CASEWORKER, record_outcome("VR-110"))])

    response = send(client, CASEWORKER, record_outcome("VR-110", date(2024, 4, 1)))

    problem = assert_problem(response, 422, "rule-violation", "VR-01")
    assert "already has an employment outcome" in problem["detail"]
    assert problem["instance"] == f"/cases/{case_id_for('VR-110')}/outcome"


def test_a_soft_rule_breach_without_override_is_a_422_override_required_VR_04(
    client: TestClient,
) -> None:
    run(client, reviewed_case("VR-111")[:2])
    run(
        client,
        [
            (CASEWORKER, request_services("VR-111", date(2024, 6, 3))),
            (CASEWORKER, determine_appropriate("VR-111", date(2024, 6, 10))),
        ],
    )
    four_months = authorize("VR-111", date(2024, 6, 12), date(2024, 6, 15), date(2024, 10, 30))

    response = send(client, SUPERVISOR, four_months)

    assert_problem(response, 422, "override-required", "VR-04")


def test_an_excluded_service_is_refused_VR_06(client: TestClient) -> None:
    run(client, served_case("VR-112")[:4])
    placement = authorize(
        "VR-112", date(2024, 6, 12), date(2024, 6, 15), date(2024, 7, 15)
    ).model_copy(update={"service_type": ServiceType.EMPLOYMENT_JOB_PLACEMENT})

    response = send(client, CASEWORKER, placement)

    assert_problem(response, 422, "rule-violation", "VR-06")


def test_a_command_contradicting_the_case_is_a_422_invalid_command(client: TestClient) -> None:
    run(client, served_case("VR-113")[:6])
    unknown_invoice = PayInvoice(
        case_id=case_id_for("VR-113"),
        invoice_id=ids("VR-113", "invoice", 9),
        paid_on=date(2024, 8, 1),
        amount_cents=100,
    )

    response = send(client, BILLING, unknown_invoice)

    assert_problem(response, 422, "invalid-command")


def test_termination_on_another_date_than_the_VR_11_date_is_refused(client: TestClient) -> None:
    run(client, served_case("VR-114")[:2])
    early = TerminateCase(case_id=case_id_for("VR-114"), terminated_on=date(2024, 12, 1))

    response = send(client, SYSTEM, early)

    assert_problem(response, 422, "rule-violation", "VR-11")


def test_a_case_opened_after_today_is_a_422_naming_opened_on_and_records_nothing(
    client: TestClient,
) -> None:
    path, body = command_request(open_case("VR-140"))

    response = client.post(path, json=body | {"opened_on": "2099-01-10"}, headers=auth(CASEWORKER))

    problem = assert_problem(response, 422, "effective-date-in-future")
    assert "opened_on 2099-01-10 is after today" in problem["detail"]
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "opened_on"], "date_in_future")
    ]
    case = f"/cases/{case_id_for('VR-140')}"
    assert client.get(case, headers=auth(CASEWORKER)).status_code == 404
    assert send(client, CASEWORKER, open_case("VR-140")).status_code == 201  # number not taken


def test_a_case_command_effective_after_the_apis_today_is_a_422_naming_its_date(
    tmp_path: Path,
) -> None:
    today = date(2024, 3, 1)
    with api_client(tmp_path, clock=lambda: today) as client:
        run(client, [(CASEWORKER, open_case("VR-141"))])

        early = send(client, CASEWORKER, record_outcome("VR-141", date(2024, 3, 2)))
        on_the_day = send(client, CASEWORKER, record_outcome("VR-141", today))

    problem = assert_problem(early, 422, "effective-date-in-future")
    assert problem["errors"][0]["loc"] == ["body", "outcome_date"]
    assert on_the_day.status_code == 200 and on_the_day.json()["version"] == 2


def test_a_command_on_an_unknown_case_is_a_404_problem(client: TestClient) -> None:
    response = send(client, CASEWORKER, record_outcome("VR-115"))

    problem = assert_problem(response, 404, "case-not-found")
    assert str(case_id_for("VR-115")) in problem["detail"]


def test_opening_a_case_number_twice_is_a_409_problem(client: TestClient) -> None:
    run(client, [(CASEWORKER, open_case("VR-116"))])

    response = send(client, CASEWORKER, open_case("VR-116"))

    problem = assert_problem(response, 409, "case-already-exists")
    assert "VR-116" in problem["detail"]


def test_the_synthetic_caseload_over_http_is_accepted_or_refused_with_the_expected_rules(
    tmp_path: Path,
) -> None:
    load = SyntheticCaseload(seed=5, cases=150)
    # Its terminations run past the real today: the API lives at the caseload's last day.
    last_day = load.last_day()
    with api_client(tmp_path, clock=lambda: last_day) as client:
        mismatches, expected_rules = send_caseload(client, load)

    assert mismatches == []
    assert set(expected_rules) >= set(REFUSALS) - {"VR-11"} | {"VR-01"}, "seed too narrow"


def send_caseload(client: TestClient, load: SyntheticCaseload) -> tuple[list[str], Counter[str]]:
    """Sends every command and VR-11 termination; returns the mismatches and the rules seen."""
    expected_rules: Counter[str] = Counter()
    mismatches = []
    for actor, command, expected_rule in load.commands():
        operation = operation_of(command)
        if actor.role not in ROLES_BY_OPERATION[operation]:
            # Access control answers before the domain (e.g. a caseworker's TerminateCase).
            expected = "forbidden"
        else:
            expected = expected_rule or "accepted"
            expected_rules.update([expected_rule] if expected_rule else [])
        outcome = outcome_of(send(client, actor, command))
        if outcome != expected:
            mismatches.append(f"{operation} by {actor.role}: {outcome}, expected {expected}")
    for _, termination in load.termination_commands():
        outcome = outcome_of(send(client, DEADLINE_PROCESS, termination))
        if outcome != "accepted":
            mismatches.append(f"terminate_case on its VR-11 date: {outcome}")
    return mismatches, expected_rules


def operation_of(command: Command) -> str:
    if isinstance(command, OpenCase):
        return "open_case"
    return ROUTES_BY_COMMAND[type(command)].operation


def outcome_of(response: httpx.Response) -> str:
    """accepted, forbidden, the refusing rule's id, or the status and body if none of those."""
    if response.status_code in (200, 201):
        return "accepted"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 422 and response.json().get("rule_id"):
        return str(response.json()["rule_id"])
    return f"{response.status_code} {response.text}"
