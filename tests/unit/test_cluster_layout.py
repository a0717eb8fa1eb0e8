"""Replication of the system's topics and the local cluster's layout, decided without a broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.kafka import ReplicationError, replication_for
from application.bootstrap import case_event_topics
from application.settings import Settings
from scripts.exit_codes import ExitCode
from scripts.local_kafka import (
    KafkaLauncherError,
    LocalKafka,
    LocalKafkaCluster,
    cluster_properties,
    local_brokers,
)

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (5, (3, 2))]
)
def test_topics_get_three_replicas_two_in_sync_or_every_broker_of_a_smaller_cluster(
    brokers: int, expected: tuple[int, int]
) -> None:
    assert replication_for(brokers) == expected


def test_set_replication_settings_win_over_the_clusters_size() -> None:
    assert replication_for(1, replicas=3) == (3, 2)
    assert replication_for(5, replicas=5, min_insync=3) == (5, 3)


def test_more_replicas_in_sync_than_replicas_is_refused_naming_both() -> None:
    with pytest.raises(
        ReplicationError, match=r"min.insync.replicas 3 exceeds the replication factor 2"
    ):
        replication_for(3, replicas=2, min_insync=3)


def test_the_systems_topics_carry_the_replication_settings() -> None:
    settings = Settings(topic_replication_factor=3, topic_min_insync_replicas=2)

    topics = case_event_topics(settings)

    assert {(t.replication_factor, t.min_insync_replicas) for t in topics} == {(3, 2)}
    assert {t.replication_factor for t in case_event_topics(Settings())} == {None}


def test_a_cluster_of_three_replicates_the_brokers_own_topics_on_all_three_two_in_sync() -> None:
    properties = cluster_properties(3)

    assert properties["offsets.topic.replication.factor"] == "3"
    assert properties["transaction.state.log.replication.factor"] == "3"
    assert properties["transaction.state.log.min.isr"] == "2"
    assert properties["min.insync.replicas"] == "2"
    assert cluster_properties(1)["transaction.state.log.min.isr"] == "1"


def test_one_broker_keeps_its_folder_and_a_cluster_gets_one_of_its_own(tmp_path: Path) -> None:
    single = local_brokers(tmp_path / "one", 1, port=9092)
    cluster = local_brokers(tmp_path / "three", 3, port=9092)

    assert isinstance(single, LocalKafka) and single.data_dir == tmp_path / "one" / "kafka"
    assert isinstance(cluster, LocalKafkaCluster)
    assert (cluster.data_dir, cluster.brokers) == (tmp_path / "three" / "kafka-cluster-3", 3)


def test_a_data_folder_used_with_one_broker_refuses_a_cluster_and_the_other_way(
    tmp_path: Path,
) -> None:
    (tmp_path / "one" / "kafka").mkdir(parents=True)
    (tmp_path / "three" / "kafka-cluster-3").mkdir(parents=True)

    with pytest.raises(KafkaLauncherError, match="another broker layout"):
        local_brokers(tmp_path / "one", 3)
    with pytest.raises(KafkaLauncherError, match="another broker layout"):
        local_brokers(tmp_path / "three", 1)


def test_each_node_of_a_cluster_has_its_own_ports_and_folder_and_all_know_every_controller(
    tmp_path: Path,
) -> None:
    cluster = LocalKafkaCluster(tmp_path, brokers=3, port=19092)

    nodes = cluster._layout()

    assert [node.port for node in nodes] == [19092, 19093, 19094]
    assert len({node.data_dir for node in nodes}) == 3
    ports = {node.port for node in nodes} | {node.controller_port for node in nodes}
    assert len(ports) == 6
    assert {node.voters for node in nodes} == {
        ",".join(f"{node.node_id}@127.0.0.1:{node.controller_port}" for node in nodes)
    }
    assert len({node.cluster_id for node in nodes}) == 1


def test_pes_run_with_a_cluster_on_a_single_brokers_data_folder_exits_unavailable_in_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "kafka").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PES_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env["PES_DATA_DIR"] = str(tmp_path)

    ran = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "run", "--brokers", "3"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert ran.returncode == ExitCode.UNAVAILABLE, ran.stderr
    assert "another broker layout (kafka)" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "kafka-cluster-3").exists()
