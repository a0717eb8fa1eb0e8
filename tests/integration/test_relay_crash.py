"""A relay killed with SIGKILL at any point loses no event; repeats are recognisable duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import IO

import pytest
from kafka import KafkaConsumer, TopicPartition

from adapters.avro import AvroCodec, published_schemas
from adapters.kafka import ensure_topics
from adapters.relay import position_name
from application.bootstrap import build_case_management, build_tracking_recorder, case_event_topics
from application.settings import Settings, as_environment
from domain.case import case_id_for
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.topic_reader import read_topic, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REPOSITORY = Path(__file__).resolve().parents[2]
KILL_AFTER_MESSAGES = (60, 250, 520, 700)


def start_relay(settings: Settings, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **as_environment(settings), "PES_RELAY_BATCH_SIZE": "25"}
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "relay"],
        cwd=REPOSITORY,
        env=env,
        stdout=log,
        stderr=log,
    )


def messages_on_topic(settings: Settings) -> int:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, isolation_level="read_committed"
    )
    try:
        partitions = [
            TopicPartition(settings.case_events_topic, p)
            for p in consumer.partitions_for_topic(settings.case_events_topic) or ()
        ]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def test_relay_killed_mid_stream_publishes_every_version_once_in_effect(
    settings: Settings, tmp_path: Path
) -> None:
    log_path = tmp_path / "relay.log"
    with log_path.open("ab") as log:
        publish_with_kills(settings, log, log_path)
    assert_every_version_on_the_topic_once_in_effect(settings, expected_cases=400)


def publish_with_kills(settings: Settings, log: IO[bytes], log_path: Path) -> None:
    app = build_case_management(settings)
    numbers = case_numbers("VR-K", 400)
    for number in numbers[:250]:
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)
    ensure_topics(settings.kafka_bootstrap_servers or "", case_event_topics(settings))

    for round_number, kill_after in enumerate(KILL_AFTER_MESSAGES):
        relay = start_relay(settings, log)
        wait_for(
            lambda relay=relay, kill_after=kill_after: (
                messages_on_topic(settings) >= kill_after or relay.poll() is not None
            ),
            what=f"{kill_after} messages on the topic",
        )
        assert relay.poll() is None, log_path.read_text()
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=30)
        if round_number == 1:  # more cases arrive while the relay is down
            for number in numbers[250:]:
                app.open_case(open_case(number), CASEWORKER)
                app.handle(record_outcome(number), CASEWORKER)

    # One more event after the last kill, so the final relay must be up and publishing.
    app.open_case(open_case("VR-K-LAST"), CASEWORKER)
    last = app.recorder.max_notification_id()
    tracking = build_tracking_recorder(settings, "relay")
    relay = start_relay(settings, log)
    wait_for(
        lambda: (
            (tracking.max_tracking_id(position_name(settings.case_events_topic)) or 0)
            >= (last or 0)
        ),
        what="the relay to publish the last notification",
    )
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(timeout=30) == 0, log_path.read_text()


def assert_every_version_on_the_topic_once_in_effect(
    settings: Settings, expected_cases: int
) -> None:
    codec = AvroCodec(published_schemas())
    copies: dict[str, list[bytes]] = defaultdict(list)
    first_seen_versions: dict[str, list[int]] = defaultdict(list)
    for message in read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic):
        record = codec.decode(message.value).record
        event_key = str(record["event_id"])
        if not copies[event_key]:
            first_seen_versions[str(record["case_id"])].append(record["case_version"])
        copies[event_key].append(message.value)

    last_case = str(case_id_for("VR-K-LAST"))
    assert first_seen_versions.pop(last_case) == [1]
    assert len(first_seen_versions) == expected_cases
    assert all(versions == [1, 2] for versions in first_seen_versions.values())
    assert len(copies) == 2 * expected_cases + 1
    repeated = {k: v for k, v in copies.items() if len(v) > 1}
    assert all(len(set(values)) == 1 for values in repeated.values()), (
        "a repeat differs from its original"
    )
    print(
        f"{sum(len(v) - 1 for v in repeated.values())} duplicate deliveries recognised by event id"
    )
