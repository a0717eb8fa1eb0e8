"""How refusal records are stored and published: as the Avro single-object bytes of
`schemas/CommandRefused.v1.avsc`, like the case events (adapters/event_store.py), so the
relay forwards the stored bytes and a hash over a stored record is a hash over the published one.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Mapper,
    MapperDeserialisationError,
    Notification,
    StoredEvent,
)
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from adapters.avro import AvroCodec, ContractError, DecodedEvent
from adapters.contract import CONTENT_TYPE, OutgoingMessage
from adapters.event_store import UnusedTranscoder
from adapters.schema_generation import _doc, _field
from domain.refusals import CommandRefused, refusal_id

REFUSAL_TYPE = "CommandRefused"
REFUSAL_VERSION = 1
NAMESPACE = "pes.refusals"
ENVELOPE = (
    ("refusal_id", {"type": "string", "logicalType": "uuid"}, "UUIDv5 of (case id, refusal_number): the same on every redelivery. Deduplicate on it."),
    ("case_id", {"type": "string", "logicalType": "uuid"}, "The case the refused command named; also the Kafka message key."),
    ("refusal_number", "long", "Position of this record in its case's refusal log, from 1 without gaps."),
    ("recorded_at", {"type": "long", "logicalType": "timestamp-micros"}, "When the refusal was recorded (UTC)."),
)  # fmt: skip
_OWN_FIELDS = ("originator_id", "originator_version", "timestamp")


def refusal_schema() -> dict[str, Any]:
    """The Avro schema of a refusal record, derived from `CommandRefused` (a test keeps the
    committed `.avsc` equal to it)."""
    named: set[str] = set()
    fields: list[dict[str, Any]] = [
        {"name": name, "type": avro_type, "doc": doc} for name, avro_type, doc in ENVELOPE
    ]
    fields.extend(
        _field(name, info, named)
        for name, info in CommandRefused.model_fields.items()
        if name not in _OWN_FIELDS
    )
    return {
        "type": "record",
        "name": REFUSAL_TYPE,
        "namespace": NAMESPACE,
        "doc": _doc(CommandRefused),
        "fields": fields,
    }


def refusal_record(refusal: CommandRefused) -> dict[str, Any]:
    """The record's fields under the contract's names."""
    fields = refusal.model_dump(exclude=set(_OWN_FIELDS))
    return {
        "refusal_id": refusal.refusal_id,
        "case_id": refusal.originator_id,
        "refusal_number": refusal.originator_version,
        "recorded_at": refusal.timestamp,
        **fields,
    }


def refusal_from_record(record: dict[str, Any]) -> CommandRefused:
    """The refusal a decoded record holds (ValidationError if it does not fit)."""
    state = {
        k: v
        for k, v in record.items()
        if k not in ("refusal_id", "case_id", "refusal_number", "recorded_at")
    }
    return CommandRefused.model_validate(
        {
            **state,
            "originator_id": record["case_id"],
            "originator_version": record["refusal_number"],
            "timestamp": record["recorded_at"],
        }
    )


class RefusalMapper(Mapper[Any]):
    """Encodes each refusal record with `CommandRefused`'s schema, encrypted at rest like the
    case events when the store is."""

    def __init__(self, codec: AvroCodec, cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=UnusedTranscoder(), cipher=cipher)
        self.codec = codec

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        refusal = cast(CommandRefused, domain_event)
        data = self.codec.encode(REFUSAL_TYPE, REFUSAL_VERSION, refusal_record(refusal))
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=refusal.originator_id,
            originator_version=refusal.originator_version,
            topic=get_topic(CommandRefused),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        try:
            return self._rebuild(self.codec.decode(self.plaintext(stored_event.state)))
        except (ContractError, ValidationError, KeyError, ValueError) as error:
            raise MapperDeserialisationError(
                f"cannot rebuild refusal record {stored_event.originator_version} of case "
                f"{stored_event.originator_id}: {error}"
            ) from error

    def event_from_message(self, value: bytes) -> CommandRefused:
        """The refusal a published message carries (raises ContractError if it cannot)."""
        decoded = self.codec.decode(value)
        try:
            return self._rebuild(decoded)
        except (ValidationError, KeyError, ValueError) as error:
            raise ContractError(f"{decoded.event_type} does not rebuild: {error}") from error

    @staticmethod
    def _rebuild(decoded: DecodedEvent) -> CommandRefused:
        if decoded.event_type != REFUSAL_TYPE:
            raise ContractError(f"{decoded.event_type} is not a refusal record")
        return refusal_from_record(decoded.record)

    def plaintext(self, state: bytes) -> bytes:
        return self.cipher.decrypt(state) if self.cipher else state


def refusal_message(notification: Notification, value: bytes, codec: AvroCodec) -> OutgoingMessage:
    """The message for a stored refusal record's bytes: keyed by its case, with headers that
    repeat what the value says."""
    writer = codec.writer_of(value)
    case_id = str(notification.originator_id)
    number = notification.originator_version
    return OutgoingMessage(
        key=case_id.encode(),
        value=value,
        headers=[
            ("event_type", writer.name.encode()),
            ("schema_version", str(writer.version).encode()),
            ("refusal_id", str(refusal_id(UUID(case_id), number)).encode()),
            ("refusal_number", str(number).encode()),
            ("notification_id", str(notification.id).encode()),
            ("content_type", CONTENT_TYPE),
        ],
    )
