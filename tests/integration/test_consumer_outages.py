"""A read model's consumer outlives the loss of its group membership and a broker outage: it
rejoins, catches up to the topic's end on its own, and applies nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from kafka.admin import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from application.bootstrap import READ_MODELS, build_case_management, build_relay, rebuild
from application.settings import Settings, as_environment
from scripts.local_kafka import LocalKafka
from synthetic import SyntheticCaseload, drive
from tests.conftest import unique
from tests.outage_support import free_port
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """The group's state and how many members the broker counts in it."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-group-probe")
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    return str(described.get("group_state")), len(described.get("members") or ())


def scrape(port: int) -> dict[str, float]:
    """The caseload consumer's health metrics, by name; empty if the server does not answer."""
    try:
        with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return {}
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("view") == "caseload" and "partition" not in sample.labels
    }


@contextmanager
def projection_process(
    settings: Settings, log_path: Path, *args: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`pes project caseload` as a child process, stopped with SIGTERM on the way out."""
    env = {**os.environ, **as_environment(settings)}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "project", "caseload", *args],
            cwd=REPOSITORY,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def pes_status(settings: Settings) -> str:
    status = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "status"],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(settings)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    return status.stdout


def waiter(log_path: Path) -> Callable[..., Any]:
    def wait_until(condition: Callable[[], Any], what: str, timeout: float = 120) -> Any:
        try:
            return wait_for(condition, timeout=timeout, what=what)
        except TimeoutError as error:
            raise AssertionError(f"{error}; projection log:\n{log_path.read_text()}") from None

    return wait_until


def assert_equal_to_a_clean_rebuild(
    settings: Settings, tmp_path: Path, app: Any, total: int
) -> None:
    live = READ_MODELS["caseload"].open(settings)
    clean = settings.model_copy(update={"data_dir": tmp_path / "rebuilt"})
    try:
        assert rebuild(clean, "caseload") == total
        rebuilt = READ_MODELS["caseload"].open(clean)
        try:
            assert live.snapshot() == rebuilt.snapshot()
        finally:
            rebuilt.close()
        recorded = {str(case_id): app.get_case(case_id).version for case_id in app.case_ids()}
        assert live.applied_versions() == recorded
    finally:
        live.close()


def test_a_projection_paused_past_its_session_timeout_rejoins_its_group_and_catches_up_once(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    group = unique("test-paused")
    settings = Settings(
        data_dir=tmp_path / "live",
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        deadline_alerts_topic=unique("test.alerts"),
        case_events_partitions=3,
        caseload_group_id=group,
        consumer_max_poll_records=50,
        consumer_session_timeout_ms=6_000,  # the broker's minimum: the pause outlasts it sooner
    )
    caseload = SyntheticCaseload(seed=21, cases=120)
    # Its history runs past the real today: the application's clock must reach its last day.
    app = build_case_management(settings, clock=caseload.last_day)
    commands = list(caseload.commands())
    half = len(commands) // 2
    assert drive(app, commands[:half]).unexpected == []
    relay = build_relay(settings, app)
    total = relay.drain()
    live = READ_MODELS["caseload"].open(settings)
    log_path = tmp_path / "projection.log"
    wait_until = waiter(log_path)
    metrics_port = free_port()
    try:
        with projection_process(
            settings, log_path, "--metrics-port", str(metrics_port)
        ) as projection:
            wait_until(
                lambda: live.positions_total(settings.case_events_topic) >= total,
                "the projection to apply the first half",
            )
            wait_until(
                lambda: group_members(kafka_bootstrap, group) == ("Stable", 1),
                "the projection to be the group's one member",
            )

            projection.send_signal(signal.SIGSTOP)
            try:
                assert drive(app, commands[half:]).unexpected == []
                total += relay.drain()
                # Frozen, it sends no heartbeat: the broker removes it when its session expires.
                wait_until(
                    lambda: group_members(kafka_bootstrap, group)[1] == 0,
                    "the broker to remove the paused member from the group",
                    timeout=90,
                )
                assert f"group {group}: no member (Empty): nothing feeds it" in pes_status(settings)
            finally:
                projection.send_signal(signal.SIGCONT)

            wait_until(
                lambda: live.positions_total(settings.case_events_topic) >= total,
                "the resumed projection to catch up to the topic's end",
            )
            wait_until(
                lambda: group_members(kafka_bootstrap, group) == ("Stable", 1),
                "the resumed projection to rejoin its group",
            )
            health = wait_until(
                lambda: (m := scrape(metrics_port)).get("pes_consumer_rejoins_total") and m,
                "the resumed projection to count its rejoin",
            )
            assert health["pes_consumer_broker_reachable"] == 1
            assert health["pes_consumer_stalled"] == 0
            assert f"group {group}: 1 member(s) (Stable)" in pes_status(settings)
            assert projection.poll() is None, log_path.read_text()
            projection.send_signal(signal.SIGTERM)
            assert projection.wait(timeout=60) == 0, log_path.read_text()
    finally:
        relay.close()
        live.close()

    assert_equal_to_a_clean_rebuild(settings, tmp_path, app, total)


@pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="stops and restarts a broker of its own (the local launcher)",
)
def test_a_projection_outlives_a_broker_outage_longer_than_its_client_timeouts_and_catches_up(
    tmp_path: Path,
) -> None:
    port, metrics_port = free_port(), free_port()
    broker = LocalKafka(tmp_path / "kafka", port=port)
    brokers = [broker]
    broker.start()
    try:
        settings = Settings(
            data_dir=tmp_path / "live",
            kafka_bootstrap_servers=broker.bootstrap_servers,
            case_events_topic="test.case-events",
            deadline_alerts_topic="test.alerts",
            case_events_partitions=3,
            consumer_max_poll_records=50,
        )
        caseload = SyntheticCaseload(seed=22, cases=120)
        # Its history runs past the real today: the application's clock must reach its last day.
        app = build_case_management(settings, clock=caseload.last_day)
        commands = list(caseload.commands())
        half = len(commands) // 2
        assert drive(app, commands[:half]).unexpected == []
        relay = build_relay(settings, app)
        total = relay.drain()
        relay.close()
        live = READ_MODELS["caseload"].open(settings)
        log_path = tmp_path / "projection.log"
        wait_until = waiter(log_path)
        try:
            with projection_process(
                settings, log_path, "--metrics-port", str(metrics_port)
            ) as projection:
                wait_until(
                    lambda: live.positions_total(settings.case_events_topic) >= total,
                    "the projection to apply the first half",
                )
                wait_until(
                    lambda: scrape(metrics_port).get("pes_consumer_broker_reachable") == 1,
                    "the projection to report the broker reachable",
                )

                broker.stop()
                # Longer than every client timeout: the session (10 s), a request (30 s).
                back_after = time.monotonic() + 40
                assert drive(app, commands[half:]).unexpected == []  # recorded meanwhile
                wait_until(
                    lambda: scrape(metrics_port).get("pes_consumer_broker_reachable") == 0,
                    "the projection to report the broker unreachable",
                )
                wait_until(
                    lambda: time.monotonic() > back_after and projection.poll() is None,
                    "the outage to outlast the client timeouts",
                )
                assert projection.poll() is None, log_path.read_text()

                brokers.append(LocalKafka(tmp_path / "kafka", port=port))
                brokers[-1].start()  # the same port and data
                relay = build_relay(settings, app)
                total += relay.drain()
                relay.close()
                wait_until(
                    lambda: live.positions_total(settings.case_events_topic) >= total,
                    "the projection to catch up after the outage",
                )
                health = wait_until(
                    lambda: (
                        (m := scrape(metrics_port)).get("pes_consumer_broker_reachable") == 1 and m
                    ),
                    "the projection to report the broker reachable again",
                )
                assert health["pes_consumer_stalled"] == 0
                assert projection.poll() is None, log_path.read_text()
                projection.send_signal(signal.SIGTERM)
                assert projection.wait(timeout=60) == 0, log_path.read_text()
        finally:
            live.close()

        log = log_path.read_text()
        # Logged once when it began and once when it ended, not once per retry.
        assert log.count("lost the broker or its group") == 1, log
        assert log.count("is back after") == 1, log
        assert_equal_to_a_clean_rebuild(settings, tmp_path, app, total)
    finally:
        for each in brokers:
            each.stop()


@pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
    reason="stops and restarts a broker of its own (the local launcher)",
)
def test_a_projection_started_during_a_broker_outage_waits_for_the_broker_and_catches_up(
    tmp_path: Path,
) -> None:
    port = free_port()
    brokers = [LocalKafka(tmp_path / "kafka", port=port)]
    brokers[0].start()
    try:
        settings = Settings(
            data_dir=tmp_path / "live",
            kafka_bootstrap_servers=brokers[0].bootstrap_servers,
            case_events_topic="test.case-events",
            deadline_alerts_topic="test.alerts",
            case_events_partitions=3,
        )
        caseload = SyntheticCaseload(seed=23, cases=40)
        app = build_case_management(settings, clock=caseload.last_day)
        assert drive(app, caseload.commands()).unexpected == []
        relay = build_relay(settings, app)
        total = relay.drain()
        relay.close()
        brokers[0].stop()

        live = READ_MODELS["caseload"].open(settings)
        log_path = tmp_path / "projection.log"
        wait_until = waiter(log_path)
        try:
            with projection_process(settings, log_path) as projection:
                wait_until(
                    lambda: "projection start: broker unavailable" in log_path.read_text(),
                    "the projection to report that it waits for the broker",
                )
                assert projection.poll() is None, log_path.read_text()

                brokers.append(LocalKafka(tmp_path / "kafka", port=port))
                brokers[-1].start()  # the same port and data
                wait_until(
                    lambda: live.positions_total(settings.case_events_topic) >= total,
                    "the projection to apply the topic once the broker is back",
                )
                assert projection.poll() is None, log_path.read_text()
                projection.send_signal(signal.SIGTERM)
                assert projection.wait(timeout=60) == 0, log_path.read_text()
        finally:
            live.close()
        assert "broker available again" in log_path.read_text()
        assert_equal_to_a_clean_rebuild(settings, tmp_path, app, total)
    finally:
        for each in brokers:
            each.stop()
