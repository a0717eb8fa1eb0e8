"""A `TimelineFold` over a run of a case's events gives the timeline `advance` gives event by
event: the nested entries it keeps by id on its draft (authorizations, invoices, goals,
contacts), their dates gathered and copied once, end up as the value objects `advance` builds,
whether they were added in the fold or came with the timeline it started from."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.assistance.values import EligibilityStatus, GoalStatus, SupportProgram
from domain.base import Aggregate
from domain.deadlines import CaseTimeline, TimelineFold, advance, timeline_of
from tests.builders import BILLING, OUTCOME, AssistanceFile, CaseFile


def vr_history() -> list[Aggregate.Event]:
    """Two services: one provided, invoiced, paid and unencumbered, one cancelled then
    unencumbered; the case returns to monitoring once both are closed (VR-10)."""
    file = CaseFile()
    first = file.open_request(OUTCOME + timedelta(days=1))
    served = file.authorized(first, OUTCOME + timedelta(days=2))
    second = file.open_request(OUTCOME + timedelta(days=3))
    cancelled = file.authorized(second, OUTCOME + timedelta(days=4))
    closed_on = file.close_service(served, OUTCOME + timedelta(days=10))
    file.do(file.cancel(cancelled, closed_on + timedelta(days=1)))
    file.do(file.unencumber(cancelled, closed_on + timedelta(days=2)), BILLING)
    file.do(file.back_to_monitoring(closed_on + timedelta(days=3)))
    return file.all_events()


def assistance_history() -> list[Aggregate.Event]:
    """A plan with two goals (one achieved), two planned contacts (one made), and a renewal."""
    file = AssistanceFile()
    start = file.all_events()[0].effective_on
    file.planned(start + timedelta(days=1))
    kept = file.goal_set(start + timedelta(days=2))
    achieved = file.goal_set(start + timedelta(days=3))
    file.do(file.goal_status(achieved, start + timedelta(days=4), GoalStatus.ACHIEVED))
    made = file.plan_contact(start + timedelta(days=5), start + timedelta(days=9))
    file.do(made)
    file.do(file.plan_contact(start + timedelta(days=6), start + timedelta(days=30)))
    file.do(file.contact(made.contact_id, start + timedelta(days=9)))
    file.do(file.goal_status(kept, start + timedelta(days=10), GoalStatus.IN_PROGRESS))
    file.do(file.eligibility(SupportProgram.HEALTH_INSURANCE, start + timedelta(days=11)))
    file.do(
        file.eligibility(
            SupportProgram.HEALTH_INSURANCE,
            start + timedelta(days=12),
            EligibilityStatus.NOT_ELIGIBLE,
        )
    )
    return file.all_events()


HISTORIES = {"vr": vr_history, "cash assistance": assistance_history}


def folded(start: CaseTimeline | None, events: list[Aggregate.Event]) -> CaseTimeline:
    fold = TimelineFold(start)
    for event in events:
        fold.advance(event)
    return fold.timeline()


def stored(timeline: CaseTimeline) -> CaseTimeline:
    """The timeline as a view reads it back."""
    return CaseTimeline.model_validate_json(timeline.model_dump_json())


@pytest.mark.parametrize("history", list(HISTORIES))
def test_one_fold_of_a_history_gives_the_timeline_advanced_event_by_event(history: str) -> None:
    events = HISTORIES[history]()
    expected = timeline_of(events)
    assert expected is not None

    timeline = folded(None, events)

    assert timeline == expected
    assert timeline.model_dump_json() == expected.model_dump_json()
    assert timeline.model_fields_set == expected.model_fields_set


@pytest.mark.parametrize("history", list(HISTORIES))
def test_a_fold_from_a_stored_timeline_dates_its_nested_entries_as_advance_does(
    history: str,
) -> None:
    events = HISTORIES[history]()
    expected = timeline_of(events)
    assert expected is not None

    for cut in range(1, len(events)):
        timeline = folded(stored(folded(None, events[:cut])), events[cut:])

        assert timeline == expected, cut
        assert timeline.model_dump_json() == expected.model_dump_json(), cut


@pytest.mark.parametrize("history", list(HISTORIES))
def test_a_fold_read_between_events_gives_each_timeline_advance_gives(history: str) -> None:
    events = HISTORIES[history]()
    fold = TimelineFold(None)
    one_by_one: CaseTimeline | None = None

    for event in events:
        fold.advance(event)
        one_by_one = advance(one_by_one, event)

        assert fold.timeline() == one_by_one
        assert fold.timeline().model_dump_json() == one_by_one.model_dump_json()
