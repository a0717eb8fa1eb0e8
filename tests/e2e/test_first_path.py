"""The system as `make run` starts it: a case opened and its outcome recorded reach the caseload."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from application.bootstrap import build_case_management, open_caseload_view
from application.settings import Settings
from domain.case import case_id_for
from synthetic import SyntheticCaseload
from tests.builders import CASEWORKER, new_employment_case_numbers, open_case, record_outcome
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pes_status(env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "status"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_an_outcome_recorded_in_the_application_shows_in_the_caseload_view(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PES_")}
    env["PES_DATA_DIR"] = str(tmp_path)
    env["PES_CASE_EVENTS_TOPIC"] = f"e2e.case-events.{tmp_path.name}"
    log_path = tmp_path / "pes-run.log"
    api_port = free_port()
    with log_path.open("wb") as log:
        system = subprocess.Popen(
            [
                *(sys.executable, "-m", "scripts.cli", "run", "--demo", "20", "--tick", "1"),
                *("--api-port", str(api_port)),
            ],
            cwd=REPOSITORY,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: "pes is running" in log_path.read_text() or system.poll() is not None,
                timeout=180,
                what="`pes run` to start",
            )
            assert system.poll() is None, log_path.read_text()
            settings = Settings(data_dir=tmp_path, case_events_topic=env["PES_CASE_EVENTS_TOPIC"])
            app = build_case_management(settings)
            app.open_case(open_case("VR-E2E-1", caseworker="cw-grace"), CASEWORKER)
            app.handle(record_outcome("VR-E2E-1"), CASEWORKER)
            view = open_caseload_view(settings)

            entry = wait_for(
                lambda: (e := view.case(str(case_id_for("VR-E2E-1")))) and e.version == 2 and e,
                what="the case in the caseload view",
            )

            assert entry.status == "monitoring"
            assert entry.caseworker_id == "cw-grace"
            # The twenty demo cases, the new employment program cases their determinations
            # opened by today, and ours; in other partitions, so they may arrive later.
            today = datetime.now(UTC).date()
            demo = SyntheticCaseload(seed=1, cases=20, start=today - timedelta(days=540))
            cases = 20 + len(new_employment_case_numbers(demo, up_to=today)) + 1
            wait_for(lambda: len(view.cases()) == cases, what="all the cases in the view")
            # The API `pes run` serves reads the same view (development tokens).
            caseloads = httpx.get(
                f"http://127.0.0.1:{api_port}/caseloads",
                headers={"Authorization": "Bearer dev-caseworker"},
                timeout=10,
            )
            assert caseloads.status_code == 200, caseloads.text
            assert len(caseloads.json()["cases"]) == cases
            # The demo keeps recording, so the view is read before the count it must not exceed.
            projected = sum(e.version for e in view.cases())
            status = wait_for(
                lambda: (
                    (out := pes_status(env)) and re.search(r"up to (\d+) \(lag 0\)", out) and out
                ),
                what="`pes status` to report the relay caught up",
            )
            recorded = int(re.search(r"(\d+) events recorded", status).group(1))
            assert recorded > 21
            assert projected <= recorded
        finally:
            system.send_signal(signal.SIGTERM)
            exit_code = system.wait(timeout=60)
    assert exit_code == 0, log_path.read_text()
