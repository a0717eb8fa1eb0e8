"""`pes verify`: every case's hash chain, in the event store and in the Kafka topic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

from eventsourcing.persistence import MapperDeserialisationError
from kafka import KafkaConsumer, TopicPartition

from adapters.avro import ContractError
from adapters.event_store import AvroMapper
from application.cases import CaseManagement
from domain.integrity import BrokenLink, ChainVerifier, compare_heads

Progress = Callable[[int, int], None]


@dataclass
class VerificationReport:
    source: str
    cases: int = 0
    events_checked: int = 0
    unchained_events: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    heads: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, source: str, verifier: ChainVerifier) -> VerificationReport:
        return cls(
            source=source,
            cases=len(verifier.cases),
            events_checked=verifier.events_checked,
            unchained_events=verifier.unchained_events,
            broken=sorted(verifier.broken.values(), key=lambda b: (b.case_id, b.case_version)),
            heads=verifier.heads(),
        )


def verify_event_store(
    app: CaseManagement, progress: Progress | None = None, page_size: int = 5000
) -> VerificationReport:
    """Every case found anywhere in the notification log, checked through its stored rows."""
    mapper = cast(AvroMapper, app.mapper)  # CaseManagement.construct_mapper builds it
    case_ids: dict[UUID, None] = {}
    start, last = 1, app.recorder.max_notification_id() or 0
    while page := app.recorder.select_notifications(start, page_size, stop=last):
        case_ids.update((UUID(str(n.originator_id)), None) for n in page)
        start = page[-1].id + 1
    verifier = ChainVerifier()
    for done, case_id in enumerate(case_ids, start=1):
        key = str(case_id)
        for stored in app.recorder.select_events(case_id):
            try:
                event = mapper.to_domain_event(stored)
            except MapperDeserialisationError as error:
                verifier.broken.setdefault(
                    key, BrokenLink(key, stored.originator_version, f"unreadable: {error}")
                )
                break
            verifier.observe(key, stored.originator_version, event)
        if progress and (done % 500 == 0 or done == len(case_ids)):
            progress(done, len(case_ids))
    return VerificationReport.of("event store", verifier)


def verify_topic(
    bootstrap_servers: str, topic: str, mapper: AvroMapper, progress: Progress | None = None
) -> VerificationReport:
    """The topic from offset zero to its end when the check began; each case's messages in
    partition order, as a consumer sees them (redeliveries of the same event are allowed)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    verifier = ChainVerifier()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        total, done = sum(ends.values()), 0
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, messages in consumer.poll(timeout_ms=500, max_records=2000).items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        break
                    done += 1
                    case_id = message.key.decode() if message.key else "?"
                    try:
                        event = mapper.event_from_message(message.value)
                    except ContractError as error:
                        verifier.broken.setdefault(
                            case_id,
                            BrokenLink(
                                case_id,
                                0,
                                f"offset {tp.partition}/{message.offset} unreadable: {error}",
                            ),
                        )
                        continue
                    verifier.observe(case_id, event.originator_version, event)
            if progress:
                progress(done, total)
    finally:
        consumer.close()
    return VerificationReport.of(f"Kafka topic {topic}", verifier)


def compare_copies(store: VerificationReport, topic: VerificationReport) -> list[BrokenLink]:
    """Cases whose store and topic copies end differently: a lost tail or a rewritten copy."""
    return compare_heads(store.heads, topic.heads, store.source, topic.source)
