"""Auditors: a case's decisions over HTTP, its state as of any date, corrections beside originals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import takewhile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.audit import state_as_of, state_at_version
from application.bootstrap import build_case_management
from application.cases import CaseManagement
from application.settings import Settings
from domain.case import case_id_for
from synthetic import SyntheticCaseload, drive
from tests.browser import rendered_dom
from tests.integration.api_support import (
    AUDITOR,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    auth,
    reviewed_case,
    send,
)

NUMBER = "VR-700"
CASE = case_id_for(NUMBER)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with api_client(tmp_path) as client:
        for actor, command in reviewed_case(NUMBER):
            assert send(client, actor, command).status_code in (200, 201)
        yield client


def test_the_audit_timeline_shows_every_decision_with_its_actor_rules_policy_and_reasons(
    client: TestClient,
) -> None:
    response = client.get(f"/cases/{CASE}/audit", headers=auth(AUDITOR))

    assert response.status_code == 200, response.text
    audit = response.json()
    timeline = audit["timeline"]
    assert [e["case_version"] for e in timeline] == list(range(1, len(reviewed_case(NUMBER)) + 1))
    authorized = next(e for e in timeline if e["event_type"] == "ServiceAuthorized")
    assert authorized["actor_id"] == "supervisor-1" and authorized["actor_role"] == "supervisor"
    assert authorized["overrides"] == [["VR-04", "Licensing takes four months."]]
    assert authorized["rule_ids"] == ["VR-01", "VR-02", "VR-03", "VR-04", "VR-06", "VR-09", "VR-12"]
    assert authorized["policy_version"] == "2018-10-02"
    refusal = next(e for e in timeline if e["event_type"] == "PEServicesFoundNotAppropriate")
    assert refusal["reason"] == "The concern is outside the job held at outcome."
    assert all(e["recorded_at"] and e["effective_on"] for e in timeline)


def test_a_corrected_date_shows_beside_the_original_and_the_state_follows_the_correction(
    client: TestClient,
) -> None:
    timeline = client.get(f"/cases/{CASE}/audit", headers=auth(AUDITOR)).json()["timeline"]

    original = next(e for e in timeline if e["event_type"] == "OutcomeAchieved")
    correction = next(e for e in timeline if e["event_type"] == "OutcomeDateCorrected")
    assert original["effective_on"] == "2024-03-01"  # never edited
    assert correction["facts"]["original_outcome_date"] == "2024-03-01"
    assert correction["facts"]["corrected_outcome_date"] == "2024-03-08"
    assert correction["facts"]["evidence_ref"] == "Payroll record PR-2024-0311"
    assert correction["effective_on"] == "2024-07-01"

    before = state(client, as_of="2024-06-30")
    after = state(client, as_of="2024-07-01")
    assert before["outcome_date"] == "2024-03-01" and after["outcome_date"] == "2024-03-08"
    # VR-11 follows: removed 2024-06-25, so outcome + 12 months decides.
    assert (before["scheduled_termination"], after["scheduled_termination"]) == (
        "2025-03-01",
        "2025-03-08",
    )


def state(client: TestClient, **query: object) -> dict:
    response = client.get(f"/cases/{CASE}/state", params=query, headers=auth(AUDITOR))
    assert response.status_code == 200, response.text
    return response.json()["state"]


def test_the_state_as_of_a_date_and_at_a_version(client: TestClient) -> None:
    assert state(client, version=2)["outcome_date"] == "2024-03-01"
    assert state(client, version=2)["status"] == "monitoring"
    in_review = state(client, as_of="2024-05-25")  # review requested 2024-05-20
    assert in_review["status"] == "in_pe_services" and in_review["version"] == 5
    [request] = in_review["requests"]
    assert request["status"] == "under_review"
    assert client.get(
        f"/cases/{CASE}/state", params={"as_of": "2023-12-31"}, headers=auth(AUDITOR)
    ).json() == {
        "case_id": str(CASE),
        "case_number": NUMBER,
        "as_of": "2023-12-31",
        "version": None,
        "state": None,
    }


def test_state_queries_name_what_is_wrong(client: TestClient) -> None:
    both = client.get(
        f"/cases/{CASE}/state", params={"as_of": "2024-05-25", "version": 2}, headers=auth(AUDITOR)
    )
    assert (
        "exactly one of as_of and version" in assert_problem(both, 422, "invalid-command")["detail"]
    )
    beyond = client.get(f"/cases/{CASE}/state", params={"version": 99}, headers=auth(AUDITOR))
    assert "has no version 99" in assert_problem(beyond, 404, "case-not-found")["detail"]
    forbidden = client.get(f"/cases/{CASE}/audit", headers=auth(CASEWORKER))
    assert_problem(forbidden, 403, "forbidden")


def test_the_audit_page_renders_in_a_real_browser(client: TestClient, tmp_path: Path) -> None:
    response = client.get(
        f"/cases/{CASE}/audit.html", params={"as_of": "2024-05-25"}, headers=auth(AUDITOR)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = tmp_path / "audit.html"
    page.write_text(response.text, encoding="utf-8")

    dom = rendered_dom(page)

    facts = dom.split('id="facts"')[1].split("</table>")[0]
    assert facts.count("<tr") == len(reviewed_case(NUMBER)) + 1  # and the header row
    correction = facts.split('<tr class="correction')[1].split("</tr>")[0]
    assert "Original outcome date" in correction and "2024-03-01" in correction
    assert "Corrected outcome date" in correction and "2024-03-08" in correction
    assert "Seen as of 2024-05-25" in dom


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> CaseManagement:
    app = build_case_management(Settings(data_dir=tmp_path_factory.mktemp("audit")))
    assert drive(app, SyntheticCaseload(seed=31, cases=60).commands()).unexpected == []
    return app


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_state_on_any_date_equals_the_state_built_from_the_events_up_to_it(
    synthetic: CaseManagement, data: st.DataObject
) -> None:
    case_id = data.draw(st.sampled_from(sorted(synthetic.case_ids())), label="case")
    events = synthetic.history(case_id)
    first, last = events[0].effective_on, events[-1].effective_on
    day = data.draw(
        st.dates(first - timedelta(days=3), last + timedelta(days=3)), label="business date"
    )

    up_to = len(list(takewhile(lambda e: e.effective_on <= day, events)))

    as_of = state_as_of(synthetic, case_id, day)
    if up_to == 0:
        assert as_of is None
    else:
        # The repository's own path to version N (snapshots, if any, included) agrees.
        assert as_of == state_at_version(synthetic, case_id, up_to)
        assert up_to == len(events) or events[up_to].effective_on > day


def test_a_case_never_opened_has_no_audit(client: TestClient) -> None:
    response = client.get(f"/cases/{case_id_for('VR-nobody')}/audit", headers=auth(AUDITOR))
    assert_problem(response, 404, "case-not-found")
