"""A synthetic VR caseload through the whole path: application, event store, relay, Kafka, view."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from uuid import UUID

import pytest

from adapters.avro import AvroCodec, published_schemas
from adapters.contract import contract_record
from adapters.schema_generation import domain_event_classes
from application.bootstrap import (
    build_case_management,
    build_caseload_projection,
    build_relay,
    open_caseload_view,
)
from application.cases import CaseManagement
from application.settings import Settings
from domain.assignment.commands import ReassignCase
from domain.base import Actor, Role
from domain.case import CaseStatus
from domain.commands import CorrectOutcomeDate
from domain.termination import DEADLINE_PROCESS
from scripts.cli import load_demo
from synthetic import SyntheticCaseload, drive
from tests.builders import new_employment_case_numbers
from tests.topic_reader import read_topic, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def as_avro_returns_it(value: object) -> object:
    if isinstance(value, dict):
        return {k: as_avro_returns_it(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [as_avro_returns_it(v) for v in value]
    return value.value if isinstance(value, Enum) else value


def correct_one_outcome_date(app: CaseManagement) -> None:
    """The generator never corrects a date; a supervisor corrects one case's outcome by a day."""
    case = next(
        c
        for c in map(app.get_case, app.case_ids())
        if c.status is CaseStatus.MONITORING and not c.requests and c.outcome_date is not None
    )
    assert case.outcome_date is not None
    app.handle(
        CorrectOutcomeDate(
            case_id=case.id,
            corrected_outcome_date=case.outcome_date + timedelta(days=1),
            corrected_on=max(case.last_activity_on, case.outcome_date + timedelta(days=1)),
            reason="the outcome was keyed from the offer letter",
            evidence_ref="payroll record",
        ),
        Actor(id="sup-test", role=Role.SUPERVISOR),
    )


def reassign_one_case(app: CaseManagement) -> None:
    """The generator never reassigns; a supervisor moves one open case to another caseworker."""
    case = next(
        c for c in map(app.get_case, app.case_ids()) if c.status is not CaseStatus.TERMINATED
    )
    app.handle(
        ReassignCase(
            case_id=case.id,
            caseworker_id=f"{case.caseworker_id}-successor",
            reassigned_on=case.last_activity_on,
            reason="caseload balancing",
        ),
        Actor(id="sup-test", role=Role.SUPERVISOR),
    )


def test_every_accepted_command_reaches_kafka_decodable_and_the_caseload_agrees(
    settings: Settings,
) -> None:
    app = build_case_management(settings)
    caseload = SyntheticCaseload(seed=11, cases=90)
    result = drive(app, caseload.commands())
    assert result.unexpected == []
    assert result.accepted > 90 and sum(result.refused.values()) > 0
    due = sorted(caseload.termination_commands(), key=lambda entry: entry[0])
    for _, terminate in due[: len(due) // 2]:
        app.handle(terminate, DEADLINE_PROCESS)
    correct_one_outcome_date(app)
    reassign_one_case(app)

    relay = build_relay(settings, app)
    relay.drain()
    relay.close()

    codec = AvroCodec(published_schemas())
    messages = read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic)
    recorded = app.recorder.select_notifications(start=1, limit=100_000)
    assert len(messages) == len(recorded)
    stored_records = {
        (n.originator_id, n.originator_version): contract_record(app.mapper.to_domain_event(n))
        for n in recorded
    }
    published_types = {codec.decode(m.value).event_type for m in messages}
    assert published_types == {c.__name__ for c in domain_event_classes()}
    for message in messages:
        decoded = codec.decode(message.value).record
        expected = stored_records[(decoded["case_id"], decoded["case_version"])]
        assert decoded == as_avro_returns_it(expected)

    projection = build_caseload_projection(settings, group_id="test-synthetic")
    view = open_caseload_view(settings)
    try:
        wait_for(
            lambda: (
                projection.poll_once(timeout_ms=100) >= 0
                and sum(e.version for e in view.cases()) == len(recorded)
            ),
            what="every event in the caseload view",
        )
    finally:
        projection.close()
    entries = view.cases()
    # The 90 planned cases and the new employment program cases their determinations opened.
    assert (
        len(entries) == 90 + len(new_employment_case_numbers(caseload)) == len(list(app.case_ids()))
    )
    for entry in entries:
        case = app.get_case(UUID(entry.case_id))
        assert (entry.status, entry.version, entry.caseworker_id) == (
            case.status.value,
            case.version,
            case.caseworker_id,
        )
    statuses = {e.status for e in entries}
    assert CaseStatus.TERMINATED.value in statuses and CaseStatus.MONITORING.value in statuses


def test_the_demo_caseload_records_its_history_up_to_today_and_nothing_after(
    store_settings: Settings,
) -> None:
    today = date(2025, 6, 30)

    load_demo(store_settings, 60, clock=lambda: today)

    app = build_case_management(store_settings)
    events = [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=1, limit=100_000)
    ]
    assert max(e.effective_on for e in events) <= today
    caseload = SyntheticCaseload(seed=1, cases=60, start=today - timedelta(days=540))
    assert caseload.last_day() > today  # the rest of its history is still to come
    assert max(e.effective_on for e in events) >= today - timedelta(days=30)
