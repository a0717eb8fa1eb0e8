"""Builds a valid-looking instance of any event class from its annotations, for contract tests."""

from __future__ import annotations

import inspect
import types
import typing
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, get_args, get_origin
from uuid import UUID, uuid4

from pydantic import BaseModel, ValidationError

from domain.case import Case


def sample_value(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return sample_value(next(a for a in get_args(annotation) if a is not type(None)))
    if origin in (tuple, list, frozenset, set):
        item = sample_value(next(a for a in get_args(annotation) if a is not Ellipsis))
        return origin((item,))
    simple: dict[Any, Any] = {
        str: "sample",
        int: 7,
        bool: True,
        float: 12.5,
        date: date(2024, 2, 29),
        datetime: datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        UUID: UUID("12345678-1234-5678-1234-567812345678"),
    }
    if annotation in simple:
        return simple[annotation]
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        return list(annotation)[-1]
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return build(annotation, {})
    raise TypeError(f"no sample for {annotation!r}")


def build(model: type[BaseModel], fixed: dict[str, Any]) -> Any:
    values = {
        name: fixed[name] if name in fixed else sample_value(info.annotation)
        for name, info in model.model_fields.items()
    }
    try:
        return model.model_validate(values)
    except ValidationError:
        # Field constraints (patterns, ranges) are the domain's business; the contract test
        # only needs every field present with a value of its declared type.
        return model.model_construct(**values)


def sample_event(event_class: type[BaseModel], version: int = 3) -> Any:
    return build(
        event_class,
        {
            "originator_id": uuid4(),
            "originator_version": version,
            "timestamp": datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
            "originator_topic": f"{Case.__module__}:{Case.__qualname__}",
        },
    )
