"""A FastAPI route class whose requests are checked by a plan made once, when the route is built.

FastAPI solves every request by walking the route's declarations again: each dependency, its
sub-dependencies, every parameter's annotation (is it a sequence? a model?), then the body.
On the command path that walk was the largest share of the API's own CPU per command
(docs/benchmarks.md, the HTTP command path). `LeanRoute` makes the same checks in the same
order, with the same validators and the same errors, from a plan built once: the body read as
JSON (malformed JSON is refused before anything else), the dependencies called (the bearer token,
then the role), then the path, header and body values validated, every error collected into one
`RequestValidationError` located as FastAPI locates it. A route declaring anything the plan
does not cover (queries, cookies, forms, generators, sync dependencies, a dependency used twice),
or an app with dependency overrides, is served by FastAPI's own handler; the OpenAPI document is
FastAPI's either way. tests/integration/test_api_lean_route.py compares both answer by answer.
"""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache
from types import NoneType, UnionType
from typing import Any, Union, cast, get_args, get_origin
from uuid import UUID

from fastapi import Request, Response
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_missing_field_error
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute, _effective_route_context_var
from pydantic_core import PydanticUndefined
from starlette.exceptions import HTTPException

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Resolver = Callable[[Request], Awaitable[Any]]


class LeanRoute(APIRoute):
    """An `APIRoute` served by a handler planned once (`planned_handler`) where it can be."""

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()
        # An included router serves each route through a context of its own (its prefix and
        # dependencies added): the plan is made from what FastAPI would serve.
        context = _effective_route_context_var.get()
        route = context if context is not None and context.original_route is self else self
        return planned_handler(route, fastapi_handler) or fastapi_handler


@dataclass(frozen=True)
class Parameter:
    """One path or header value: where it is read, and the validator FastAPI would use."""

    name: str
    key: str
    field: ModelField
    loc: tuple[str, str]
    required: bool

    @classmethod
    def of(cls, field: ModelField) -> Parameter:
        place = cast(Any, field.field_info).in_.value
        required = field.field_info.is_required()
        return cls(field.name, field.alias, field, (place, field.alias), required)

    def take(self, received: Any, values: dict[str, Any], errors: list[Any]) -> None:
        """Validates the received value into `values`, or its errors into `errors`."""
        value = received.get(self.key, PydanticUndefined)
        value, own_errors = validated(self.field, value, self.required, self.loc)
        if own_errors:
            errors.extend(own_errors)
        else:
            values[self.name] = value


def validated(
    field: ModelField, value: Any, required: bool, loc: tuple[str, ...]
) -> tuple[Any, list[Any]]:
    """As FastAPI validates a value: missing is an error if required, else the default."""
    if value is PydanticUndefined:
        if required:
            return None, [get_missing_field_error(loc=loc)]
        default = deepcopy(field.default)
        if not field.field_info.validate_default:
            return default, []
        value = default
    return field.validate(value, {}, loc=loc)


def planned_handler(route: Any, fastapi_handler: Handler) -> Handler | None:
    """The route's handler from a plan, or None where the plan does not cover the route."""
    dependant: Dependant = route.dependant
    call = dependant.call
    if call is None or not _covered(route, dependant, call):
        return None
    resolvers = [(sub.name, _resolver(sub)) for sub in dependant.dependencies]
    if any(name is None or resolver is None for name, resolver in resolvers):
        return None
    dependencies = cast(list[tuple[str, Resolver]], resolvers)
    path = [Parameter.of(field) for field in dependant.path_params]
    headers = [Parameter.of(field) for field in dependant.header_params]
    body_field = dependant.body_params[0] if dependant.body_params else None
    body_required = body_field is not None and body_field.field_info.is_required()
    request_names = _request_names(dependant)
    strict_content_type = route.strict_content_type
    if isinstance(strict_content_type, DefaultPlaceholder):
        strict_content_type = strict_content_type.value
    overrides = route.dependency_overrides_provider
    endpoint = cast(Callable[..., Awaitable[Response]], call)

    async def handler(request: Request) -> Response:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            return await fastapi_handler(request)
        body = await read_body(request, strict_content_type) if body_field else PydanticUndefined
        values: dict[str, Any] = {}
        for name, resolve in dependencies:
            values[name] = await resolve(request)
        errors: list[Any] = []
        if path:
            path_values = request.path_params
            for parameter in path:
                parameter.take(path_values, values, errors)
        if headers:
            header_values = request.headers
            for parameter in headers:
                parameter.take(header_values, values, errors)
        if body_field is not None:
            value, body_errors = validated(body_field, body, body_required, ("body",))
            if body_errors:
                errors.extend(body_errors)
            else:
                values[body_field.name] = value
        if errors:
            raise RequestValidationError(errors, body=None if body is PydanticUndefined else body)
        for name in request_names:
            values[name] = request
        return await endpoint(**values)

    return handler


