"""A new-employment-case determination over HTTP: the answer names the case it opened or linked,
both cases show the link, the caseload lists the opened case, and a refusal is a VR-08 problem
that records nothing (VR-08)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from application.settings import Settings
from domain.case import case_id_for
from domain.commands import DetermineNewEmploymentCase
from domain.values import NewCaseReason
from tests.builders import ids, open_case, record_outcome, request_services
from tests.integration.api_support import (
    AUDITOR,
    CASEWORKER,
    api_client,
    assert_problem,
    auth,
    send,
)
from tests.integration.test_api_queries import project, run

EARLIER = "VR-API-LINK-1"


def determination(new_case_number: str) -> DetermineNewEmploymentCase:
    return DetermineNewEmploymentCase(
        case_id=case_id_for(EARLIER),
        request_id=ids(EARLIER, "request"),
        determined_on=date(2024, 6, 5),
        new_case_number=new_case_number,
        reasons=(NewCaseReason.JOB_SEARCH,),
    )


STEPS = [
    (CASEWORKER, open_case(EARLIER)),
    (CASEWORKER, record_outcome(EARLIER)),
    (CASEWORKER, request_services(EARLIER, date(2024, 6, 3))),
]


def test_the_answer_names_the_opened_case_and_both_cases_show_the_link_VR_08(
    tmp_path: Path,
) -> None:
    new_id = str(case_id_for("VR-API-NEW"))
    with api_client(tmp_path) as client:
        run(client, STEPS)
        accepted = send(client, CASEWORKER, determination("VR-API-NEW"), **{"If-Match": '"3"'})
        earlier = client.get(f"/cases/{EARLIER}", headers=auth(CASEWORKER)).json()
        new = client.get("/cases/VR-API-NEW", headers=auth(CASEWORKER)).json()
        history = client.get(f"/cases/{new_id}/history", headers=auth(AUDITOR)).json()
        audit = client.get(f"/cases/{new_id}/audit", headers=auth(AUDITOR)).json()
        project(Settings(data_dir=tmp_path), [EARLIER, "VR-API-NEW"])
        caseload = client.get(
            "/caseloads", params={"caseworker": "cw-ada"}, headers=auth(CASEWORKER)
        ).json()

    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["etag"] == '"4"'
    assert accepted.json() == {
        "case_id": str(case_id_for(EARLIER)),
        "case_number": EARLIER,
        "version": 4,
        "events": 1,
        "linked_case": {
            "case_id": new_id,
            "case_number": "VR-API-NEW",
            "version": 2,
            "events": 2,
            "opened": True,
        },
    }
    (request,) = earlier["requests"]
    assert (request["status"], request["linked_case_number"]) == (
        "new_employment_case",
        "VR-API-NEW",
    )
    assert earlier["linked_from"] is None
    assert new["linked_from"] == {
        "case_id": str(case_id_for(EARLIER)),
        "case_number": EARLIER,
        "request_id": str(ids(EARLIER, "request")),
        "linked_on": "2024-06-05",
        "opened_by_determination": True,
    }
    assert (new["program"], new["client_ref"], new["caseworker_id"], new["opened_on"]) == (
        "vr",
        earlier["client_ref"],
        earlier["caseworker_id"],
        "2024-06-05",
    )
    assert [e["type"] for e in history["events"]] == ["CaseOpened", "LinkedFromEarlierCase"]
    entry = audit["timeline"][-1]
    assert (entry["event_type"], entry["rule_ids"]) == ("LinkedFromEarlierCase", ["VR-08"])
    assert entry["facts"]["earlier_case_number"] == EARLIER
    assert {c["case_number"] for c in caseload["cases"]} == {EARLIER, "VR-API-NEW"}


def test_a_retry_with_the_same_key_replays_the_answer_naming_the_linked_case_VR_08(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path) as client:
        run(client, STEPS)
        first = send(client, CASEWORKER, determination("VR-API-NEW"), **{"Idempotency-Key": "k1"})
        again = send(client, CASEWORKER, determination("VR-API-NEW"), **{"Idempotency-Key": "k1"})
        new = client.get("/cases/VR-API-NEW", headers=auth(CASEWORKER)).json()

    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["linked_case"]["opened"] is True
    assert new["version"] == 2


def test_another_clients_case_is_a_vr_08_problem_and_neither_case_changes(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path) as client:
        run(client, [*STEPS, (CASEWORKER, open_case("VR-API-OTHER"))])

        refused = send(client, CASEWORKER, determination("VR-API-OTHER"))
        earlier = client.get(f"/cases/{EARLIER}", headers=auth(CASEWORKER)).json()
        other = client.get("/cases/VR-API-OTHER", headers=auth(CASEWORKER)).json()

    problem = assert_problem(refused, 422, "rule-violation", "VR-08")
    assert "VR-API-OTHER belongs to another client" in problem["detail"]
    assert "Traceback" not in refused.text
    assert (earlier["version"], earlier["requests"][0]["status"]) == (3, "awaiting_determination")
    assert (other["version"], other["linked_from"]) == (1, None)


def test_a_number_that_is_no_case_number_is_a_vr_08_problem_and_opens_nothing(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path) as client:
        run(client, STEPS)

        refused = send(client, CASEWORKER, determination("VR API NEW"))
        earlier = client.get(f"/cases/{EARLIER}", headers=auth(CASEWORKER)).json()

    assert_problem(refused, 422, "rule-violation", "VR-08")
    assert earlier["version"] == 3


def test_other_commands_answer_without_a_linked_case(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        answers = [send(client, actor, command) for actor, command in STEPS]

    assert [sorted(a.json()) for a in answers] == [
        ["case_id", "case_number", "events", "version"]
    ] * len(STEPS)
