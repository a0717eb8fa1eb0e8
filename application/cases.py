"""Case management use cases: get the case, let the domain decide, save what it recorded."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import get_topic

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from adapters.group_commit import GroupCommit
from adapters.idempotency import AnswerKeeper, KeptAnswer, KeyedAnswer
from application.clock import Clock, utc_today
from domain.base import Actor
from domain.case import Case, case_id_for
from domain.commands import CaseCommand, Command, DetermineNewEmploymentCase, OpenCase
from domain.errors import CaseAlreadyExists, CaseNotFound, ConcurrencyConflict, DomainError
from domain.handling import decide, open_case
from domain.policy import PolicyBook
from domain.vr.requests import link_new_employment_case

if TYPE_CHECKING:
    from adapters.case_snapshots import CaseSnapshots
    from application.refusals import RefusalKeeper

DECISION_ATTEMPTS = 10
"""How many times a command without an expected version is decided on the case as stored while
other writers keep recording first; each lost race means another command was recorded."""


@dataclass(frozen=True)
class LinkedCase:
    """The other case a command recorded on: the new employment program case a determination
    opened (`opened`) or linked (VR-08), and its version after the command."""

    case_id: UUID
    case_number: str
    version: int
    events: int
    opened: bool


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the case and its version after the command (and the other case
    it recorded on, if any)."""

    case_id: UUID
    case_number: str
    version: int
    events: int
    linked_case: LinkedCase | None = None


@dataclass(frozen=True)
class IdempotentRequest:
    """A command sent with a client's idempotency key: the answer it gets is recorded with its
    events, in their transaction, until `keep_until`."""

    actor_id: str
    key: str
    recorded_at: float
    keep_until: float
    answer: Callable[[Recorded], KeptAnswer]

    def keyed_answer(self, recorded: Recorded) -> KeyedAnswer:
        return KeyedAnswer(
            self.actor_id, self.key, self.recorded_at, self.keep_until, self.answer(recorded)
        )


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
        self._held = threading.local()

    @contextmanager
    def held_until_committed(self) -> Iterator[None]:
        """Until the block ends, the cases this thread puts back stay with it (its later
        commands take them); they join the others only if the block ends without an error,
        once what they hold is committed, and are dropped otherwise."""
        held: dict[UUID, Case] = {}
        self._held.cases = held
        try:
            yield
        finally:
            self._held.cases = None
        for case in held.values():
            self.put_back(case)

    def take(self, case_id: UUID) -> Case | None:
        held: dict[UUID, Case] | None = getattr(self._held, "cases", None)
        if held and case_id in held:
            return held.pop(case_id)
        with self._lock:
            return self._cases.pop(case_id, None)

    def put_back(self, case: Case) -> None:
        held: dict[UUID, Case] | None = getattr(self._held, "cases", None)
        if held is not None:
            held[case.id] = case
            return
        with self._lock:
            kept = self._cases.get(case.id)
            if kept is None or kept.version < case.version:
                self._cases[case.id] = case
            self._cases.move_to_end(case.id)
            while len(self._cases) > self.maxsize:
                self._cases.popitem(last=False)

    def __len__(self) -> int:
        return len(self._cases)


class CaseTurns:
    """Commands on one case in this process take turns, so they never race each other.

    Each would otherwise decide on the case as it was before the others' events and lose at the
    store; writers in other processes still can, and `CaseManagement` decides again then.
    """

    def __init__(self) -> None:
        self._turns: dict[UUID, tuple[threading.Lock, int]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, case_id: UUID) -> Iterator[None]:
        with self._lock:
            turn, waiting = self._turns.get(case_id, (threading.Lock(), 0))
            self._turns[case_id] = (turn, waiting + 1)
        try:
            with turn:
                yield
        finally:
            with self._lock:
                turn, waiting = self._turns[case_id]
                if waiting == 1:
                    del self._turns[case_id]
                else:
                    self._turns[case_id] = (turn, waiting - 1)

    def __len__(self) -> int:
        """Cases with a command in its turn or waiting for one."""
        return len(self._turns)


