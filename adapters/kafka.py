"""Kafka clients configured the one way the system uses them, and the topics it owns."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.partitioner import DefaultPartitioner

from adapters.kafka_sockets import close_sockets_with_their_client

log = logging.getLogger(__name__)

close_sockets_with_their_client()

KEEP_FOREVER = "-1"


@dataclass(frozen=True)
class TopicSpec:
    """A topic the system owns: its name, partitions, replication and retention (replication
    unset: chosen by `replication_for` from the cluster's size when the topic is created)."""

    name: str
    partitions: int
    replication_factor: int | None = None
    retention_ms: str = KEEP_FOREVER
    min_insync_replicas: int | None = None


class ReplicationError(ValueError):
    """Topic replication settings that no cluster could honour."""


def replication_for(
    brokers: int, replicas: int | None = None, min_insync: int | None = None
) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a new topic on a cluster of `brokers`:
    unless set, three replicas (every broker of a smaller cluster) and, with three or more,
    two of them in sync, so an acknowledged record survives the loss of any one broker."""
    chosen = replicas if replicas is not None else max(1, min(3, brokers))
    in_sync = min_insync if min_insync is not None else (2 if chosen >= 3 else 1)
    if in_sync > chosen:
        raise ReplicationError(
            f"min.insync.replicas {in_sync} exceeds the replication factor {chosen}: "
            "no write could ever be acknowledged"
        )
    return chosen, in_sync


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


LINGER_MS = 5
TRANSACTION_TIMEOUT_MS = 60_000
"""How long the broker keeps a transaction open before aborting it itself: only a replica that
died or stalled mid-transaction with no standby to fence it leaves one open that long (and
read_committed readers wait at its first record meanwhile)."""


def _producer_settings(
    bootstrap_servers: str,
    client_id: str,
    partitioner: DefaultPartitioner | None,
    delivery_timeout_ms: int,
) -> dict[str, Any]:
    bounded = max(delivery_timeout_ms - LINGER_MS, 1000)
    return {
        "bootstrap_servers": bootstrap_servers,
        "client_id": client_id,
        "partitioner": partitioner if partitioner is not None else DefaultPartitioner(),
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": LINGER_MS,
        "batch_size": 256 * 1024,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": delivery_timeout_ms,
        "request_timeout_ms": min(30_000, bounded),
        "max_block_ms": min(60_000, bounded),
        "bootstrap_timeout_ms": min(30_000, bounded),
    }


STARTUP_BOOTSTRAP_MS = 10_000
"""How long a starting consumer or topic check waits for a broker: one that is down is reported
within seconds (the caller's retry with backoff takes over), not after the client's 30 s."""


def idempotent_producer(
    bootstrap_servers: str,
    client_id: str,
    partitioner: DefaultPartitioner | None = None,
    delivery_timeout_ms: int = 120_000,
) -> KafkaProducer:
    """acks=all + idempotence: a retried send is written once and keeps per-partition order.

    Every wait on the broker (a send's delivery, the metadata a send needs, the connection on
    creation) is bounded by `delivery_timeout_ms`, so an outage surfaces as an error the caller
    retries rather than as a call that blocks longer than that.
    """
    return KafkaProducer(
        **_producer_settings(bootstrap_servers, client_id, partitioner, delivery_timeout_ms)
    )


class TransactionalProducer(KafkaProducer):
    """An idempotent producer whose records count only once their transaction commits."""

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Commits the open transaction within `timeout` seconds (KafkaTimeoutError after).

        kafka-python 3.0's own commit waits without a bound: a broker lost between the records'
        acknowledgement and the commit would hold the caller forever.
        """
        result = self._transaction_manager.begin_commit()
        self._sender.wakeup()
        if not result.wait(timeout_ms=None if timeout is None else timeout * 1000):
            raise KafkaTimeoutError(f"the transaction did not commit within {timeout} s")


def transactional_producer(
    bootstrap_servers: str,
    client_id: str,
    transactional_id: str,
    partitioner: DefaultPartitioner | None = None,
    delivery_timeout_ms: int = 120_000,
) -> TransactionalProducer:
    """An idempotent producer (as `idempotent_producer`) in transactions under
    `transactional_id`, initialised: the broker has fenced every earlier producer with that id,
    so their open transactions are aborted and their later sends and commits fail.

    Read with `isolation_level="read_committed"`, only committed transactions' records are seen.
    """
    producer = TransactionalProducer(
        **_producer_settings(bootstrap_servers, client_id, partitioner, delivery_timeout_ms),
        transactional_id=transactional_id,
        transaction_timeout_ms=TRANSACTION_TIMEOUT_MS,
    )
    try:
        producer.init_transactions()  # bounded by max_block_ms
    except BaseException:
        producer.close(timeout=0)
        raise
    return producer


def manual_commit_consumer(
    bootstrap_servers: str,
    group_id: str,
    client_id: str,
    max_poll_records: int = 500,
    max_partition_fetch_bytes: int = 1024 * 1024,
    session_timeout_ms: int = 10_000,
    api_version: tuple[int, ...] | None = None,
) -> KafkaConsumer:
    """A group member that never auto-commits: positions are committed after effects are durable.

    Given the broker's `api_version` (a rebuild's probe learnt it), the client skips its own
    probe, and its first metadata request takes milliseconds instead of ~100 ms."""
    return partition_reader(
        bootstrap_servers,
        client_id,
        max_poll_records=max_poll_records,
        max_partition_fetch_bytes=max_partition_fetch_bytes,
        api_version=api_version,
        group_id=group_id,
        # A member that crashed holds its partitions until its session expires; keep that short
        # so a restarted projection resumes within seconds.
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=session_timeout_ms // 3,
    )


def partition_reader(
    bootstrap_servers: str,
    client_id: str,
    max_poll_records: int = 500,
    max_partition_fetch_bytes: int = 1024 * 1024,
    api_version: tuple[int, ...] | None = None,
    **group: Any,
) -> KafkaConsumer:
    """A reader of committed records that never auto-commits, outside any consumer group
    unless `group` names one (`manual_commit_consumer`): one that is assigned its partitions
    and keeps its positions in its own store never waits for a group coordinator."""
    return KafkaConsumer(
        **({} if api_version is None else {"api_version": api_version}),
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        max_partition_fetch_bytes=max_partition_fetch_bytes,
        isolation_level="read_committed",
        bootstrap_timeout_ms=STARTUP_BOOTSTRAP_MS,
        # After an outage, reconnect within seconds of the broker's return (default: up to 30 s).
        reconnect_backoff_max_ms=5_000,
        **group,
    )


def ensure_topics(bootstrap_servers: str, topics: list[TopicSpec], timeout: float = 30.0) -> None:
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="pes-admin",
        bootstrap_timeout_ms=STARTUP_BOOTSTRAP_MS,
    )
    try:
        existing = set(admin.list_topics())
        absent = [spec for spec in topics if spec.name not in existing]
        # Fenced (stopped) brokers count: a topic created while one is down still gets all its
        # replicas (Kafka places one on the stopped broker), never silently fewer.
        brokers = len(admin.describe_cluster().get("brokers", [])) if absent else 0
        missing = []
        for spec in absent:
            replicas, in_sync = replication_for(
                brokers, spec.replication_factor, spec.min_insync_replicas
            )
            missing.append(
                NewTopic(
                    name=spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=replicas,
                    topic_configs={
                        "retention.ms": spec.retention_ms,
                        "min.insync.replicas": str(in_sync),
                    },
                )
            )
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


Producer = TypeVar("Producer", bound=KafkaProducer)


class ReplaceableProducer(Generic[Producer]):
    """The producer a long-running process sends with, replaced after a failed send.

    After a delivery timeout an idempotent producer may hold sequence state the broker no longer
    accepts, and kafka-python can leave a batch retrying past its delivery timeout (seen after a
    broker shutdown answered NotLeaderForPartition). `replace()` closes the current producer
    and the next `get()` makes a new one. One that cannot close yet (its flush times out) is
    kept aside and closed once the broker takes sends again (`close_retired`); what it still
    delivers meanwhile is a repeat, which readers recognise by event id (a transactional one
    delivers nothing more: its successor's initialisation fenced it).
    """

    def __init__(
        self,
        make: Callable[[], Producer],
        current: Producer | None = None,
        close_timeout: float = 10.0,
    ) -> None:
        self.make = make
        self.close_timeout = close_timeout
        self._current = current
        self._retired: list[Producer] = []

    def get(self) -> Producer:
        if self._current is None:
            self._current = self.make()
        return self._current

    def replace(self, timeout: float = 1.0) -> None:
        current, self._current = self._current, None
        if current is not None and not _closed(current, timeout):
            log.info("a producer with sends still pending is kept aside until they complete")
            self._retired.append(current)

    def close_retired(self, timeout: float = 0.0) -> None:
        """Closes the producers kept aside whose sends have all completed (by default without
        waiting for the others). Called once per relay batch, so it logs only what changed."""
        still_open = [p for p in self._retired if not _closed(p, timeout)]
        if len(still_open) < len(self._retired):
            log.info(
                "%d producer(s) kept aside closed, their sends complete",
                len(self._retired) - len(still_open),
            )
        self._retired = still_open

    def close(self) -> None:
        self.replace(self.close_timeout)
        self.close_retired(self.close_timeout)

    @property
    def retired(self) -> int:
        return len(self._retired)


def _closed(producer: KafkaProducer, timeout: float) -> bool:
    """Closes `producer` within `timeout` seconds; False if its sends did not complete in time."""
    try:
        producer.close(timeout=timeout)
    except KafkaError as error:
        log.debug("a producer with sends still pending stays open for now: %s", error)
        return False
    return True
