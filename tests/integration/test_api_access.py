"""Access control: bearer tokens name actors; the role matrix decides, route by route."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from api import TokenConfigurationError, TokenMap, create_app
from api.access import ROLES_BY_OPERATION
from api.auth import DEVELOPMENT_TOKENS, TOKENS_ENV, TOKENS_FILE_ENV
from api.commands import CASE_COMMAND_ROUTES, OPEN_CASE_OPERATION
from application.personal_data import new_master_key
from application.settings import Settings
from domain.base import Actor, Role
from domain.case import case_id_for
from domain.commands import AuthorizeService
from domain.values import Override
from tests.builders import authorize, open_case
from tests.integration.api_support import (
    CASEWORKER,
    ROLE_ACTORS,
    SUPERVISOR,
    TOKENS,
    TestClient,
    assert_problem,
    auth,
    command_request,
    sample_command,
    send,
)

ROLES_DOC = Path(__file__).parents[2] / "docs" / "roles.md"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("api"), personal_data_key=new_master_key())
    with TestClient(create_app(settings, TOKENS)) as client:
        yield client


def operation_request(operation: str, role: Role) -> tuple[str, str, dict[str, object] | None]:
    """A valid request of the operation; on a case never opened, except open_case's own."""
    number = "VR-never-opened"
    if operation == "get_case":
        return "GET", f"/cases/{case_id_for(number)}", None
    if operation == "get_case_history":
        return "GET", f"/cases/{case_id_for(number)}/history", None
    if operation == "get_caseloads":
        return "GET", "/caseloads", None
    if operation == "get_case_deadlines":
        return "GET", f"/cases/{case_id_for(number)}/deadlines", None
    if operation == "get_due_deadlines":
        return "GET", "/deadlines?due_by=2025-01-01", None
    if operation == "get_case_audit":
        return "GET", f"/cases/{case_id_for(number)}/audit", None
    if operation == "get_case_audit_page":
        return "GET", f"/cases/{case_id_for(number)}/audit.html", None
    if operation == "get_case_state":
        return "GET", f"/cases/{case_id_for(number)}/state?version=1", None
    if operation == "get_case_page":
        return "GET", f"/pages/cases/{number}", None
    if operation == "get_audit_file":
        return "GET", f"/pages/cases/{number}/audit-file.pdf", None
    if operation == "get_caseload_board":
        return "GET", "/pages/caseload", None
    if operation == "put_personal_data":
        body = {"given_name": "Ada", "family_name": "Lovelace"}
        return "PUT", f"/clients/CL-by-{role.value}/personal-data", body
    if operation == "get_personal_data":
        return "GET", "/clients/CL-never-stored/personal-data", None
    if operation == "erase_personal_data":
        return "POST", "/clients/CL-never-stored/erasure", {"reason": "client request"}
    if operation == OPEN_CASE_OPERATION:
        path, body = command_request(open_case(f"VR-opened-by-{role.value}"))
        return "POST", path, body
    route = next(route for route in CASE_COMMAND_ROUTES if route.operation == operation)
    path, body = command_request(sample_command(route.command, number))
    return "POST", path, body


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("operation", list(ROLES_BY_OPERATION))
def test_each_route_is_open_to_its_roles_and_forbidden_to_the_others(
    client: TestClient, operation: str, role: Role
) -> None:
    method, path, body = operation_request(operation, role)

    response = client.request(method, path, json=body, headers=auth(ROLE_ACTORS[role]))

    if role in ROLES_BY_OPERATION[operation]:
        # Allowed: it reaches the application, which finds no such case (or opens it).
        expected = {
            "open_case": 201,
            "get_caseloads": 200,
            "get_case_deadlines": 200,  # from the view, which may not have seen a case yet
            "get_due_deadlines": 200,
            "get_caseload_board": 200,
            "put_personal_data": 204,
        }.get(operation, 404)
        assert response.status_code == expected, response.text
    elif path.startswith("/pages/"):
        # A page's refusal is a page of its own, naming the roles it is for.
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "This page is for the" in response.text
    else:
        problem = assert_problem(response, 403, "forbidden")
        assert operation in problem["detail"]


def test_every_route_of_the_app_is_in_the_role_matrix(client: TestClient) -> None:
    operations = {
        operation["operationId"]
        for path in client.get("/openapi.json").json()["paths"].values()
        for operation in path.values()
    }

    assert operations == set(ROLES_BY_OPERATION)


