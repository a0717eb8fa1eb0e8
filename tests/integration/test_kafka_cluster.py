"""Three brokers: the leader of the case-event partitions, or the relay's transaction
coordinator, is SIGKILLed under load and later restarted. Every acknowledged event reaches the
topic as stored, no process dies, and the view equals a clean rebuild."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from adapters.kafka import ensure_topics, replication_for
from adapters.relay import position_name
from application.bootstrap import case_event_topics, open_caseload_view
from application.settings import Settings
from scripts.local_kafka import LocalKafkaCluster
from tests.conftest import unique
from tests.integration.test_chaos import (
    Load,
    Processes,
    create_the_store,
    pes,
    recorded,
    topic_end,
)
from tests.outage_support import assert_the_topic_holds_the_store, pes_env, relay_position
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

Partitions = dict[int, dict[str, Any]]
"""Partition → its leader ("leader") and in-sync replicas ("isr")."""


def partitions(bootstrap_servers: str, topic: str) -> Partitions:
    """The topic's partitions as the cluster reports them, asked through kcat: a Python client
    in this process would keep the socket of its refused connection to a killed broker."""
    listed = subprocess.run(
        ["kcat", "-L", "-J", "-m", "10", "-b", bootstrap_servers, "-t", topic],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if listed.returncode != 0:
        return {}
    (described,) = json.loads(listed.stdout)["topics"]
    return {
        p["partition"]: {"leader": p["leader"], "isr": sorted(r["id"] for r in p["isrs"])}
        for p in described.get("partitions", [])
    }


def transaction_coordinator(bootstrap_servers: str, transactional_id: str) -> int:
    """The broker coordinating `transactional_id`'s transactions, as the cluster says (asked
    before any broker is killed, by a client closed at once)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        described = admin.describe_transactions([transactional_id])
    finally:
        admin.close()
    return int(described[transactional_id].coordinator_id)


def the_leader(by_partition: Partitions) -> int:
    """The broker leading the most partitions (partition 0's leader among equals)."""
    leaders = [p["leader"] for _, p in sorted(by_partition.items())]
    return max(leaders, key=lambda broker: (leaders.count(broker), broker == leaders[0]))


