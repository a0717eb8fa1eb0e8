"""Derives each domain event's Avro schema from its pydantic class (run by `make schemas`).

The `.avsc` files in `schemas/` are the published contract; this module only drafts them, and a
test fails when a committed schema no longer matches its event class.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from domain.base import Aggregate
from domain.case import Case

NAMESPACE = "pes.case"
ENVELOPE_DOCS = {
    "event_id": "Deterministic id of this event: UUIDv5 of the case id and version. Deduplicate on it.",
    "case_id": "The case (aggregate) id; also the Kafka message key.",
    "case_version": "Position of this event in its case's history, from 1 without gaps.",
    "recorded_at": "When the event was recorded in the event store (UTC).",
}
INTERNAL_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)
LIBRARY_BASE_EVENTS = frozenset({"Event", "Created", "Snapshot"})
AGGREGATES: tuple[type[Aggregate], ...] = (Case,)


def domain_event_classes() -> list[type[Aggregate.Event]]:
    """Every event class the domain can record, in declaration order."""
    found: list[type[Aggregate.Event]] = []
    for aggregate in AGGREGATES:
        for value in vars(aggregate).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Aggregate.Event)
                and value.__name__ not in LIBRARY_BASE_EVENTS
                and value not in found
            ):
                found.append(value)
    return found


def schema_version(event_class: type) -> int:
    return int(getattr(event_class, "class_version", 1))


def schema_filename(event_class: type) -> str:
    return f"{event_class.__name__}.v{schema_version(event_class)}.avsc"


def avro_schema_for(event_class: type[BaseModel]) -> dict[str, Any]:
    """The Avro record schema of an event: the envelope, then the event's own fields."""
    named: set[str] = set()
    fields: list[dict[str, Any]] = [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "case_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "case_version", "type": "long"},
        {"name": "recorded_at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ]
    for field in fields:
        field["doc"] = ENVELOPE_DOCS[field["name"]]
    fields.extend(
        _field(name, info, named)
        for name, info in event_class.model_fields.items()
        if name not in INTERNAL_FIELDS
    )
    return {
        "type": "record",
        "name": event_class.__name__,
        "namespace": NAMESPACE,
        "doc": _doc(event_class),
        "fields": fields,
    }


def write_schemas(directory: Path) -> list[Path]:
    """Writes the current version's schema of every event; older versions stay as they are."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_class in domain_event_classes():
        path = directory / schema_filename(event_class)
        path.write_text(render(avro_schema_for(event_class)))
        written.append(path)
    return written


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2) + "\n"


def _field(name: str, info: Any, named: set[str]) -> dict[str, Any]:
    avro_type = _avro_type(info.annotation, named)
    field: dict[str, Any] = {"name": name, "type": avro_type}
    if info.description:
        field["doc"] = info.description
    if isinstance(avro_type, list) and avro_type[0] == "null":
        field["default"] = None
    elif info.default is not PydanticUndefined and info.default is not None:
        default = info.default
        if isinstance(default, (bool, int, float, str)):
            field["default"] = default.value if isinstance(default, Enum) else default
    return field


def _avro_type(annotation: Any, named: set[str]) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) != 1 or len(get_args(annotation)) != 2:
            raise TypeError(f"only `X | None` unions are allowed in events, not {annotation}")
        return ["null", _avro_type(members[0], named)]
    if origin in (tuple, list, frozenset, set):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        if len(args) != 1:
            raise TypeError(f"collections in events hold one type, not {annotation}")
        return {"type": "array", "items": _avro_type(args[0], named)}
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "long"
    if annotation is float:
        return "double"
    if annotation is str:
        return "string"
    if annotation is date:
        return {"type": "int", "logicalType": "date"}
    if annotation is datetime:
        return {"type": "long", "logicalType": "timestamp-micros"}
    if annotation is UUID:
        return {"type": "string", "logicalType": "uuid"}
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        if annotation.__name__ in named:
            return annotation.__name__
        named.add(annotation.__name__)
        return {
            "type": "enum",
            "name": annotation.__name__,
            "doc": _doc(annotation),
            "symbols": [member.value for member in annotation],
        }
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        if annotation.__name__ in named:
            return annotation.__name__
        named.add(annotation.__name__)
        return {
            "type": "record",
            "name": annotation.__name__,
            "doc": _doc(annotation),
            "fields": [_field(n, i, named) for n, i in annotation.model_fields.items()],
        }
    raise TypeError(f"no Avro mapping for {annotation!r}")


def _doc(cls: type) -> str:
    own = (cls.__dict__.get("__doc__") or "").strip()
    return inspect.cleandoc(own).splitlines()[0] if own else ""
