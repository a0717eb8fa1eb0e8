"""kafka-python's reconnect chatter during a broker outage reaches the log once a minute."""

from __future__ import annotations

import logging

from adapters.structured_logging import KafkaRepeats


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_each_kafka_message_passes_once_a_minute_whatever_its_arguments() -> None:
    now = [0.0]
    repeats = KafkaRepeats(every=60, clock=lambda: now[0])
    failed = "Connection failed: %s"

    assert repeats.filter(record("kafka.net.manager", failed, "ECONNREFUSED"))
    assert not repeats.filter(record("kafka.net.manager", failed, "socket disconnected"))
    assert repeats.filter(record("kafka.cluster", "No node available"))  # another message
    now[0] = 61.0
    assert repeats.filter(record("kafka.net.manager", failed, "ECONNREFUSED"))


def test_the_projects_own_messages_are_never_held_back() -> None:
    repeats = KafkaRepeats(every=60, clock=lambda: 0.0)
    lines = [record("adapters.consumer", "consumer of %s lost the broker", "t") for _ in range(3)]

    assert all(repeats.filter(line) for line in lines)
    assert repeats.filter(record("kafkaesque", "not the client"))
    assert repeats.filter(record("kafkaesque", "not the client"))
