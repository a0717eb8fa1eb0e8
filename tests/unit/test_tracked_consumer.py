"""TrackedConsumer against a scripted stand-in for kafka-python's client: broker errors, a hung
call and a lost group membership never end its loop, and it never moves the store past what it
has not applied."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.coordinator.base import MemberState
from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from prometheus_client.parser import text_string_to_metric_families

from adapters.avro import ContractError
from adapters.consumer import ConsumerHealth, DeadLetter, DeadLetters, Delivery, TrackedConsumer
from adapters.metrics import Metrics
from adapters.retry import Backoff
from tests.topic_reader import wait_for

TOPIC = "t"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


def message(partition: int, offset: int, value: bytes = b"ok") -> Any:
    return SimpleNamespace(
        topic=TOPIC, partition=partition, offset=offset, key=b"k", value=value, headers=[]
    )


class FakeNet:
    def __init__(self) -> None:
        self.stopped = threading.Event()

    def stop(self, timeout_ms: int | None = None) -> None:
        self.stopped.set()


class FakeClient:
    """A group member whose polls follow `script`: a dict of records, an exception to raise,
    or "hang" (block until its IO loop is stopped)."""

    def __init__(self, script: Sequence[Any] = ()) -> None:
        self.script = list(script)
        self.listener: Any = None
        self._assigned: set[TopicPartition] = set()
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.skipped: dict[TopicPartition, int] = {}  # past polled records: transaction markers
        self.commits = 0
        self.closed = False
        self._closed = False
        self._net = FakeNet()
        self._coordinator = SimpleNamespace(
            coordinator_id=1,
            state=MemberState.STABLE,
            group_metadata=lambda: SimpleNamespace(generation_id=1, member_id="m"),
        )

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1}

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        if not self._assigned:
            self._assigned = {P0, P1}
            self.listener.on_partitions_assigned([P0, P1])
        step = self.script.pop(0) if self.script else {}
        if step == "hang":
            self._net.stopped.wait(30)
            raise KafkaConnectionError("Event loop stopped")
        if isinstance(step, Exception):
            raise step
        return dict(step)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.seeks.append((tp, 0))

    def assignment(self) -> set[TopicPartition]:
        return set(self._assigned)

    def highwater(self, tp: TopicPartition) -> int | None:
        return None

    def position(self, tp: TopicPartition, timeout_ms: int | None = None) -> int | None:
        return self.skipped.get(tp)

    def commit_async(self, offsets: Any, callback: Any) -> None:
        self.commits += 1
        raise KafkaConnectionError("no coordinator")  # the loop must not care

    def close(self, autocommit: bool = True) -> None:
        self.closed = self._closed = True


class FakeStore:
    def __init__(self) -> None:
        self.positions: dict[int, int] = {}
        self.applied: list[int] = []

    def next_offsets(self, topic: str) -> dict[int, int]:
        return dict(self.positions)

    def apply(
        self,
        topic: str,
        partition: int,
        deliveries: Sequence[Delivery],
        next_offset: int,
        before_commit: Callable[[list[tuple[Delivery, str]]], None],
    ) -> None:
        before_commit([])  # raises: nothing below is recorded (the transaction rolls back)
        self.applied.extend(d.offset for d in deliveries)
        self.positions[partition] = next_offset

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[int] = []

    def send(self, topic: str, **message: Any) -> Any:
        self.sent.append(int(dict(message["headers"])["dlq_source_offset"]))
        return SimpleNamespace(get=lambda timeout=None: None)

    def flush(self, timeout: float | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaTimeoutError("no acknowledgement")

    def close(self, timeout: float | None = None) -> None:
        pass


def decode(value: bytes) -> Any:
    if value != b"ok":
        raise ContractError("not an Avro message")
    return value


def tracked(
    client: FakeClient,
    store: FakeStore,
    producer: FakeProducer | None = None,
    factory: Callable[[], Any] | None = None,
    **options: Any,
) -> TrackedConsumer:
    return TrackedConsumer(
        consumer=client,
        store=store,
        decode=decode,
        topic=TOPIC,
        dead_letters=DeadLetters(lambda: producer or FakeProducer(), "g"),  # type: ignore[arg-type]
        new_consumer=factory,
        backoff=Backoff(initial=0.0, cap=0.0),
        **options,
    )


def test_a_position_past_offsets_no_poll_returns_is_recorded_so_a_caught_up_reader_is_at_the_end() -> (
    None
):
    client = FakeClient([{P0: [message(0, 0)]}, {}])
    store = FakeStore()
    consumer = tracked(client, store)
    assert consumer.poll_once(timeout_ms=10) == 1
    assert store.positions[0] == 1
    client.skipped[P0] = 2  # the marker that ended the relay's transaction, at offset 1
    assert consumer.poll_once(timeout_ms=10) == 0
    assert store.positions[0] == 2
    assert store.applied == [0]


def test_broker_errors_never_end_the_loop_and_the_outage_is_logged_once_then_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = KafkaConnectionError("111 ECONNREFUSED")
    client = FakeClient([{P0: [message(0, 0)]}, down, down, down, {P0: [message(0, 1)]}])
    store = FakeStore()
    consumer = tracked(client, store)
    caplog.set_level(logging.INFO, logger="adapters.consumer")

    consumed = [consumer.poll_once(timeout_ms=10) for _ in range(5)]

    assert consumed == [1, 0, 0, 0, 1]
    assert store.applied == [0, 1] and store.positions == {0: 2}
    lines = [r.getMessage() for r in caplog.records]
    assert sum("lost the broker" in line for line in lines) == 1, lines
    assert sum("is back after" in line for line in lines) == 1, lines
    assert consumer.health.reachable
    consumer.close()


def test_after_a_failure_the_client_is_rewound_to_the_stores_positions() -> None:
    client = FakeClient([{P0: [message(0, 0)]}, KafkaConnectionError("gone"), {}])
    store = FakeStore()
    consumer = tracked(client, store)
    consumer.poll_once(timeout_ms=10)
    consumer.poll_once(timeout_ms=10)
    client.seeks.clear()

    consumer.poll_once(timeout_ms=10)

    assert sorted(client.seeks) == [(P0, 1), (P1, 0)]
    consumer.close()


def test_a_dead_letter_the_broker_does_not_acknowledge_keeps_the_store_before_it() -> None:
    client = FakeClient(
        [{P0: [message(0, 0), message(0, 1, b"garbage")]}, {P0: [message(0, 1, b"garbage")]}]
    )
    store = FakeStore()
    producer = FakeProducer(failures=1)
    consumer = tracked(client, store, producer)

    assert consumer.poll_once(timeout_ms=10) == 0  # the whole batch rolled back
    assert store.positions == {} and store.applied == []
    assert consumer.poll_once(timeout_ms=10) == 1  # polled again from the store's position

    assert store.positions == {0: 2}
    assert producer.sent == [1, 1]  # sent again: a letter may repeat, never go missing
    consumer.close()


def test_a_hung_call_is_ended_and_the_client_rebuilt_from_its_factory() -> None:
    first, second = FakeClient(["hang"]), FakeClient([{P1: [message(1, 0)]}])
    store = FakeStore()
    consumer = tracked(first, store, factory=lambda: second, hung_call_after=0.2)

    assert consumer.poll_once(timeout_ms=10) == 0  # returns once the watchdog stops the loop
    assert first._net.stopped.is_set()
    wait_for(lambda: consumer.poll_once(timeout_ms=10) > 0, timeout=10, what="the new client")

    assert consumer.consumer is second and first.closed
    assert store.positions == {1: 1}
    assert consumer.health.restarts == 1
    consumer.close()


def test_a_member_out_of_its_group_past_the_deadline_gets_a_new_client() -> None:
    first, second = FakeClient(), FakeClient([{P0: [message(0, 0)]}])
    first._coordinator.state = MemberState.UNJOINED
    store = FakeStore()
    consumer = tracked(first, store, factory=lambda: second, restart_after=0.2)
    consumer.join_grace = 0.0

    wait_for(lambda: consumer.poll_once(timeout_ms=10) > 0, timeout=10, what="the new client")

    assert consumer.consumer is second and first.closed
    assert consumer.health.restarts == 1 and consumer.health.reachable
    consumer.close()


def test_backoff_doubles_up_to_its_cap_each_delay_in_the_upper_half_of_its_step() -> None:
    highest = Backoff(initial=0.5, cap=10.0, draw=lambda: 1.0)
    lowest = Backoff(initial=0.5, cap=10.0, draw=lambda: 0.0)

    assert [highest.next_delay() for _ in range(7)] == [0.5, 1, 2, 4, 8, 10, 10]
    assert [lowest.next_delay() for _ in range(7)] == [0.25, 0.5, 1, 2, 4, 5, 5]
    highest.reset()
    assert highest.next_delay() == 0.5


def test_a_consumer_is_stalled_only_when_idle_for_long_while_behind_or_out_of_touch() -> None:
    now = [100.0]
    health = ConsumerHealth(stalled_after=60, clock=lambda: now[0])
    now[0] += 61
    assert not health.stalled()  # idle, nothing to apply

    health.lag = 5
    assert health.stalled()
    health.last_progress = now[0]
    assert not health.stalled()  # behind, but applying

    health.lag, health.reachable = 0, False
    now[0] += 61
    assert health.stalled()  # out of touch: whether it is behind is unknown


def test_the_consumer_health_metrics_are_read_when_scraped() -> None:
    now = [0.0]
    health = ConsumerHealth(stalled_after=60, clock=lambda: now[0])
    metrics = Metrics()
    observer = metrics.consumer_observer("caseload")
    observer.watch(health)
    observer.rejoined()
    now[0], health.reachable = 90.0, False

    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
        if s.labels == {"view": "caseload"}
    }

    assert samples["pes_consumer_broker_reachable"] == 0
    assert samples["pes_consumer_seconds_since_last_good_poll"] == 90
    assert samples["pes_consumer_stalled"] == 1
    assert samples["pes_consumer_rejoins_total"] == 1
    assert samples["pes_consumer_client_restarts_total"] == 0


def test_a_new_client_gets_its_own_time_to_join_before_it_is_replaced_too() -> None:
    def unjoined() -> FakeClient:
        client = FakeClient()
        client._coordinator.state = MemberState.UNJOINED
        return client

    consumer = tracked(unjoined(), FakeStore(), factory=unjoined, restart_after=1.0)
    consumer.join_grace = 0.0
    wait_for(
        lambda: consumer.poll_once(timeout_ms=10) >= 0 and consumer.health.restarts == 1,
        timeout=10,
        what="the first client replaced",
    )

    consumer.poll_once(timeout_ms=10)

    assert consumer.health.restarts == 1
    consumer.close()


class ProducerMaker:
    """Makes fake producers and keeps them."""

    def __init__(self) -> None:
        self.made: list[FakeProducer] = []

    def __call__(self) -> FakeProducer:
        self.made.append(FakeProducer())
        return self.made[-1]


def test_dead_letters_make_their_producer_only_when_the_first_letter_is_published() -> None:
    maker = ProducerMaker()
    letters = DeadLetters(maker, "g")  # type: ignore[arg-type]
    assert maker.made == []

    letters.publish([DeadLetter(TOPIC, 0, 7, b"k", b"v", "decode: bad")])
    letters.publish([DeadLetter(TOPIC, 0, 8, b"k", b"v", "decode: bad")])
    letters.close()

    assert [producer.sent for producer in maker.made] == [[7, 8]]


def test_dead_letters_that_published_nothing_close_without_making_a_producer() -> None:
    maker = ProducerMaker()

    DeadLetters(maker, "g").close()  # type: ignore[arg-type]

    assert maker.made == []
