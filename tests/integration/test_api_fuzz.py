"""Property-based fuzzing from the app's own OpenAPI document (schemathesis + hypothesis).

Whatever the request — valid or not, any role, on cases and sub-resources that exist or not,
with boundary integers and dates in other shapes put in its body or query — the API never
answers 5xx, every error is a problem document, and a value of the wrong JSON type is refused.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api import create_app
from api.access import ROLES_BY_OPERATION
from application.settings import Settings
from domain.base import Role
from domain.case import case_id_for
from domain.inputs import DECIMAL, EARLIEST_BUSINESS_DATE, ISO_DAY, LATEST_BUSINESS_DATE
from tests.builders import ids
from tests.integration.api_support import (
    PROBLEM_JSON,
    ROLE_ACTORS,
    TOKENS,
    TestClient,
    grandfathered_case,
    reviewed_case,
    send,
    served_case,
    token_for,
)

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis drives the API fuzz")

REQUESTS = 1_200
MINIMUM_REQUESTS = 1_000
QUERY_REQUESTS = 300

# What lax parsing once coerced (true as 1 cent, "100" as 100, 0 as 1970-01-01, a date and time
# as a date), integers past what the stores hold, and dates in other ISO shapes; one of them is
# put in a generated body field or query parameter.
HOSTILE: tuple[Any, ...] = (
    2**63,
    2**63 - 1,
    -(2**63),
    -(2**63) - 1,
    10**21,
    -1,
    0,
    True,
    False,
    1.5,
    1e308,
    "100",
    1735689600,
    "1735689600",
    "2025-06-02T00:00:00",
    "20250602",
    "2025-W23-1",
    "2025-153",
    "0001-01-01",
    "9999-12-31",
    None,
)

# Cases at different stages, so generated requests also reach the domain's rules.
SEEDS = {
    "VR-F1": served_case("VR-F1")[:4],  # a PE-appropriate request, nothing authorized
    "VR-F2": served_case("VR-F2")[:7],  # provided and invoiced, unpaid
    "VR-F3": served_case("VR-F3"),  # terminated
    "VR-F4": reviewed_case("VR-F4")[:4],  # not appropriate, review possible
    "VR-F5": grandfathered_case("VR-F5"),  # grandfathered, no outcome yet
}
KNOWN_CASES = [str(case_id_for(number)) for number in SEEDS] + list(SEEDS)
KNOWN_IDS: dict[str, list[str]] = {
    # A case path takes the id or the case number: both reach the seeded cases.
    "case_id": KNOWN_CASES,
    "case": KNOWN_CASES,  # the pages' name for it
    "request_id": [str(ids(number, "request", n)) for number in SEEDS for n in (1, 2)],
    "authorization_id": [str(ids(number, "authorization")) for number in SEEDS],
    "invoice_id": [str(ids(number, "invoice")) for number in SEEDS],
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    # One per test: schemathesis ends the app's lifespan (closing its stores) after a run.
    app = create_app(Settings(data_dir=tmp_path), TOKENS)
    with TestClient(app) as client:
        for steps in SEEDS.values():
            for actor, command in steps:
                assert send(client, actor, command).status_code in (200, 201)
        yield app


def with_known_ids(data: st.DataObject, values: dict[str, Any]) -> None:
    """Points some generated ids at existing cases, requests, authorizations and invoices."""
    for name in list(values):
        if name in KNOWN_IDS and data.draw(st.booleans(), label=f"known {name}"):
            values[name] = data.draw(st.sampled_from(KNOWN_IDS[name]), label=name)


MISFITS: dict[str, tuple[Any, ...]] = {
    "integer": (True, False, "100", 100.0, 1.5, 2**63, -(2**63), 10**21, "2025-06-02"),
    "number": (True, "32.5", "1e3", 1e308, -(2**63), None),
    "boolean": (1, 0, "true", 1.0, None),
    "date": (
        0,
        1735689600,
        "1735689600",
        "2025-06-02T00:00:00",
        "20250602",
        "2025-W23-1",
        "2025-153",
        True,
        "0001-01-01",
        "9999-12-31",
    ),
}
"""Per kind of field, values of another JSON type or past its bounds."""


def kind_of(schema: dict[str, Any] | None) -> str | None:
    """The kind of a date, number or flag field (integer, number, boolean, date), else None."""
    for option in (schema or {}).get("anyOf", [schema or {}]):
        if option.get("format") == "date":
            return "date"
        if option.get("type") in ("integer", "number", "boolean"):
            return str(option["type"])
    return None


def admits(schema: dict[str, Any], value: Any) -> bool:
    """Whether `value` is of a JSON type the property's schema declares (a date within the
    business calendar; other bounds aside)."""
    for option in schema.get("anyOf", [schema]):
        kind = option.get("type")
        if kind is None:  # an enum or a nested model by reference: not judged here
            return True
        if (
            (kind == "integer" and type(value) is int)
            or (kind == "number" and type(value) in (int, float))
            or (kind == "boolean" and type(value) is bool)
            or (kind == "null" and value is None)
            or (
                kind == "string"
                and isinstance(value, str)
                and (option.get("format") != "date" or is_business_date(value))
            )
        ):
            return True
    return False


def is_business_date(text: str) -> bool:
    if ISO_DAY.fullmatch(text) is None:
        return False
    try:
        return EARLIEST_BUSINESS_DATE <= date.fromisoformat(text) <= LATEST_BUSINESS_DATE
    except ValueError:
        return False


def body_properties(raw: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The properties of an operation's JSON body, by name."""
    body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
    reference = body.get("schema", {}).get("$ref", "")
    properties: dict[str, Any] = components.get(reference.rsplit("/", 1)[-1], {}).get(
        "properties", {}
    )
    return properties


