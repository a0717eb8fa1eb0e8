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
        if isolation_level == "read_committed":
            written = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
            try:
                end = decided_end_offsets(consumer, written, partitions, timeout)
            finally:
                written.close()
        else:
            end = consumer.end_offsets(partitions)
        messages: list[Any] = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end within {timeout}s")
            for batch in consumer.poll(timeout_ms=500).values():
                messages.extend(batch)
        return sorted(messages, key=lambda m: (m.partition, m.offset))
    finally:
        consumer.close()


def decided_end_offsets(
    committed: KafkaConsumer,
    written: KafkaConsumer,
    partitions: list[TopicPartition],
    timeout: float = 60.0,
) -> dict[TopicPartition, int]:
    """The end offsets a `committed` (read_committed) reader sees, once they reach those a
    `written` (read_uncommitted) one sees: a transaction's commit returns before its markers
    are on the partitions, and a committed reader's end can stop short of it for a moment."""
    (ends,) = wait_for(
        lambda: (
            (found,)
            if (found := committed.end_offsets(partitions)) == written.end_offsets(partitions)
            else None
        ),
        timeout=timeout,
        what="every transaction on the topic to be decided",
    )
    return dict(ends)


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