class CaseManagement(Application[UUID]):
    """The post-employment case management application (the event store's only writer)."""

    name = "cases"
    case_snapshots: CaseSnapshots | None = None
    """Where a case's state is kept every so many versions, for as-of reads (application/audit.py)."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        policies: PolicyBook | None = None,
        observers: Sequence[CommandObserver] = (),
        cache_size: int = 0,
        clock: Clock = utc_today,
        refusals: RefusalKeeper | None = None,
    ):
        super().__init__(env=env)
        self.refusals = refusals
        self.clock = clock
        self.policies = policies or PolicyBook.default()
        self.observers = tuple(observers)
        self.idle_cases = IdleCases(cache_size) if cache_size else None
        self.case_turns = CaseTurns()

    def construct_mapper(self) -> Mapper[UUID]:
        if self.factory.compressor() is not None:
            raise ValueError(
                "the event store keeps the published Avro bytes: leave COMPRESSOR_TOPIC unset"
            )
        return AvroMapper(AvroCodec(published_schemas()), cipher=self.factory.cipher())

    def open_case(
        self, command: OpenCase, actor: Actor, keyed: IdempotentRequest | None = None
    ) -> Recorded:
        return self._observed(command, actor, lambda: self._open_case(command, actor, keyed))

    def handle(
        self,
        command: CaseCommand,
        actor: Actor,
        expected_version: int | None = None,
        keyed: IdempotentRequest | None = None,
    ) -> Recorded:
        return self._observed(
            command, actor, lambda: self._handle(command, actor, expected_version, keyed)
        )

    def close(self) -> None:
        super().close()
        if self.refusals is not None:
            self.refusals.records.close()
        if self.case_snapshots is not None:
            self.case_snapshots.close()

    def kept_answer(self, actor_id: str, key: str, now: float) -> KeptAnswer | None:
        """The answer recorded under the actor's idempotency key, unless it expired by `now`."""
        if not isinstance(self.recorder, AnswerKeeper):
            raise TypeError(
                "this event store keeps no idempotency keys: build the application with "
                "application.bootstrap"
            )
        return self.recorder.kept_answer(actor_id, key, now)

    def _observed(self, command: Command, actor: Actor, run: Callable[[], Recorded]) -> Recorded:
        try:
            command.refuse_if_ahead_of(self.clock())
            recorded = run()
        except DomainError as error:
            for observer in self.observers:
                observer.refused(command, error)
            if self.refusals is not None:
                # A decision record outside the case's history (application/refusals.py).
                self.refusals.keep(self, command, actor, error)
            raise
        for observer in self.observers:
            observer.recorded(command, recorded)
        return recorded

    def _open_case(
        self, command: OpenCase, actor: Actor, keyed: IdempotentRequest | None
    ) -> Recorded:
        case = open_case(command, actor)
        try:
            recorded = self._save(case, keyed)
        except IntegrityError:
            raise CaseAlreadyExists(f"case {command.case_number} was already opened") from None
        self._put_back(case)
        return recorded

    def _handle(
        self,
        command: CaseCommand,
        actor: Actor,
        expected_version: int | None,
        keyed: IdempotentRequest | None,
    ) -> Recorded:
        if isinstance(command, DetermineNewEmploymentCase):
            return self._determine_new_employment_case(command, actor, expected_version, keyed)
        with self.case_turns.turn(command.case_id):
            return self._decide_in_turn(command, actor, expected_version, keyed)

    def _determine_new_employment_case(
        self,
        command: DetermineNewEmploymentCase,
        actor: Actor,
        expected_version: int | None,
        keyed: IdempotentRequest | None,
    ) -> Recorded:
        """Decides the determination on its case, then on the case it names (opened if no case
        has that number), and saves both cases in one transaction: the link is recorded on
        both or on neither (VR-08)."""
        named_id = case_id_for(command.new_case_number)
        with ExitStack() as turns:
            # Taken in id order, so two such commands on one pair of cases can never each hold
            # one turn while waiting for the other's.
            for case_id in sorted({command.case_id, named_id}):
                turns.enter_context(self.case_turns.turn(case_id))
            for _ in range(DECISION_ATTEMPTS):
                earlier = self._take_current(command.case_id)
                if expected_version is not None and earlier.version != expected_version:
                    raise ConcurrencyConflict(
                        f"case {command.case_id} is at version {earlier.version}, "
                        f"not the expected version {expected_version}"
                    )
                decide(earlier, command, actor, self.policies)
                named = link_new_employment_case(
                    earlier, self._current_or_none(named_id), command, actor, self.policies
                )
                try:
                    recorded = self._save(earlier, keyed, linked=named)
                except IntegrityError:
                    # Another writer recorded on either case first (or opened the named case):
                    # decide again on both as stored, unless the caller named its version.
                    if expected_version is not None:
                        raise ConcurrencyConflict(
                            f"case {command.case_id} or case {command.new_case_number} was "
                            "changed by another writer; reload it and retry"
                        ) from None
                    continue
                self._put_back(earlier)
                self._put_back(named)
                return recorded
        raise ConcurrencyConflict(
            f"case {command.case_id} or case {command.new_case_number} was changed by other "
            f"writers {DECISION_ATTEMPTS} times while this command was decided; retry"
        )

    def _current_or_none(self, case_id: UUID) -> Case | None:
        try:
            return self._take_current(case_id)
        except CaseNotFound:
            return None

    def _decide_in_turn(
        self,
        command: CaseCommand,
        actor: Actor,
        expected_version: int | None,
        keyed: IdempotentRequest | None,
    ) -> Recorded:
        kept = self.idle_cases.take(command.case_id) if self.idle_cases is not None else None
        if kept is not None:
            try:
                return self._decide(kept, command, actor, expected_version, keyed)
            except (DomainError, IntegrityError):
                # The case kept in memory lacks whatever another writer recorded since: the
                # store refuses a decision made without it (the versions clash), and a
                # refusal may be owed to it. Either way, decide again on the case as stored.
                pass
        for _ in range(DECISION_ATTEMPTS):
            case = self._load(command.case_id)
            try:
                return self._decide(case, command, actor, expected_version, keyed)
            except IntegrityError:
                # Another writer recorded first. A caller who named the version it decided
                # on is told; any other command is decided again, on the case with those events.
                if expected_version is not None:
                    raise ConcurrencyConflict(
                        f"case {command.case_id} was changed by another writer after version "
                        f"{expected_version}; reload it and retry"
                    ) from None
        raise ConcurrencyConflict(
            f"case {command.case_id} was changed by other writers {DECISION_ATTEMPTS} times "
            "while this command was decided; retry"
        )

    def _decide(
        self,
        case: Case,
        command: CaseCommand,
        actor: Actor,
        expected_version: int | None,
        keyed: IdempotentRequest | None,
    ) -> Recorded:
        # Put back only once saved: whatever raises below may leave the case half-changed.
        if expected_version is not None and case.version != expected_version:
            raise ConcurrencyConflict(
                f"case {command.case_id} is at version {case.version}, "
                f"not the expected version {expected_version}"
            )
        decide(case, command, actor, self.policies)
        recorded = self._save(case, keyed)
        self._put_back(case)
        return recorded

    def check(self, command: CaseCommand, actor: Actor) -> None:
        """Decides `command` on the case as stored and records nothing; raises its refusal."""
        command.refuse_if_ahead_of(self.clock())
        case = self._load(command.case_id)
        decide(case, command, actor, self.policies)
        if isinstance(command, DetermineNewEmploymentCase):
            try:
                named: Case | None = self._load(case_id_for(command.new_case_number))
            except CaseNotFound:
                named = None
            link_new_employment_case(case, named, command, actor, self.policies)

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

    @property
    def records_in_batches(self) -> bool:
        """Whether commands can be recorded in batches (`in_one_transaction`): on SQLite."""
        return isinstance(getattr(self.recorder, "group_commit", None), GroupCommit)

    @contextmanager
    def in_one_transaction(self) -> Iterator[None]:
        """Every command this thread handles until the block ends is recorded in one
        transaction (SQLite: `GroupCommit.batch`), committed when the block ends, rolled back
        if it raises. The cases those commands decide are kept in memory for other threads
        only once that transaction has committed: until then no other thread reads them."""
        group_commit = getattr(self.recorder, "group_commit", None)
        if not isinstance(group_commit, GroupCommit):
            raise TypeError("only the SQLite event store records commands in batches")
        held = (
            self.idle_cases.held_until_committed() if self.idle_cases is not None else nullcontext()
        )
        with held, group_commit.batch():
            yield

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

    def _save(
        self, case: Case, keyed: IdempotentRequest | None = None, linked: Case | None = None
    ) -> Recorded:
        """Appends the case's new events (and those of the case it linked), and the keyed
        request's answer, in one transaction."""
        recorded = Recorded(
            case_id=case.id,
            case_number=case.case_number,
            version=case.version,
            events=len(case.pending_events),
            linked_case=None
            if linked is None
            else LinkedCase(
                case_id=linked.id,
                case_number=linked.case_number,
                version=linked.version,
                events=len(linked.pending_events),
                opened=linked.version == len(linked.pending_events),
            ),
        )
        if keyed is None:
            self.save(case, linked)
        else:
            self.save(case, linked, idempotency=keyed.keyed_answer(recorded))
        return recorded
