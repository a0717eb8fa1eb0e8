"""The caseload view is fed from Kafka; each event applies once; poison goes to dead letters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kafka import KafkaProducer

from adapters.avro import AvroCodec, published_schemas
from adapters.consumer import TrackedConsumer
from adapters.contract import outgoing_message
from adapters.event_store import AvroMapper
from application.bootstrap import (
    build_case_management,
    build_caseload_projection,
    build_relay,
    open_caseload_view,
)
from application.settings import Settings
from domain import handling
from domain.case import case_id_for
from domain.policy import PolicyBook
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.topic_reader import read_topic, wait_for

pytestmark = pytest.mark.kafka


@pytest.fixture
def kafka_settings(tmp_path, kafka_bootstrap: str) -> Settings:
    from tests.conftest import unique

    return Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )


@pytest.fixture
def projection(kafka_settings: Settings) -> Iterator[TrackedConsumer]:
    consumer = build_caseload_projection(kafka_settings, group_id="test-caseload")
    yield consumer
    consumer.close()


def publish_all(settings: Settings) -> None:
    relay = build_relay(settings)
    relay.drain()
    relay.close()


def consume_until(projection: TrackedConsumer, condition, what: str) -> None:
    wait_for(lambda: projection.poll_once(timeout_ms=100) >= 0 and condition(), what=what)


def test_cases_appear_in_their_caseworkers_caseload_with_their_status(
    kafka_settings: Settings, projection: TrackedConsumer
) -> None:
    app = build_case_management(kafka_settings)
    numbers = case_numbers("VR-C", 30)
    for i, number in enumerate(numbers):
        app.open_case(open_case(number, caseworker=f"cw-{i % 3}"), CASEWORKER)
        if i % 2 == 0:
            app.handle(record_outcome(number), CASEWORKER)
    publish_all(kafka_settings)
    view = open_caseload_view(kafka_settings)

    consume_until(projection, lambda: len(view.cases()) == 30, "30 cases in the caseload")

    assert view.counts() == {
        ("cw-0", "monitoring"): 5,
        ("cw-0", "open"): 5,
        ("cw-1", "monitoring"): 5,
        ("cw-1", "open"): 5,
        ("cw-2", "monitoring"): 5,
        ("cw-2", "open"): 5,
    }
    entry = view.case(str(case_id_for(numbers[0])))
    assert entry is not None and entry.status == "monitoring" and entry.version == 2
    assert str(entry.outcome_date) == "2024-03-01"


def test_a_restarted_projection_resumes_from_the_positions_stored_with_the_view(
    kafka_settings: Settings, projection: TrackedConsumer
) -> None:
    app = build_case_management(kafka_settings)
    app.open_case(open_case("VR-D1"), CASEWORKER)
    publish_all(kafka_settings)
    view = open_caseload_view(kafka_settings)
    consume_until(projection, lambda: view.case(str(case_id_for("VR-D1"))), "the first case")
    projection.close()

    app.handle(record_outcome("VR-D1"), CASEWORKER)
    publish_all(kafka_settings)
    # A new group has no committed offsets: only the view's own positions prevent a replay.
    restarted = build_caseload_projection(kafka_settings, group_id="another-group")
    try:
        consume_until(
            restarted,
            lambda: (e := view.case(str(case_id_for("VR-D1")))) and e.version == 2,
            "the outcome",
        )
    finally:
        restarted.close()
    assert len(view.cases()) == 1


def test_undecodable_and_out_of_order_messages_go_to_dead_letters_with_a_reason(
    kafka_settings: Settings, projection: TrackedConsumer
) -> None:
    app = build_case_management(kafka_settings)
    app.open_case(open_case("VR-P1"), CASEWORKER)
    app.handle(record_outcome("VR-P1"), CASEWORKER)
    app.open_case(open_case("VR-P2"), CASEWORKER)
    publish_all(kafka_settings)
    topic = kafka_settings.case_events_topic
    servers = kafka_settings.kafka_bootstrap_servers or ""
    messages = read_topic(servers, topic)
    outcome = next(m for m in messages if dict(m.headers)["event_type"] == b"OutcomeAchieved")
    producer = KafkaProducer(bootstrap_servers=servers)
    producer.send(topic, key=b"poison", value=b"\x00not avro at all", partition=0)
    producer.send(topic, key=outcome.key, value=outcome.value, partition=outcome.partition)
    producer.flush()
    producer.close()
    view = open_caseload_view(kafka_settings)

    wait_for(
        lambda: (
            projection.poll_once(timeout_ms=100) >= 0
            and len(view.cases()) == 2
            and len(read_topic(servers, f"{topic}.dlq")) >= 1
        ),
        what="the poison message in the dead-letter topic",
    )

    letters = read_topic(servers, f"{topic}.dlq")
    reasons = [dict(m.headers)["dlq_reason"].decode() for m in letters]
    assert len(letters) == 1 and reasons[0].startswith("decode: not an Avro single-object")
    headers = dict(letters[0].headers)
    assert headers["dlq_source_topic"].decode() == topic
    assert int(headers["dlq_source_partition"]) == 0
    assert letters[0].value == b"\x00not avro at all"
    # The redelivered outcome was recognised as already applied, not counted twice.
    assert view.case(str(case_id_for("VR-P1"))).version == 2


def test_an_event_that_arrives_before_its_predecessor_is_rejected_to_dead_letters(
    kafka_settings: Settings, projection: TrackedConsumer
) -> None:
    # A case recorded somewhere else: its outcome (version 2) arrives without its opening.
    unseen = handling.open_case(open_case("VR-UNSEEN"), CASEWORKER)
    handling.decide(unseen, record_outcome("VR-UNSEEN"), CASEWORKER, PolicyBook.default())
    outcome_event = unseen.collect_events()[1]
    codec = AvroCodec(published_schemas())
    stored = AvroMapper(codec).to_stored_event(outcome_event)
    message = outgoing_message(unseen.id, 2, stored.state, notification_id=1, codec=codec)
    servers = kafka_settings.kafka_bootstrap_servers or ""
    topic = kafka_settings.case_events_topic
    producer = KafkaProducer(bootstrap_servers=servers)
    producer.send(topic, key=message.key, value=message.value, headers=message.headers)
    producer.flush()
    producer.close()
    view = open_caseload_view(kafka_settings)

    wait_for(
        lambda: (
            projection.poll_once(timeout_ms=100) >= 0
            and len(read_topic(servers, f"{topic}.dlq")) >= 1
        ),
        what="the out-of-order event in the dead-letter topic",
    )

    [letter] = read_topic(servers, f"{topic}.dlq")
    reason = dict(letter.headers)["dlq_reason"].decode()
    assert reason.startswith("apply: out of order")
    assert f"case {unseen.id} version 2 arrived after version 0" in reason
    assert letter.value == message.value
    # The original headers travel with the dead letter, ahead of why and where it was rejected.
    assert letter.headers[: len(message.headers)] == message.headers
    assert view.case(str(unseen.id)) is None
