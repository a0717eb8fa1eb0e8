"""Session fixtures: the real Kafka broker and the real PostgreSQL server, started once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_sockets import close_sockets_with_their_client
from application.settings import Settings

# The tests' own Kafka clients, as the system's (adapters.kafka applies it on import).
close_sockets_with_their_client()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real broker: the cluster named by KAFKA_BOOTSTRAP_SERVERS, or a local one started here."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    from scripts.local_kafka import LocalKafka

    with LocalKafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker.bootstrap_servers


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Any]:
    """A broker of this test's own, on a free port it keeps, that the test may stop and start."""
    from scripts.local_kafka import LocalKafka
    from tests.outage_support import free_port

    broker = LocalKafka(tmp_path / "kafka", port=free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def kafka_cluster(tmp_path: Path) -> Iterator[Any]:
    """A KRaft cluster of three brokers of this test's own, whose nodes the test may kill and
    restart (`cluster.start()` restarts the stopped ones)."""
    from scripts.local_kafka import LocalKafkaCluster

    cluster = LocalKafkaCluster(tmp_path / "kafka-cluster", brokers=3)
    cluster.start(timeout=180)
    try:
        yield cluster
    finally:
        cluster.stop()


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL server and how to reach it."""

    server: Any
    connection: dict[str, str]

    def create_database(self, name: str) -> None:
        self.server.create_database(name)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    from scripts.local_postgres import LocalPostgres

    server = LocalPostgres(tmp_path_factory.mktemp("postgres"))
    connection = server.start()
    try:
        yield PostgresServer(server, connection)
    finally:
        server.stop()


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty event store of each kind (the same test runs on both)."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path, event_store="sqlite")
    return postgres_settings(request.getfixturevalue("postgres_server"), tmp_path)


def postgres_settings(server: PostgresServer, data_dir: Path, prefix: str = "pes") -> Settings:
    """Settings for a fresh PostgreSQL database of its own on the test server."""
    dbname = unique(prefix)
    server.create_database(dbname)
    connection = server.connection
    return Settings(
        data_dir=data_dir,
        event_store="postgres",
        POSTGRES_HOST=connection["host"],
        POSTGRES_PORT=int(connection["port"]),
        POSTGRES_USER=connection["user"],
        POSTGRES_PASSWORD=connection["password"],
        POSTGRES_DBNAME=dbname,
    )


@pytest.fixture
def settings(store_settings: Settings, kafka_bootstrap: str) -> Settings:
    """Store settings plus the real broker and a topic of this test's own."""
    return store_settings.model_copy(
        update={
            "kafka_bootstrap_servers": kafka_bootstrap,
            "case_events_topic": unique("test.case-events"),
            "command_refusals_topic": unique("test.command-refusals"),
            "case_events_partitions": 3,
        }
    )
