"""Chaos on the real broker: load from several clients while the relay is SIGKILLed again and
again, the broker is stopped past every client timeout, and a projection is SIGKILLed. Nothing
the test did not kill may die; the topic, the view and the hash chains come out intact.

Select it with `pytest -m chaos` (it takes a few minutes).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO
from uuid import UUID

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.kafka import ensure_topics
from application.bootstrap import (
    build_case_management,
    build_refusal_relay,
    case_event_topics,
    open_caseload_view,
)
from application.settings import Settings
from domain.errors import DomainError
from scripts.local_kafka import LocalKafka
from tests.builders import CASEWORKER, open_case, record_outcome
from tests.outage_support import (
    DELIVERY_TIMEOUT_SECONDS,
    REPOSITORY,
    assert_the_topic_holds_the_store,
    free_port,
    metric,
    pes_env,
    relay_position,
    start_pes,
    stored_events,
)
from tests.topic_reader import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.chaos]

CLIENTS = 4
RELAY_KILLS = 3
OUTAGE_SECONDS = 15.0
"""How long the relay goes unacknowledged: past its delivery timeout, its request timeout and
the consumers' session timeout (6 s here)."""

EMPLOYER = record_outcome("any").employer.encode()
"""In every recorded outcome (tests.builders.record_outcome): the bytes the tampering changes."""


def create_the_store(settings: Settings) -> None:
    """Creates the event store before anything writes to it, as a deployment's store exists:
    processes opening a fresh SQLite file at once can find it locked while one turns on WAL."""
    build_case_management(settings).close()


@dataclass
class Load:
    """Clients opening cases and recording their outcomes, each on its own thread and its own
    connection to the event store, until stopped."""

    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    recorded: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for client in range(CLIENTS):
            thread = threading.Thread(target=self._client, args=(client,), name=f"client-{client}")
            self._threads.append(thread)
            thread.start()

    def _client(self, client: int) -> None:
        app = build_case_management(self.settings)
        number = 0
        try:
            while not self.stop.wait(0.05):
                case = f"VR-CH{client}-{number:05d}"
                number += 1
                for command in (
                    partial(app.open_case, open_case(case)),
                    partial(app.handle, record_outcome(case)),
                ):
                    try:
                        command(CASEWORKER)
                    except DomainError:  # e.g. a concurrent termination; not this test's concern
                        with self._lock:
                            self.refused += 1
                    else:
                        with self._lock:
                            self.recorded += 1
        except Exception as error:
            with self._lock:
                self.errors.append(f"client {client}: {type(error).__name__}: {error}")
        finally:
            app.close()

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self._threads)


