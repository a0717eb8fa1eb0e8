"""Policy replay over the synthetic caseload and its refusals: from the event store and from the
Kafka topic, several candidates in one run, and through `pes replay`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.replay_report import to_csv, to_html, to_json
from application.bootstrap import build_case_management, build_relay
from application.cases import CaseManagement
from application.policy_replay import (
    CandidatePolicyError,
    load_candidate,
    load_candidates,
    replay_policy,
)
from application.settings import Settings, as_environment
from domain.case import case_id_of
from domain.command import CaseCommand, OpenCase
from domain.errors import CaseNotFound, DomainError
from domain.replay import REFUSAL, Fact
from domain.replay.facts import Consequence, Judged
from synthetic import SyntheticCaseload, SyntheticCommand
from tests.browser import rendered_dom

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]
CANDIDATES = REPOSITORY / "docs" / "replay"


@dataclass(frozen=True)
class Recorded:
    settings: Settings
    refusals: list[Fact]


def drive_keeping_refusals(app: CaseManagement, items: Iterable[SyntheticCommand]) -> list[Fact]:
    """Drives the caseload; each refused command becomes the decision record the shared
    contract describes (until the application keeps them itself)."""
    refusals = []
    for actor, command, _ in items:
        try:
            if isinstance(command, OpenCase):
                app.open_case(command, actor)
            else:
                assert isinstance(command, CaseCommand)
                app.handle(command, actor)
        except DomainError as refusal:
            if isinstance(command, OpenCase):
                case_id = case_id_of(command.case_number)
            else:
                assert isinstance(command, CaseCommand)
                case_id = command.case_id
            try:
                case = app.get_case(case_id)
                number, version, program = case.case_number, case.version, case.program.value
            except CaseNotFound:
                number, version, program = None, 0, None
            refusals.append(
                Fact(
                    event_type=REFUSAL,
                    case_id=str(case_id),
                    case_version=version,
                    effective_on=app.clock(),
                    fields={
                        "case_number": number,
                        "case_version": version,
                        "program": program,
                        "command_type": type(command).__name__,
                        "command": json.dumps(
                            command.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
                        ),
                        "rule_ids": [refusal.rule_id] if refusal.rule_id else [],
                        "messages": [refusal.message],
                        "policy_version": None,
                        "actor": {"id": actor.id, "role": actor.role.value},
                    },
                )
            )
    return refusals


@pytest.fixture
def recorded(settings: Settings) -> Recorded:
    app = build_case_management(settings)
    refusals = drive_keeping_refusals(app, SyntheticCaseload(seed=21, cases=150).commands())
    relay = build_relay(settings, app)
    relay.drain()
    relay.close()
    return Recorded(settings, refusals)


def test_the_store_and_the_topic_give_the_same_findings_byte_for_byte(recorded: Recorded) -> None:
    candidates = load_candidates(
        [CANDIDATES / "no-job-retention.json", CANDIDATES / "longer-training-window.json"]
    )

    from_store = replay_policy(recorded.settings, candidates, "store", refusals=recorded.refusals)
    from_topic = replay_policy(recorded.settings, candidates, "kafka", refusals=recorded.refusals)
    again = replay_policy(recorded.settings, candidates, "store", refusals=recorded.refusals)

    assert from_store.cases == 150
    assert from_store.refusals.read == len(recorded.refusals) > 0
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
    together = replay_policy(recorded.settings, load_candidates(paths), refusals=recorded.refusals)

    for path in paths:
        alone = replay_policy(recorded.settings, [load_candidate(path)], refusals=recorded.refusals)
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
    assert document["replay"]["cases"] == 150
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
    findings = replay_policy(recorded.settings, candidates, "store", refusals=recorded.refusals)
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
