"""A read model's consumer killed with SIGKILL mid-batch, again and again, ends equal to a clean
rebuild: the caseload view, the billing ledger and the reports alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from application.bootstrap import READ_MODELS, build_case_management, build_relay, rebuild
from application.settings import Settings, as_environment
from synthetic import SyntheticCaseload, drive
from tests.builders import new_employment_case_numbers
from tests.conftest import unique
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("read_model", list(READ_MODELS))
def test_a_consumer_killed_mid_batch_resumes_without_double_counts_or_gaps(
    tmp_path: Path, kafka_bootstrap: str, read_model: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "live",
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        deadline_alerts_topic=unique("test.alerts"),
        case_events_partitions=3,
        **{f"{read_model}_group_id": unique("test-crash")},
        consumer_max_poll_records=40,  # many small transactions, so kills land between and inside
        # Each restart waits out the killed member's session: the broker's minimum.
        consumer_session_timeout_ms=6_000,
    )
    caseload = SyntheticCaseload(seed=5, cases=250)
    # Its history runs past the real today: the store lives at the caseload's last day.
    last_day = caseload.last_day()
    app = build_case_management(settings, clock=lambda: last_day)
    assert drive(app, caseload.commands()).unexpected == []
    relay = build_relay(settings, app)
    total = relay.drain()
    relay.close()
    live = READ_MODELS[read_model].open(settings)
    command = "project" if read_model == "caseload" else "consume"
    env = {**os.environ, **as_environment(settings)}
    log_path = tmp_path / "projection.log"

    with log_path.open("ab") as log:

        def start_projection() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "scripts.cli", command, read_model],
                cwd=REPOSITORY,
                env=env,
                stdout=log,
                stderr=log,
            )

        def wait_until(condition: Callable[[], bool], what: str) -> None:
            try:
                wait_for(condition, timeout=180, what=what)
            except TimeoutError as error:
                raise AssertionError(f"{error}; projection log:\n{log_path.read_text()}") from None

        for kill_at in (total // 5, total // 2, 4 * total // 5):
            projection = start_projection()
            try:
                wait_until(
                    lambda p=projection, k=kill_at: (
                        live.positions_total(settings.case_events_topic) >= k
                        or p.poll() is not None
                    ),
                    f"the projection to pass {kill_at} messages",
                )
                assert projection.poll() is None, log_path.read_text()
            finally:
                projection.send_signal(signal.SIGKILL)
                projection.wait(timeout=30)

        started = f"consuming {settings.case_events_topic}"
        before = log_path.read_text().count(started)
        projection = start_projection()
        try:
            # The killed one may have applied everything already: SIGTERM must not reach this
            # one while it is still starting, before it handles the signal.
            wait_until(
                lambda: log_path.read_text().count(started) > before,
                "the last projection to start consuming",
            )
            wait_until(
                lambda: live.positions_total(settings.case_events_topic) >= total,
                "the projection to finish",
            )
        finally:
            projection.send_signal(signal.SIGTERM)
            exit_code = projection.wait(timeout=30)
        assert exit_code == 0, log_path.read_text()

    clean = settings.model_copy(update={"data_dir": tmp_path / "rebuilt"})
    assert rebuild(clean, read_model) == total
    rebuilt = READ_MODELS[read_model].open(clean)
    assert live.snapshot() == rebuilt.snapshot()
    recorded = {str(case_id): app.get_case(case_id).version for case_id in app.case_ids()}
    # The planned cases and the new employment program cases their determinations opened.
    assert len(recorded) == 250 + len(new_employment_case_numbers(caseload))
    assert live.applied_versions() == recorded
    live.close()
    rebuilt.close()
