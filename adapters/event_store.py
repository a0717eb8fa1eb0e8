"""How domain events are stored: as the Avro single-object bytes the contract publishes.

The event store keeps exactly the message value the relay sends to Kafka, so one format is
governed by one set of schemas, the relay forwards bytes without re-encoding them, and a hash
over a stored event is a hash over the published one.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import date
from functools import cache, lru_cache
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, TypeAdapter, ValidationError

from adapters.avro import AvroCodec, ContractError, DecodedEvent
from adapters.contract import contract_record, event_type_of
from adapters.schema_generation import domain_event_classes
from domain.base import Actor


class AvroMapper(Mapper[Any]):
    """Encodes each event with its type's current schema; decodes with the schema it was written in."""

    def __init__(self, codec: AvroCodec, cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=UnusedTranscoder(), cipher=cipher)
        self.codec = codec
        self._classes = {cls.__name__: cls for cls in domain_event_classes()}

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        event_class = type(domain_event)
        data = self.codec.encode(
            event_type_of(domain_event),
            int(getattr(event_class, "class_version", 1)),
            contract_record(cast(BaseModel, domain_event)),
        )
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(event_class),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        try:
            decoded = self.codec.decode(self.plaintext(stored_event.state), upgrade=False)
            return self._rebuild(resolve_topic(stored_event.topic), decoded)
        except (ContractError, ValidationError, AttributeError, ValueError) as error:
            raise MapperDeserialisationError(
                f"cannot rebuild event {stored_event.topic} of {stored_event.originator_id} "
                f"at version {stored_event.originator_version}: {error}"
            ) from error

    def event_from_message(self, value: bytes) -> DomainEventProtocol[Any]:
        """The domain event a published message carries (raises ContractError if it cannot)."""
        return self._typed(self.codec.decode(value, upgrade=False))

    def _typed(self, decoded: DecodedEvent) -> DomainEventProtocol[Any]:
        event_class = self._classes.get(decoded.event_type)
        if event_class is None:
            raise ContractError(f"{decoded.event_type} is not an event of this domain")
        try:
            return self._rebuild(event_class, decoded)
        except (ValidationError, AttributeError, ValueError) as error:
            raise ContractError(f"{decoded.event_type} does not rebuild: {error}") from error

    def event_or_passed_over(self, value: bytes, reads: Container[str]) -> Any:
        """The domain event a message carries if its type is one of those a read model `reads`;
        otherwise a `PassedOver` of that type, its fields not rebuilt (nor validated beyond
        the Avro schema): the model only counts it in its case's version.

        Each is read only as far as it is used: an event rebuilt has its UUIDs read as text,
        which the event's own validation parses (once, instead of fastavro making a UUID that
        validation then checks), and a passed-over one has its body read up to the envelope
        fields it keeps."""
        writer = self.codec.writer_of(value)
        if writer.name in reads:
            return self._typed(self.codec.decode_lean(value, writer, writer.lean))
        if writer.name not in self._classes or writer.envelope is None:
            raise ContractError(f"{writer.name} is not an event of this domain")
        record = self.codec.decode_lean(value, writer, writer.envelope).record
        try:
            case_id = _CASE_ID.validate_python(record["case_id"])
        except ValidationError as error:
            raise ContractError(f"{writer.name} has no valid case_id: {error}") from error
        return _passed_over(writer.name)(case_id, record["case_version"], record["effective_on"])

    @staticmethod
    def _rebuild(event_class: Any, decoded: DecodedEvent) -> DomainEventProtocol[Any]:
        """The event a decoded record carries; the record (the codec's own, made for this
        call) becomes the event's state."""
        state = decoded.record
        state.pop("event_id", None)
        state["originator_id"] = state.pop("case_id")
        state["originator_version"] = state.pop("case_version")
        state["timestamp"] = state.pop("recorded_at")
        for upcast in _upcasts(event_class, decoded.writer_version):
            upcast(state)
        if (topic := _originator_topic(event_class)) is not None:
            state["originator_topic"] = topic
        if isinstance(actor := state.get("actor"), dict):
            state["actor"] = _actor(tuple(actor.items()))
        validator = event_class.__pydantic_validator__
        return cast(DomainEventProtocol[Any], validator.validate_python(state))

    def plaintext(self, state: bytes) -> bytes:
        """The stored bytes as published: decrypted when the store is encrypted at rest."""
        return self.cipher.decrypt(state) if self.cipher else state


class PassedOver:
    """An event a read model does not read: its case, version and business date only. Its
    class is named after the event type, as a domain event's is."""

    __slots__ = ("effective_on", "originator_id", "originator_version")

    def __init__(self, originator_id: UUID, originator_version: int, effective_on: date) -> None:
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.effective_on = effective_on


_CASE_ID = TypeAdapter(UUID)


@lru_cache(maxsize=4096)
def _actor(fields: tuple[tuple[str, Any], ...]) -> Actor:
    """The actor an event records, validated once per actor: a caseload's events come from a
    few hundred caseworkers, and an event's validation takes an `Actor` as it is."""
    return Actor.model_validate(dict(fields))


@cache
def _passed_over(event_type: str) -> type[PassedOver]:
    return type(event_type, (PassedOver,), {"__slots__": ()})


@cache
def _upcasts(event_class: Any, writer_version: int) -> tuple[Callable[[dict[str, Any]], None], ...]:
    """The upcasters that bring a state written at `writer_version` to the class's version."""
    current = getattr(event_class, "class_version", 1)
    return tuple(
        getattr(event_class, f"upcast_v{version}_v{version + 1}")
        for version in range(writer_version, current)
    )


@cache
def _originator_topic(event_class: Any) -> str | None:
    """The aggregate topic a creation event carries (None for other events): looked up once
    per class, not per event rebuilt."""
    if "originator_topic" not in event_class.model_fields:
        return None
    return str(get_topic(event_class).rsplit(".", 1)[0])


class UnusedTranscoder(Transcoder):
    """The Avro mapper serialises events itself; the library still asks for a transcoder."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError("events are encoded by AvroMapper")

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError("events are decoded by AvroMapper")

    def register(self, transcoding: Any) -> None:
        raise NotImplementedError("events are encoded by AvroMapper")
