"""The outbox relay: publishes every recorded event to Kafka, in notification order, at least once.

The event store's notification log is the outbox. The relay publishes in Kafka transactions
(one spans the batches it sends until it has caught up, at most `batches_per_transaction`); its
position (the last notification id whose transaction committed) is stored in the event store's
database only after the commit, so a crash can repeat a committed tail of messages but never
lose one; repeats carry the same event id. What a crash leaves uncommitted is aborted.

Every replica of a relay uses the same transactional id (its position's name): the replica that
becomes active fences all earlier ones as its producer initialises, so what a paused replica
still had in flight is aborted (invisible to read_committed readers) and its commit fails.

A broker outage of any length is waited out the same way: a transaction that did not commit
leaves the position where it was, and the relay sends again from there, with backoff, until the
broker acknowledges.
"""

from __future__ import annotations

import logging
import threading
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
from kafka.errors import KafkaError, ProducerFencedError

from adapters.avro import AvroCodec
from adapters.contract import OutgoingMessage, outgoing_message
from adapters.event_store import AvroMapper
from adapters.kafka import ReplaceableProducer, TransactionalProducer
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


TRANSACTION_PATIENCE = 20.0
"""Seconds the relay waits for one transaction's acknowledgements and commit (less if its
acknowledgement timeout is shorter) before it drops its producer and sends it all again."""


def position_name(topic: str) -> str:
    """The name under which the relay to `topic` records its position."""
    return f"pes-relay:{topic}"


@dataclass(frozen=True)
class RelayBatch:
    """What one transaction of the relay published."""

    published: int
    position: int


