"""`pes demo` loads the synthetic caseload and prints caseloads and deadlines."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from synthetic import SyntheticCaseload
from tests.builders import new_employment_case_numbers
from tests.conftest import unique

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_demo_prints_every_caseworkers_caseload_and_the_deadlines(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PES_")}
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PES_DATA_DIR=str(tmp_path),
        PES_CASE_EVENTS_TOPIC=unique("demo.case-events"),
        PES_DEADLINE_ALERTS_TOPIC=unique("demo.alerts"),
    )

    result = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "demo", "--cases", "60"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Caseloads on " in out and "Overdue (" in out and "Due in the next 30 days (" in out
    rows = [line for line in out.splitlines() if line.startswith("cw-")]
    # The 60 planned cases and the new employment program cases their determinations opened.
    today = datetime.now(UTC).date()
    planned = SyntheticCaseload(seed=1, cases=60, start=today - timedelta(days=540))
    cases = 60 + len(new_employment_case_numbers(planned, up_to=today))
    assert rows and sum(sum(int(n) for n in row.split()[1:]) for row in rows) == cases