@dataclass
class Processes:
    """The long-running `pes` processes the test starts, by role; each keeps its log."""

    env: dict[str, str]
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    _files: list[IO[bytes]] = field(default_factory=list)

    def start(self, role: str, *args: str) -> None:
        port = free_port()
        log = (self.logs / f"{role}.log").open("ab")
        self._files.append(log)
        self.running[role] = start_pes(self.env, log, *args, "--metrics-port", str(port))
        self.metrics_ports[role] = port

    def kill(self, role: str) -> None:
        process = self.running[role]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def metric(self, role: str, name: str, **labels: str) -> float | None:
        return metric(self.metrics_ports[role], name, **labels)

    def log(self, role: str) -> str:
        return (self.logs / f"{role}.log").read_text()

    def dead(self) -> dict[str, str]:
        """The processes that are not running, and the end of their logs."""
        return {
            role: self.log(role)[-3000:]
            for role, process in self.running.items()
            if process.poll() is not None
        }

    def stop(self, role: str) -> int:
        process = self.running[role]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

    def close(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        for log in self._files:
            log.close()


def recorded(settings: Settings) -> int:
    app = build_case_management(settings)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def topic_end(settings: Settings) -> int:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, isolation_level="read_committed"
    )
    try:
        partitions = [
            TopicPartition(settings.case_events_topic, p)
            for p in range(settings.case_events_partitions)
        ]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def pes(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def verify_both_copies(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`pes verify` over the event store and the topic, and their comparison."""
    return pes(env, "verify", "--source", "both")


def changed_a_byte(value: bytes) -> bytes:
    changed = value.replace(EMPLOYER, EMPLOYER[:-1] + b"z", 1)
    assert changed != value
    return changed


def change_a_byte_in_the_store(settings: Settings, case_id: str) -> None:
    """Rewrites one letter of a recorded outcome (version 2) in the SQLite store."""
    stored_id = UUID(case_id).hex
    with sqlite3.connect(settings.sqlite_path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 2",
            (stored_id,),
        ).fetchone()
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 2",
            (changed_a_byte(bytes(state)), stored_id),
        )


def change_a_byte_on_the_topic(settings: Settings, case_id: str, value: bytes) -> None:
    """Publishes a copy of a case's outcome with one letter changed, as a redelivery would."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    try:
        producer.send(settings.case_events_topic, key=case_id.encode(), value=changed_a_byte(value))
        producer.flush()
    finally:
        producer.close()


def test_no_process_dies_and_every_copy_stays_true_through_kills_and_a_broker_outage(
    own_broker: LocalKafka, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        case_events_partitions=3,
    )
    ensure_topics(own_broker.bootstrap_servers, case_event_topics(settings))
    create_the_store(settings)
    env = pes_env(settings, PES_RELAY_BATCH_SIZE="25", PES_CONSUMER_SESSION_TIMEOUT_MS="6000")
    processes = Processes(env, tmp_path)
    load = Load(settings)
    try:
        processes.start("relay", "relay")
        processes.start("caseload", "project", "caseload")
        processes.start("deadlines", "deadlines", "--every", "2")
        load.start()

        # The relay, SIGKILLed whenever it has published a few more batches.
        for _ in range(RELAY_KILLS):
            target = relay_position(settings) + 60
            wait_for(lambda t=target: relay_position(settings) >= t, timeout=120, what="relay")
            processes.kill("relay")
            assert set(processes.dead()) == {"relay"}
            processes.start("relay", "relay")
        target = relay_position(settings) + 60
        wait_for(lambda: relay_position(settings) >= target, timeout=120, what="relay restarted")

        # The broker, stopped while the load goes on, until the relay has gone unacknowledged
        # past every client timeout; the relay is SIGKILLed once more meanwhile, and its
        # successor starts while the broker is still down.
        own_broker.stop()
        outage_began = time.monotonic()
        relayed = settings.case_events_topic
        wait_for(
            lambda: processes.metric("relay", "pes_relay_broker_reachable", topic=relayed) == 0,
            timeout=120,
            what="the relay to see the outage",
        )
        wait_for(
            lambda: (
                (
                    processes.metric(
                        "relay", "pes_relay_seconds_since_acknowledgement", topic=relayed
                    )
                    or 0
                )
                > 2 * DELIVERY_TIMEOUT_SECONDS
            ),
            timeout=120,
            what="an outage past the relay's delivery timeout",
        )
        processes.kill("relay")
        processes.start("relay", "relay")
        wait_for(
            lambda: (
                "relay start: broker unavailable" in processes.log("relay")
                and time.monotonic() > outage_began + OUTAGE_SECONDS
            ),
            timeout=180,
            what=f"a relay started during the outage, and an outage of {OUTAGE_SECONDS} s",
        )
        assert processes.dead() == {}
        own_broker.start()
        target = relay_position(settings) + 60
        wait_for(lambda: relay_position(settings) >= target, timeout=180, what="relay resumed")

        # The projection, SIGKILLed once it is applying again.
        view = open_caseload_view(settings)
        applied = view.positions_total(settings.case_events_topic)
        wait_for(
            lambda: view.positions_total(settings.case_events_topic) > applied + 50,
            timeout=180,
            what="the projection to apply after the outage",
        )
        processes.kill("caseload")
        processes.start("caseload", "project", "caseload")
        target = relay_position(settings) + 100
        wait_for(lambda: relay_position(settings) >= target, timeout=180, what="more load")
        load.finish()

        assert processes.dead() == {}
        assert load.errors == []
        assert load.recorded > 0
        # The deadline process stops first: it records terminations as the view catches up.
        wait_for(
            lambda: (
                processes.metric("deadlines", "pes_deadline_broker_reachable") == 1
                and processes.metric("deadlines", "pes_deadline_alerts_unsent") == 0
            ),
            timeout=120,
            what="the deadline process to send the alerts the outage held back",
        )
        assert processes.stop("deadlines") == 0
        wait_for(
            lambda: relay_position(settings) == recorded(settings),
            timeout=180,
            what="the relay to publish everything",
        )
        end = topic_end(settings)
        wait_for(
            lambda: view.positions_total(settings.case_events_topic) == end,
            timeout=180,
            what="the projection to apply everything",
        )
        assert processes.stop("relay") == 0
        assert processes.stop("caseload") == 0
    finally:
        load.stop.set()
        processes.close()

    repeats = assert_the_topic_holds_the_store(settings)
    print(f"{load.recorded} commands recorded, {repeats} repeated deliveries on the topic")

    rebuilt_dir = tmp_path / "rebuilt"
    rebuilt = pes(env, "rebuild", "caseload", "--into", str(rebuilt_dir), "--workers", "1")
    assert rebuilt.returncode == 0, rebuilt.stderr
    clean = open_caseload_view(settings.model_copy(update={"data_dir": rebuilt_dir}))
    assert view.snapshot() == clean.snapshot()
    clean.close()
    view.close()

    refusal_relay = build_refusal_relay(settings)  # the load's refused commands, if any
    refusal_relay.drain()
    refusal_relay.close()
    intact = verify_both_copies(env)
    assert intact.returncode == 0, intact.stdout + intact.stderr

    outcomes = [
        (case_id, value)
        for (case_id, version), value in stored_events(settings).items()
        if version == 2 and EMPLOYER in value
    ]
    assert len(outcomes) >= 4, "the load recorded too few outcomes to tamper with"
    in_store, on_topic = outcomes[:2], outcomes[2:4]
    for case_id, _ in in_store:
        change_a_byte_in_the_store(settings, case_id)
    for case_id, value in on_topic:
        change_a_byte_on_the_topic(settings, case_id, value)
    tampered = verify_both_copies(env)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    for case_id, _ in in_store + on_topic:  # every break, not only the first one
        assert f"(id {case_id})" in tampered.stdout, tampered.stdout
