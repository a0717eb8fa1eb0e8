"""Reassigning a case over HTTP: supervisors only, a recorded fact the caseload and the audit
trail show."""

from __future__ import annotations

from pathlib import Path

from application.settings import Settings
from domain.assignment.commands import ReassignCase
from domain.case import case_id_for
from tests.integration.api_support import (
    AUDITOR,
    CASEWORKER,
    SUPERVISOR,
    api_client,
    assert_problem,
    auth,
    send,
    served_case,
)
from tests.integration.test_api_queries import project, run

NUMBER = "VR-REASSIGN-1"


def reassignment(to: str, reason: str = "cw-ada moved to the intake unit") -> ReassignCase:
    return ReassignCase(
        case_id=case_id_for(NUMBER), caseworker_id=to, reassigned_on="2024-06-04", reason=reason
    )


def test_a_supervisor_moves_a_case_and_the_caseload_and_audit_trail_follow(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    with api_client(tmp_path) as client:
        run(client, served_case(NUMBER)[:3])
        project(settings, [NUMBER])
        owner = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()
        before = client.get(
            "/caseloads", params={"caseworker": owner["caseworker_id"]}, headers=auth(CASEWORKER)
        ).json()["cases"]

        accepted = send(client, SUPERVISOR, reassignment("cw-bea"))
        project(settings, [NUMBER])

        after_old = client.get(
            "/caseloads", params={"caseworker": owner["caseworker_id"]}, headers=auth(CASEWORKER)
        ).json()["cases"]
        after_new = client.get(
            "/caseloads", params={"caseworker": "cw-bea"}, headers=auth(CASEWORKER)
        ).json()["cases"]
        case = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()
        audit = client.get(f"/cases/{case_id_for(NUMBER)}/audit", headers=auth(AUDITOR)).json()

    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["etag"] == '"4"'
    assert [c["case_number"] for c in before] == [NUMBER]
    assert after_old == []
    assert [(c["case_number"], c["caseworker_id"], c["version"]) for c in after_new] == [
        (NUMBER, "cw-bea", 4)
    ]
    assert case["caseworker_id"] == "cw-bea"
    entry = audit["timeline"][-1]
    assert (entry["event_type"], entry["actor_role"], entry["reason"]) == (
        "CaseReassigned",
        "supervisor",
        "cw-ada moved to the intake unit",
    )
    assert entry["facts"]["previous_caseworker_id"] == owner["caseworker_id"]


def test_a_caseworker_may_not_reassign_and_nothing_is_recorded(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        run(client, served_case(NUMBER)[:2])
        owner = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()

        refused = send(client, CASEWORKER, reassignment("cw-bea"))
        case = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()

    assert_problem(refused, 403, "forbidden")
    assert (case["version"], case["caseworker_id"]) == (2, owner["caseworker_id"])


def test_a_reassignment_to_the_same_caseworker_or_without_reason_is_refused(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path) as client:
        run(client, served_case(NUMBER)[:2])
        owner = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()

        same = send(client, SUPERVISOR, reassignment(owner["caseworker_id"]))
        blank = send(client, SUPERVISOR, reassignment("cw-bea", reason="  "))
        case = client.get(f"/cases/{case_id_for(NUMBER)}", headers=auth(CASEWORKER)).json()

    assert "already" in assert_problem(same, 422, "invalid-command")["detail"]
    assert "needs a reason" in assert_problem(blank, 422, "invalid-command")["detail"]
    assert case["version"] == 2
