"""`pes` takes its arguments literally: a date is YYYY-MM-DD, a number is bounded, a candidate
policy's values are of their own kind; anything else is one line on stderr and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from application.settings import Settings, as_environment
from scripts.exit_codes import ExitCode

REPOSITORY = Path(__file__).resolve().parents[2]


def pes(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(Settings(data_dir=tmp_path))},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused_in_one_line(run: subprocess.CompletedProcess[str], *named: str) -> None:
    assert run.returncode == ExitCode.BAD_INPUT, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr
    for name in named:
        assert name in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("deadlines", "--today", "20250101"), ("--today", "YYYY-MM-DD")),
        (("caseload", "--today", "2025-W01-1"), ("--today", "YYYY-MM-DD")),
        (("audit", "VR-1", "--as-of", "2025-06-02T00:00:00"), ("--as-of", "YYYY-MM-DD")),
        (("billing", "unpaid", "--as-of", "1735689600"), ("--as-of", "YYYY-MM-DD")),
        (
            ("reports", "timeliness", "--from", "2025-01-01", "--to", "2025-02-30"),
            ("--to", "2025-02-30"),
        ),
        (("deadlines", "--today", "9999-12-31"), ("--today", "supported business dates")),
        (
            ("reports", "overrides", "--from", "2025-06-01", "--to", "2025-01-01"),
            ("--to 2025-01-01 is before --from 2025-06-01",),
        ),
    ],
)
def test_a_date_argument_not_yyyy_mm_dd_outside_the_calendar_or_reversed_is_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...], named: tuple[str, ...]
) -> None:
    assert_refused_in_one_line(pes(tmp_path, *args), *named)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("serve", "--port", "99999999999999999999"), ("--port", "65535")),
        (("demo", "--cases", str(2**63)), ("--cases",)),
        (("rebuild", "caseload", "--workers", "-1"), ("--workers",)),
        (("relay", "--metrics-port", "1.5"), ("--metrics-port", "whole number")),
        (("deadlines", "--every", "nan"), ("--every", "seconds")),
    ],
)
def test_an_out_of_range_or_non_integer_number_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], named: tuple[str, ...]
) -> None:
    assert_refused_in_one_line(pes(tmp_path, *args), *named)


@pytest.mark.parametrize(
    ("candidate", "field"),
    [
        ('{"max_service_duration_months": "12"}', "max_service_duration_months"),
        ('{"scope_days": true}', "scope_days"),
        ('{"initiation_window_months": 2.0}', "initiation_window_months"),
        ('{"termination_after_months": 99999999999999999999}', "termination_after_months"),
        ('{"effective_from": "20180102"}', "effective_from"),
    ],
)
def test_pes_replay_refuses_a_candidate_value_of_another_kind_naming_it(
    tmp_path: Path, candidate: str, field: str
) -> None:
    policy = tmp_path / "candidate.json"
    policy.write_text(candidate)

    assert_refused_in_one_line(pes(tmp_path, "replay", "--policy", str(policy)), field)


@pytest.mark.parametrize(
    "args",
    [("relay",), ("project", "caseload"), ("rebuild", "billing")],
)
def test_a_command_that_needs_kafka_says_so_in_one_line_and_exits_3_when_none_is_set(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    environment = {
        name: value for name, value in os.environ.items() if name != "KAFKA_BOOTSTRAP_SERVERS"
    }
    run = subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=REPOSITORY,
        env={**environment, **as_environment(Settings(data_dir=tmp_path))},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == ExitCode.UNAVAILABLE, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1].startswith(f"pes {args[0]}: no ")
    assert "start it with `pes run` or set KAFKA_BOOTSTRAP_SERVERS" in run.stderr
