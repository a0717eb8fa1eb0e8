"""Consuming the case event topic into a store that keeps its own Kafka positions.

The store applies a partition's messages and records the next offset in one transaction, so a
crash or a redelivery never applies an event twice and never skips one. On assignment the
consumer seeks to the store's positions; Kafka's committed offsets only serve lag monitoring.
A message that cannot be decoded or applied goes to the dead-letter topic with the reason.

The consumer outlives the broker and its own group membership: a failed poll, apply or
dead-letter publish is retried with a capped, jittered backoff after rewinding to the store's
positions; a client that stays out of its group (or a call into it that never returns) is closed
and built anew. An outage is logged when it starts and when it ends, and `ConsumerHealth`
shows it (reachable, seconds since the last good poll, stalled) while it lasts.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.base import MemberState
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from adapters.avro import ContractError
from adapters.retry import Backoff

log = logging.getLogger(__name__)

# A kafka-python call that has not returned this long after its own timeout is taken as hung.
HUNG_CALL_SECONDS = 30.0
# Out of its group (or cut off from the broker) this long, the client is closed and rebuilt.
RESTART_AFTER_SECONDS = 60.0
# Nothing applied this long while behind (or out of touch) shows the consumer as stalled.
STALLED_AFTER_SECONDS = 60.0
DEAD_LETTER_TIMEOUT_SECONDS = 30.0
# What a consumer retries: the broker's errors and the network's.
RETRIED = (KafkaError, OSError)


class Delivery(NamedTuple):
    """One decoded message (what the consumer's decoder made of it) and where it came from.

    A named tuple: a rebuild makes one per message, and a frozen dataclass costs twice as much
    to make."""

    topic: str
    partition: int
    offset: int
    event: Any


def is_next_of_its_case(
    delivery: Delivery, applied_version: int, rejected: list[tuple[Delivery, str]]
) -> bool:
    """Whether the delivered event is its case's next after `applied_version`. A redelivered
    event (already applied) is passed over; one past a gap is added to `rejected`, with why."""
    version = delivery.event.originator_version
    if version <= applied_version:
        return False
    if version != applied_version + 1:
        rejected.append(
            (
                delivery,
                f"out of order: case {delivery.event.originator_id} version {version} "
                f"arrived after version {applied_version}",
            )
        )
        return False
    return True


@dataclass(frozen=True)
class DeadLetter:
    """A message that could not be decoded or applied, with the reason."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    headers: tuple[tuple[str, bytes], ...] = ()


class PositionedStore(Protocol):
    """A view or ledger that records, with its own rows, how far it has read each partition."""

    def next_offsets(self, topic: str) -> dict[int, int]: ...

    def close(self) -> None: ...

    def apply(
        self,
        topic: str,
        partition: int,
        deliveries: Sequence[Delivery],
        next_offset: int,
        before_commit: Callable[[list[tuple[Delivery, str]]], None],
    ) -> None:
        """Applies the deliveries and records next_offset in one transaction.

        Calls `before_commit` with the rejected deliveries (and reasons) before committing.
        """
        ...


class ReadModelStore(PositionedStore, Protocol):
    """A positioned store that can be emptied and rebuilt from offset zero."""

    @property
    def reads(self) -> frozenset[str] | None:
        """The event types it reads; None for all of them."""
        ...

    def reset(self) -> None: ...

    def applied_versions(self) -> dict[str, int]:
        """The version each case has been applied up to."""
        ...

    def positions_total(self, topic: str) -> int: ...


class ConsumerHealth:
    """How a consumer is doing, read live (from any thread) by metrics: whether its last poll
    reached the broker and its group, how long ago a poll last did, and whether it is stalled."""

    def __init__(
        self,
        stalled_after: float = STALLED_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stalled_after = stalled_after
        self.clock = clock
        now = clock()
        self.reachable = True
        self.last_good_poll = now
        self.last_progress = now  # last time it applied something or had nothing left to apply
        self.lag = 0  # last known messages behind, over the partitions it last held
        self.rejoins = 0
        self.restarts = 0

    def seconds_since_last_good_poll(self) -> float:
        return max(self.clock() - self.last_good_poll, 0.0)

    def stalled(self) -> bool:
        """Applied nothing for `stalled_after` seconds while behind or out of touch."""
        idle = self.clock() - self.last_progress > self.stalled_after
        return idle and (self.lag > 0 or not self.reachable)


class ConsumerObserver(Protocol):
    """Told where a consumer is (metrics); calls are cheap and must not raise."""

    def position(self, topic: str, partition: int, position: int, end: int | None) -> None:
        """`position` is the next offset to apply; `end` the last known end offset, if any."""

    def revoked(self, topic: str, partition: int) -> None: ...

    def dead_lettered(self, reason_kind: str, count: int) -> None: ...

    def watch(self, health: ConsumerHealth) -> None:
        """Called once: `health` stays current for as long as the consumer runs."""

    def rejoined(self) -> None:
        """The consumer is back in its group after losing its membership or the broker."""

    def restarted(self) -> None:
        """The consumer's Kafka client was closed and built anew."""


class _NoObserver:
    def position(self, topic: str, partition: int, position: int, end: int | None) -> None:
        pass

    def revoked(self, topic: str, partition: int) -> None:
        pass

    def dead_lettered(self, reason_kind: str, count: int) -> None:
        pass

    def watch(self, health: ConsumerHealth) -> None:
        pass

    def rejoined(self) -> None:
        pass

    def restarted(self) -> None:
        pass


class DeadLetters:
    """Publishes rejected messages, key, value and headers intact, to `<topic>.dlq`, adding
    the `dlq_*` headers that say why and where from.

    Its producer is made when the first letter is published: most consumers never publish one,
    and a rebuild would otherwise wait for a producer's connection it does not use.

    A publish waits at most `timeout` seconds for the broker's acknowledgement, and raises if it
    does not come: the caller's transaction then does not move past the letters. What the
    producer still holds it keeps sending, so a letter may arrive twice but never not at all."""

    def __init__(
        self,
        new_producer: Callable[[], KafkaProducer],
        group_id: str,
        timeout: float = DEAD_LETTER_TIMEOUT_SECONDS,
    ) -> None:
        self.new_producer = new_producer
        self.producer: KafkaProducer | None = None
        self.group_id = group_id
        self.timeout = timeout

    def publish(self, letters: Iterable[DeadLetter]) -> int:
        if self.producer is None:
            self.producer = self.new_producer()
        producer = self.producer
        futures = [
            producer.send(
                f"{letter.topic}.dlq",
                key=letter.key,
                value=letter.value,
                headers=[
                    *letter.headers,
                    ("dlq_reason", letter.reason.encode()),
                    ("dlq_source_topic", letter.topic.encode()),
                    ("dlq_source_partition", str(letter.partition).encode()),
                    ("dlq_source_offset", str(letter.offset).encode()),
                    ("dlq_consumer_group", self.group_id.encode()),
                ],
            )
            for letter in letters
        ]
        deadline = time.monotonic() + self.timeout
        producer.flush(timeout=self.timeout)
        for future in futures:
            future.get(timeout=max(deadline - time.monotonic(), 0.1))
        return len(futures)

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close(timeout=5)


class _SeekToStoredPositions(ConsumerRebalanceListener):
    """Runs on the client's IO thread, while the consuming thread waits in `poll`."""

    def __init__(self, owner: TrackedConsumer, consumer: KafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    def _current(self) -> bool:
        # A client being closed in the background after a restart must not touch the store.
        return self.owner.consumer is self.consumer

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if self._current():
            self.owner._forget(revoked, lost=False)

    def on_partitions_lost(self, lost: list[TopicPartition]) -> None:
        if self._current():
            self.owner._forget(lost, lost=True)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if self._current():
            self.owner._seek_to_stored(assigned)


class _Watchdog:
    """Ends a kafka-python call that outlives its deadline by stopping its client's IO loop.

    kafka-python's blocking calls wait for that loop without a timeout of their own; a loop that
    stops answering (seen: a member evicted from its group waiting in `ensure_coordinator_ready`)
    would hold the consuming thread forever. Stopped, the loop fails the waiting call, and the
    consumer builds a new client.
    """

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._call: tuple[float, KafkaConsumer] | None = None
        self.fired = False
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"watchdog-{name}", daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def bounded(self, consumer: KafkaConsumer, seconds: float) -> Iterator[None]:
        with self._lock:
            self._call = (time.monotonic() + seconds, consumer)
        try:
            yield
        finally:
            with self._lock:
                self._call = None

    def _watch(self) -> None:
        while not self._closed.wait(0.5):
            with self._lock:
                call = self._call
                hung = call is not None and time.monotonic() > call[0]
                if hung:
                    self._call = None
                    self.fired = True
            if hung and call is not None:
                log.warning("a Kafka call hung past its deadline; stopping its client to end it")
                with contextlib.suppress(Exception):
                    call[1]._net.stop(timeout_ms=1000)

    def close(self) -> None:
        self._closed.set()


class _Detached:
    """Stands for a client that was closed while its replacement could not be built yet."""

    _closed = True

    def assignment(self) -> set[TopicPartition]:
        return set()


_DETACHED: Any = _Detached()


def _close_in_background(close: Callable[[], object], what: str, wait: float = 10.0) -> None:
    """Runs `close` on a thread of its own and waits for it at most `wait` seconds: closing a
    client that lost its broker can block on it."""

    def run() -> None:
        try:
            close()
        except Exception as error:
            log.debug("closing the old %s failed: %s", what, error)

    closer = threading.Thread(target=run, name=f"close-{what}", daemon=True)
    closer.start()
    closer.join(wait)
    if closer.is_alive():
        log.warning("the old %s did not close within %.0f s; left to close on its own", what, wait)


class TrackedConsumer:
    """Feeds a topic to a positioned store, partition batch by partition batch."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        store: PositionedStore,
        decode: Callable[[bytes], Any],
        topic: str,
        dead_letters: DeadLetters,
        observer: ConsumerObserver | None = None,
        partitions: Sequence[int] | None = None,
        new_consumer: Callable[[], KafkaConsumer] | None = None,
        backoff: Backoff | None = None,
        restart_after: float = RESTART_AFTER_SECONDS,
        hung_call_after: float = HUNG_CALL_SECONDS,
        health: ConsumerHealth | None = None,
    ) -> None:
        """Joins the consumer group, or, given `partitions`, reads just those (a rebuild
        worker's share) without group membership. `new_consumer` builds a replacement client
        for one that stays out of its group `restart_after` seconds, or hangs."""
        self.consumer = consumer
        self.store = store
        self.decode = decode
        self.topic = topic
        self.dead_letters = dead_letters
        self.observer = observer or _NoObserver()
        self.new_consumer = new_consumer
        self.backoff = backoff or Backoff(cap=10.0)
        self.restart_after = restart_after
        self.hung_call_after = hung_call_after
        self.health = health or ConsumerHealth()
        self.observer.watch(self.health)
        self._partitions = None if partitions is None else list(partitions)
        self._in_group = partitions is None
        self._positions: dict[TopicPartition, int] = {}  # next offset per assigned partition
        self._retry_at = 0.0
        self._rewind = False  # the client may be past the store: seek back before polling
        self._rebuild: str | None = None  # why the client must be rebuilt before the next poll
        self._unjoined_since: float | None = None
        self.join_grace = 15.0  # out of its group this long (a join, a rebalance) is an outage
        self._outage_since: float | None = None
        self._outage_reason = ""
        self._membership_lost = False
        self._generation: tuple[int, str] | None = None
        self._watchdog = _Watchdog(topic)
        self._attached_at = time.monotonic()
        self._attach(consumer)

    def _attach(self, consumer: KafkaConsumer) -> None:
        # Fetch the topic's metadata before joining the group: a member that joins without it
        # is assigned nothing until its next metadata refresh, minutes later.
        with self._watchdog.bounded(consumer, self.hung_call_after):
            known = consumer.partitions_for_topic(self.topic)
        if not known:
            raise KafkaError(f"topic {self.topic} does not exist; the relay creates it on start")
        self.consumer = consumer
        self._attached_at = time.monotonic()  # a new client gets its own time to join
        if self._partitions is None:
            consumer.subscribe([self.topic], listener=_SeekToStoredPositions(self, consumer))
        else:
            assigned = [TopicPartition(self.topic, p) for p in self._partitions]
            consumer.assign(assigned)
            self._seek_to_stored(assigned)

    def _seek_to_stored(self, assigned: Iterable[TopicPartition]) -> None:
        stored = self.store.next_offsets(self.topic)
        for tp in assigned:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition])
            else:
                self.consumer.seek_to_beginning(tp)
            self._positions[tp] = stored.get(tp.partition, 0)

    def _forget(self, partitions: Iterable[TopicPartition], *, lost: bool) -> None:
        for tp in partitions:
            self._positions.pop(tp, None)
            self.observer.revoked(tp.topic, tp.partition)
        if lost:
            self._membership_lost = True
        elif not self._positions:
            self.health.lag = 0  # handed over in a rebalance: another member is behind now

    def poll_once(self, timeout_ms: int = 200) -> int:
        """Applies what one poll returns; returns the number of messages consumed.

        Never raises for the broker's or the network's errors. Returns within about `timeout_ms`
        plus the batch's apply (while backing off it waits and returns 0), or, when it builds a
        new client, within that client's bootstrap timeout."""
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, timeout_ms / 1000))
            return 0
        applied = 0
        try:
            consumer = self._ready_consumer()
            with self._watchdog.bounded(consumer, timeout_ms / 1000 + self.hung_call_after):
                polled = consumer.poll(timeout_ms=timeout_ms)
            for tp, messages in polled.items():
                self._apply_partition_batch(tp, messages)
                self._positions[tp] = messages[-1].offset + 1
                applied += len(messages)
            moved = self._record_skipped_offsets(consumer)
        except Exception as error:
            if not isinstance(error, RETRIED) and not self._watchdog.fired:
                raise
            self._failed(error)
            return applied
        if (polled or moved) and self._in_group:
            self._commit_for_monitoring({tp: self._positions[tp] for tp in {*polled, *moved}})
        self._after_poll(applied)
        return applied

    def _record_skipped_offsets(self, consumer: KafkaConsumer) -> list[TopicPartition]:
        """Records the positions the client moved past offsets no poll returns: the markers
        that end the relay's transactions, and records of aborted ones. Without this, a reader
        that applied everything would stay short of the topic's end (its lag never 0)."""
        moved = []
        assigned = consumer.assignment()
        for tp, known in self._positions.items():
            position = consumer.position(tp, timeout_ms=0) if tp in assigned else None
            if position is not None and position > known:
                self.store.apply(tp.topic, tp.partition, [], position, lambda _rejected: None)
                self._positions[tp] = position
                moved.append(tp)
        return moved

    def _ready_consumer(self) -> KafkaConsumer:
        """The client to poll: rebuilt if it hung or stayed out of its group, rewound to the
        store's positions if a failure may have left it past them."""
        if self._watchdog.fired:
            self._watchdog.fired = False
            self._rebuild = "a call into its Kafka client hung"
        elif self._outage_since is not None and self.new_consumer is not None:
            out_for = time.monotonic() - max(self.health.last_good_poll, self._attached_at)
            if out_for > self.restart_after:
                self._rebuild = f"out of its group or cut off from the broker for {out_for:.0f} s"
        if self._rebuild is not None:
            self._restart(self._rebuild)
            self._rebuild = None
        if self._rewind:
            self._seek_to_stored(self.consumer.assignment())
            self._rewind = False
        return self.consumer

    def _restart(self, why: str) -> None:
        """Closes the client (in the background: it may hang) and attaches a new one; raises,
        leaving the rebuild pending, if the new one cannot reach the broker yet."""
        if self.new_consumer is None:
            raise KafkaError(f"cannot rebuild the Kafka client ({why}): no factory given")
        old = self.consumer
        if not getattr(old, "_closed", True):
            log.warning("rebuilding the Kafka client of %s: %s", self.topic, why)
            self.health.restarts += 1
            self.observer.restarted()
            self._forget(list(self._positions), lost=True)
            # Detached first, so its listener no longer touches the store while it closes.
            self.consumer = _DETACHED
            _close_in_background(lambda: old.close(autocommit=False), "consumer")
        self._rewind = False
        fresh = self.new_consumer()
        try:
            self._attach(fresh)
        except BaseException:
            _close_in_background(lambda: fresh.close(autocommit=False), "consumer")
            raise

    def _failed(self, error: Exception) -> None:
        """Backs off before the next poll, which starts from the store's positions."""
        self._rewind = True
        delay = self.backoff.next_delay()
        self._retry_at = time.monotonic() + delay
        self._outage(f"{type(error).__name__}: {error}")
        log.debug("consumer of %s failed (%s); retrying in %.1f s", self.topic, error, delay)

    def _outage(self, reason: str) -> None:
        self.health.reachable = False
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            self._outage_reason = reason
            log.warning(
                "consumer of %s lost the broker or its group (%s); retrying with backoff",
                self.topic,
                reason,
            )

    def _after_poll(self, applied: int) -> None:
        now = time.monotonic()
        generation = self._membership()
        if generation is None:
            if self._unjoined_since is None:
                self._unjoined_since = now
            elif now - self._unjoined_since > self.join_grace:
                self._outage("not a member of its group")
            self._report_positions(applied)
            return
        self._unjoined_since = None
        self.health.reachable = True
        self.health.last_good_poll = now
        if self._outage_since is not None:
            log.warning(
                "consumer of %s is back after %.0f s (the outage began with: %s)",
                self.topic,
                now - self._outage_since,
                self._outage_reason,
            )
            self._outage_since = None
            self._membership_lost = True
        self.backoff.reset()
        if self._in_group and generation != self._generation:
            # An evicted member comes back under a new member id; it may do so within one
            # poll, before this loop ever sees it out of its group.
            evicted = self._generation is not None and generation[1] != self._generation[1]
            if self._generation is not None and (self._membership_lost or evicted):
                self.health.rejoins += 1
                self.observer.rejoined()
                log.info(
                    "consumer of %s rejoined its group (generation %d)", self.topic, generation[0]
                )
            self._generation = generation
        self._membership_lost = False
        self._report_positions(applied)

    def _membership(self) -> tuple[int, str] | None:
        """The group generation and member id it holds now; None when it is not a stable
        member that knows its coordinator. A reader of fixed partitions is always (0, "")."""
        if not self._in_group:
            return (0, "")
        coordinator = self.consumer._coordinator
        if coordinator.coordinator_id is None or coordinator.state is not MemberState.STABLE:
            return None
        generation = coordinator.group_metadata()
        return (generation.generation_id, generation.member_id)

    def _report_positions(self, applied: int) -> None:
        # highwater() is what the last fetch response said: no broker round trip per report.
        lag = 0
        known = False
        for tp, position in self._positions.items():
            end = self.consumer.highwater(tp)
            self.observer.position(tp.topic, tp.partition, position, end)
            if end is not None:
                known = True
                lag += max(end - position, 0)
        if known or self._positions:
            self.health.lag = lag
        if applied or (self.health.reachable and self.health.lag == 0):
            self.health.last_progress = time.monotonic()

    def _apply_partition_batch(self, tp: TopicPartition, messages: list[Any]) -> None:
        deliveries: list[Delivery] = []
        undecodable: list[DeadLetter] = []
        for message in messages:
            try:
                event = self.decode(message.value)
            except ContractError as error:
                undecodable.append(_letter(message, f"decode: {error}"))
                continue
            deliveries.append(Delivery(tp.topic, tp.partition, message.offset, event))

        # Dead letters are acknowledged before the store's transaction moves past them: a
        # crash in between repeats a dead letter (same source offset) but never loses one.
        # A publish that fails rolls the transaction back, and the batch is polled again.
        def publish_dead_letters(rejected: list[tuple[Delivery, str]]) -> None:
            by_offset = {message.offset: message for message in messages} if rejected else {}
            letters = undecodable + [
                _letter(by_offset[d.offset], f"apply: {reason}") for d, reason in rejected
            ]
            if letters:
                self.dead_letters.publish(letters)
                for kind in ("decode", "apply"):
                    count = sum(1 for letter in letters if letter.reason.startswith(f"{kind}:"))
                    if count:
                        self.observer.dead_lettered(kind, count)

        self.store.apply(
            tp.topic, tp.partition, deliveries, messages[-1].offset + 1, publish_dead_letters
        )

    def run(self, stop: threading.Event) -> None:
        log.info("consuming %s until stopped", self.topic)
        while not stop.is_set():
            self.poll_once()

    def close(self) -> None:
        self._watchdog.close()
        consumer = self.consumer
        _close_in_background(lambda: consumer.close(autocommit=False), "consumer", wait=30)
        self.dead_letters.close()
        self.store.close()

    def _commit_for_monitoring(self, next_offsets: dict[TopicPartition, int]) -> None:
        """Tells the group where its members are, for tools that show consumer-group lag.

        Asynchronous: the store holds the real positions, so a commit that fails (or waits on a
        broker that is gone) only skews lag, and must not hold up the loop."""
        try:
            self.consumer.commit_async(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in next_offsets.items()},
                callback=self._monitoring_commit_done,
            )
        except Exception as error:
            log.debug("could not commit %s for lag monitoring: %s", next_offsets, error)

    def _monitoring_commit_done(self, offsets: Any, result: Any) -> None:
        if isinstance(result, Exception):
            log.debug("could not commit %s for lag monitoring: %s", offsets, result)


def _letter(message: Any, reason: str) -> DeadLetter:
    return DeadLetter(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        reason=reason,
        headers=tuple((name, bytes(value)) for name, value in message.headers or ()),
    )
