"""Reads a whole topic as it stands, partition by partition, without a consumer group."""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition


def read_topic(
    bootstrap_servers: str,
    topic: str,
    timeout: float = 60.0,
    isolation_level: str = "read_committed",
) -> list[Any]:
    """Every message up to the current end offsets, in partition then offset order (with
    `isolation_level="read_uncommitted"`, aborted and open transactions' records too)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        isolation_level=isolation_level,
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        end = (
            _decided_end(bootstrap_servers, topic, partitions, consumer, deadline)
            if isolation_level == "read_committed"
            else consumer.end_offsets(partitions)
        )
        messages: list[Any] = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end within {timeout}s")
            for batch in consumer.poll(timeout_ms=500).values():
                messages.extend(batch)
        return sorted(messages, key=lambda m: (m.partition, m.offset))
    finally:
        consumer.close()


def _decided_end(
    bootstrap_servers: str,
    topic: str,
    partitions: list[TopicPartition],
    consumer: KafkaConsumer,
    deadline: float,
) -> dict[TopicPartition, int]:
    """The committed end offsets once they reach the written ones: a transaction's commit
    returns before its markers are on the partitions, and a committed reader's end can stop
    short of the last transaction for a moment."""
    written_reader = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        ends: list[dict[TopicPartition, int]] = []

        def decided() -> bool:
            committed = consumer.end_offsets(partitions)
            ends[:] = [committed]
            return bool(committed == written_reader.end_offsets(partitions))

        wait_for(
            decided,
            timeout=max(deadline - time.monotonic(), 0.1),
            what=f"every transaction on {topic} to be decided",
        )
        return ends[0]
    finally:
        written_reader.close()


def wait_for(condition: Any, timeout: float = 60.0, what: str = "condition") -> Any:
    """Polls `condition` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