def _covered(route: Any, dependant: Dependant, call: Callable[..., Any]) -> bool:
    """What the plan covers: an async endpoint answering a `Response` of its own, path and
    header values, at most one JSON body, async dependencies each called once."""
    body_fields = dependant.body_params
    body_as_json = not body_fields or (
        len(body_fields) == 1
        and not route._embed_body_fields
        and not isinstance(body_fields[0].field_info, Form)
    )
    return (
        _is_async(call)
        and inspect.signature(call).return_annotation in (Response, "Response")
        and not dependant.query_params
        and not dependant.cookie_params
        and body_as_json
        and not _has_special_parameters(dependant)
        and all(_is_scalar(field) for field in (*dependant.path_params, *dependant.header_params))
        and _each_call_once(dependant)
    )


async def read_body(request: Request, strict_content_type: bool) -> Any:
    """The body as FastAPI reads it for a JSON body parameter: parsed if the content type says
    JSON (or, not strict, says nothing), the bytes otherwise, undefined if empty."""
    try:
        body = await request.body()
        if not body:
            return PydanticUndefined
        content_type = request.headers.get("content-type")
        if content_type is None or content_type == "":
            return body if strict_content_type else json.loads(body)
        return json.loads(body) if _is_json_media_type(content_type) else body
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except HTTPException:
        raise  # the body size limit's 413 (api/limits.py)
    except Exception as error:
        raise HTTPException(400, "There was an error parsing the body") from error


@lru_cache(maxsize=64)
def _is_json_media_type(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _resolver(dependant: Dependant) -> Resolver | None:
    """Calls a dependency after its own dependencies, as FastAPI does, where it takes nothing
    but them and the request (a security scheme such as `HTTPBearer` takes the request)."""
    call = dependant.call
    if (
        call is None
        or not _is_async(call)
        or dependant.concurrency is not None
        or dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or _has_special_parameters(dependant)
    ):
        return None
    subs = [(sub.name, _resolver(sub)) for sub in dependant.dependencies]
    if any(name is None or resolver is None for name, resolver in subs):
        return None
    dependencies = cast(list[tuple[str, Resolver]], subs)
    request_names = _request_names(dependant)
    dependency = cast(Callable[..., Awaitable[Any]], call)

    async def resolve(request: Request) -> Any:
        values: dict[str, Any] = {}
        for name, sub in dependencies:
            values[name] = await sub(request)
        for name in request_names:
            values[name] = request
        return await dependency(**values)

    return resolve


def _is_async(call: Callable[..., Any]) -> bool:
    """A coroutine function, or an object whose `__call__` is one (not a generator)."""
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def _request_names(dependant: Dependant) -> tuple[str, ...]:
    """The parameters given the request itself (a `Request`, or an `HTTPConnection` as
    `HTTPBearer` takes)."""
    names = (dependant.http_connection_param_name, dependant.request_param_name)
    return tuple(name for name in names if name is not None)


def _has_special_parameters(dependant: Dependant) -> bool:
    return any(
        (
            dependant.websocket_param_name,
            dependant.response_param_name,
            dependant.background_tasks_param_name,
            dependant.security_scopes_param_name,
        )
    )


def _is_scalar(field: ModelField) -> bool:
    """A value read as one string (FastAPI reads a sequence's every occurrence instead)."""
    return _is_scalar_annotation(field.field_info.annotation)


def _is_scalar_annotation(annotation: Any) -> bool:
    if annotation in (str, int, float, bool, UUID):
        return True
    if get_origin(annotation) in (Union, UnionType):
        return all(arg is NoneType or _is_scalar_annotation(arg) for arg in get_args(annotation))
    return False


def _each_call_once(dependant: Dependant) -> bool:
    """FastAPI calls a dependency used twice in one request once; the plan calls each where it
    is declared, so a route using one twice stays with FastAPI."""
    seen: set[int] = set()
    pending = list(dependant.dependencies)
    while pending:
        sub = pending.pop()
        if id(sub.call) in seen:
            return False
        seen.add(id(sub.call))
        pending.extend(sub.dependencies)
    return True
