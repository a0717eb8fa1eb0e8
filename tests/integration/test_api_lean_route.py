"""The command routes' planned handler (api/lean_route.py) answers every request as FastAPI's own
handler does: the same status, problem, headers and body, good requests and bad ones alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi.routing import APIRoute

from api import create_app
from api.lean_route import LeanRoute
from application.settings import Settings
from domain.case import case_id_for
from tests.builders import open_case, record_outcome
from tests.integration.api_support import (
    BILLING,
    CASEWORKER,
    TOKENS,
    TestClient,
    auth,
    command_request,
)

NUMBER = "VR-LEAN-1"
CASE = case_id_for(NUMBER)
COMPARED_HEADERS = ("content-type", "etag", "location", "www-authenticate", "idempotent-replayed")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        headers = {
            name: response.headers[name] for name in COMPARED_HEADERS if name in response.headers
        }
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return cls(response.status_code, headers, body)


@dataclass
class BothHandlers:
    """The same API twice, on stores of their own: planned command routes, and FastAPI's."""

    planned: TestClient
    fastapi: TestClient

    def post(self, path: str, **options: Any) -> Answer:
        planned, fastapi = (
            Answer.of(client.post(path, **options)) for client in (self.planned, self.fastapi)
        )
        assert planned == fastapi
        return planned


@pytest.fixture
def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BothHandlers]:
    planned_app = create_app(Settings(data_dir=tmp_path / "planned"), TOKENS)
    with monkeypatch.context() as patched:
        patched.setattr(LeanRoute, "get_route_handler", APIRoute.get_route_handler)
        fastapi_app = create_app(Settings(data_dir=tmp_path / "fastapi"), TOKENS)
    with TestClient(planned_app) as planned, TestClient(fastapi_app) as fastapi:
        handlers = BothHandlers(planned, fastapi)
        path, body = command_request(open_case(NUMBER))
        assert handlers.post(path, json=body, headers=auth(CASEWORKER)).status == 201
        yield handlers


def outcome(**changes: Any) -> dict[str, Any]:
    return {**command_request(record_outcome(NUMBER))[1], **changes}


OUTCOME_PATH = f"/cases/{CASE}/outcome"
JSON = {"Content-Type": "application/json"}


def test_the_planned_handler_is_the_one_serving_command_routes(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), TOKENS)
    routes = [route for route in app.routes if isinstance(route, LeanRoute)]

    assert len(routes) == 42
    assert all(
        route.get_route_handler().__qualname__.startswith("planned_handler") for route in routes
    )


def test_recorded_commands_get_the_same_answers(both: BothHandlers) -> None:
    path, body = command_request(open_case("VR-LEAN-2"))
    opened = both.post(path, json=body, headers=auth(CASEWORKER))
    recorded = both.post(
        OUTCOME_PATH, json=outcome(), headers={**auth(CASEWORKER), "If-Match": '"1"'}
    )

    assert (opened.status, opened.headers["etag"]) == (201, '"1"')
    assert opened.headers["location"].endswith(f"/cases/{case_id_for('VR-LEAN-2')}")
    assert (recorded.status, recorded.body["version"]) == (200, 2)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-known-token-but-long-enough-to-look-real"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer   "},
    ],
    ids=["none", "unknown", "basic", "scheme-only", "blank"],
)
def test_a_missing_or_unknown_token_gets_the_same_401(
    both: BothHandlers, headers: dict[str, str]
) -> None:
    answer = both.post(OUTCOME_PATH, json=outcome(), headers=headers)

    assert answer.status == 401
    assert "www-authenticate" in answer.headers


def test_a_role_that_may_not_gets_the_same_403_before_its_bad_values(both: BothHandlers) -> None:
    answer = both.post(
        "/cases/not a case/outcome",
        json={"unknown": 1},
        headers={**auth(BILLING), "Idempotency-Key": ""},
    )

    assert answer.status == 403


