"""Case management use cases: get the case, let the domain decide, save what it recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import get_topic

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from domain.base import Actor
from domain.case import Case
from domain.commands import CaseCommand, Command, OpenCase
from domain.errors import CaseAlreadyExists, CaseNotFound, ConcurrencyConflict, DomainError
from domain.policy import PolicyBook


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the case and its version after the command."""

    case_id: UUID
    version: int
    events: int


class CommandObserver(Protocol):
    """Told of every command's outcome; must not raise (it cannot change the outcome)."""

    def recorded(self, command: Command, recorded: Recorded) -> None: ...

    def refused(self, command: Command, error: DomainError) -> None: ...


class CaseManagement(Application[UUID]):
    """The post-employment case management application (the event store's only writer)."""

    name = "cases"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        policies: PolicyBook | None = None,
        observers: Sequence[CommandObserver] = (),
    ):
        super().__init__(env=env)
        self.policies = policies or PolicyBook.default()
        self.observers = tuple(observers)
        # The library fast-forwards a cached case in place, then deep-copies it outside its
        # lock: one cached load at a time keeps a concurrent one from copying a half-advanced case.
        self._loading = threading.Lock()

    def construct_mapper(self) -> Mapper[UUID]:
        if self.factory.compressor() is not None:
            raise ValueError(
                "the event store keeps the published Avro bytes: leave COMPRESSOR_TOPIC unset"
            )
        return AvroMapper(AvroCodec(published_schemas()), cipher=self.factory.cipher())

    def open_case(self, command: OpenCase, actor: Actor) -> Recorded:
        return self._observed(command, lambda: self._open_case(command, actor))

    def handle(
        self, command: CaseCommand, actor: Actor, expected_version: int | None = None
    ) -> Recorded:
        return self._observed(command, lambda: self._handle(command, actor, expected_version))

    def _observed(self, command: Command, run: Callable[[], Recorded]) -> Recorded:
        try:
            recorded = run()
        except DomainError as error:
            for observer in self.observers:
                observer.refused(command, error)
            raise
        for observer in self.observers:
            observer.recorded(command, recorded)
        return recorded

    def _open_case(self, command: OpenCase, actor: Actor) -> Recorded:
        case = command.create(actor)
        try:
            return self._save(case)
        except IntegrityError:
            raise CaseAlreadyExists(f"case {command.case_number} was already opened") from None

    def _handle(
        self, command: CaseCommand, actor: Actor, expected_version: int | None = None
    ) -> Recorded:
        case = self.get_case(command.case_id)
        if expected_version is not None and case.version != expected_version:
            raise ConcurrencyConflict(
                f"case {command.case_id} is at version {case.version}, "
                f"not the expected version {expected_version}"
            )
        command.apply_to(case, actor, self.policies)
        try:
            return self._save(case)
        except IntegrityError:
            raise ConcurrencyConflict(
                f"case {command.case_id} was changed by another writer; reload it and retry"
            ) from None

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            if version is None:  # the cached path
                with self._loading:
                    case: Case = self.repository.get(case_id)
            else:
                case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case with id {case_id}") from None
        return case

    def case_ids(self, page_size: int = 1000) -> Iterator[UUID]:
        """Every case in the event store, in the order they were opened."""
        opened = [get_topic(Case.CaseOpened)]
        start = 1
        while page := self.recorder.select_notifications(start, page_size, topics=opened):
            yield from (UUID(str(n.originator_id)) for n in page)
            start = page[-1].id + 1

    def events_of(self, case_id: UUID) -> Iterator[Any]:
        """The case's events, each decoded only when the caller reaches it (none if no case)."""
        return iter(self.events.get(case_id))

    def history(self, case_id: UUID) -> list[Any]:
        events = list(self.events.get(case_id))
        if not events:
            raise CaseNotFound(f"no case with id {case_id}")
        return events

    def _save(self, case: Case) -> Recorded:
        pending = len(case.pending_events)
        self.save(case)
        if self.repository.cache is not None:
            # The saved case is the freshest copy there is, and no caller holds on to it; a
            # later load still fast-forwards it with any other writer's events.
            self.repository.cache.put(case.id, case)
        return Recorded(case_id=case.id, version=case.version, events=pending)
