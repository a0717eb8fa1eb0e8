"""Policy replay over the synthetic caseload: from the event store and from the Kafka topic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.replay_report import to_csv, to_html, to_json
from application.bootstrap import build_case_management, build_relay
from application.policy_replay import CandidatePolicyError, load_candidate_changes, replay_policy
from application.settings import Settings, as_environment
from domain.replay import Consequence
from synthetic import SyntheticCaseload, drive
from tests.browser import rendered_dom
from tests.builders import new_employment_case_numbers

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]
CANDIDATES = REPOSITORY / "docs" / "replay"
CASES = 150 + len(new_employment_case_numbers(SyntheticCaseload(seed=21, cases=150)))
"""The planned cases and the new employment program cases their determinations open (VR-08)."""


@pytest.fixture
def recorded(settings: Settings) -> Settings:
    app = build_case_management(settings)
    assert drive(app, SyntheticCaseload(seed=21, cases=150).commands()).unexpected == []
    relay = build_relay(settings, app)
    relay.drain()
    relay.close()
    return settings


def test_the_store_and_the_topic_give_the_same_findings_byte_for_byte(recorded: Settings) -> None:
    changes = load_candidate_changes(CANDIDATES / "no-job-retention.json")

    from_store = replay_policy(recorded, changes, "store")
    from_topic = replay_policy(recorded, changes, "kafka")
    again = replay_policy(recorded, changes, "store")

    assert from_store.totals.cases == CASES
    refused = [
        d for d in from_store.differences if d.consequence is Consequence.AUTHORIZATION_REFUSED
    ]
    assert refused and all(d.rule_ids == ("VR-06",) for d in refused)
    assert from_store.totals.authorized_cents_affected == sum(d.authorized_cents for d in refused)
    assert to_csv(from_store) == to_csv(from_topic)
    assert from_store.summary() == from_topic.summary()
    for render in (to_json, to_csv, to_html):
        assert render(from_store) == render(again)


def test_pes_replay_writes_json_csv_and_html_and_refuses_an_invalid_candidate(
    recorded: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, **as_environment(recorded)}
    out = tmp_path / "out"
    run = subprocess.run(
        [
            *(sys.executable, "-m", "scripts.cli", "replay"),
            *("--policy", str(CANDIDATES / "two-month-services.json"), "--out", str(out)),
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads((out / "replay.json").read_text())
    assert document["totals"]["cases"] == CASES
    assert set(document["totals"]["by_rule"]) <= {
        "override_required VR-04",
        "override_not_needed VR-04",
    }
    assert (out / "replay.csv").read_text().startswith("case_number,case_id,consequence,")
    assert f"{CASES} case(s) replayed" in run.stdout

    invalid = tmp_path / "invalid.json"
    invalid.write_text('{"initiation_window_months": 18}')
    refused = subprocess.run(
        [*(sys.executable, "-m", "scripts.cli", "replay", "--policy", str(invalid))],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "initiation window (VR-02) cannot outlast the case (VR-11)" in refused.stderr


def test_an_unreadable_candidate_file_names_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CandidatePolicyError, match="cannot read the candidate policy"):
        load_candidate_changes(broken)
    broken.write_text("[1, 2]")
    with pytest.raises(CandidatePolicyError, match="a JSON object of parameters"):
        load_candidate_changes(broken)


def test_a_candidate_with_a_number_as_text_or_a_boolean_is_refused_naming_each_parameter(
    tmp_path: Path,
) -> None:
    candidate = tmp_path / "candidate.json"
    candidate.write_text('{"max_service_duration_months": "12", "scope_days": true}')

    with pytest.raises(CandidatePolicyError) as refused:
        load_candidate_changes(candidate)

    assert "max_service_duration_months: Input should be a valid integer" in str(refused.value)
    assert "scope_days: Input should be a valid integer" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_html_report_renders_in_a_real_browser(recorded: Settings, tmp_path: Path) -> None:
    changes = load_candidate_changes(CANDIDATES / "wider-window.json")
    findings = replay_policy(recorded, changes, "store")
    page = tmp_path / "replay.html"
    page.write_text(to_html(findings), encoding="utf-8")

    dom = rendered_dom(page)

    moved = [d for d in findings.differences if d.consequence is Consequence.TERMINATION_MOVED]
    assert moved and all(d.days_moved > 0 for d in moved)
    assert dom.count("<tr><td>") == min(len(findings.differences), 1000)
    assert f"Differences ({len(findings.differences):,})" in dom
    by_rule = dom.split('id="by-rule"')[1].split("</figure>")[0]
    assert by_rule.count("<rect") == len(findings.summary()["by_rule"])
