"""The caseload view's own query on SQLite and PostgreSQL: pages by case number with the total,
filters in SQL, and an overdue filter that agrees with each deadline's status on every day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.consumer import Delivery
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management
from application.settings import Settings
from domain.case import case_id_for
from domain.commands import OpenCase
from domain.deadlines import DeadlineStatus
from projections.caseload import CaseloadView
from scripts.local_postgres import conninfo
from tests.builders import open_case
from tests.conftest import unique
from tests.integration.api_support import CASEWORKER, assisted_case, served_case

TOPIC = "pes.case-events"
OPENED = [f"VR-Q-{n:02d}" for n in range(1, 6)]
SERVED = ["VR-Q-06", "VR-Q-07"]  # in PE services, an invoice received 2024-07-20, paid 2024-08-01
UNPAID = "VR-Q-08"  # the same invoice, never paid: due 2024-08-19
ASSISTED = "TA-Q-01"
EVERY_CASE = sorted([*OPENED, *SERVED, UNPAID, ASSISTED])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def view(request: pytest.FixtureRequest, tmp_path: Path) -> CaseloadView:
    """A caseload view on each engine, fed the cases above recorded in a SQLite event store."""
    cases = build_case_management(Settings(data_dir=tmp_path))
    steps = [
        *[
            (CASEWORKER, open_case(n, caseworker=("cw-ada", "cw-bea")[i % 2]))
            for i, n in enumerate(OPENED)
        ],
        *[step for n in SERVED for step in served_case(n)[:8]],
        *served_case(UNPAID)[:7],
        *assisted_case(ASSISTED)[:5],
    ]
    for actor, command in steps:
        if isinstance(command, OpenCase):
            cases.open_case(command, actor)
        else:
            cases.handle(command, actor)
    if request.param == "sqlite":
        db = ViewDatabase.sqlite(tmp_path / "views.sqlite")
    else:
        server = request.getfixturevalue("postgres_server")
        name = unique("views")
        server.create_database(name)
        db = ViewDatabase.postgres(conninfo(server.connection, dbname=name))
    view = CaseloadView(db, cases.policies)
    request.addfinalizer(view.close)
    for number in EVERY_CASE:
        events = cases.history(case_id_for(number))
        view.apply(
            TOPIC,
            0,
            [Delivery(TOPIC, 0, offset, event) for offset, event in enumerate(events)],
            len(events),
            lambda rejected: None,
        )
    cases.close()
    return view


def test_pages_run_by_case_number_each_with_the_total_until_the_last(view: CaseloadView) -> None:
    today = date(2024, 8, 25)
    pages = [view.caseload(today, limit=4)]
    while pages[-1].next_after is not None:
        assert len(pages) <= len(EVERY_CASE), "the pages never end"
        pages.append(view.caseload(today, limit=4, after=pages[-1].next_after))

    assert [[line.case.case_number for line in p.lines] for p in pages] == [
        EVERY_CASE[:4],
        EVERY_CASE[4:8],
        EVERY_CASE[8:],
    ]
    assert {p.total for p in pages} == {len(EVERY_CASE)}
    assert view.caseload(today, limit=4, after="ZZ").lines == []
    assert view.caseload(today, limit=4, after="ZZ").total == len(EVERY_CASE)


def test_filters_combine_in_the_query_and_count_only_the_matching_cases(
    view: CaseloadView,
) -> None:
    today = date(2024, 8, 25)

    def numbers(**filters: object) -> tuple[list[str], int]:
        page = view.caseload(today, **filters)  # type: ignore[arg-type]
        return [line.case.case_number for line in page.lines], page.total

    assert numbers(program="cash_assistance") == ([ASSISTED], 1)
    assert numbers(caseworker_id="cw-bea") == (["VR-Q-02", "VR-Q-04"], 2)
    assert numbers(status="in_pe_services", program="vr") == ([*SERVED, UNPAID], 3)
    assert numbers(status="monitoring") == ([ASSISTED], 1)
    assert numbers(overdue_only=True) == ([ASSISTED, UNPAID], 2)
    assert numbers(overdue_only=True, program="vr", caseworker_id="cw-ada") == ([UNPAID], 1)
    assert numbers(overdue_only=True, status="open") == ([], 0)
    assert numbers(overdue_only=True, limit=1) == ([ASSISTED], 2)


def test_the_overdue_filter_keeps_exactly_the_cases_with_a_deadline_overdue_on_each_day(
    view: CaseloadView,
) -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(0, 800, 7)]
    days += [date(2024, 8, 19), date(2024, 8, 20), date(2025, 3, 1), date(2025, 3, 2)]

    ever_overdue: set[str] = set()
    for day in days:
        filtered = {line.case.case_number for line in view.caseload(day, overdue_only=True).lines}
        by_status = {
            line.case.case_number
            for line in view.caseload(day).lines
            if any(
                d.status is DeadlineStatus.OVERDUE
                for d in view.deadlines_of(line.case.case_id, day)
            )
        }
        assert filtered == by_status, day
        ever_overdue |= filtered
    assert ever_overdue == {ASSISTED, UNPAID}


def test_each_line_lists_the_deadlines_overdue_that_day_oldest_first(view: CaseloadView) -> None:
    lines = {line.case.case_number: line for line in view.caseload(date(2024, 8, 25)).lines}

    assert [(d.kind.value, d.rule_id, d.due_on) for d in lines[ASSISTED].overdue] == [
        ("plan_reassessment", "TA-01", date(2024, 4, 29)),
        ("goal_target", "TA-01", date(2024, 4, 30)),
    ]
    assert [(d.kind.value, d.due_on) for d in lines[UNPAID].overdue] == [
        ("invoice_payment", date(2024, 8, 19))
    ]
    assert all(d.status is DeadlineStatus.OVERDUE for line in lines.values() for d in line.overdue)
    assert lines[SERVED[0]].overdue == ()


def test_a_page_of_no_case_is_refused(view: CaseloadView) -> None:
    with pytest.raises(ValueError, match="at least one case"):
        view.caseload(date(2024, 8, 25), limit=0)