def literal_fields(
    body: dict[str, Any], declared: dict[str, Any], components: dict[str, Any]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """The body's date, number and flag fields by path, also inside a nested model (VR-07 and
    VR-05 answers), with their schemas."""
    fields: dict[tuple[str, ...], dict[str, Any]] = {}
    for name, value in body.items():
        schema = declared.get(name)
        if schema is None:
            continue
        if kind_of(schema):
            fields[(name,)] = schema
        elif isinstance(value, dict):
            for option in schema.get("anyOf", [schema]):
                nested = components.get(option.get("$ref", "").rsplit("/", 1)[-1], {})
                for inner, inner_schema in nested.get("properties", {}).items():
                    if inner in value and kind_of(inner_schema):
                        fields[(name, inner)] = inner_schema
    return fields


def admits_text(schema: dict[str, Any], text: str) -> bool:
    """Whether a query parameter's schema takes `text` (its type, and an integer's bounds)."""
    for option in schema.get("anyOf", [schema]):
        kind = option.get("type")
        if kind is None or (kind == "string" and option.get("format") != "date"):
            return True
        if kind == "string" and ISO_DAY.fullmatch(text):
            return True
        if kind == "integer" and DECIMAL.fullmatch(text):
            return option.get("minimum", -math.inf) <= int(text) <= option.get("maximum", math.inf)
    return False


def as_query_text(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def authorization_for(data: st.DataObject, operation: str) -> dict[str, str]:
    """Mostly a role the operation allows (to get past access control), sometimes any or none."""
    choice = data.draw(st.sampled_from(["allowed", "allowed", "allowed", "any", "none", "bogus"]))
    if choice == "none":
        return {}
    if choice == "bogus":
        return {"Authorization": "Bearer not-a-token"}
    roles = sorted(ROLES_BY_OPERATION[operation]) if choice == "allowed" else list(Role)
    role = data.draw(st.sampled_from(roles), label="role")
    return {"Authorization": f"Bearer {token_for(ROLE_ACTORS[Role(role)])}"}


PRINTING = "get_audit_file"
"""Prints a PDF in Chromium (a second or more) per request: left out of the fuzzing, whose
requests would mostly wait for it; its parameters are the case page's, which is fuzzed, and
tests/integration/test_pages_browser.py prints it."""


def fuzzed(operations: Iterable[Any]) -> list[Any]:
    return [o for o in operations if o.definition.raw["operationId"] != PRINTING]


def test_no_generated_request_gets_a_server_error(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = fuzzed(result.ok() for result in schema.get_all_operations())
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    cases = st.one_of(
        *(operation.as_strategy(generation_mode=mode) for operation in operations for mode in modes)
    )
    statuses: Counter[int] = Counter()
    injected: Counter[str] = Counter()
    components = schema.raw_schema["components"]["schemas"]

    # Derandomized so CI sees the same requests each run; raise REQUESTS locally to explore.
    # No shrinking: the requests change the cases, so a replay is not the same request.
    @settings(
        max_examples=REQUESTS,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def fuzz(case: Any, data: st.DataObject) -> None:
        operation = case.operation.definition.raw["operationId"]
        if case.headers and data.draw(st.booleans(), label="drop generated headers"):
            # Random If-Match values mostly stop at 400; without them, requests go deeper.
            case.headers.clear()
        with_known_ids(data, case.path_parameters or {})
        if isinstance(case.body, dict):
            with_known_ids(data, case.body)
        refusable: list[str] | None = None
        declared = body_properties(case.operation.definition.raw, components)
        if isinstance(case.body, dict) and case.body and data.draw(st.booleans(), label="hostile"):
            literal = literal_fields(case.body, declared, components)
            if bool(literal) and data.draw(st.booleans(), label="at a date, number or flag"):
                path = data.draw(st.sampled_from(sorted(literal)), label="hostile field")
                schema: dict[str, Any] | None = literal[path]
                value = data.draw(st.sampled_from(MISFITS[kind_of(schema) or ""]), label="value")
            else:
                path = (data.draw(st.sampled_from(sorted(case.body)), label="hostile field"),)
                schema = declared.get(path[0])
                value = data.draw(st.sampled_from(HOSTILE), label="hostile value")
            *parents, name = path
            target = case.body
            for parent in parents:
                target = target[parent]
            target[name] = value
            injected["body"] += 1
            if schema is not None and not admits(schema, value):
                refusable = ["body", *path]
                injected["of another type"] += 1
        queries = [
            p["name"]
            for p in case.operation.definition.raw.get("parameters", [])
            if p["in"] == "query"
        ]
        if bool(queries) and data.draw(st.booleans(), label="hostile query"):
            name = data.draw(st.sampled_from(queries), label="hostile parameter")
            value = data.draw(st.sampled_from(HOSTILE), label="hostile query value")
            case.query = {**(case.query or {}), name: as_query_text(value)}
            injected["query"] += 1
        response = case.call(headers=authorization_for(data, operation))
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.formatted_path, case.body)
        if refusable and response.status_code not in (401, 403):
            # A value of another JSON type than the field's is refused for what it is, never
            # coerced (and then perhaps refused by a rule, or recorded).
            assert response.status_code == 422, (case.formatted_path, case.body)
            named = [error["loc"] for error in response.json()["errors"]]
            assert refusable in named, (case.formatted_path, case.body, named)
        if response.status_code >= 400 and case.formatted_path.startswith("/pages/"):
            # A page's problem is a page (or the sign-in, for want of a token).
            assert response.headers["content-type"] == ["text/html; charset=utf-8"]
        elif response.status_code >= 400:
            assert response.headers["content-type"] == [PROBLEM_JSON]
            assert response.json()["status"] == response.status_code

    fuzz()

    assert sum(statuses.values()) >= MINIMUM_REQUESTS, statuses
    assert injected["body"] >= MINIMUM_REQUESTS // 10, injected
    assert injected["of another type"] > 0 and injected["query"] > 0, injected
    # The requests reached past validation and access control into the application.
    assert statuses[200] + statuses[201] > 0 and statuses[404] > 0 and statuses[422] > 0


def test_no_hostile_query_parameter_gets_a_server_error(app: FastAPI) -> None:
    """The reads with query parameters, past access control on seeded cases, each with one
    hostile parameter; a version past what the store holds is a 422, not an OverflowError."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [
        operation
        for operation in fuzzed(result.ok() for result in schema.get_all_operations())
        if any(p["in"] == "query" for p in operation.definition.raw.get("parameters", []))
    ]
    cases = st.one_of(*(operation.as_strategy() for operation in operations))
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=QUERY_REQUESTS,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def fuzz(case: Any, data: st.DataObject) -> None:
        raw = case.operation.definition.raw
        for name in case.path_parameters or {}:
            case.path_parameters[name] = data.draw(st.sampled_from(KNOWN_IDS[name]), label=name)
        parameters = {p["name"]: p["schema"] for p in raw["parameters"] if p["in"] == "query"}
        name = data.draw(st.sampled_from(sorted(parameters)), label="hostile parameter")
        value = as_query_text(data.draw(st.sampled_from(HOSTILE), label="hostile value"))
        alone = data.draw(st.booleans(), label="without the other parameters")
        case.query = {**({} if alone else (case.query or {})), name: value}
        role = data.draw(st.sampled_from(sorted(ROLES_BY_OPERATION[raw["operationId"]])))
        actor = ROLE_ACTORS[Role(role)]

        response = case.call(headers={"Authorization": f"Bearer {token_for(actor)}"})

        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.formatted_path, case.query)
        if not admits_text(parameters[name], value):
            assert response.status_code == 422, (case.formatted_path, case.query)

    fuzz()

    assert sum(statuses.values()) >= QUERY_REQUESTS * 0.8 and statuses[200] > 0, statuses