def test_docs_roles_md_shows_the_enforced_matrix() -> None:
    documented = {}
    for line in ROLES_DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 + len(Role) and re.fullmatch(r"`\w+`", cells[2]):
            marks = cells[3:]
            documented[cells[2].strip("`")] = {
                role for role, mark in zip(Role, marks, strict=True) if mark == "✓"
            }
    header = next(line for line in ROLES_DOC.read_text().splitlines() if "caseworker" in line)

    assert [cell.strip() for cell in header.strip().strip("|").split("|")][3:] == list(Role)
    assert documented == {operation: set(roles) for operation, roles in ROLES_BY_OPERATION.items()}


def overriding_authorization(number: str) -> AuthorizeService:
    return authorize(
        number,
        date(2024, 6, 12),
        date(2024, 6, 15),
        date(2024, 10, 30),
        overrides=(Override(rule_id="VR-04", reason="Licensing takes four months."),),
    )


def test_only_a_supervisor_may_send_overrides(client: TestClient) -> None:
    response = send(client, CASEWORKER, overriding_authorization("VR-override"))

    problem = assert_problem(response, 403, "forbidden")
    assert "VR-04" in problem["detail"]
    # The supervisor passes access control; the application then finds no such case.
    assert send(client, SUPERVISOR, overriding_authorization("VR-override")).status_code == 404


def test_a_caseworker_may_authorize_without_overrides(client: TestClient) -> None:
    plain = overriding_authorization("VR-plain").model_copy(update={"overrides": ()})

    assert send(client, CASEWORKER, plain).status_code == 404


def test_a_request_without_a_bearer_token_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/caseloads")

    assert_problem(response, 401, "not-authenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer", "token-caseworker-1"]
)
def test_an_unknown_token_or_scheme_is_401(client: TestClient, authorization: str) -> None:
    response = client.post(
        "/cases",
        json=command_request(open_case("VR-anon"))[1],
        headers={"Authorization": authorization},
    )

    assert_problem(response, 401, "not-authenticated")


def test_authentication_is_checked_before_the_body(client: TestClient) -> None:
    response = client.post("/cases", json={"unexpected": True})

    assert response.status_code == 401


# Token configuration


def test_the_api_refuses_to_start_without_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKENS_ENV, raising=False)
    monkeypatch.delenv(TOKENS_FILE_ENV, raising=False)

    with pytest.raises(TokenConfigurationError, match="no API tokens are configured"):
        create_app(Settings(data_dir=tmp_path))


def test_tokens_are_read_from_the_environment_as_json() -> None:
    tokens = TokenMap.from_environment(
        {TOKENS_ENV: json.dumps({"s3cret": {"id": "cw-ada", "role": "caseworker"}})}
    )

    assert tokens.actor_for("s3cret") == Actor(id="cw-ada", role=Role.CASEWORKER)
    assert tokens.actor_for("other") is None


def test_tokens_are_read_from_a_file_named_by_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"t-billing": {"id": "billing-7", "role": "billing"}}))

    tokens = TokenMap.from_environment({TOKENS_FILE_ENV: str(path)})

    assert tokens.actor_for("t-billing") == Actor(id="billing-7", role=Role.BILLING)


@pytest.mark.parametrize(
    "environment",
    [
        {TOKENS_ENV: "not json"},
        {TOKENS_ENV: json.dumps({"t": {"id": "x", "role": "janitor"}})},
        {TOKENS_ENV: json.dumps({"t": {"id": "x"}})},
        {TOKENS_ENV: json.dumps({" ": {"id": "x", "role": "caseworker"}})},
        {TOKENS_ENV: json.dumps(["t"])},
        {TOKENS_FILE_ENV: "/nonexistent/tokens.json"},
        {TOKENS_ENV: "{}", TOKENS_FILE_ENV: "/tmp/tokens.json"},
    ],
)
def test_malformed_token_configuration_is_refused_clearly(environment: dict[str, str]) -> None:
    with pytest.raises(TokenConfigurationError):
        TokenMap.from_environment(environment)


def test_development_mode_accepts_the_documented_dev_tokens_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(TOKENS_ENV, raising=False)
    monkeypatch.delenv(TOKENS_FILE_ENV, raising=False)

    with caplog.at_level(logging.WARNING, logger="api.auth"):
        app = create_app(Settings(data_dir=tmp_path), development=True)
    with TestClient(app) as client:
        responses = {
            token: client.get("/caseloads", headers={"Authorization": f"Bearer {token}"})
            for token in DEVELOPMENT_TOKENS
        }

    assert set(DEVELOPMENT_TOKENS) == {f"dev-{role.value}" for role in Role}
    assert {token: r.status_code for token, r in responses.items()} == dict.fromkeys(
        DEVELOPMENT_TOKENS, 200
    )
    assert "DEVELOPMENT MODE" in caplog.text
