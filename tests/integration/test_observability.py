"""Metrics and structured logs: commands, refusals, relay and consumer positions and lag."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path
from urllib.request import urlopen

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.lease import FileLease, ReportedLease
from adapters.metrics import Metrics
from adapters.structured_logging import JsonFormatter, configure_logging
from application.bootstrap import (
    build_case_management,
    build_caseload_projection,
    build_refusal_relay,
    build_relay,
)
from application.settings import Settings
from domain.errors import RuleViolation
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.conftest import unique
from tests.topic_reader import wait_for


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_commands_and_refusals_are_counted_by_command_outcome_and_rule(tmp_path: Path) -> None:
    metrics = Metrics()
    app = build_case_management(Settings(data_dir=tmp_path), metrics=metrics)
    app.open_case(open_case("VR-M1"), CASEWORKER)
    app.handle(record_outcome("VR-M1"), CASEWORKER)
    with pytest.raises(RuleViolation) as refusal:
        app.handle(record_outcome("VR-M1"), CASEWORKER)
    assert refusal.value.rule_id == "VR-01"

    assert value(metrics, "pes_commands_total", command="OpenCase", outcome="recorded") == 1
    assert value(metrics, "pes_commands_total", command="RecordOutcome", outcome="recorded") == 1
    assert value(metrics, "pes_commands_total", command="RecordOutcome", outcome="refused") == 1
    assert value(metrics, "pes_refusals_total", rule_id="VR-01") == 1
    assert value(metrics, "pes_events_recorded_total") == 2


def test_a_refusal_without_a_rule_is_counted_under_none(tmp_path: Path) -> None:
    metrics = Metrics()
    app = build_case_management(Settings(data_dir=tmp_path), metrics=metrics)
    app.open_case(open_case("VR-M2"), CASEWORKER)
    with pytest.raises(Exception, match="already opened"):
        app.open_case(open_case("VR-M2"), CASEWORKER)

    assert value(metrics, "pes_commands_total", command="OpenCase", outcome="refused") == 1
    assert value(metrics, "pes_refusals_total", rule_id="none") == 1


def test_refusals_are_logged_with_the_command_case_and_rule(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_case_management(Settings(data_dir=tmp_path))
    app.open_case(open_case("VR-M3"), CASEWORKER)
    app.handle(record_outcome("VR-M3"), CASEWORKER)
    with caplog.at_level(logging.INFO, logger="pes.commands"), pytest.raises(RuleViolation):
        app.handle(record_outcome("VR-M3"), CASEWORKER)

    (record,) = [r for r in caplog.records if r.name == "pes.commands"]
    assert record.__dict__["rule_id"] == "VR-01"
    assert record.__dict__["command"] == "RecordOutcome"
    assert record.__dict__["case_id"] == str(record_outcome("VR-M3").case_id)


@pytest.fixture
def kafka_settings(tmp_path: Path, kafka_bootstrap: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )


@pytest.mark.kafka
def test_relay_position_lag_and_published_after_drain(kafka_settings: Settings) -> None:
    metrics = Metrics()
    app = build_case_management(kafka_settings)
    for number in case_numbers("VR-MR", 5):
        app.open_case(open_case(number), CASEWORKER)
    relay = build_relay(kafka_settings, app, metrics=metrics)
    topic = kafka_settings.case_events_topic
    try:
        assert value(metrics, "pes_relay_lag_events", topic=topic) == 5  # reported on start
        assert value(metrics, "pes_relay_position", topic=topic) == 0

        relay.drain()

        assert value(metrics, "pes_relay_position", topic=topic) == 5
        assert value(metrics, "pes_relay_lag_events", topic=topic) == 0
        assert value(metrics, "pes_relay_published_total", topic=topic) == 5
        assert value(metrics, "pes_relay_broker_reachable", topic=topic) == 1
    finally:
        relay.close()


@pytest.mark.kafka
def test_the_refusal_relay_reports_in_series_of_its_own_beside_the_case_event_relay(
    kafka_settings: Settings,
) -> None:
    """As in `pes run`: both relays in one process, one registry, a series each by topic."""
    settings = kafka_settings.model_copy(
        update={"command_refusals_topic": unique("test.command-refusals")}
    )
    events, refusals = settings.case_events_topic, settings.command_refusals_topic
    metrics = Metrics()
    app = build_case_management(settings)
    app.open_case(open_case("VR-MF"), CASEWORKER)
    app.handle(record_outcome("VR-MF"), CASEWORKER)
    with pytest.raises(RuleViolation):
        app.handle(record_outcome("VR-MF"), CASEWORKER)  # VR-01: its decision record is kept
    relay = build_relay(settings, app, metrics=metrics)
    refusal_relay = build_refusal_relay(settings, metrics=metrics)
    try:
        assert value(metrics, "pes_relay_lag_events", topic=events) == 2  # reported on start
        assert value(metrics, "pes_relay_lag_events", topic=refusals) == 1

        refusal_relay.drain()

        assert value(metrics, "pes_relay_published_total", topic=refusals) == 1
        assert value(metrics, "pes_relay_lag_events", topic=refusals) == 0
        assert value(metrics, "pes_relay_broker_reachable", topic=refusals) == 1
        assert value(metrics, "pes_relay_published_total", topic=events) == 0
        assert value(metrics, "pes_relay_lag_events", topic=events) == 2

        relay.drain()

        assert value(metrics, "pes_relay_published_total", topic=events) == 2
        assert value(metrics, "pes_relay_published_total", topic=refusals) == 1
        seconds = value(metrics, "pes_relay_seconds_since_acknowledgement", topic=refusals)
        assert seconds is not None and 0 <= seconds < 60
    finally:
        relay.close()
        refusal_relay.close()
        app.close()


def test_a_replica_reports_whether_it_holds_its_singletons_lease(tmp_path: Path) -> None:
    name = "pes-deadlines"
    first_metrics, second_metrics = Metrics(), Metrics()

    def replica(metrics: Metrics) -> ReportedLease:
        lease = FileLease(tmp_path / "leases" / f"{name}.lock", name, poll=0.05)
        return ReportedLease(lease, metrics.singleton_observer(name))

    def active(metrics: Metrics) -> float | None:
        return value(metrics, "pes_singleton_active", singleton=name)

    first, second = replica(first_metrics), replica(second_metrics)
    assert active(first_metrics) == active(second_metrics) == 0  # every replica starts standing by
    stop = threading.Event()
    assert first.acquire(stop)
    assert active(first_metrics) == 1
    taking_over = threading.Thread(target=second.acquire, args=(stop,))
    taking_over.start()
    try:
        assert active(second_metrics) == 0  # it waits: the first holds the lease
        first.release()
        assert active(first_metrics) == 0
        taking_over.join(timeout=30)
        assert not taking_over.is_alive()
        assert active(second_metrics) == 1
    finally:
        stop.set()
        taking_over.join(timeout=30)
        second.release()
    assert active(second_metrics) == 0


@pytest.mark.kafka
def test_a_standby_relay_reports_itself_active_while_it_runs(kafka_settings: Settings) -> None:
    metrics = Metrics()
    relay = build_relay(kafka_settings, metrics=metrics, standby=True)
    singleton = f"pes-relay:{kafka_settings.case_events_topic}"
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop, 0.05))
    try:
        assert value(metrics, "pes_singleton_active", singleton=singleton) == 0
        running.start()
        wait_for(
            lambda: value(metrics, "pes_singleton_active", singleton=singleton) == 1,
            what="the only replica to become the active one",
        )
    finally:
        stop.set()
        running.join(timeout=60)
        relay.close()
    assert not running.is_alive()
    assert value(metrics, "pes_singleton_active", singleton=singleton) == 0


@pytest.mark.kafka
def test_consumer_position_and_lag_per_partition_after_a_poll(kafka_settings: Settings) -> None:
    app = build_case_management(kafka_settings)
    for number in case_numbers("VR-MC", 12):
        app.open_case(open_case(number), CASEWORKER)
    relay = build_relay(kafka_settings, app)
    relay.drain()
    relay.close()
    metrics = Metrics()
    projection = build_caseload_projection(
        kafka_settings, group_id=unique("test-metrics"), metrics=metrics
    )
    topic = kafka_settings.case_events_topic
    labels = [{"view": "caseload", "topic": topic, "partition": str(p)} for p in range(3)]

    def positions() -> list[float | None]:
        return [value(metrics, "pes_consumer_position", **lab) for lab in labels]

    def lags() -> list[float | None]:
        return [value(metrics, "pes_consumer_lag_messages", **lab) for lab in labels]

    try:
        wait_for(
            lambda: (
                projection.poll_once(timeout_ms=100) >= 0
                # One transaction: each partition ends with its commit marker, read past too.
                and sum(p or 0 for p in positions()) == 12 + 3
                and lags() == [0, 0, 0]
            ),
            what="all 12 messages applied and reported with zero lag",
        )
        assert all(p is not None and p > 0 for p in positions())  # 12 keys hash to all 3
    finally:
        projection.close()


def test_the_api_serves_metrics_in_the_text_exposition_format(tmp_path: Path) -> None:
    from tests.integration.api_support import CASEWORKER as API_CASEWORKER
    from tests.integration.api_support import api_client, send
    from tests.integration.api_support import open_case as api_open_case

    with api_client(tmp_path) as client:
        assert send(client, API_CASEWORKER, api_open_case("VR-MA")).status_code == 201
        response = client.get("/metrics")  # no token: a scrape target, see docs/operations.md

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    (sample,) = [
        s
        for s in families["pes_commands"].samples
        if s.name == "pes_commands_total" and s.labels["command"] == "OpenCase"
    ]
    assert sample.labels["outcome"] == "recorded" and sample.value == 1
    assert "/metrics" not in client.app.openapi()["paths"]  # type: ignore[attr-defined]


def test_the_metrics_server_of_long_running_commands_serves_the_registry() -> None:
    metrics = Metrics()
    metrics.deadline_alerts.inc(3)
    server = metrics.serve(0)
    try:
        with urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.close()
    assert "pes_deadline_alerts_total 3.0" in body


def test_json_logs_are_one_parseable_object_per_line_with_the_extra_fields() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    try:
        log = logging.getLogger("pes.test")
        log.info("refused %s", "RecordOutcome", extra={"case_id": "c-1", "rule_id": "VR-01"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed", extra={"command": "OpenCase"})
    finally:
        configure_logging("text")

    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["level"] == "INFO" and first["logger"] == "pes.test"
    assert first["message"] == "refused RecordOutcome"
    assert first["case_id"] == "c-1" and first["rule_id"] == "VR-01"
    assert first["time"].endswith("+00:00")
    assert second["command"] == "OpenCase" and "ValueError: boom" in second["exception"]


def test_text_logs_stay_human_readable() -> None:
    record = logging.LogRecord("pes", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    assert JsonFormatter().format(record).startswith("{")
    stream = io.StringIO()
    configure_logging("text", stream=stream)
    try:
        logging.getLogger("pes.test").info("hello there", extra={"rule_id": "VR-01"})
    finally:
        configure_logging("text")
    assert stream.getvalue().rstrip().endswith("INFO pes.test hello there")
