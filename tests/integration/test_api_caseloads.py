"""Caseloads over HTTP: a page at a time by case number, filtered by program, caseworker, status
and overdue deadlines, each case with the deadlines it has overdue; bad parameters are a 422."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from application.settings import Settings
from domain.case import Program
from tests.builders import ids, open_case
from tests.integration.api_support import (
    ANALYST,
    CASEWORKER,
    TestClient,
    api_client,
    assert_problem,
    assisted_case,
    auth,
    served_case,
)
from tests.integration.test_api_queries import project, run

TODAY = "2024-08-25"
OPENED = [f"VR-C-{n:02d}" for n in range(1, 9)]  # open; odd ones cw-ada's, even ones cw-bea's
UNPAID = ["VR-C-09", "VR-C-10"]  # in PE services, an invoice received 2024-07-20 and unpaid
MONITORED = "VR-C-11"  # outcome 2024-03-01, nothing overdue on TODAY
ASSISTED = "TA-C-01"  # a plan due for re-assessment 2024-04-29, a goal due 2024-04-30
EVERY_CASE = sorted([*OPENED, *UNPAID, MONITORED, ASSISTED])


def record(client: TestClient, data_dir: Path) -> None:
    for n, number in enumerate(OPENED):
        run(client, [(CASEWORKER, open_case(number, caseworker=("cw-ada", "cw-bea")[n % 2]))])
    for number in UNPAID:
        run(client, served_case(number)[:7])
    run(client, served_case(MONITORED)[:2])
    run(client, assisted_case(ASSISTED)[:5])
    project(Settings(data_dir=data_dir), EVERY_CASE)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("caseloads")
    with api_client(data_dir) as client:
        record(client, data_dir)
        yield client


def caseload(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/caseloads", params={"today": TODAY, **params}, headers=auth(CASEWORKER))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def numbers(page: dict[str, Any]) -> list[str]:
    return [c["case_number"] for c in page["cases"]]


def walk(client: TestClient, first: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page from `first` on, following each page's `next` link."""
    pages = [first]
    while pages[-1]["next"] is not None:
        assert len(pages) <= len(EVERY_CASE), "the pages never end"
        response = client.get(pages[-1]["next"], headers=auth(CASEWORKER))
        assert response.status_code == 200, response.text
        pages.append(response.json())
    return pages


def test_a_caseload_comes_a_page_at_a_time_by_case_number_with_its_total(
    client: TestClient,
) -> None:
    pages = walk(client, caseload(client, limit=5))

    assert [numbers(p) for p in pages] == [EVERY_CASE[:5], EVERY_CASE[5:10], EVERY_CASE[10:]]
    assert [p["total"] for p in pages] == [12, 12, 12]
    assert [p["next_cursor"] for p in pages] == [EVERY_CASE[4], EVERY_CASE[9], None]
    link = urlsplit(pages[0]["next"])
    assert (link.path, parse_qs(link.query)) == (
        "/caseloads",
        {"today": [TODAY], "limit": ["5"], "cursor": [EVERY_CASE[4]]},
    )
    assert {p["today"] for p in pages} == {TODAY}


def test_a_page_holds_fifty_cases_unless_asked_and_the_whole_caseload_fits_in_the_largest(
    client: TestClient,
) -> None:
    default = caseload(client)
    largest = caseload(client, limit=500)
    one = caseload(client, limit=1)

    assert (default["limit"], numbers(default), default["next"]) == (50, EVERY_CASE, None)
    assert numbers(largest) == EVERY_CASE
    assert (numbers(one), one["total"], one["next_cursor"]) == ([EVERY_CASE[0]], 12, EVERY_CASE[0])


def test_the_next_link_keeps_the_filters_and_the_day_of_the_first_page(
    client: TestClient,
) -> None:
    first = client.get(
        "/caseloads",
        params={"caseworker": "cw-ada", "program": "vr", "limit": 2},
        headers=auth(CASEWORKER),
    ).json()

    pages = walk(client, first)

    assert [numbers(p) for p in pages] == [
        ["VR-C-01", "VR-C-03"],
        ["VR-C-05", "VR-C-07"],
        ["VR-C-09", "VR-C-10"],
        ["VR-C-11"],
    ]
    assert {p["today"] for p in pages} == {first["today"]}


