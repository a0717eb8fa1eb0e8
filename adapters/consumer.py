"""Consuming the case event topic into a store that keeps its own Kafka positions.

The store applies a partition's messages and records the next offset in one transaction, so a
crash or a redelivery never applies an event twice and never skips one. On assignment the
consumer seeks to the store's positions; Kafka's committed offsets only serve lag monitoring.
A message that cannot be decoded or applied goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from adapters.avro import ContractError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One decoded message (what the consumer's decoder made of it) and where it came from."""

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

    def reset(self) -> None: ...

    def applied_versions(self) -> dict[str, int]:
        """The version each case has been applied up to."""
        ...

    def positions_total(self, topic: str) -> int: ...


class ConsumerObserver(Protocol):
    """Told where a consumer is (metrics); calls are cheap and must not raise."""

    def position(self, topic: str, partition: int, position: int, end: int | None) -> None:
        """`position` is the next offset to apply; `end` the last known end offset, if any."""

    def revoked(self, topic: str, partition: int) -> None: ...

    def dead_lettered(self, reason_kind: str, count: int) -> None: ...


class _NoObserver:
    def position(self, topic: str, partition: int, position: int, end: int | None) -> None:
        pass

    def revoked(self, topic: str, partition: int) -> None:
        pass

    def dead_lettered(self, reason_kind: str, count: int) -> None:
        pass


class DeadLetters:
    """Publishes rejected messages, key, value and headers intact, to `<topic>.dlq`, adding
    the `dlq_*` headers that say why and where from."""

    def __init__(self, producer: KafkaProducer, group_id: str) -> None:
        self.producer = producer
        self.group_id = group_id

    def publish(self, letters: Iterable[DeadLetter]) -> int:
        futures = [
            self.producer.send(
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
        self.producer.flush()
        for future in futures:
            future.get()
        return len(futures)


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(
        self,
        consumer: KafkaConsumer,
        store: PositionedStore,
        topic: str,
        positions: dict[TopicPartition, int] | None = None,
        observer: ConsumerObserver | None = None,
    ) -> None:
        self.consumer = consumer
        self.store = store
        self.topic = topic
        self.positions = positions if positions is not None else {}
        self.observer = observer or _NoObserver()

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self.positions.pop(tp, None)
            self.observer.revoked(tp.topic, tp.partition)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        stored = self.store.next_offsets(self.topic)
        for tp in assigned:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition])
            else:
                self.consumer.seek_to_beginning(tp)
            self.positions[tp] = stored.get(tp.partition, 0)


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
    ) -> None:
        """Joins the consumer group, or, given `partitions`, reads just those (a rebuild
        worker's share) without group membership."""
        self.consumer = consumer
        self.store = store
        self.decode = decode
        self.topic = topic
        self.dead_letters = dead_letters
        self.observer = observer or _NoObserver()
        self._positions: dict[TopicPartition, int] = {}  # next offset per assigned partition
        # Fetch the topic's metadata before joining the group: a member that joins without it
        # is assigned nothing until its next metadata refresh, minutes later.
        if not consumer.partitions_for_topic(topic):
            raise RuntimeError(f"topic {topic} does not exist; the relay creates it on start")
        seek = _SeekToStoredPositions(consumer, store, topic, self._positions, self.observer)
        self._in_group = partitions is None
        if partitions is None:
            consumer.subscribe([topic], listener=seek)
        else:
            assigned = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(assigned)
            seek.on_partitions_assigned(assigned)

    def poll_once(self, timeout_ms: int = 200) -> int:
        """Applies what one poll returns; returns the number of messages consumed."""
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        for tp, messages in polled.items():
            self._apply_partition_batch(tp, messages)
            self._positions[tp] = messages[-1].offset + 1
        if polled and self._in_group:
            self._commit_for_monitoring({tp: self._positions[tp] for tp in polled})
        self._report_positions()
        return sum(len(messages) for messages in polled.values())

    def _report_positions(self) -> None:
        # highwater() is what the last fetch response said: no broker round trip per report.
        for tp, position in self._positions.items():
            self.observer.position(tp.topic, tp.partition, position, self.consumer.highwater(tp))

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
        by_offset = {message.offset: message for message in messages}

        # Dead letters are acknowledged before the store's transaction moves past them: a
        # crash in between repeats a dead letter (same source offset) but never loses one.
        def publish_dead_letters(rejected: list[tuple[Delivery, str]]) -> None:
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
        while not stop.is_set():
            self.poll_once()

    def close(self) -> None:
        self.consumer.close(autocommit=False)
        self.dead_letters.producer.close()
        self.store.close()

    def _commit_for_monitoring(self, next_offsets: dict[TopicPartition, int]) -> None:
        """Tells the group where its members are, for tools that show consumer-group lag."""
        try:
            self.consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in next_offsets.items()}
            )
        except Exception as error:  # the store holds the real positions; this only skews lag
            log.warning("could not commit %s for lag monitoring: %s", next_offsets, error)


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
