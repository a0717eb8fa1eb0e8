"""Kafka clients configured the one way the system uses them, and the topics it owns."""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner import DefaultPartitioner

KEEP_FOREVER = "-1"


@dataclass(frozen=True)
class TopicSpec:
    """A topic the system owns: its name, partitions and retention."""

    name: str
    partitions: int
    replication_factor: int = 1
    retention_ms: str = KEEP_FOREVER


class RememberedPartitions(DefaultPartitioner):
    """kafka-python's default partition for a key (murmur2, as the Java client picks it),
    remembered for the keys seen last.

    The relay sends each case's events under the case id, and a case's events mostly come close
    together; the pure-Python hash (with a sort of the partition list) was a fifth of a send.
    A change in the topic's partition count is a new key, so it is never answered from memory.
    """

    def __init__(self, remembered: int = 10_000) -> None:
        self.remembered = remembered
        self._chosen: dict[tuple[str, bytes, int], int] = {}

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            return int(super().partition(topic, key, None, value, serialized_value, cluster))
        place = (topic, serialized_key, len(cluster.partitions_for_topic(topic) or ()))
        chosen = self._chosen.get(place)
        if chosen is None:
            chosen = int(
                super().partition(topic, key, serialized_key, value, serialized_value, cluster)
            )
            if len(self._chosen) >= self.remembered:
                self._chosen.clear()
            self._chosen[place] = chosen
        return chosen

    def __len__(self) -> int:
        return len(self._chosen)


def idempotent_producer(
    bootstrap_servers: str, client_id: str, partitioner: DefaultPartitioner | None = None
) -> KafkaProducer:
    """acks=all + idempotence: a retried send is written once and keeps per-partition order."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        partitioner=partitioner if partitioner is not None else DefaultPartitioner(),
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
        batch_size=256 * 1024,
        retries=2**31 - 1,
        delivery_timeout_ms=120_000,
        request_timeout_ms=30_000,
    )


def manual_commit_consumer(
    bootstrap_servers: str,
    group_id: str,
    client_id: str,
    max_poll_records: int = 500,
    max_partition_fetch_bytes: int = 1024 * 1024,
) -> KafkaConsumer:
    """A group member that never auto-commits: positions are committed after effects are durable."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        max_partition_fetch_bytes=max_partition_fetch_bytes,
        isolation_level="read_committed",
        # A member that crashed holds its partitions until its session expires; keep that short
        # so a restarted projection resumes within seconds.
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
        # After an outage, reconnect within seconds of the broker's return (default: up to 30 s).
        reconnect_backoff_max_ms=5_000,
    )


def ensure_topics(bootstrap_servers: str, topics: list[TopicSpec], timeout: float = 30.0) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="pes-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                topic_configs={"retention.ms": spec.retention_ms},
            )
            for spec in topics
            if spec.name not in existing
        ]
        if missing:
            # Another process may create a topic between our listing and our request.
            with suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            # The broker's metadata follows the controller's a moment later; consumers that
            # subscribe before it does are assigned nothing.
            wanted = {spec.name for spec in topics}
            deadline = time.monotonic() + timeout
            while not wanted <= set(admin.list_topics()):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"topics {sorted(wanted)} not visible after {timeout}s")
                time.sleep(0.05)
    finally:
        admin.close()