def test_a_cursor_neither_repeats_nor_skips_a_case_when_cases_arrive_before_it(
    tmp_path: Path,
) -> None:
    with api_client(tmp_path) as client:
        run(client, [(CASEWORKER, open_case(n)) for n in ("VR-S-02", "VR-S-04", "VR-S-06")])
        project(Settings(data_dir=tmp_path), ["VR-S-02", "VR-S-04", "VR-S-06"])
        first = caseload(client, limit=2)
        arrived = ["VR-S-01", "VR-S-03", "VR-S-05"]
        run(client, [(CASEWORKER, open_case(n)) for n in arrived])
        project(Settings(data_dir=tmp_path), arrived)
        second = caseload(client, limit=2, cursor=first["next_cursor"])

    assert numbers(first) == ["VR-S-02", "VR-S-04"]
    # After VR-S-04 by case number: VR-S-05 arrived since, VR-S-06 was there.
    assert numbers(second) == ["VR-S-05", "VR-S-06"]
    assert (first["total"], second["total"], second["next_cursor"]) == (3, 6, None)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"program": "cash_assistance"}, [ASSISTED]),
        ({"program": "vr"}, [*OPENED, *UNPAID, MONITORED]),
        ({"caseworker": "cw-bea"}, ["VR-C-02", "VR-C-04", "VR-C-06", "VR-C-08"]),
        ({"caseworker": "cw-nobody"}, []),
        ({"status": "in_pe_services"}, UNPAID),
        ({"status": "monitoring"}, [ASSISTED, MONITORED]),
        ({"overdue": "true"}, [ASSISTED, *UNPAID]),
        ({"overdue": "false"}, EVERY_CASE),
        ({"overdue": "true", "program": "vr"}, UNPAID),
        ({"overdue": "true", "status": "monitoring"}, [ASSISTED]),
        ({"status": "monitoring", "program": "vr", "caseworker": "cw-ada"}, [MONITORED]),
        ({"status": "open", "caseworker": "cw-ada"}, ["VR-C-01", "VR-C-03", "VR-C-05", "VR-C-07"]),
        ({"overdue": "true", "caseworker": "cw-bea"}, []),
        (
            {
                "overdue": "true",
                "program": "vr",
                "status": "in_pe_services",
                "caseworker": "cw-ada",
            },
            UNPAID,
        ),
    ],
)
def test_filters_by_program_caseworker_status_and_overdue_combine(
    client: TestClient, params: dict[str, str], expected: list[str]
) -> None:
    page = caseload(client, **params)

    assert numbers(page) == expected
    assert page["total"] == len(expected)


def test_a_filtered_caseload_pages_and_counts_only_its_own_cases(client: TestClient) -> None:
    pages = walk(client, caseload(client, overdue="true", limit=1))

    assert [numbers(p) for p in pages] == [[ASSISTED], ["VR-C-09"], ["VR-C-10"]]
    assert {p["total"] for p in pages} == {3}
    assert "overdue=true" in pages[0]["next"]


def test_overdue_only_counts_deadlines_past_their_due_date_on_the_day_asked(
    client: TestClient,
) -> None:
    # The invoices fall due 2024-08-19: not overdue that day (inclusive), overdue the next.
    on_due_date = caseload(client, overdue="true", program="vr", today="2024-08-19")
    day_after = caseload(client, overdue="true", program="vr", today="2024-08-20")

    assert numbers(on_due_date) == []
    assert numbers(day_after) == UNPAID


def test_each_case_lists_its_overdue_deadlines_with_kind_rule_subject_and_due_date(
    client: TestClient,
) -> None:
    lines = {c["case_number"]: c for c in caseload(client)["cases"]}

    assert lines["VR-C-09"]["overdue"] == 1
    assert lines["VR-C-09"]["overdue_items"] == [
        {
            "kind": "invoice_payment",
            "rule_id": None,
            "subject": str(ids("VR-C-09", "invoice")),
            "due_on": "2024-08-19",
        }
    ]
    assert lines[ASSISTED]["overdue"] == 2
    assert lines[ASSISTED]["overdue_items"] == [
        {"kind": "plan_reassessment", "rule_id": "TA-01", "subject": "", "due_on": "2024-04-29"},
        {
            "kind": "goal_target",
            "rule_id": "TA-01",
            "subject": str(ids(ASSISTED, "goal")),
            "due_on": "2024-04-30",
        },
    ]
    assert lines[MONITORED]["overdue_items"] == []
    assert lines[MONITORED]["next_deadline"]["rule_id"] == "VR-02"
    assert lines[ASSISTED]["program"] == Program.CASH_ASSISTANCE.value


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("program=housing", "program"),
        ("program=VR", "program"),
        ("status=bogus", "status"),
        ("status=closed", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.0", "limit"),
        ("limit=ten", "limit"),
        ("overdue=yes", "overdue"),
        ("overdue=1", "overdue"),
        ("today=2024-8-25", "today"),
        ("today=tomorrow", "today"),
        ("caseworker=", "caseworker"),
        ("cursor=", "cursor"),
        (f"cursor={'x' * 101}", "cursor"),
    ],
)
def test_an_unknown_program_or_status_a_limit_out_of_range_or_a_non_date_is_a_422_naming_it(
    client: TestClient, query: str, parameter: str
) -> None:
    response = client.get(f"/caseloads?{query}", headers=auth(ANALYST))

    problem = assert_problem(response, 422, "validation-failed")
    assert [e["loc"] for e in problem["errors"]] == [["query", parameter]]


def test_the_largest_page_is_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/caseloads"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")

    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    assert limit["schema"]["default"] == 50
