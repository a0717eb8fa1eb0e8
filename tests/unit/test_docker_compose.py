"""docker-compose.yml: a Compose v2 file whose every process keeps its data on a named volume."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPOSITORY / "docker-compose.yml"
POSTGRES_DATA = "/var/lib/postgresql/data"


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def data_paths(service: dict[str, Any]) -> list[str]:
    """Where a service keeps what must outlive its container, read off its settings."""
    environment = service.get("environment") or {}
    if "PES_DATA_DIR" in environment:
        return [environment["PES_DATA_DIR"]]
    if "KAFKA_LOG_DIRS" in environment:
        return str(environment["KAFKA_LOG_DIRS"]).split(",")
    if str(service.get("image", "")).startswith("postgres:"):
        return [environment.get("PGDATA", POSTGRES_DATA)]
    return []


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """Container path → named volume of the service's short-syntax volume mounts."""
    mounts = {}
    for mount in service.get("volumes") or []:
        source, target, *_ = str(mount).split(":")
        assert not source.startswith((".", "/", "~")), f"a bind mount, not a named volume: {mount}"
        mounts[target] = source
    return mounts


def test_the_compose_file_is_for_compose_v2_and_says_so() -> None:
    document = compose()
    text = COMPOSE_FILE.read_text(encoding="utf-8")

    # v2 reads the Compose Specification: a project name, no obsolete `version:`.
    assert document["name"] == "pes" and "version" not in document
    assert "Compose v2" in text and "Compose v2" in (REPOSITORY / "README.md").read_text()


def test_every_services_data_folder_is_on_a_named_volume_that_is_declared() -> None:
    document = compose()
    declared = set(document.get("volumes") or {})
    services = document["services"]

    unplaced = {
        name: path
        for name, service in services.items()
        for path in data_paths(service) or ["(no data folder known)"]
        if named_volumes(service).get(path) not in declared
    }

    assert len(services) >= 8
    assert unplaced == {}


def test_no_two_services_share_a_data_volume() -> None:
    mounts = [
        source
        for service in compose()["services"].values()
        for source in named_volumes(service).values()
    ]

    assert len(mounts) == len(set(mounts))


def test_the_image_makes_the_data_folder_the_services_are_told_to_use_and_owns_it() -> None:
    dockerfile = (REPOSITORY / "Dockerfile").read_text(encoding="utf-8")
    image_data_dir = re.search(r"^ENV PES_DATA_DIR=(\S+)$", dockerfile, re.M)
    pes_services = [s for s in compose()["services"].values() if s.get("image") == "pes:local"]

    assert image_data_dir and pes_services
    # A new named volume takes the ownership of the image's folder, so the pes user can write.
    assert f"mkdir {image_data_dir.group(1)} && chown pes {image_data_dir.group(1)}" in dockerfile
    assert {s["environment"]["PES_DATA_DIR"] for s in pes_services} == {image_data_dir.group(1)}


def cluster_nodes() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if "cluster" in (service.get("profiles") or [])
    }


def test_the_cluster_profile_is_three_brokers_each_a_controller_knowing_all_three() -> None:
    nodes = cluster_nodes()
    environments = [node["environment"] for node in nodes.values()]
    voters = {str(e["KAFKA_CONTROLLER_QUORUM_VOTERS"]) for e in environments}

    assert sorted(nodes) == ["kafka-1", "kafka-2", "kafka-3"]
    assert {e["KAFKA_PROCESS_ROLES"] for e in environments} == {"broker,controller"}
    assert sorted(e["KAFKA_NODE_ID"] for e in environments) == [1, 2, 3]
    assert voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}
    assert len({e["CLUSTER_ID"] for e in environments}) == 1
    for name, node in nodes.items():
        (host_port,) = node["ports"]
        external = host_port.split(":")[-1]
        advertised = str(node["environment"]["KAFKA_ADVERTISED_LISTENERS"])
        assert f"INTERNAL://{name}:9092" in advertised
        assert f"EXTERNAL://localhost:{external}" in advertised
    assert len({node["ports"][0] for node in nodes.values()}) == 3


def test_the_clusters_topics_have_three_replicas_two_in_sync() -> None:
    for node in cluster_nodes().values():
        environment = node["environment"]
        assert environment["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3
        assert environment["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert environment["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
        assert environment["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 3
        assert environment["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 2


def test_only_the_cluster_is_in_a_profile_and_the_services_can_be_pointed_at_it() -> None:
    services = compose()["services"]
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    pes_services = [s for s in services.values() if s.get("image") == "pes:local"]
    bootstrap = {s["environment"]["KAFKA_BOOTSTRAP_SERVERS"] for s in pes_services}

    assert {name for name, s in services.items() if s.get("profiles")} == set(cluster_nodes())
    # Unset, the default `docker compose up` talks to the single broker as before.
    assert bootstrap == {"${PES_KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"}
    listed = ",".join(f"{name}:9092" for name in sorted(cluster_nodes()))
    assert f"PES_KAFKA_BOOTSTRAP_SERVERS={listed}" in text
    assert "docker compose --profile cluster up" in text


def test_every_singleton_runs_an_active_replica_and_a_standby_on_the_postgresql_store() -> None:
    services = compose()["services"]
    singletons = {
        name
        for name, service in services.items()
        if service.get("command", [None])[0] in ("relay", "deadlines")
    }

    assert singletons == {"relay", "refusal-relay", "deadlines"}
    for name in singletons:
        assert services[name]["deploy"]["replicas"] == 2, name
        # The lease that keeps one of them active is PostgreSQL's (a file lock on SQLite).
        assert services[name]["environment"]["PES_EVENT_STORE"] == "postgres", name
