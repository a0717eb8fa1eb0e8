"""Two relays of one topic share a transactional id: the one whose producer initialises last
fences the other, whose later sends and commit fail and whose records no reader sees."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from kafka.errors import KafkaError

from adapters.avro import AvroCodec
from adapters.contract import OutgoingMessage
from adapters.kafka import ensure_topics, transactional_producer
from adapters.relay import OutboxRelay, case_event_message, position_name
from application.bootstrap import (
    build_case_management,
    build_tracking_recorder,
    case_event_topics,
)
from application.settings import Settings
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.conftest import unique
from tests.topic_reader import read_topic

pytestmark = [pytest.mark.kafka]


def relay_of(settings: Settings, app: Any, message_of: Any = case_event_message) -> OutboxRelay:
    topic = settings.case_events_topic
    return OutboxRelay(
        source=app,
        tracking=build_tracking_recorder(settings, "relay"),
        new_producer=lambda: transactional_producer(
            settings.kafka_bootstrap_servers or "", "test-relay", position_name(topic)
        ),
        topic=topic,
        batch_size=2,
        ack_timeout=60.0,
        message_of=message_of,
    )


def uncommitted_count(bootstrap: str, topic: str) -> int:
    """Every record written to the topic, committed or not (markers are not records)."""
    return len(read_topic(bootstrap, topic, isolation_level="read_uncommitted"))


def test_a_relay_fenced_by_another_with_its_transactional_id_fails_and_no_reader_sees_its_records(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )
    ensure_topics(kafka_bootstrap, case_event_topics(settings))
    app = build_case_management(settings)
    for number in case_numbers("VR-FENCE", 3):
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)
    handed: list[int] = []
    second: list[OutboxRelay] = []

    def take_over_at_the_fifth(n: Notification, value: bytes, codec: AvroCodec) -> OutgoingMessage:
        # The first relay has handed four messages over in its open transaction, and the broker
        # has written them (uncommitted), when a second relay of the topic starts and publishes
        # all six.
        handed.append(n.id)
        if len(handed) == 5:
            first.producers.get().flush(timeout=30)
            second.append(relay_of(settings, app))
            assert second[0].drain() == 6
        return case_event_message(n, value, codec)

    first = relay_of(settings, app, take_over_at_the_fifth)
    with pytest.raises(KafkaError):
        first.drain()
    first.close()
    second[0].close()

    assert first.position == 0  # it recorded nothing
    assert build_tracking_recorder(settings, "relay").max_tracking_id(first.name) == 6
    messages = read_topic(kafka_bootstrap, settings.case_events_topic)
    copies = Counter(dict(m.headers)["notification_id"] for m in messages)
    assert copies == Counter({str(n).encode(): 1 for n in range(1, 7)})
    # The first relay's records did reach the broker: aborted, so read_committed skips them.
    assert uncommitted_count(kafka_bootstrap, settings.case_events_topic) > 6