def replication(bootstrap_servers: str, topic: str, count: int = 3) -> tuple[int, str] | None:
    """The topic's replication factor and its min.insync.replicas, as created (None while the
    broker answering does not know all its `count` partitions yet)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        (described,) = admin.describe_topics([topic])
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, ["min.insync.replicas"])]
        )
    finally:
        admin.close()
    factors = {len(p["replica_nodes"]) for p in described["partitions"]}
    if len(described["partitions"]) != count or len(factors) != 1:
        return None
    return factors.pop(), configs["topic"][topic]["min.insync.replicas"]["value"]


@pytest.mark.parametrize("victim", ["partitions' leader", "transaction coordinator"])
def test_every_acknowledged_event_reaches_the_topic_when_a_broker_is_killed_and_restarted(
    kafka_cluster: LocalKafkaCluster, tmp_path: Path, victim: str
) -> None:
    servers = kafka_cluster.bootstrap_servers
    settings = Settings(
        data_dir=tmp_path / "data", kafka_bootstrap_servers=servers, case_events_partitions=3
    )
    topic = settings.case_events_topic
    ensure_topics(servers, case_event_topics(settings))
    assert wait_for(lambda: replication(servers, topic), timeout=60, what="metadata") == (3, "2")
    processes = Processes(
        # The default delivery timeout: the producer retries to the new leader itself.
        pes_env(settings, PES_RELAY_BATCH_SIZE="25", PES_KAFKA_DELIVERY_TIMEOUT_SECONDS="120"),
        tmp_path,
    )
    create_the_store(settings)
    load = Load(settings)
    view = open_caseload_view(settings)
    try:
        processes.start("relay", "relay")
        processes.start("caseload", "project", "caseload")
        load.start()
        wait_for(lambda: relay_position(settings) >= 100, timeout=120, what="the relay")
        wait_for(lambda: view.positions_total(topic) > 0, timeout=120, what="the projection")

        before = wait_for(lambda: partitions(servers, topic), timeout=60, what="metadata")
        if victim == "partitions' leader":
            killed = the_leader(before)
        else:
            killed = transaction_coordinator(servers, position_name(topic))
        led = sorted(p for p, described in before.items() if described["leader"] == killed)
        pid = kafka_cluster.node(killed).pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        published = relay_position(settings)
        stalls = [0.0]

        def watched(condition: Callable[[], Any]) -> Callable[[], Any]:
            """`condition`, after noting how long the relay has gone unacknowledged."""

            def check() -> Any:
                waited = processes.metric(
                    "relay", "pes_relay_seconds_since_acknowledgement", topic=topic
                )
                stalls.append(waited or 0.0)
                return condition()

            return check

        wait_for(
            watched(lambda: relay_position(settings) > published + 50),
            timeout=120,
            what="the relay",
        )
        survivors = ",".join(
            node.bootstrap_servers for node in kafka_cluster.nodes if node.node_id != killed
        )
        wait_for(
            watched(
                lambda: (
                    (now := partitions(survivors, topic))
                    and all(now[p]["leader"] not in (killed, -1) for p in led)
                )
            ),
            timeout=120,
            what="new leaders for the killed broker's partitions",
        )
        target = relay_position(settings) + 100
        wait_for(watched(lambda: relay_position(settings) >= target), timeout=120, what="more load")
        held_up = max(stalls)
        applied = view.positions_total(topic)
        wait_for(
            lambda: view.positions_total(topic) > applied + 50,
            timeout=120,
            what="the projection to apply with a broker down",
        )
        assert processes.dead() == {}

        kafka_cluster.start(timeout=180)
        wait_for(
            lambda: (
                (now := partitions(servers, topic))
                and all(p["isr"] == [1, 2, 3] for p in now.values())
            ),
            timeout=120,
            what="the restarted broker back in sync on every partition",
        )
        target = relay_position(settings) + 100
        wait_for(lambda: relay_position(settings) >= target, timeout=120, what="load after")
        load.finish()

        assert processes.dead() == {}
        assert load.errors == []
        wait_for(
            lambda: relay_position(settings) == recorded(settings),
            timeout=120,
            what="the relay to publish everything",
        )
        end = topic_end(settings)
        wait_for(
            lambda: view.positions_total(topic) >= end,
            timeout=120,
            what="the projection to apply everything",
        )
        assert processes.dead() == {}
        assert processes.stop("relay") == 0
        assert processes.stop("caseload") == 0
    finally:
        load.stop.set()
        processes.close()

    repeats = assert_the_topic_holds_the_store(settings)
    rebuilt_dir = tmp_path / "rebuilt"
    rebuilt = pes(
        processes.env, "rebuild", "caseload", "--into", str(rebuilt_dir), "--workers", "1"
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    clean = open_caseload_view(settings.model_copy(update={"data_dir": rebuilt_dir}))
    assert view.snapshot() == clean.snapshot()
    clean.close()
    view.close()
    print(
        f"broker {killed}, the {victim} (leading partitions {led}), killed; the relay went "
        f"{held_up:.1f} s at most "
        "without an acknowledgement; "
        f"{load.recorded} commands recorded, {repeats} repeated deliveries"
    )


def test_the_systems_topics_are_replicated_as_the_clusters_size_allows(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        brokers = len(admin.describe_cluster()["brokers"])
    finally:
        admin.close()

    ensure_topics(kafka_bootstrap, case_event_topics(settings))

    replicas, in_sync = replication_for(brokers)
    created = wait_for(
        lambda: replication(kafka_bootstrap, settings.case_events_topic),
        timeout=60,
        what="metadata",
    )
    assert created == (replicas, str(in_sync))
