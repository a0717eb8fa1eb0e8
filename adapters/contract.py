"""The published message of a recorded event: case id as key, Avro value, descriptive headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from adapters.avro import AvroCodec
from domain.base import event_id, event_id_text

CONTENT_TYPE = b"application/vnd.pes.event+avro-single-object"
ENVELOPE_FIELDS = frozenset({"event_id", "case_id", "case_version", "recorded_at"})


@dataclass(frozen=True)
class OutgoingMessage:
    """A Kafka message ready to send: the case id as key keeps each case's events in order."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def event_type_of(event: Any) -> str:
    return type(event).__name__


def contract_record(event: BaseModel) -> dict[str, Any]:
    """The event's fields under the contract's envelope names (case_id, case_version, ...)."""
    fields = event.model_dump(exclude={"originator_topic"})
    case_id = fields.pop("originator_id")
    version = fields.pop("originator_version")
    return {
        "event_id": event_id(case_id, version),
        "case_id": case_id,
        "case_version": version,
        "recorded_at": fields.pop("timestamp"),
        **fields,
    }


def outgoing_message(
    case_id: UUID | str, case_version: int, value: bytes, notification_id: int, codec: AvroCodec
) -> OutgoingMessage:
    """The message for a stored event's bytes (already the Avro value); headers describe it."""
    writer = codec.writer_of(value)
    case_id = case_id if isinstance(case_id, UUID) else UUID(case_id)
    return OutgoingMessage(
        key=str(case_id).encode(),
        value=value,
        headers=[
            ("event_type", writer.name.encode()),
            ("schema_version", str(writer.version).encode()),
            ("event_id", event_id_text(case_id, case_version).encode()),
            ("case_version", str(case_version).encode()),
            ("notification_id", str(notification_id).encode()),
            ("content_type", CONTENT_TYPE),
        ],
    )
