"""The local launchers start real servers: a Kafka broker that keeps its data, and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from scripts.local_kafka import KafkaLauncherError, LocalKafka
from scripts.local_postgres import LocalPostgres, conninfo
from tests.topic_reader import wait_for

external_kafka = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="KAFKA_BOOTSTRAP_SERVERS names an external cluster; the local launcher is not used",
)


def read_all(
    bootstrap: str, topic: str, partitions: int, expected: int
) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        consumer_timeout_ms=500,
    )
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        records: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(records) < expected and time.monotonic() < deadline:
            records.extend((r.key, r.value) for r in consumer)
        return records
    finally:
        consumer.close()


@pytest.mark.kafka
@external_kafka
def test_local_kafka_serves_and_keeps_records_across_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "kafka"
    topic = f"launcher-{uuid.uuid4().hex[:8]}"

    with LocalKafka(data_dir) as broker:
        bootstrap = broker.bootstrap_servers
        assert bootstrap.startswith("127.0.0.1:")
        with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
            admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
            # The broker's metadata follows the controller's a moment later.
            wait_for(lambda: topic in admin.list_topics(), what=f"{topic} in the broker's metadata")
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        try:
            producer.send(topic, key=b"case-1", value=b"opened").get(timeout=30)
        finally:
            producer.close()
        assert read_all(bootstrap, topic, 3, expected=1) == [(b"case-1", b"opened")]
    assert not (data_dir / "broker.pid").exists()

    # A new launcher on the same data dir (and a new port) finds the topic and the record.
    with LocalKafka(data_dir) as restarted:
        with KafkaAdminClient(bootstrap_servers=restarted.bootstrap_servers) as admin:
            wait_for(lambda: topic in admin.list_topics(), what=f"{topic} after the restart")
        assert read_all(restarted.bootstrap_servers, topic, 3, expected=1) == [
            (b"case-1", b"opened")
        ]


@pytest.mark.kafka
@external_kafka
def test_local_kafka_is_readable_by_an_independent_client(tmp_path: Path) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("kcat is not installed (scripts/install_system_deps.sh installs it)")
    topic = f"kcat-{uuid.uuid4().hex[:8]}"
    with LocalKafka(tmp_path / "kafka") as broker:
        with KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers) as admin:
            admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        produced = subprocess.run(
            [kcat, "-b", broker.bootstrap_servers, "-P", "-t", topic, "-p", "1", "-K:"],
            input=b"k:v\n",
            capture_output=True,
            timeout=30,
            check=True,
        )
        assert produced.returncode == 0
        listed = subprocess.run(
            [kcat, "-b", broker.bootstrap_servers, "-L", "-J", "-t", topic],
            capture_output=True,
            timeout=30,
            check=True,
        )
        metadata = json.loads(listed.stdout)
        assert [b["name"] for b in metadata["brokers"]] == [broker.bootstrap_servers]
        assert [len(t["partitions"]) for t in metadata["topics"]] == [2]
        assert read_all(broker.bootstrap_servers, topic, 2, expected=1) == [(b"k", b"v")]


@pytest.mark.kafka
@external_kafka
def test_local_kafka_that_dies_on_start_reports_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = LocalKafka(tmp_path / "kafka", port=taken.getsockname()[1])
        with pytest.raises(KafkaLauncherError, match="exited with code") as failure:
            broker.start(timeout=60)
    assert "ERROR" in str(failure.value)
    assert not (tmp_path / "kafka" / "broker.pid").exists()


def query(connection: dict[str, str], statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(conninfo(connection), connect_timeout=10) as conn:
        return conn.execute(statement).fetchall()


@pytest.mark.postgres
def test_local_postgres_serves_password_logins_and_fresh_databases(tmp_path: Path) -> None:
    with LocalPostgres(tmp_path / "postgres") as server:
        connection = server.connection
        assert connection["host"] == "127.0.0.1"
        assert connection["user"] == "pes"
        assert connection["dbname"] == "pes"
        assert query(connection, "SELECT current_user, current_database()") == [("pes", "pes")]

        server.create_database("launcher_test")
        other = {**connection, "dbname": "launcher_test"}
        with psycopg.connect(conninfo(other)) as conn:
            conn.execute("CREATE TABLE t (n int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
        assert query(other, "SELECT sum(n)::int FROM t") == [(3,)]

        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(conninfo(connection, password="wrong"), connect_timeout=10).close()

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(conninfo(connection), connect_timeout=2).close()


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """A directory the `postgres` OS user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pes-launcher-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.postgres
def test_local_postgres_keeps_its_data_across_a_restart(reachable_dir: Path) -> None:
    data_dir = reachable_dir / "postgres"
    with LocalPostgres(data_dir) as server:
        with psycopg.connect(conninfo(server.connection)) as conn:
            conn.execute("CREATE TABLE kept (name text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
        password = server.connection["password"]

    with LocalPostgres(data_dir) as restarted:
        assert restarted.connection["password"] == password
        assert query(restarted.connection, "SELECT name FROM kept") == [("still here",)]
