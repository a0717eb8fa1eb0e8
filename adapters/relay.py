"""The outbox relay: publishes every recorded event to Kafka, in notification order, at least once.

The event store's notification log is the outbox. The relay's position (the last notification id
the broker acknowledged) is stored in the event store's database only after the acknowledgement,
so a crash can repeat a tail of messages but never lose one; repeats carry the same event id.

A broker outage of any length is waited out the same way: a batch the broker did not acknowledge
leaves the position where it was, and the relay sends again from there, with backoff, until the
broker acknowledges.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Notification,
    Tracking,
    TrackingRecorder,
)
from kafka import KafkaProducer
from kafka.errors import KafkaError

from adapters.avro import AvroCodec
from adapters.contract import OutgoingMessage, outgoing_message
from adapters.event_store import AvroMapper
from adapters.kafka import ReplaceableProducer
from adapters.lease import Lease, LeaseLost
from adapters.retry import Backoff, Outage

log = logging.getLogger(__name__)


MessageOf = Callable[[Notification, bytes, AvroCodec], OutgoingMessage]
"""The message for a notification, given its stored bytes as published."""


def case_event_message(
    notification: Notification, value: bytes, codec: AvroCodec
) -> OutgoingMessage:
    return outgoing_message(
        notification.originator_id,
        notification.originator_version,
        value,
        notification.id,
        codec,
    )


def position_name(topic: str) -> str:
    """The name under which the relay to `topic` records its position."""
    return f"pes-relay:{topic}"


@dataclass(frozen=True)
class RelayBatch:
    """What one step of the relay published."""

    published: int
    position: int


@dataclass(frozen=True)
class RelayProgress:
    """Reported after each acknowledged batch, when caught up, on start, and on each failed
    attempt during a broker outage (`reachable` False): for metrics."""

    published: int
    position: int
    lag: int
    reachable: bool = True


class OutboxRelay:
    """Follows the notification log and publishes each event, keyed by case, with headers."""

    def __init__(
        self,
        *,
        source: Application[Any],
        tracking: TrackingRecorder,
        producer: KafkaProducer,
        codec: AvroCodec | None = None,
        topic: str,
        batch_size: int = 1000,
        on_progress: Callable[[RelayProgress], None] | None = None,
        new_producer: Callable[[], KafkaProducer] | None = None,
        backoff: Backoff | None = None,
        close_timeout: float = 10.0,
        ack_timeout: float | None = None,
        message_of: MessageOf = case_event_message,
        lease: Lease | None = None,
    ) -> None:
        self.source = source  # held so the application (and its connections) outlive the relay
        self.recorder: ApplicationRecorder = source.recorder
        # Any mapper that keeps the published bytes: AvroMapper, or RefusalMapper.
        self.mapper = cast(AvroMapper, source.mapper)
        self.tracking = tracking
        self.producers = ReplaceableProducer(
            new_producer or _cannot_make_a_producer, producer, close_timeout
        )
        self.ack_timeout = ack_timeout
        self.backoff = backoff or Backoff()
        self.outage = Outage(f"relay {position_name(topic)}", log)
        self.codec = codec or self.mapper.codec
        self.message_of = message_of
        self.topic = topic
        self.name = position_name(topic)
        self.batch_size = batch_size
        self._position = tracking.max_tracking_id(self.name) or 0
        self.on_progress = on_progress
        self.lease = lease
        self._report(0)

    @property
    def position(self) -> int:
        """The last notification id the broker acknowledged."""
        return self._position

    def close(self) -> None:
        self.producers.close()
        if self.lease is not None:
            self.lease.release()

    def lag(self) -> int:
        return (self.recorder.max_notification_id() or 0) - self._position

    def _report(self, published: int, reachable: bool = True) -> None:
        if self.on_progress is not None:
            self.on_progress(RelayProgress(published, self._position, self.lag(), reachable))

    def drain(self) -> int:
        """Publishes everything recorded so far; returns how many events it published."""
        batches = self._pipeline(wait_for_more=lambda: False, stopped=lambda: False)
        return sum(batch.published for batch in batches)

    def run(self, stop: threading.Event, poll_interval: float = 0.05) -> None:
        """Publishes until `stop` is set, then confirms what is in flight and returns; with a
        lease, only while this replica holds it, waiting as a standby otherwise."""
        if self.lease is None:
            self._run_active(stop, poll_interval)
            return
        while self.lease.acquire(stop):
            try:
                # Another replica may have moved the position while this one stood by.
                self._position = self.tracking.max_tracking_id(self.name) or 0
                self._run_active(stop, poll_interval)
            except Exception as failure:
                # Once the lease is gone, any failure (the standby ended this replica's database
                # sessions) means the same: step down.
                if not isinstance(failure, LeaseLost) and self.lease.held():
                    raise
                log.error("relay %s steps down: %s", self.name, failure)
                # What it still holds may be sent as it closes: repeats, same event ids.
                self.producers.replace(timeout=0.0)
            finally:
                self.lease.release()

    def _run_active(self, stop: threading.Event, poll_interval: float) -> None:
        """Publishes until `stop` is set, then confirms what is in flight and returns.

        A send the broker does not acknowledge (an outage, a delivery timeout) does not end the
        run: the relay drops its producer, whose idempotence state may no longer be accepted,
        waits (capped, jittered backoff), and sends again from its last acknowledged position
        with a fresh one, for as long as the outage lasts.
        """
        log.info("relay %s starting at notification %d", self.name, self._position)
        while not stop.is_set():
            try:
                for _ in self._pipeline(lambda: self._idle(stop, poll_interval), stop.is_set):
                    self._acknowledged()
            except KafkaError as error:
                self.outage.failed(error)
                self._report(0, reachable=False)
                self.producers.replace()
                stop.wait(self.backoff.next_delay())
        log.info("relay %s stopped at notification %d", self.name, self._position)

    def _acknowledged(self) -> None:
        if self.producers.retired:
            self.producers.close_retired()
        self.outage.ended()
        self.backoff.reset()

    def _idle(self, stop: threading.Event, poll_interval: float) -> bool:
        """Called when everything recorded is acknowledged: reports it, waits for more."""
        self._acknowledged()
        if self.on_progress is not None:
            self.on_progress(RelayProgress(0, self._position, 0))
        return not stop.wait(poll_interval)

    def _pipeline(
        self, wait_for_more: Callable[[], bool], stopped: Callable[[], bool]
    ) -> Iterator[RelayBatch]:
        """Sends batch n+1 before waiting for batch n's acknowledgements, so encoding overlaps
        the producer's round trips; positions are still recorded in order, and only for
        batches the broker acknowledged in full."""
        in_flight: deque[_SentBatch] = deque()
        while True:
            after = in_flight[-1].last if in_flight else self._position
            sent = None if stopped() else self._send_batch_after(after)
            if sent is not None:
                in_flight.append(sent)
            if in_flight and (len(in_flight) > 1 or sent is None):
                last_in_flight = len(in_flight) == 1
                yield self._confirm(in_flight.popleft(), last_in_flight)
            elif sent is None and (stopped() or not wait_for_more()):
                return

    def _check_lease(self) -> None:
        if self.lease is not None:
            self.lease.check()

    def _send_batch_after(self, position: int) -> _SentBatch | None:
        self._check_lease()
        notifications = self.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return None
        producer = self.producers.get()
        futures = []
        for notification in notifications:
            # Per message: a replica paused mid-batch past its lease hands nothing more over.
            self._check_lease()
            message = self.message_of(
                notification, self.mapper.plaintext(notification.state), self.codec
            )
            futures.append(
                producer.send(
                    self.topic, key=message.key, value=message.value, headers=message.headers
                )
            )
        return _SentBatch(last=notifications[-1].id, futures=futures)

    def _confirm(self, sent: _SentBatch, last_in_flight: bool) -> RelayBatch:
        if last_in_flight:
            # Nothing follows it: send what lingers now. With a batch behind it, waiting on its
            # own futures lets that batch keep going out meanwhile (flush would wait for both).
            self.producers.get().flush(timeout=self.ack_timeout)
        for future in sent.futures:
            # Raises the broker's error: the position must not move past a failure. Bounded:
            # kafka-python can keep retrying a batch past its delivery timeout.
            future.get(timeout=self.ack_timeout)
        self._check_lease()
        try:
            self.tracking.insert_tracking(
                Tracking(application_name=self.name, notification_id=sent.last)
            )
        except IntegrityError:
            if self.lease is None:
                raise
            # Paused between its lease check and this write, while a standby took over and
            # recorded the same position: the table's key fences the write.
            raise LeaseLost(f"another replica recorded {self.name} {sent.last} first") from None
        self._position = sent.last
        self._report(len(sent.futures))
        return RelayBatch(published=len(sent.futures), position=sent.last)


def _cannot_make_a_producer() -> KafkaProducer:
    raise RuntimeError("the relay's producer was closed and it was given no way to make another")


@dataclass(frozen=True)
class _SentBatch:
    last: int
    futures: list[Any]
