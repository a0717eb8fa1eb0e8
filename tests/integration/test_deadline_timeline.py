"""A synthetic caseload lived day by day: every case terminates once, on its VR-11 date.

The clock moves one day at a time from the caseload's first business day to its last
termination. Each day the day's commands are recorded, the relay and the view catch up from
Kafka, and the deadline process ticks. Sized by PES_TIMELINE_CASES: 1,000 cases in the
integration tier, 10,000 in `make test-slow`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from uuid import UUID

import pytest

from application.settings import Settings
from domain.deadlines import DeadlineStatus, deadlines, status_on, timeline_of
from synthetic import SyntheticCaseload, drive
from tests.conftest import unique
from tests.pipeline import SteppedClock, SteppedSystem

pytestmark = pytest.mark.kafka

CASES = int(os.environ.get("PES_TIMELINE_CASES", "1000"))


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(date(2000, 1, 1))


@pytest.fixture
def system(tmp_path: Path, kafka_bootstrap: str, clock: SteppedClock) -> Iterator[SteppedSystem]:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        deadline_alerts_topic=unique("test.alerts"),
        case_events_partitions=3,
        relay_batch_size=5000,
        consumer_max_poll_records=2000,
    )
    stepped = SteppedSystem(settings, group_id="test-timeline", clock=clock)
    yield stepped
    stepped.close()


def overdue_brute_force(system: SteppedSystem, today: date) -> set[tuple[str, str, str]]:
    """Every overdue deadline, recomputed from all events in the event store."""
    events_by_case: dict[UUID, list] = defaultdict(list)
    for notification in system.app.recorder.select_notifications(start=1, limit=10**7):
        event = system.app.mapper.to_domain_event(notification)
        events_by_case[event.originator_id].append(event)
    overdue = set()
    for case_id, events in events_by_case.items():
        timeline = timeline_of(events)
        if timeline is None:
            continue
        for d in deadlines(timeline, system.app.policies):
            if status_on(d, today) is DeadlineStatus.OVERDUE:
                overdue.add((str(case_id), d.kind.value, str(d.subject_id) if d.subject_id else ""))
    return overdue


def test_every_case_terminates_exactly_once_on_its_VR_11_date_as_the_clock_moves_day_by_day(
    system: SteppedSystem, clock: SteppedClock
) -> None:
    caseload = SyntheticCaseload(seed=2024, cases=CASES)
    expected = caseload.expected_terminations()
    commands_by_day = {
        day: list(items)
        for day, items in groupby(caseload.commands(), key=lambda item: item.command.effective_on)
    }
    first, last = min(commands_by_day), max(expected.values())
    # Overdue queues are compared on the first day of each quarter of the busy years.
    samples = {date(year, month, 1) for year in (2024, 2025, 2026) for month in (1, 4, 7, 10)}
    terminated_on: dict[str, list[date]] = defaultdict(list)
    unexpected: list[str] = []
    checked_queues = 0

    today = first
    while today <= last:
        clock.today = today  # each day's commands are recorded on that day, none ahead of it
        if today in commands_by_day:
            unexpected += drive(system.app, commands_by_day[today]).unexpected
        report = system.tick(today)
        for number in report.terminated:
            terminated_on[number].append(today)
        assert report.deferred == [], report.deferred
        if today in samples:
            system.sync()
            in_view = {(d.case_id, d.kind.value, d.subject) for d in system.view.overdue(today)}
            assert in_view == overdue_brute_force(system, today), f"overdue queue on {today}"
            checked_queues += 1
        today += timedelta(days=1)

    assert unexpected == []
    numbers = {plan.case_id: plan.case_number for plan in caseload.plans()}
    # Cash-assistance cases never terminate (VR-11 is the VR program's).
    assert len(terminated_on) == len(expected) == CASES - len(caseload.cash_assistance_case_ids())
    for case_id, due in expected.items():
        assert terminated_on[numbers[case_id]] == [due], numbers[case_id]
        history = system.app.history(case_id)
        assert [e.effective_on for e in history if type(e).__name__ == "CaseTerminated"] == [due]
    assert checked_queues >= 8