def test_malformed_json_gets_the_same_400_even_before_authentication(both: BothHandlers) -> None:
    for headers in ({**auth(CASEWORKER), **JSON}, JSON):
        answer = both.post(OUTCOME_PATH, content=b'{"employer": ', headers=headers)

        assert answer.status == 400
        assert answer.body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (None, None),
        (b"", "application/json"),
        (b"{}", "application/json"),
        (b"[]", "application/json"),
        (b'"text"', "application/json"),
        (b"null", "application/json"),
        (json.dumps(outcome()).encode(), None),
        (json.dumps(outcome()).encode(), "text/plain"),
        (json.dumps(outcome()).encode(), "application/x-www-form-urlencoded"),
    ],
    ids=["no-body", "empty", "empty-object", "list", "string", "null", "no-type", "text", "form"],
)
def test_a_body_that_is_not_the_command_gets_the_same_422(
    both: BothHandlers, content: bytes | None, content_type: str | None
) -> None:
    headers = {**auth(CASEWORKER), **({"Content-Type": content_type} if content_type else {})}

    answer = both.post(OUTCOME_PATH, content=content, headers=headers)

    assert answer.status == 422


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json"],
)
def test_json_under_another_spelling_of_its_type_is_read_the_same(
    both: BothHandlers, content_type: str
) -> None:
    answer = both.post(
        OUTCOME_PATH,
        content=json.dumps(outcome()).encode(),
        headers={**auth(CASEWORKER), "Content-Type": content_type},
    )

    assert answer.status == 200


@pytest.mark.parametrize(
    "body",
    [
        outcome(unknown_field=1),
        outcome(hourly_wage_cents="2000"),
        outcome(weekly_hours=-1),
        outcome(outcome_date="2024-02-30"),
        {key: value for key, value in outcome().items() if key != "employer"},
        outcome(case_id=str(CASE)),
    ],
    ids=["unknown-field", "string-number", "negative", "impossible-date", "missing", "path-field"],
)
def test_invalid_values_get_the_same_422(both: BothHandlers, body: dict[str, Any]) -> None:
    answer = both.post(OUTCOME_PATH, json=body, headers=auth(CASEWORKER))

    assert answer.status == 422
    assert answer.body["errors"]


def test_errors_in_path_headers_and_body_are_reported_together_in_the_same_order(
    both: BothHandlers,
) -> None:
    answer = both.post(
        "/cases/x/invoices/not-a-uuid/payment",
        json={"paid_on": "soon", "extra": True},
        headers={**auth(BILLING), "Idempotency-Key": "with space"},
    )

    assert answer.status == 422
    places = {error["loc"][0] for error in answer.body["errors"]}
    assert places == {"path", "header", "body"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/cases/{uuid4()}/outcome", 404),
        ("/cases/VR-LEAN-404/outcome", 404),
        ("/cases/" + "x" * 300 + "/outcome", 422),
    ],
    ids=["unknown-id", "unknown-number", "too-long"],
)
def test_a_case_not_there_gets_the_same_answer(both: BothHandlers, path: str, status: int) -> None:
    answer = both.post(path, json=outcome(), headers=auth(CASEWORKER))

    assert answer.status == status


@pytest.mark.parametrize(
    ("if_match", "status"),
    [('"2"', 409), ("1", 400), ("*", 200)],
    ids=["stale", "malformed", "any"],
)
def test_if_match_gets_the_same_answer(both: BothHandlers, if_match: str, status: int) -> None:
    answer = both.post(
        OUTCOME_PATH, json=outcome(), headers={**auth(CASEWORKER), "If-Match": if_match}
    )

    assert answer.status == status


def test_an_idempotency_key_is_replayed_and_refused_for_another_body_the_same(
    both: BothHandlers,
) -> None:
    headers = {**auth(CASEWORKER), "Idempotency-Key": "lean-route-key-1"}

    first = both.post(OUTCOME_PATH, json=outcome(), headers=headers)
    retried = both.post(OUTCOME_PATH, json=outcome(), headers=headers)
    other = both.post(OUTCOME_PATH, json=outcome(employer="Another"), headers=headers)
    too_long = both.post(
        OUTCOME_PATH, json=outcome(), headers={**auth(CASEWORKER), "Idempotency-Key": "k" * 256}
    )

    assert (first.status, retried.status, retried.headers["idempotent-replayed"]) == (
        200,
        200,
        "true",
    )
    assert (other.status, too_long.status) == (422, 422)


def test_a_body_over_the_limit_gets_the_same_413(both: BothHandlers) -> None:
    answer = both.post(OUTCOME_PATH, json=outcome(employer="x" * 70_000), headers=auth(CASEWORKER))

    assert answer.status == 413
