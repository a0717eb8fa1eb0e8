"""Refused commands kept as decision records in SQLite and PostgreSQL, published on their own
topic, verified like the events and shown in the audit trail (VR-06 as the example)."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

from adapters.avro import AvroCodec, published_schemas
from adapters.history import refusal_facts_from_store, refusal_facts_from_topic
from adapters.refusal_records import RefusalMapper
from application.bootstrap import (
    build_case_management,
    build_refusal_records,
    build_refusal_relay,
    build_relay,
)
from application.cases import CaseManagement
from application.settings import Settings
from application.verification import REFUSALS_IN_STORE, verify
from domain.case import case_id_for
from domain.commands import AuthorizeService
from domain.errors import RuleViolation
from domain.values import ServiceType
from scripts.exit_codes import ExitCode
from tests.builders import (
    CASEWORKER,
    authorize,
    determine_appropriate,
    open_case,
    record_outcome,
    request_services,
)
from tests.conftest import unique
from tests.integration.api_support import AUDITOR, api_client, auth, send
from tests.integration.api_support import CASEWORKER as API_CASEWORKER
from tests.integration.test_tamper_evidence import StoredRows, pes_verify
from tests.topic_reader import read_topic

TODAY = date(2024, 6, 1)
NUMBER = "VR-REF-1"
CASE_ID = case_id_for(NUMBER)


def excluded_service(number: str = NUMBER) -> AuthorizeService:
    return authorize(number, date(2024, 3, 15), date(2024, 3, 20), date(2024, 4, 20)).model_copy(
        update={"service_type": ServiceType.EMPLOYMENT_JOB_PLACEMENT}
    )


def requested_case(app: CaseManagement, number: str = NUMBER) -> None:
    app.open_case(open_case(number), CASEWORKER)
    app.handle(record_outcome(number), CASEWORKER)
    app.handle(request_services(number, date(2024, 3, 10)), CASEWORKER)
    app.handle(determine_appropriate(number, date(2024, 3, 12)), CASEWORKER)


def refused(app: CaseManagement, times: int = 1, number: str = NUMBER) -> None:
    for _ in range(times):
        with pytest.raises(RuleViolation):
            app.handle(excluded_service(number), CASEWORKER)


@pytest.fixture
def app(store_settings: Settings) -> Iterator[CaseManagement]:
    application = build_case_management(store_settings, clock=lambda: TODAY)
    requested_case(application)
    yield application
    application.close()


def test_a_refused_authorization_keeps_a_record_and_leaves_the_history_unchanged_VR_06(
    store_settings: Settings, app: CaseManagement
) -> None:
    history = app.history(CASE_ID)

    refused(app)

    assert app.history(CASE_ID) == history
    assert app.get_case(CASE_ID).version == 4
    records = build_refusal_records(store_settings)
    [fact] = refusal_facts_from_store(records.recorder, records.refusal_mapper)
    assert (fact.event_type, fact.case_id, fact.effective_on) == (
        "CommandRefused",
        str(CASE_ID),
        TODAY,
    )
    assert (fact.fields["case_number"], fact.fields["case_version"]) == (NUMBER, 4)
    assert (fact.fields["command_type"], fact.fields["rule_ids"]) == ("AuthorizeService", ["VR-06"])
    assert fact.fields["actor"] == {"id": CASEWORKER.id, "role": "caseworker"}
    # The case events' own table holds facts only.
    assert all(
        not n.topic.endswith("CommandRefused") for n in app.recorder.select_notifications(1, 100)
    )


def test_concurrent_refusals_on_one_case_lose_no_record_VR_06(
    store_settings: Settings, app: CaseManagement
) -> None:
    # Two applications, as two processes would be: their commands do not take turns.
    other = build_case_management(store_settings, clock=lambda: TODAY)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def refuse_many(application: CaseManagement) -> None:
        try:
            start.wait(timeout=60)
            refused(application, times=8)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=refuse_many, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    other.close()

    assert failures == [] and not any(t.is_alive() for t in threads)
    assert app.refusals is not None
    records = app.refusals.refusals_of(CASE_ID)
    assert [r.originator_version for r in records] == list(range(1, 17))
    assert verify(store_settings, "store").intact


def test_tampering_with_a_stored_refusal_record_is_detected_naming_the_case_VR_06(
    store_settings: Settings, app: CaseManagement
) -> None:
    refused(app, times=3)
    records = build_refusal_records(store_settings)
    rows = StoredRows(store_settings, cast(Any, records))
    mapper = records.refusal_mapper
    second = records.refusals_of(CASE_ID)[1]
    changed = second.model_copy(update={"rule_ids": ()})
    rows.set_state(CASE_ID, 2, mapper.to_stored_event(changed).state)

    verification = verify(store_settings, "store")

    assert not verification.intact
    [report] = [r for r in verification.reports if r.source == REFUSALS_IN_STORE]
    [broken] = report.broken
    assert (broken.case_id, broken.case_number, broken.case_version) == (str(CASE_ID), NUMBER, 2)
    assert "content changed" in broken.problem
    assert f"case {NUMBER}" in str(broken)
    events = next(r for r in verification.reports if r.source == "event store")
    assert events.broken == []


def test_pes_verify_fails_on_a_flipped_byte_in_a_refusal_record(
    store_settings: Settings, app: CaseManagement
) -> None:
    refused(app, times=2)
    records = build_refusal_records(store_settings)
    rows = StoredRows(store_settings, cast(Any, records))
    state = bytearray(rows.state(CASE_ID, 1))
    state[len(state) // 2] ^= 0x01
    rows.set_state(CASE_ID, 1, bytes(state))

    run = pes_verify(store_settings, "store")

    assert run.returncode == ExitCode.CHECK_FAILED, run.stdout + run.stderr
    assert f"case {NUMBER} (id {CASE_ID}) version 1 [{REFUSALS_IN_STORE}" in run.stdout


def test_a_refusal_still_answers_when_its_record_cannot_be_stored_VR_06(
    store_settings: Settings, app: CaseManagement
) -> None:
    rows = StoredRows(store_settings, cast(Any, build_refusal_records(store_settings)))
    rows.run("DROP TABLE {table}")

    with pytest.raises(RuleViolation) as refusal:
        app.handle(excluded_service(), CASEWORKER)

    assert refusal.value.rule_id == "VR-06"
    assert app.get_case(CASE_ID).version == 4


@pytest.mark.kafka
def test_refusal_records_reach_their_own_topic_keyed_by_case_and_verify_VR_06(
    settings: Settings,
) -> None:
    app = build_case_management(settings, clock=lambda: TODAY)
    requested_case(app)
    refused(app, times=2)
    relay, refusal_relay = build_relay(settings, app), build_refusal_relay(settings)
    try:
        assert relay.drain() == 4
        assert refusal_relay.drain() == 2
        assert refusal_relay.drain() == 0  # its position is kept: nothing twice
    finally:
        relay.close()
        refusal_relay.close()
    servers = cast(str, settings.kafka_bootstrap_servers)

    messages = read_topic(servers, settings.command_refusals_topic)
    case_messages = read_topic(servers, settings.case_events_topic)
    facts = list(
        refusal_facts_from_topic(
            servers, settings.command_refusals_topic, AvroCodec(published_schemas())
        )
    )

    assert [m.key for m in messages] == [str(CASE_ID).encode()] * 2
    assert [dict(m.headers)["refusal_number"] for m in messages] == [b"1", b"2"]
    assert all(dict(m.headers)["event_type"] != b"CommandRefused" for m in case_messages)
    assert len(case_messages) == 4
    assert [(f.case_id, f.case_version, f.fields["rule_ids"]) for f in facts] == [
        (str(CASE_ID), 4, ["VR-06"])
    ] * 2
    mapper = RefusalMapper(AvroCodec(published_schemas()))
    assert app.refusals is not None
    stored = app.refusals.refusals_of(CASE_ID)
    assert [mapper.event_from_message(m.value) for m in messages] == stored
    verification = verify(settings, "both")
    assert verification.intact, verification
    app.close()


def test_the_audit_trail_over_http_shows_the_refused_attempt_VR_06(tmp_path: Path) -> None:
    number = "VR-REF-HTTP"
    with api_client(tmp_path) as client:
        for command in (
            open_case(number, caseworker=API_CASEWORKER.id),
            record_outcome(number),
            request_services(number, date(2024, 3, 10)),
            determine_appropriate(number, date(2024, 3, 12)),
        ):
            assert send(client, API_CASEWORKER, command).status_code in (200, 201)
        refusal = send(client, API_CASEWORKER, excluded_service(number))
        assert refusal.status_code == 422, refusal.text
        case_id = case_id_for(number)

        document = client.get(f"/cases/{case_id}/audit", headers=auth(AUDITOR)).json()
        page = client.get(f"/cases/{case_id}/audit.html", headers=auth(AUDITOR)).text

    [attempt] = document["refusals"]
    assert attempt["attempt"] == "attempted AuthorizeService, refused by VR-06"
    assert (attempt["actor_role"], attempt["rule_ids"]) == ("caseworker", ["VR-06"])
    assert attempt["policy_version"] == "2018-10-02"
    assert len(document["timeline"]) == 4
    assert "Attempted: Authorize service" in page and "refused by VR-06" in page


@pytest.mark.kafka
def test_with_a_cipher_key_refusal_records_are_ciphertext_at_rest_and_plain_avro_on_the_topic(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        command_refusals_topic=unique("test.command-refusals"),
        case_events_partitions=3,
        cipher_key=base64.b64encode(os.urandom(32)).decode(),
    )
    app = build_case_management(settings, clock=lambda: TODAY)
    requested_case(app)
    refused(app)
    records = build_refusal_records(settings)
    codec = AvroCodec(published_schemas())
    [stored] = records.recorder.select_notifications(start=1, limit=10)
    refusal_relay = build_refusal_relay(settings, records)
    refusal_relay.drain()
    refusal_relay.close()
    app.close()

    [message] = read_topic(kafka_bootstrap, settings.command_refusals_topic)

    assert not stored.state.startswith(
        b"\xc3\x01" + codec.schemas.latest("CommandRefused").fingerprint
    )
    assert codec.decode(message.value).record["rule_ids"] == ["VR-06"]
