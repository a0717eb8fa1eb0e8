"""Building blocks shared by every aggregate: actors, the event base class, event identity."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, ClassVar, cast
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate as LibraryAggregate
from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """What an actor may do; decided by access control, recorded on every event."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    BILLING = "billing"
    AUDITOR = "auditor"
    ANALYST = "analyst"
    SYSTEM = "system"


class ValueObject(BaseModel):
    """Immutable value with validated fields; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(ValueObject):
    """Who did something, and in which role. Every event records one."""

    id: str = Field(min_length=1, max_length=100)
    role: Role


class DomainEvent(ValueObject):
    """A fact about one aggregate, at one version of it."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class Aggregate(LibraryAggregate):
    """Event-sourced aggregate whose events are pydantic models.

    Every event carries the actor who caused it and its business date (`effective_on`): the
    date the fact took effect in the case, as opposed to `timestamp`, when it was recorded.
    """

    class Event(DomainEvent, CanMutateAggregate):
        """Something that happened to the aggregate, by an actor, effective on a business date."""

        class_version: ClassVar[int] = 2

        actor: Actor
        effective_on: date
        previous_hash: str | None = Field(
            None,
            description="content_hash of the case's previous event: the hash chain (none on the "
            "first event, or before version 2 of the contract)",
        )
        content_hash: str | None = Field(
            None,
            description="SHA-256 (hex) of this event's content: every other field as canonical "
            "JSON (docs/audit.md); none before version 2 of the contract",
        )

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 2 chained the events; events recorded before it carry no hashes."""
            state.setdefault("previous_hash", None)
            state.setdefault("content_hash", None)

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            if self.content_hash is not None:
                aggregate._chain_head = self.content_hash
            return aggregate

    class Created(Event, CanInitAggregate):
        """The aggregate came into existence."""

        originator_topic: str

    def record(self, event_class: type[Any], **fields: Any) -> None:
        """Records a fact: an event of `event_class`, as registered on this aggregate's class
        (`<module>:<Aggregate>.<Event>`, the topic it is stored under), applied at once.

        Decisions live beside their program and name the event class they defined there; the
        aggregate's body lists every such class, and the library registers it under the
        aggregate's own topic."""
        registered = getattr(type(self), event_class.__name__, None)
        if not (isinstance(registered, type) and issubclass(registered, event_class)):
            raise TypeError(
                f"{event_class.__qualname__} is not listed in {type(self).__qualname__}'s body"
            )
        self.trigger_event(registered, **fields)

    def collect_events(self) -> list[Any]:
        """The pending events, sealed into the case's hash chain as they leave the aggregate.

        Sealing happens here, once, when the events are about to be stored: each event gets the
        hash of the one before it and the hash of its own content, so any later change,
        removal or reordering of a recorded event breaks the chain (`verify_chain`).
        """
        head: str | None = getattr(self, "_chain_head", None)
        sealed = []
        for pending in super().collect_events():
            event = cast(BaseModel, pending)
            content = _content(event)
            content.pop("previous_hash", None)
            if head is not None:
                content["previous_hash"] = head
            digest = _digest(content)
            sealed.append(event.model_copy(update={"previous_hash": head, "content_hash": digest}))
            head = digest
        self._chain_head = head
        return sealed

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        # The library deep-copies a cached case for every command; the generic deepcopy spent
        # most of that re-creating immutable values (dates, UUIDs, enums). Same result: every
        # mutable object is new, shared references stay shared.
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            clone.__dict__[name] = _state_copy(value, memo)
        return clone

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The library re-creates event classes (to bind them to the aggregate and its
        # decorated methods) without their docstrings; the published contract documents
        # each event with its docstring, so carry it over.
        for value in list(vars(cls).values()):
            if isinstance(value, type) and issubclass(value, DomainEvent):
                if value.__dict__.get("__doc__"):
                    continue
                for ancestor in value.__mro__[1:]:
                    doc = ancestor.__dict__.get("__doc__")
                    if ancestor.__name__ == value.__name__ and doc:
                        value.__doc__ = doc
                        break


_IMMUTABLE = (str, int, float, bytes, type(None), date, UUID, Enum, Decimal)


def _state_copy(value: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy` for aggregate state: immutable values are kept, dicts, lists, tuples and
    dataclasses are rebuilt here, anything else goes to `copy.deepcopy`."""
    if isinstance(value, _IMMUTABLE):
        return value
    if id(value) in memo:
        return memo[id(value)]
    kind = type(value)
    if kind is dict:
        new_dict: dict[Any, Any] = {}
        memo[id(value)] = new_dict
        for key, item in value.items():
            new_dict[_state_copy(key, memo)] = _state_copy(item, memo)
        return new_dict
    if kind is list:
        new_list: list[Any] = []
        memo[id(value)] = new_list
        new_list.extend(_state_copy(item, memo) for item in value)
        return new_list
    if kind is tuple:
        return tuple(_state_copy(item, memo) for item in value)
    if dataclasses.is_dataclass(value) and hasattr(value, "__dict__"):
        new_record = object.__new__(kind)
        memo[id(value)] = new_record
        for name, item in value.__dict__.items():
            object.__setattr__(new_record, name, _state_copy(item, memo))
        return new_record
    return copy.deepcopy(value, memo)


def content_digest(event: BaseModel) -> str:
    """SHA-256 (hex) of an event's content: every field but its own hash, as canonical JSON
    (sorted keys, no spaces, UTF-8; fields without a value left out, so a field added later
    with no value does not change the digest of events recorded before it)."""
    return _digest(_content(event))


_NOT_CONTENT = {"content_hash", "originator_topic"}
# What json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes, without
# building a new encoder for every event sealed.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _content(event: BaseModel) -> dict[str, Any]:
    content: dict[str, Any] = event.__pydantic_serializer__.to_python(
        event, mode="json", exclude=_NOT_CONTENT, exclude_none=True
    )
    return content


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(_CANONICAL_JSON.encode(content).encode()).hexdigest()


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """The identity of an aggregate's event at a version: the same on every retry or replay."""
    return uuid5(aggregate_id, f"version:{version}")


def event_id_text(aggregate_id: UUID, version: int) -> str:
    """`str(event_id(aggregate_id, version))` without building the UUID on the way: the relay
    writes one into every message's headers, and uuid5 spent most of its time there."""
    digest = hashlib.sha1(
        aggregate_id.bytes + f"version:{version}".encode(), usedforsecurity=False
    ).hexdigest()
    # RFC 4122 name-based SHA-1: version nibble 5, the variant's two high bits 10.
    variant = "89ab"[int(digest[16], 16) & 3]
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"


def numbered_id(aggregate_id: UUID, kind: str, number: int) -> UUID:
    """A deterministic id for the `number`th `kind` (request, authorization...) of an aggregate.

    Clients may choose any UUID; deriving it from the case and a counter makes retries of the
    same command carry the same id, so they are recognised.
    """
    return uuid5(aggregate_id, f"{kind}:{number}")
