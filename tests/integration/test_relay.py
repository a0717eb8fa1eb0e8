"""The outbox relay publishes every stored event to the real broker, keyed and in order per case."""

from __future__ import annotations

from collections import defaultdict

import pytest
from kafka.partitioner.default import murmur2

from adapters.avro import AvroCodec, published_schemas
from application.bootstrap import build_case_management, build_relay
from application.settings import Settings
from domain.base import event_id
from domain.case import case_id_for
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.topic_reader import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def headers_of(message: object) -> dict[str, str]:
    return {k: v.decode() for k, v in message.headers}  # type: ignore[attr-defined]


def test_every_recorded_event_reaches_kafka_keyed_by_case_in_order(settings: Settings) -> None:
    app = build_case_management(settings)
    numbers = case_numbers("VR-R", 40)
    for number in numbers:
        app.open_case(open_case(number), CASEWORKER)
    for number in numbers[::2]:
        app.handle(record_outcome(number), CASEWORKER)
    relay = build_relay(settings, app)

    published = relay.drain()

    messages = read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic)
    assert published == len(messages) == 60
    assert relay.position == app.recorder.max_notification_id()
    codec = AvroCodec(published_schemas())
    versions_by_case: dict[str, list[int]] = defaultdict(list)
    partition_of_case: dict[str, set[int]] = defaultdict(set)
    for message in messages:
        decoded = codec.decode(message.value)
        headers = headers_of(message)
        case_id = message.key.decode()
        assert str(decoded.record["case_id"]) == case_id
        assert headers["event_type"] == decoded.event_type
        assert headers["schema_version"] == str(decoded.writer_version)
        assert int(headers["case_version"]) == decoded.record["case_version"]
        assert headers["event_id"] == str(
            event_id(decoded.record["case_id"], decoded.record["case_version"])
        )
        assert int(headers["notification_id"]) >= 1
        versions_by_case[case_id].append(decoded.record["case_version"])
        partition_of_case[case_id].add(message.partition)
    assert all(len(partitions) == 1 for partitions in partition_of_case.values())
    # Where kafka-python's default partitioner puts each key: the relay hashed each case once.
    for case_id, partitions in partition_of_case.items():
        default = (murmur2(case_id.encode()) & 0x7FFFFFFF) % settings.case_events_partitions
        assert partitions == {default}
    assert len(relay.producers.get().config["partitioner"]) == len(numbers)
    for i, number in enumerate(numbers):
        expected = [1, 2] if i % 2 == 0 else [1]
        assert versions_by_case[str(case_id_for(number))] == expected


def test_a_new_relay_resumes_after_the_last_acknowledged_event(settings: Settings) -> None:
    app = build_case_management(settings)
    app.open_case(open_case("VR-S1"), CASEWORKER)
    first = build_relay(settings, app)
    assert first.drain() == 1
    first.close()

    app.handle(record_outcome("VR-S1"), CASEWORKER)
    second = build_relay(settings, app)
    assert second.position == first.position
    assert second.drain() == 1
    second.close()

    messages = read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic)
    assert [headers_of(m)["event_type"] for m in messages] == ["CaseOpened", "OutcomeAchieved"]
