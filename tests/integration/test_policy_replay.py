"""Policy replay over the synthetic caseload and its refusals: from the event store and from the
Kafka topic, several candidates in one run, and through `pes replay`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from adapters.history import refusal_facts_from_store
from adapters.replay_report import to_csv, to_html, to_json
from application.bootstrap import (
    build_case_management,
    build_refusal_records,
    build_refusal_relay,
    build_relay,
)
from application.policy_replay import (
    CandidatePolicyError,
    load_candidate,
    load_candidates,
    replay_policy,
)
from application.settings import Settings, as_environment
from domain.case import Program
from domain.command import OpenCase
from domain.errors import DomainError
from domain.replay.facts import Consequence, Judged
from domain.values import Override
from synthetic import SyntheticCaseload, drive
from tests.browser import rendered_dom
from tests.builders import CASEWORKER, SUPERVISOR, new_employment_case_numbers
from tests.builders import CaseFile as CaseCommands

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]
CANDIDATES = REPOSITORY / "docs" / "replay"
CASES = 150 + len(new_employment_case_numbers(SyntheticCaseload(seed=21, cases=150)))
"""The planned cases and the new employment program cases their determinations open (VR-08)."""


@dataclass(frozen=True)
class Recorded:
    settings: Settings
    refusals: int
    """How many refused commands the application kept as decision records."""


@pytest.fixture
def recorded(settings: Settings) -> Recorded:
    """The synthetic caseload with its refusals, both relayed to their topics."""
    app = build_case_management(settings)
    driven = drive(app, SyntheticCaseload(seed=21, cases=150).commands())
    assert driven.unexpected == []
    records = build_refusal_records(settings)
    kept = sum(1 for _ in refusal_facts_from_store(records.recorder, records.refusal_mapper))
    for relay in (build_relay(settings, app), build_refusal_relay(settings, records)):
        relay.drain()
        relay.close()
    records.close()
    return Recorded(settings, kept)


def test_the_store_and_the_topic_give_the_same_findings_byte_for_byte(recorded: Recorded) -> None:
    candidates = load_candidates(
        [CANDIDATES / "no-job-retention.json", CANDIDATES / "longer-training-window.json"]
    )

    from_store = replay_policy(recorded.settings, candidates, "store")
    from_topic = replay_policy(recorded.settings, candidates, "kafka")
    again = replay_policy(recorded.settings, candidates, "store")

    assert from_store.cases == CASES
    assert from_store.refusals.read == recorded.refusals > 0
    retention = from_store.candidate("no-job-retention")
    refused = [d for d in retention.differences if d.judged is Judged.RECORDED]
    assert refused and all(
        (d.consequence, d.rule_ids) == (Consequence.WOULD_BE_REFUSED, ("VR-06",)) for d in refused
    )
    assert retention.totals.amount_cents_affected == sum(d.amount_cents for d in refused)
    assert all(d.caseworker and d.provider for d in refused)
    assert to_csv(from_store) == to_csv(from_topic)
    for render in (to_json, to_csv, to_html):
        assert render(from_store) == render(again)


def test_several_candidates_in_one_run_find_what_each_finds_alone(recorded: Recorded) -> None:
    paths = [CANDIDATES / name for name in ("window-only.json", "longer-training-window.json")]
    together = replay_policy(recorded.settings, load_candidates(paths))

    for path in paths:
        alone = replay_policy(recorded.settings, [load_candidate(path)])
        [single] = alone.candidates
        assert together.candidate(single.name).differences == single.differences
        assert together.candidate(single.name).summary() == single.summary()
    window = together.candidate("window-only")
    assert window.couplings and "termination unchanged" in window.couplings[0]
    assert not [d for d in window.differences if d.consequence is Consequence.TERMINATION_MOVED]


def test_pes_replay_compares_candidates_side_by_side_byte_identical_on_a_second_run(
    recorded: Recorded, tmp_path: Path
) -> None:
    env = {**os.environ, **as_environment(recorded.settings)}

    def pes_replay(out: Path, *candidates: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scripts.cli", "replay", *candidates, "--out", str(out)],
            cwd=REPOSITORY,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    names = [str(CANDIDATES / n) for n in ("window-only.json", "wider-window.json")]
    first, second = pes_replay(tmp_path / "a", *names), pes_replay(tmp_path / "b", *names)

    assert first.returncode == 0, first.stderr
    document = json.loads((tmp_path / "a" / "replay.json").read_text())
    assert document["replay"]["cases"] == CASES
    assert sorted(document["candidates"]) == ["wider-window", "window-only"]
    assert document["candidates"]["window-only"]["couplings"]
    assert document["candidates"]["wider-window"]["couplings"] == []
    assert {row["candidate"] for row in document["findings"]} <= {"wider-window", "window-only"}
    assert (
        (tmp_path / "a" / "replay.csv")
        .read_text()
        .startswith("candidate,case_number,case_id,program,caseworker,")
    )
    assert "window-only: coupling: vr: initiation_window_months 18 (VR-02)" in first.stdout
    for name in ("replay.json", "replay.csv", "replay.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first.stdout.replace(str(tmp_path / "a"), "") == second.stdout.replace(
        str(tmp_path / "b"), ""
    )


def test_an_unreadable_or_misshapen_candidate_file_names_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CandidatePolicyError, match="cannot read the candidate policy"):
        load_candidate(broken)
    broken.write_text("[1, 2]")
    with pytest.raises(CandidatePolicyError, match="a JSON object of parameters"):
        load_candidate(broken)
    broken.write_text('{"vr": {"windw": 18}}')
    with pytest.raises(CandidatePolicyError, match=r"vr: unknown parameter\(s\) windw"):
        load_candidate(broken)
    broken.write_text('{"vr": {"scope_days": 60}}')
    with pytest.raises(CandidatePolicyError, match="more than one is named broken"):
        load_candidates([broken, broken])


def test_a_candidate_with_a_number_as_text_or_a_boolean_is_refused_naming_each_parameter(
    tmp_path: Path,
) -> None:
    candidate = tmp_path / "candidate.json"
    candidate.write_text(
        '{"vr": {"max_service_duration_months": "12", "scope_days": true},'
        ' "cash_assistance": {"training_referral_months": 1.5}}'
    )

    with pytest.raises(CandidatePolicyError) as refused:
        load_candidate(candidate)

    assert "vr.max_service_duration_months: Input should be a valid integer" in str(refused.value)
    assert "vr.scope_days: Input should be a valid integer" in str(refused.value)
    assert "cash_assistance.training_referral_months" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_html_report_renders_in_a_real_browser(recorded: Recorded, tmp_path: Path) -> None:
    candidates = load_candidates(
        [CANDIDATES / "wider-window.json", CANDIDATES / "longer-training-window.json"]
    )
    findings = replay_policy(recorded.settings, candidates, "store")
    page = tmp_path / "replay.html"
    page.write_text(to_html(findings), encoding="utf-8")

    dom = rendered_dom(page)

    rows = sum(len(c.differences) for c in findings.candidates)
    moved = [
        d
        for d in findings.candidate("wider-window").differences
        if d.consequence is Consequence.TERMINATION_MOVED
    ]
    assert moved and all(d.days_moved > 0 for d in moved)
    assert f"Findings ({rows:,})" in dom
    assert dom.split('id="findings"')[1].count("<tr><td>") == min(rows, 1000)
    side = dom.split('id="candidates"')[1].split("</table>")[0]
    assert (
        '<th scope="col">in force</th><th scope="col">wider-window</th>'
        '<th scope="col">longer-training-window</th>'
    ) in side
    shifts = dom.split('id="termination-shifts"')[1].split("</table>")[0]
    wider_column = [int(n) for n in re.findall(r'<td class="num">(\d+)</td><td', shifts)]
    assert sum(wider_column) == len(moved)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((), "name at least one candidate policy file"),
        (
            (
                str(CANDIDATES / "window-only.json"),
                "--policy",
                str(CANDIDATES / "window-only.json"),
            ),
            "more than one is named window-only",
        ),
    ],
    ids=["none", "twice"],
)
def test_pes_replay_without_a_candidate_or_with_one_twice_is_refused_in_one_line(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "replay", *args],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(Settings(data_dir=tmp_path))},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 2, run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith("pes replay: ") and named in line
    assert run.stdout == ""


def test_an_authorization_the_application_refused_by_vr02_would_be_accepted_under_18_months(
    store_settings: Settings,
) -> None:
    """End to end: the refusal is kept by the application, read back from its records by the
    replay (no refusals handed in), and judged under the window-only candidate."""
    app = build_case_management(store_settings)
    case = CaseCommands(outcome=None, case_number="VR-REPLAY-LATE")
    app.open_case(
        OpenCase(
            case_number="VR-REPLAY-LATE",
            program=Program.VR,
            client_ref="CL-REPLAY-1",
            caseworker_id=CASEWORKER.id,
            opened_on=date(2023, 9, 1),
        ),
        CASEWORKER,
    )
    app.handle(case.record_outcome(date(2024, 1, 10)), CASEWORKER)
    request = case.request(date(2024, 12, 1))
    app.handle(request, CASEWORKER)
    app.handle(case.appropriate(request.request_id, date(2024, 12, 2)), CASEWORKER)
    # Planned past VR-03's 12 months too: a supervisor's override carries that soft rule.
    late = case.authorize(
        request.request_id,
        date(2024, 12, 20),
        start=date(2025, 2, 3),
        overrides=(Override(rule_id="VR-03", reason="the course starts in February"),),
    )
    with pytest.raises(DomainError) as refused:
        app.handle(late, SUPERVISOR)
    assert refused.value.rule_id == "VR-02"
    app.close()

    findings = replay_policy(store_settings, [load_candidate(CANDIDATES / "window-only.json")])

    assert findings.read()["refusals_read"] == 1
    (finding,) = findings.candidate("window-only").differences
    assert (finding.case_number, finding.judged, finding.consequence, finding.rule_ids) == (
        "VR-REPLAY-LATE",
        Judged.REFUSED,
        Consequence.WOULD_BE_ACCEPTED,
        ("VR-02",),
    )
    assert (finding.caseworker, finding.amount_cents) == (CASEWORKER.id, late.amount_cents)
    assert finding.subject == f"refused authorization {late.authorization_id}"
