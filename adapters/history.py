"""The recorded history as a stream of facts, from the event store or from the Kafka topic.

Both read everything from the start in order per case, page by page (bounded memory), decode
only the event types asked for, and report progress as (done, total).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Notification
from kafka import KafkaConsumer, TopicPartition

from adapters.avro import AvroCodec, DecodedEvent
from adapters.event_store import AvroMapper
from adapters.refusal_records import REFUSAL_TYPE, RefusalMapper
from domain.replay import Fact

Progress = Callable[[int, int], None]


def _fact(decoded: DecodedEvent) -> Fact:
    # A refusal record's case_version is the case's version when it was refused.
    record = decoded.record
    return Fact(
        event_type=decoded.event_type,
        case_id=str(record["case_id"]),
        case_version=int(record["case_version"]),
        effective_on=record["effective_on"],
        fields=record,
    )


def facts_from_event_store(
    recorder: ApplicationRecorder,
    mapper: AvroMapper,
    event_types: Collection[str],
    progress: Progress | None = None,
    page_size: int = 5000,
) -> Iterator[Fact]:
    """Every recorded fact of the given types, in notification order."""
    for notification in _notifications(recorder, progress, page_size):
        if notification.topic.rsplit(".", 1)[-1] in event_types:
            yield _fact(mapper.codec.decode(mapper.plaintext(notification.state)))


def _notifications(
    recorder: ApplicationRecorder, progress: Progress | None, page_size: int
) -> Iterator[Notification]:
    """The recorder's notification log as it stood when the read began, page by page."""
    last = recorder.max_notification_id() or 0
    start = 1
    while page := recorder.select_notifications(start, page_size, stop=last):
        yield from page
        start = page[-1].id + 1
        if progress:
            progress(page[-1].id, last)
        if page[-1].id >= last:
            break


def facts_from_topic(
    bootstrap_servers: str,
    topic: str,
    codec: AvroCodec,
    event_types: Collection[str],
    progress: Progress | None = None,
) -> Iterator[Fact]:
    """Every published fact of the given types, from offset zero to the end as it stood when the
    read began; in order per case (one partition per case), partitions interleaved."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        max_poll_records=2000,
        isolation_level="read_committed",
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        total = sum(ends.values())
        done = 0
        wanted = {name.encode() for name in event_types}
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, messages in consumer.poll(timeout_ms=500).items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        break
                    done += 1
                    if _header(message, "event_type") in wanted:
                        yield _fact(codec.decode(message.value))
            if progress:
                progress(done, total)
    finally:
        consumer.close()


def refusal_facts_from_store(
    recorder: ApplicationRecorder,
    mapper: RefusalMapper,
    progress: Progress | None = None,
    page_size: int = 5000,
) -> Iterator[Fact]:
    """Every refusal record (`CommandRefused` facts, docs/audit.md) in the refusal logs'
    recorder (`RefusalRecords.recorder`), in the order recorded: each case's in its order."""
    for notification in _notifications(recorder, progress, page_size):
        yield _fact(mapper.codec.decode(mapper.plaintext(notification.state)))


def refusal_facts_from_topic(
    bootstrap_servers: str, topic: str, codec: AvroCodec, progress: Progress | None = None
) -> Iterator[Fact]:
    """Every published refusal record, from offset zero to the end as it stood when the read
    began; in order per case (keyed by case), partitions interleaved."""
    return facts_from_topic(bootstrap_servers, topic, codec, (REFUSAL_TYPE,), progress)


def _header(message: Any, name: str) -> bytes | None:
    for key, value in message.headers or ():
        if key == name:
            return bytes(value)
    return None
