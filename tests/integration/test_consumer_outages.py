"""A read model's consumer outlives the loss of its group membership and a broker outage: it
rejoins, catches up to the topic's end on its own, and applies nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient

from application.bootstrap import READ_MODELS, build_case_management, build_relay, rebuild
from application.settings import Settings, as_environment
from application.synthetic import SyntheticCaseload, drive
from tests.conftest import unique
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


@contextmanager
def projection_process(
    settings: Settings, log_path: Path, **extra_env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`pes project caseload` as a child process, stopped with SIGTERM on the way out."""
    env = {**os.environ, **as_environment(settings), **extra_env}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "project", "caseload"],
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
    )
    app = build_case_management(settings)
    commands = list(SyntheticCaseload(seed=21, cases=120).commands())
    half = len(commands) // 2
    assert drive(app, commands[:half]).unexpected == []
    relay = build_relay(settings, app)
    total = relay.drain()
    live = READ_MODELS["caseload"].open(settings)
    log_path = tmp_path / "projection.log"
    wait_until = waiter(log_path)
    try:
        with projection_process(settings, log_path) as projection:
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
            assert projection.poll() is None, log_path.read_text()
            projection.send_signal(signal.SIGTERM)
            assert projection.wait(timeout=60) == 0, log_path.read_text()
    finally:
        relay.close()
        live.close()

    assert_equal_to_a_clean_rebuild(settings, tmp_path, app, total)
