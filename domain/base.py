"""Building blocks shared by every aggregate: actors, the event base class, event identity."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
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

        actor: Actor
        effective_on: date

    class Created(Event, CanInitAggregate):
        """The aggregate came into existence."""

        originator_topic: str

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


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """The identity of an aggregate's event at a version: the same on every retry or replay."""
    return uuid5(aggregate_id, f"version:{version}")


def numbered_id(aggregate_id: UUID, kind: str, number: int) -> UUID:
    """A deterministic id for the `number`th `kind` (request, authorization...) of an aggregate.

    Clients may choose any UUID; deriving it from the case and a counter makes retries of the
    same command carry the same id, so they are recognised.
    """
    return uuid5(aggregate_id, f"{kind}:{number}")
