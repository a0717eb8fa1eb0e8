"""The reports as a downstream team runs them: consumer from Kafka, then `pes reports`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from application.bootstrap import build_case_management, build_relay, open_reporting_store, rebuild
from application.settings import Settings, as_environment
from consumers.reporting import reports
from consumers.reporting.export import to_csv, to_json
from synthetic import SyntheticCaseload, drive

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


def pes(settings: Settings, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(settings)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_reports_built_from_the_topic_are_printed_as_csv_and_json(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    from tests.conftest import unique

    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )
    app = build_case_management(settings)
    assert drive(app, SyntheticCaseload(seed=51, cases=80).commands()).unexpected == []
    relay = build_relay(settings, app)
    published = relay.drain()
    relay.close()
    assert rebuild(settings, "reporting") == published
    store = open_reporting_store(settings)
    period = reports.Period(date(2023, 1, 1), date(2027, 12, 31))
    expected_timeliness = reports.timeliness(store, [period])
    expected_outcomes = reports.outcomes(store, date(2026, 6, 30))
    expected_participants = reports.participant_outcomes(store, date(2026, 6, 30))
    expected_exits = reports.exits_by_quarter(store, date(2026, 6, 30))
    store.close()
    assert expected_timeliness[0].requests_received > 0 and expected_outcomes
    assert any(row.jobs for row in expected_participants) and expected_exits

    printed = pes(
        settings,
        "reports",
        "timeliness",
        "--from",
        "2023-01-01",
        "--to",
        "2027-12-31",
        "--format",
        "json",
    )
    outcomes_csv = pes(settings, "reports", "outcomes", "--as-of", "2026-06-30")

    assert printed == to_json(expected_timeliness, reports.TimelinessRow)
    assert json.loads(printed)[0]["requests_received"] == expected_timeliness[0].requests_received
    assert outcomes_csv == to_csv(expected_outcomes, reports.OutcomeRow)
    assert pes(settings, "reports", "participants", "--as-of", "2026-06-30") == to_csv(
        expected_participants, reports.ParticipantOutcomeRow
    )
    assert pes(
        settings, "reports", "exits", "--by-quarter", "--as-of", "2026-06-30", "--format", "json"
    ) == to_json(expected_exits, reports.ExitQuarterRow)
