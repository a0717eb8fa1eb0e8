"""Every error the API returns, as an RFC 9457 problem document (`application/problem+json`).

This module is the one place that maps domain errors, validation errors and HTTP errors to
problems; routes raise and never build error responses themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from domain.errors import (
    CaseAlreadyExists,
    CaseNotFound,
    ConcurrencyConflict,
    DomainError,
    EffectiveDateInFuture,
    InvalidCommand,
    OverrideRequired,
    RuleViolation,
)

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:pes:problem:"


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem: its `type` URI slug, its title and its HTTP status."""

    slug: str | None
    title: str
    status: int

    @property
    def uri(self) -> str:
        """`about:blank` for plain HTTP errors, whose title is the status phrase (RFC 9457 4.2.1)."""
        return TYPE_PREFIX + self.slug if self.slug else "about:blank"


RULE_VIOLATION = ProblemType("rule-violation", "A policy rule refuses the command", 422)
OVERRIDE_REQUIRED = ProblemType(
    "override-required", "A soft policy rule needs an override with a reason", 422
)
INVALID_COMMAND = ProblemType("invalid-command", "The command contradicts the case's facts", 422)
COMMAND_REFUSED = ProblemType("command-refused", "The command was refused", 422)
EFFECTIVE_DATE_IN_FUTURE = ProblemType(
    "effective-date-in-future", "The command takes effect after today", 422
)
CASE_NOT_FOUND = ProblemType("case-not-found", "No such case", 404)
CASE_ALREADY_EXISTS = ProblemType("case-already-exists", "The case was already opened", 409)
CONCURRENCY_CONFLICT = ProblemType(
    "concurrency-conflict", "The case is not at the expected version", 409
)
VALIDATION_FAILED = ProblemType("validation-failed", "The request is not valid", 422)
MALFORMED_REQUEST = ProblemType("malformed-request", "The request could not be read", 400)
NOT_AUTHENTICATED = ProblemType("not-authenticated", "A valid bearer token is required", 401)
FORBIDDEN = ProblemType("forbidden", "The actor's role may not do this", 403)
CONTENT_TOO_LARGE = ProblemType("content-too-large", "The request body is too large", 413)
IDEMPOTENCY_KEY_REUSED = ProblemType(
    "idempotency-key-reused", "The idempotency key was used for another request", 422
)
SERVER_ERROR = ProblemType("server-error", "Internal server error", 500)

DOMAIN_PROBLEMS: dict[type[DomainError], ProblemType] = {
    RuleViolation: RULE_VIOLATION,
    OverrideRequired: OVERRIDE_REQUIRED,
    InvalidCommand: INVALID_COMMAND,
    EffectiveDateInFuture: EFFECTIVE_DATE_IN_FUTURE,
    CaseNotFound: CASE_NOT_FOUND,
    CaseAlreadyExists: CASE_ALREADY_EXISTS,
    ConcurrencyConflict: CONCURRENCY_CONFLICT,
    DomainError: COMMAND_REFUSED,
}


class FieldError(BaseModel):
    """One reason a request failed validation: where, what and the validator's error type."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document, with `rule_id` when a policy rule refused the command."""

    type: str = Field(description="A URI naming the kind of problem (urn:pes:problem:...)")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="The path of the request that failed")
    rule_id: str | None = Field(None, description="The policy rule that refused (VR-01..VR-12)")
    errors: list[FieldError] | None = Field(None, description="What failed validation")


class ApiProblem(Exception):
    """Raised by the API's own checks (auth, preconditions, idempotency); becomes a problem."""

    def __init__(
        self, kind: ProblemType, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})


def problem_response(
    kind: ProblemType,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    problem = Problem(
        type=kind.uri,
        title=kind.title,
        status=kind.status,
        detail=detail,
        instance=instance,
        **extensions,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def problem_for_domain_error(error: DomainError) -> ProblemType:
    for cls in type(error).__mro__:
        if cls in DOMAIN_PROBLEMS:
            return DOMAIN_PROBLEMS[cls]
    return COMMAND_REFUSED


def field_errors(errors: list[Any]) -> list[FieldError]:
    """Validation errors without their inputs: a problem never echoes what the client sent."""
    return [
        FieldError(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=str(error.get("msg", "")),
            type=str(error.get("type", "")),
        )
        for error in errors
    ]


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return problem_response(
        problem_for_domain_error(error),
        error.message,
        instance=request.url.path,
        rule_id=error.rule_id,
        errors=domain_field_errors(error),
    )


def domain_field_errors(error: DomainError) -> list[FieldError] | None:
    """The request field a domain error is about, where it names one."""
    if isinstance(error, EffectiveDateInFuture):
        return [FieldError(loc=["body", error.field], msg=error.message, type="date_in_future")]
    return None


async def _api_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiProblem)
    return problem_response(
        error.kind, error.detail, instance=request.url.path, headers=error.headers
    )


async def _request_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = field_errors(list(error.errors()))
    if any(e.type == "json_invalid" for e in errors):
        return problem_response(
            MALFORMED_REQUEST,
            "the body is not valid JSON",
            instance=request.url.path,
            errors=errors,
        )
    return problem_response(
        VALIDATION_FAILED,
        f"{len(errors)} field(s) failed validation",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == CONTENT_TOO_LARGE.status:
        kind = CONTENT_TOO_LARGE
    elif error.status_code == MALFORMED_REQUEST.status:
        kind = MALFORMED_REQUEST
    else:
        phrase = HTTPStatus(error.status_code).phrase
        kind = ProblemType(None, phrase, error.status_code)
    detail = error.detail if isinstance(error.detail, str) else kind.title
    return problem_response(kind, detail, instance=request.url.path, headers=error.headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette re-raises after this response is sent, so the server still logs the traceback.
    return problem_response(
        SERVER_ERROR, "the server failed to handle the request", instance=request.url.path
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    _document_problem_schema(app)


def _document_problem_schema(app: FastAPI) -> None:
    """Routes refer to the Problem schema (`problem_responses`); add it to the components."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_openapi()
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the problems a route may return."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
