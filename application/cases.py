"""Case management use cases: get the case, let the domain decide, save what it recorded."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import get_topic

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from application.clock import Clock, utc_today
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


class IdleCases:
    """Cases kept in memory between commands, each lent to one command at a time.

    A command takes its case out and puts it back once the case is saved; a refused command's
    case, perhaps changed half-way, is never put back. As nothing else holds a case that is
    out, commands need no copy of it. The least recently used cases go beyond `maxsize`.
    A kept case may lack another writer's newest events: `CaseManagement` decides on it
    optimistically and lets the event store's version check catch that.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._cases: OrderedDict[UUID, Case] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: UUID) -> Case | None:
        with self._lock:
            return self._cases.pop(case_id, None)

    def put_back(self, case: Case) -> None:
        with self._lock:
            kept = self._cases.get(case.id)
            if kept is None or kept.version < case.version:
                self._cases[case.id] = case
            self._cases.move_to_end(case.id)
            while len(self._cases) > self.maxsize:
                self._cases.popitem(last=False)

    def __len__(self) -> int:
        return len(self._cases)


class CaseManagement(Application[UUID]):
    """The post-employment case management application (the event store's only writer)."""

    name = "cases"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        policies: PolicyBook | None = None,
        observers: Sequence[CommandObserver] = (),
        cache_size: int = 0,
        clock: Clock = utc_today,
    ):
        super().__init__(env=env)
        self.clock = clock
        self.policies = policies or PolicyBook.default()
        self.observers = tuple(observers)
        self.idle_cases = IdleCases(cache_size) if cache_size else None

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
            command.refuse_if_ahead_of(self.clock())
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
            recorded = self._save(case)
        except IntegrityError:
            raise CaseAlreadyExists(f"case {command.case_number} was already opened") from None
        self._put_back(case)
        return recorded

    def _handle(
        self, command: CaseCommand, actor: Actor, expected_version: int | None = None
    ) -> Recorded:
        kept = self.idle_cases.take(command.case_id) if self.idle_cases is not None else None
        if kept is not None:
            try:
                return self._decide(kept, command, actor, expected_version)
            except DomainError:
                # The case kept in memory lacks whatever another writer recorded since: the
                # store refuses a decision made without it (the versions clash), and a
                # refusal may be owed to it. Either way, decide again on the case as stored.
                pass
        return self._decide(self._load(command.case_id), command, actor, expected_version)

    def _decide(
        self, case: Case, command: CaseCommand, actor: Actor, expected_version: int | None
    ) -> Recorded:
        # Put back only once saved: whatever raises below may leave the case half-changed.
        if expected_version is not None and case.version != expected_version:
            raise ConcurrencyConflict(
                f"case {command.case_id} is at version {case.version}, "
                f"not the expected version {expected_version}"
            )
        command.apply_to(case, actor, self.policies)
        try:
            recorded = self._save(case)
        except IntegrityError:
            raise ConcurrencyConflict(
                f"case {command.case_id} was changed by another writer; reload it and retry"
            ) from None
        self._put_back(case)
        return recorded

    def check(self, command: CaseCommand, actor: Actor) -> None:
        """Decides `command` on the case as stored and records nothing; raises its refusal."""
        command.refuse_if_ahead_of(self.clock())
        command.apply_to(self._load(command.case_id), actor, self.policies)

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """The case now (or at `version`), as a copy of its own the caller may keep."""
        if version is not None or self.idle_cases is None:
            return self._load(case_id, version)
        case = self._take_current(case_id)
        private = copy.deepcopy(case)
        self._put_back(case)
        return private

    def _take_current(self, case_id: UUID) -> Case:
        """The case as stored: the kept copy fast-forwarded with any other writer's events,
        or else rebuilt from its whole history."""
        case = self.idle_cases.take(case_id) if self.idle_cases is not None else None
        if case is None:
            return self._load(case_id)
        for event in self.events.get(case_id, gt=case.version):
            case = cast(Case.Event, event).mutate(case)
        return case

    def _load(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            case: Case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case with id {case_id}") from None
        return case

    def _put_back(self, case: Case) -> None:
        if self.idle_cases is not None:
            self.idle_cases.put_back(case)

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
        return Recorded(case_id=case.id, version=case.version, events=pending)
