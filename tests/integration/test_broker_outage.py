"""A broker outage longer than every client timeout: the relay and `pes run` wait it out and resume."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from application.bootstrap import build_case_management
from application.settings import Settings
from scripts.local_kafka import LocalKafka
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.outage_support import (
    DELIVERY_TIMEOUT_SECONDS,
    assert_the_topic_holds_the_store,
    free_port,
    metric,
    pes_env,
    relay_position,
    start_pes,
)
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka


def record_cases(settings: Settings, numbers: list[str]) -> int:
    """Opens the cases and records their outcomes; returns the last notification id."""
    app = build_case_management(settings)
    for number in numbers:
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)
    last = app.recorder.max_notification_id() or 0
    app.close()
    return last


def stop_and_wait(process: subprocess.Popen[bytes], log_path: Path) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=120) == 0, log_path.read_text()
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_the_relay_outlives_an_outage_past_its_delivery_timeout_and_publishes_every_event(
    own_broker: LocalKafka, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        case_events_partitions=3,
    )
    numbers = case_numbers("VR-OUT", 150)
    last = record_cases(settings, numbers[:100])
    metrics_port = free_port()
    log_path = tmp_path / "relay.log"
    with log_path.open("ab") as log:
        relay = start_pes(
            pes_env(settings, PES_RELAY_BATCH_SIZE="25"),
            log,
            "relay",
            "--metrics-port",
            str(metrics_port),
        )
        try:
            wait_for(lambda: relay_position(settings) == last, timeout=120, what="the relay")

            own_broker.stop()
            last = record_cases(settings, numbers[100:])  # recorded while the broker is down
            wait_for(
                lambda: (
                    metric(
                        metrics_port, "pes_relay_broker_reachable", topic=settings.case_events_topic
                    )
                    == 0
                ),
                timeout=120,
                what="the relay to report the broker unreachable",
            )
            wait_for(
                lambda: (
                    (
                        metric(
                            metrics_port,
                            "pes_relay_seconds_since_acknowledgement",
                            topic=settings.case_events_topic,
                        )
                        or 0
                    )
                    > 3 * DELIVERY_TIMEOUT_SECONDS
                ),
                timeout=120,
                what="an outage three delivery timeouts long",
            )
            assert relay.poll() is None, log_path.read_text()
            assert relay_position(settings) < last

            own_broker.start()
            wait_for(
                lambda: relay_position(settings) == last,
                timeout=180,
                what="the relay to resume on its own",
            )
            assert relay.poll() is None, log_path.read_text()
            assert (
                metric(metrics_port, "pes_relay_broker_reachable", topic=settings.case_events_topic)
                == 1
            )
        finally:
            stop_and_wait(relay, log_path)
    text = log_path.read_text()
    assert text.count("broker unavailable") == 1, text
    assert text.count("broker available again") == 1, text
    assert_the_topic_holds_the_store(settings)


def relay_caught_up(settings: Settings) -> bool:
    """Read from the store alone: no Kafka client polls a broker that may be down (kafka-python
    leaves the socket of a refused connection open)."""
    app = build_case_management(settings)
    recorded = app.recorder.max_notification_id() or 0
    app.close()
    return relay_position(settings) == recorded


def test_pes_run_restarts_the_broker_it_started_and_the_api_accepts_commands_meanwhile(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    kafka_port, api_port, metrics_port = free_port(), free_port(), free_port()
    log_path = tmp_path / "pes-run.log"
    with log_path.open("ab") as log:
        system = start_pes(
            pes_env(settings),
            log,
            *("run", "--kafka-port", str(kafka_port), "--api-port", str(api_port)),
            *("--metrics-port", str(metrics_port), "--tick", "3600"),
        )
        try:
            wait_for(
                lambda: "pes is running" in log_path.read_text() or system.poll() is not None,
                timeout=180,
                what="`pes run` to start",
            )
            assert system.poll() is None, log_path.read_text()
            settings = settings.model_copy(
                update={"kafka_bootstrap_servers": f"127.0.0.1:{kafka_port}"}
            )
            api = httpx.Client(
                base_url=f"http://127.0.0.1:{api_port}",
                headers={"Authorization": "Bearer dev-caseworker"},
                timeout=30,
            )
            opened = api.post("/cases", json=open_case("VR-RUN-1").model_dump(mode="json"))
            assert opened.status_code == 201, opened.text
            wait_for(lambda: relay_caught_up(settings), timeout=120, what="the first case")

            pid_file = settings.data_dir / "kafka" / "broker.pid"
            first_broker = int(pid_file.read_text())
            os.kill(first_broker, signal.SIGKILL)
            during = api.post("/cases", json=open_case("VR-RUN-2").model_dump(mode="json"))
            assert during.status_code == 201, during.text

            wait_for(
                lambda: (
                    (metric(metrics_port, "pes_run_restarts_total", component="broker") or 0) >= 1
                    and pid_file.exists()
                    and int(pid_file.read_text()) != first_broker
                ),
                timeout=180,
                what="`pes run` to restart its broker",
            )
            wait_for(
                lambda: relay_caught_up(settings),
                timeout=180,
                what="the case opened during the outage to be published",
            )
            assert_the_topic_holds_the_store(settings)
            assert system.poll() is None, log_path.read_text()
            assert (api.get("/caseloads").status_code, system.poll()) == (200, None)
            api.close()
        finally:
            stop_and_wait(system, log_path)
    text = log_path.read_text()
    assert text.count("the local broker exited") == 1, text
    assert "stopping without waiting" not in text, text
