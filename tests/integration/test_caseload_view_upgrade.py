"""A caseload view keeps each deadline's own lead time (TA-06's renewal alert), and a view built
before it kept one gains it in place, from the timelines it stored: no rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.consumer import Delivery
from adapters.view_database import ViewDatabase
from domain.assistance.values import SupportProgram
from domain.deadlines import DeadlineKind, DeadlineStatus
from projections.caseload import CaseloadView
from scripts.local_postgres import conninfo
from tests.builders import AssistanceFile
from tests.conftest import unique

TOPIC = "pes.case-events"
RENEWAL = date(2024, 8, 1)  # food assistance; the TA policy's lead time is 30 days


OpenDatabase = Callable[[], ViewDatabase]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> OpenDatabase:
    """Opens a new connection to the same view database on each call."""
    if request.param == "sqlite":
        return lambda: ViewDatabase.sqlite(tmp_path / "views.sqlite")
    server = request.getfixturevalue("postgres_server")
    name = unique("views")
    server.create_database(name)
    return lambda: ViewDatabase.postgres(conninfo(server.connection, dbname=name))


def a_renewal_case() -> list[Any]:
    file = AssistanceFile(case_number="TA-UPG-1")
    file.do(file.eligibility(SupportProgram.FOOD_ASSISTANCE, date(2024, 2, 1), renewal_on=RENEWAL))
    return file.all_events()


def feed(view: CaseloadView, events: list[Any]) -> CaseloadView:
    view.apply(
        TOPIC,
        0,
        [Delivery(TOPIC, 0, offset, event) for offset, event in enumerate(events)],
        len(events),
        lambda rejected: None,
    )
    return view


def fed_view(db: ViewDatabase) -> CaseloadView:
    return feed(CaseloadView(db), a_renewal_case())


def renewal_status(view: CaseloadView, today: date) -> DeadlineStatus:
    (renewal,) = [
        d
        for d in view.deadlines_of(view.cases()[0].case_id, today)
        if d.kind is DeadlineKind.BENEFIT_RENEWAL
    ]
    return renewal.status


def test_a_renewal_is_due_soon_from_its_own_lead_time_not_the_weeks_default_TA_06(
    open_db: OpenDatabase,
) -> None:
    view = fed_view(open_db())
    # 2024-07-01 is 31 days before the renewal, 2024-07-02 is 30.
    assert renewal_status(view, date(2024, 7, 1)) is DeadlineStatus.PENDING
    assert renewal_status(view, date(2024, 7, 2)) is DeadlineStatus.DUE_SOON
    assert renewal_status(view, date(2024, 8, 2)) is DeadlineStatus.OVERDUE
    alertable = [d.kind for d in view.due_soon_or_overdue(date(2024, 7, 2))]
    assert DeadlineKind.BENEFIT_RENEWAL in alertable
    assert DeadlineKind.BENEFIT_RENEWAL not in [
        d.kind for d in view.due_soon_or_overdue(date(2024, 7, 1))
    ]
    view.close()


def test_a_view_built_without_lead_times_gains_them_from_its_stored_timelines(
    open_db: OpenDatabase,
) -> None:
    view = fed_view(open_db())
    current = view.snapshot()
    # As the view stood before deadlines kept their lead time.
    view.db.execute("ALTER TABLE case_deadlines DROP COLUMN due_soon_from")
    view.close()

    upgraded = CaseloadView(open_db())
    assert "due_soon_from" in upgraded.db.columns("case_deadlines")
    assert upgraded.snapshot() == current
    assert renewal_status(upgraded, date(2024, 7, 2)) is DeadlineStatus.DUE_SOON
    upgraded.close()
    # Opening it again changes nothing.
    again = CaseloadView(open_db())
    assert again.snapshot() == current
    again.close()


def test_a_view_built_before_it_tracked_case_versions_takes_them_from_its_rows(
    open_db: OpenDatabase,
) -> None:
    events = a_renewal_case()
    view = feed(CaseloadView(open_db()), events)
    current = view.snapshot()
    versions = view.applied_versions()
    # As the view stood before it kept its versions in `applied_versions` with the other stores.
    view.db.execute("DELETE FROM applied_versions WHERE view = 'caseload'")
    view.close()

    upgraded = CaseloadView(open_db())
    assert upgraded.applied_versions() == versions == {str(events[0].originator_id): len(events)}
    assert upgraded.snapshot() == current
    # A redelivery after the upgrade is passed over: every event still applies once.
    feed(upgraded, events)
    assert upgraded.snapshot() == current
    upgraded.close()