@dataclass(frozen=True)
class RelayProgress:
    """Reported after each committed batch, when caught up, on start, and on each failed
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
        producer: TransactionalProducer | None = None,
        codec: AvroCodec | None = None,
        topic: str,
        batch_size: int = 1000,
        on_progress: Callable[[RelayProgress], None] | None = None,
        new_producer: Callable[[], TransactionalProducer] | None = None,
        backoff: Backoff | None = None,
        close_timeout: float = 10.0,
        ack_timeout: float | None = None,
        message_of: MessageOf = case_event_message,
        lease: Lease | None = None,
        batches_per_transaction: int = 10,
    ) -> None:
        self.source = source  # held so the application (and its connections) outlive the relay
        self.recorder: ApplicationRecorder = source.recorder
        # Any mapper that keeps the published bytes: AvroMapper, or RefusalMapper.
        self.mapper = cast(AvroMapper, source.mapper)
        self.tracking = tracking
        self.producers = ReplaceableProducer(
            new_producer or _cannot_make_a_producer, producer, close_timeout
        )
        # A transaction that is not committed within this is started again with a fresh
        # producer: kafka-python 3.0's does not find a new transaction coordinator when its
        # broker dies (seen stuck until the delivery timeout), a fresh one finds it at once, and
        # what the dropped one had written is aborted, never seen.
        self.transaction_wait = min(ack_timeout or TRANSACTION_PATIENCE, TRANSACTION_PATIENCE)
        self.backoff = backoff or Backoff()
        self.outage = Outage(f"relay {position_name(topic)}", log)
        self.codec = codec or self.mapper.codec
        self.message_of = message_of
        self.topic = topic
        self.name = position_name(topic)
        self.batch_size = batch_size
        self.batches_per_transaction = batches_per_transaction
        self._position = tracking.max_tracking_id(self.name) or 0
        self.on_progress = on_progress
        self.lease = lease
        self._report(0)

    @property
    def position(self) -> int:
        """The last notification id whose transaction committed."""
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
        """Publishes until `stop` is set, then commits what is in flight and returns; with a
        lease, only while this replica holds it, waiting as a standby otherwise."""
        if self.lease is None:
            self._run_active(stop, poll_interval)
            return
        while self.lease.acquire(stop):
            try:
                # Another replica may have moved the position while this one stood by. (Its
                # producer is fenced as this one's first transaction begins: anything it commits
                # before then is published again from here, a repeat with the same event ids.)
                self._position = self.tracking.max_tracking_id(self.name) or 0
                self._run_active(stop, poll_interval)
            except Exception as failure:
                # Once the lease is gone, any failure (the standby ended this replica's database
                # sessions) means the same: step down.
                if not isinstance(failure, LeaseLost) and self.lease.held():
                    raise
                log.error("relay %s steps down: %s", self.name, failure)
                # Its open transaction is aborted by the next active replica's producer.
                self.producers.replace(timeout=0.0)
            finally:
                self.lease.release()

    def _run_active(self, stop: threading.Event, poll_interval: float) -> None:
        """Publishes until `stop` is set, then commits what is in flight and returns.

        A send or commit the broker does not acknowledge (an outage, a delivery timeout) does
        not end the run: the relay drops its producer, waits (capped, jittered backoff), and
        sends again from its last committed position with a fresh one, whose initialisation
        aborts the dropped one's transaction, for as long as the outage lasts.
        """
        log.info("relay %s starting at notification %d", self.name, self._position)
        while not stop.is_set():
            try:
                for _ in self._pipeline(lambda: self._idle(stop, poll_interval), stop.is_set):
                    self._acknowledged()
            except ProducerFencedError as fenced:
                if self.lease is not None:
                    raise LeaseLost(
                        f"a replica that took over {self.name} fenced this one's producer"
                    ) from fenced
                self._failed(fenced, stop)
            except KafkaError as error:
                self._failed(error, stop)
        log.info("relay %s stopped at notification %d", self.name, self._position)

    def _failed(self, error: KafkaError, stop: threading.Event) -> None:
        self.outage.failed(error)
        self._report(0, reachable=False)
        self.producers.replace()
        stop.wait(self.backoff.next_delay())

    def _acknowledged(self) -> None:
        if self.producers.retired:
            self.producers.close_retired()
        self.outage.ended()
        self.backoff.reset()

    def _idle(self, stop: threading.Event, poll_interval: float) -> bool:
        """Called when everything recorded is committed: reports it, waits for more."""
        self._acknowledged()
        if self.on_progress is not None:
            self.on_progress(RelayProgress(0, self._position, 0))
        return not stop.wait(poll_interval)

    def _pipeline(
        self, wait_for_more: Callable[[], bool], stopped: Callable[[], bool]
    ) -> Iterator[RelayBatch]:
        """One transaction spans the batches recorded meanwhile, up to `batches_per_transaction`:
        each is handed to the producer as soon as it is encoded, so encoding overlaps the
        round trips. It commits once the relay has caught up (or sent that many batches), and
        only then is the position recorded, before the next transaction begins."""
        open_batches: list[_SentBatch] = []
        while True:
            after = open_batches[-1].last if open_batches else self._position
            sent = None
            if not stopped() and len(open_batches) < self.batches_per_transaction:
                sent = self._send_batch_after(after, begin=not open_batches)
            if sent is not None:
                open_batches.append(sent)
            elif open_batches:
                yield self._commit(open_batches)
                open_batches = []
            elif stopped() or not wait_for_more():
                return

    def _check_lease(self) -> None:
        if self.lease is not None:
            self.lease.check()

    def _send_batch_after(self, position: int, begin: bool) -> _SentBatch | None:
        self._check_lease()
        notifications = self.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return None
        producer = self.producers.get()
        if begin:
            producer.begin_transaction()
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
        return _SentBatch(last=notifications[-1].id, futures=futures, producer=producer)

    def _commit(self, batches: list[_SentBatch]) -> RelayBatch:
        producer = batches[-1].producer
        producer.flush(timeout=self.transaction_wait)
        for batch in batches:
            for future in batch.futures:
                # Raises the broker's error: the position must not move past a failure.
                # Bounded: kafka-python can keep retrying a batch past its delivery timeout.
                future.get(timeout=self.transaction_wait)
        self._check_lease()
        # Fails (ProducerFencedError) once another replica's producer initialised: paused
        # between its lease check and here, this replica's records are aborted, never visible.
        producer.commit_transaction(timeout=self.transaction_wait)
        last = batches[-1].last
        published = sum(len(batch.futures) for batch in batches)
        self._check_lease()
        try:
            self.tracking.insert_tracking(
                Tracking(application_name=self.name, notification_id=last)
            )
        except IntegrityError:
            if self.lease is None:
                raise
            # Paused between its lease check and this write, while a standby took over and
            # recorded the same position: the table's key fences the write.
            raise LeaseLost(f"another replica recorded {self.name} {last} first") from None
        self._position = last
        self._report(published)
        return RelayBatch(published=published, position=last)


def _cannot_make_a_producer() -> TransactionalProducer:
    raise RuntimeError("the relay's producer was closed and it was given no way to make another")


@dataclass(frozen=True)
class _SentBatch:
    last: int
    futures: list[Any]
    producer: TransactionalProducer
