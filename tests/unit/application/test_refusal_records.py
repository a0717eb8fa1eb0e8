"""Refused commands kept as decision records, outside the case's history (VR-06 as the example)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from eventsourcing.persistence import Notification

from adapters.audit_report import audit_to_json
from adapters.avro import AvroCodec, SchemaSet
from adapters.history import refusal_facts_from_store
from adapters.metrics import Metrics
from adapters.pages.case_page import case_page
from adapters.refusal_records import RefusalMapper, refusal_message, refusal_schema
from adapters.schema_generation import render
from application.audit import audit_of
from application.bootstrap import build_case_management
from application.case_file import case_file_of
from application.cases import CaseManagement
from application.settings import Settings
from domain.base import content_digest
from domain.case import case_id_for
from domain.commands import AuthorizeService
from domain.errors import (
    CaseAlreadyExists,
    CaseNotFound,
    ConcurrencyConflict,
    EffectiveDateInFuture,
    RuleViolation,
)
from domain.refusals import CommandRefused, RefusalLog
from domain.values import ServiceType
from tests.builders import (
    CASEWORKER,
    POLICIES,
    authorize,
    determine_appropriate,
    open_case,
    record_outcome,
    request_services,
)

TODAY = date(2024, 6, 1)
NUMBER = "VR-REF-1"
CASE_ID = case_id_for(NUMBER)
CONTRACT_KEYS = {
    "case_number",
    "case_version",
    "program",
    "command_type",
    "command",
    "rule_ids",
    "messages",
    "policy_version",
    "actor",
}
SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "CommandRefused.v1.avsc"
ASYNCAPI = yaml.safe_load((SCHEMA_PATH.parents[1] / "docs" / "asyncapi.yaml").read_text())


def excluded_service() -> AuthorizeService:
    return authorize(NUMBER, date(2024, 3, 15), date(2024, 3, 20), date(2024, 4, 20)).model_copy(
        update={"service_type": ServiceType.EMPLOYMENT_JOB_PLACEMENT}
    )


def app_with_a_requested_case(tmp_path: Path, metrics: Metrics | None = None) -> CaseManagement:
    app = build_case_management(Settings(data_dir=tmp_path), metrics=metrics, clock=lambda: TODAY)
    app.open_case(open_case(NUMBER), CASEWORKER)
    app.handle(record_outcome(NUMBER), CASEWORKER)
    app.handle(request_services(NUMBER, date(2024, 3, 10)), CASEWORKER)
    app.handle(determine_appropriate(NUMBER, date(2024, 3, 12)), CASEWORKER)
    return app


def test_a_refused_authorization_leaves_the_case_unchanged_and_keeps_a_record_VR_06(
    tmp_path: Path,
) -> None:
    app = app_with_a_requested_case(tmp_path)
    history = app.history(CASE_ID)

    with pytest.raises(RuleViolation) as refusal:
        app.handle(excluded_service(), CASEWORKER)

    assert refusal.value.rule_id == "VR-06"
    assert app.history(CASE_ID) == history and app.get_case(CASE_ID).version == 4
    assert app.refusals is not None
    [record] = app.refusals.refusals_of(CASE_ID)
    assert (record.case_id, record.originator_version, record.case_version) == (CASE_ID, 1, 4)
    assert (record.command_type, record.rule_ids) == ("AuthorizeService", ("VR-06",))
    assert record.messages == (refusal.value.message,)
    assert (record.actor, record.effective_on, record.policy_version) == (
        CASEWORKER,
        TODAY,
        POLICIES.vr[0].version,
    )
    assert json.loads(record.command) == excluded_service().model_dump(mode="json")


def test_the_record_reads_as_a_fact_with_exactly_the_contract_fields_VR_06(
    tmp_path: Path,
) -> None:
    app = app_with_a_requested_case(tmp_path)
    with pytest.raises(RuleViolation):
        app.handle(excluded_service(), CASEWORKER)
    assert app.refusals is not None
    records = app.refusals.records

    [fact] = refusal_facts_from_store(records.recorder, records.refusal_mapper)

    assert (fact.event_type, fact.case_id, fact.effective_on) == (
        "CommandRefused",
        str(CASE_ID),
        TODAY,
    )
    assert set(fact.fields) >= CONTRACT_KEYS
    contract = {key: fact.fields[key] for key in CONTRACT_KEYS}
    assert contract == {
        "case_number": NUMBER,
        "case_version": 4,
        "program": "vr",
        "command_type": "AuthorizeService",
        "command": json.dumps(
            excluded_service().model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        ),
        "rule_ids": ["VR-06"],
        "messages": [contract["messages"][0]],
        "policy_version": POLICIES.vr[0].version,
        "actor": {"id": CASEWORKER.id, "role": "caseworker"},
    }
    assert "never a PE service" in contract["messages"][0]


def test_repeated_refusals_are_chained_in_the_cases_refusal_log_VR_06(tmp_path: Path) -> None:
    app = app_with_a_requested_case(tmp_path)
    for _ in range(3):
        with pytest.raises(RuleViolation):
            app.handle(excluded_service(), CASEWORKER)
    assert app.refusals is not None

    records = app.refusals.refusals_of(CASE_ID)

    assert [r.originator_version for r in records] == [1, 2, 3]
    assert [r.previous_hash for r in records] == [None] + [r.content_hash for r in records[:2]]
    assert all(r.content_hash == content_digest(r) for r in records)


def test_a_case_opened_twice_keeps_the_refusal_on_the_existing_case(tmp_path: Path) -> None:
    app = app_with_a_requested_case(tmp_path)

    with pytest.raises(CaseAlreadyExists):
        app.open_case(open_case(NUMBER), CASEWORKER)

    assert app.refusals is not None
    [record] = app.refusals.refusals_of(CASE_ID)
    assert (record.command_type, record.case_number, record.case_version) == ("OpenCase", NUMBER, 4)


def test_an_opening_refused_before_the_case_exists_names_no_case(tmp_path: Path) -> None:
    app = build_case_management(Settings(data_dir=tmp_path), clock=lambda: TODAY)

    with pytest.raises(EffectiveDateInFuture):
        app.open_case(open_case(NUMBER, opened_on=date(2024, 6, 2)), CASEWORKER)

    assert app.refusals is not None
    [record] = app.refusals.refusals_of(CASE_ID)
    assert (record.case_number, record.case_version, record.program) == (None, 0, None)
    assert record.policy_version is None and record.rule_ids == ()


def test_no_record_for_a_concurrency_conflict_a_missing_case_or_a_check(tmp_path: Path) -> None:
    app = app_with_a_requested_case(tmp_path)
    assert app.refusals is not None

    with pytest.raises(ConcurrencyConflict):
        app.handle(record_outcome(NUMBER), CASEWORKER, expected_version=2)
    with pytest.raises(CaseNotFound):
        app.handle(record_outcome("VR-NOBODY"), CASEWORKER)
    with pytest.raises(RuleViolation):
        app.check(excluded_service(), CASEWORKER)

    assert app.refusals.refusals_of(CASE_ID) == []
    assert app.refusals.refusals_of(case_id_for("VR-NOBODY")) == []


def test_a_refusal_that_cannot_be_stored_is_still_the_answer_and_is_counted_VR_06(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    app = app_with_a_requested_case(tmp_path, metrics)
    assert app.refusals is not None
    datastore: Any = app.refusals.records.recorder
    with datastore.datastore.transaction(commit=True) as cursor:
        cursor.execute("DROP TABLE refusals_events")

    with caplog.at_level(logging.ERROR), pytest.raises(RuleViolation) as refusal:
        app.handle(excluded_service(), CASEWORKER)

    assert refusal.value.rule_id == "VR-06"
    assert metrics.refusal_records_failed._value.get() == 1
    assert "refusal of AuthorizeService (VR-06) was not recorded" in caplog.text
    assert app.get_case(CASE_ID).version == 4


def test_the_audit_trail_shows_the_refused_attempt_beside_the_facts_VR_06(tmp_path: Path) -> None:
    app = app_with_a_requested_case(tmp_path)
    with pytest.raises(RuleViolation):
        app.handle(excluded_service(), CASEWORKER)

    audit = audit_of(app, CASE_ID)
    document = json.loads(audit_to_json(audit, date(2024, 5, 31)))
    page = case_page(case_file_of(app, CASE_ID, TODAY), POLICIES)
    then = case_page(case_file_of(app, CASE_ID, TODAY, as_of=date(2024, 5, 31)), POLICIES)

    [refusal] = document["refusals"]
    assert refusal["summary"].startswith("attempted AuthorizeService, refused by VR-06: ")
    assert (refusal["actor_id"], refusal["actor_role"], refusal["rule_ids"]) == (
        CASEWORKER.id,
        "caseworker",
        ["VR-06"],
    )
    assert refusal["policy_version"] == POLICIES.vr[0].version
    assert len(document["timeline"]) == 4
    assert document["as_of"]["refusals"] == []  # refused on TODAY, after the as-of date
    assert "Attempted: Authorize service" in page and "refused by VR-06" in page
    assert page.count('<tr class="refused">') == 1
    assert then.count('<tr class="refused later">') == 1  # refused on TODAY, after 2024-05-31


def test_the_committed_schema_is_the_one_the_record_class_makes() -> None:
    assert SCHEMA_PATH.read_text() == render(refusal_schema())


def sealed_record(log: RefusalLog) -> CommandRefused:
    return log.refused(
        excluded_service(),
        RuleViolation("VR-06", "excluded"),
        CASEWORKER,
        None,
        POLICIES,
        TODAY,
        datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC),
    )


def test_a_record_round_trips_through_its_avro_bytes_with_its_seal() -> None:
    mapper = RefusalMapper(AvroCodec(SchemaSet()))
    first = sealed_record(RefusalLog(CASE_ID))
    second = sealed_record(RefusalLog(CASE_ID).after(first))

    stored = mapper.to_stored_event(second)
    rebuilt = mapper.to_domain_event(stored)

    assert rebuilt == second and content_digest(rebuilt) == second.content_hash
    assert second.previous_hash == first.content_hash
    assert mapper.event_from_message(stored.state) == second


def test_the_refusal_relay_sends_the_documented_key_and_headers() -> None:
    codec = AvroCodec(SchemaSet())
    record = sealed_record(RefusalLog(CASE_ID))
    stored = RefusalMapper(codec).to_stored_event(record)
    notification = Notification(
        id=9,
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
    )

    sent = refusal_message(notification, stored.state, codec)

    documented = ASYNCAPI["components"]["messages"]["CommandRefused.v1"]
    headers = dict(sent.headers)
    assert sent.key == str(CASE_ID).encode()
    assert set(headers) == set(documented["headers"]["required"])
    assert headers["event_type"] == b"CommandRefused" and headers["schema_version"] == b"1"
    assert headers["refusal_id"] == str(record.refusal_id).encode()
    assert headers["refusal_number"] == b"1" and headers["notification_id"] == b"9"
