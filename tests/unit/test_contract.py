"""The Avro contract: every event type has a schema, round-trips, and old versions stay readable."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from fastavro import schemaless_writer

from adapters.avro import (
    DEFAULT_SCHEMA_DIR,
    HEADER_LENGTH,
    AvroCodec,
    ContractError,
    EventSchema,
    SchemaSet,
)
from adapters.contract import OutgoingMessage, contract_record, outgoing_message
from adapters.event_store import AvroMapper
from adapters.schema_generation import (
    avro_schema_for,
    domain_event_classes,
    render,
    schema_filename,
    schema_version,
)
from domain.case import Case
from tests.builders import sample_event

SCHEMAS = SchemaSet()
CODEC = AvroCodec(SCHEMAS)
MAPPER = AvroMapper(CODEC)
EVENT_CLASSES = domain_event_classes()


def test_the_domain_records_events() -> None:
    assert {"CaseOpened", "OutcomeAchieved"} <= {c.__name__ for c in EVENT_CLASSES}


def test_event_type_names_are_unique_across_the_domain() -> None:
    names = [c.__name__ for c in EVENT_CLASSES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_type_has_its_committed_schema_and_it_is_current(event_class: type) -> None:
    path = DEFAULT_SCHEMA_DIR / schema_filename(event_class)
    assert path.exists(), f"{path.name} is missing: run `make schemas`"
    assert path.read_text() == render(avro_schema_for(event_class)), (
        f"{path.name} no longer matches {event_class.__qualname__}. If this version was ever "
        "published, bump the event's class_version (with an upcast) instead of editing it; "
        "otherwise run `make schemas`."
    )


def published_message(event: object) -> OutgoingMessage:
    stored = MAPPER.to_stored_event(event)
    return outgoing_message(
        stored.originator_id, stored.originator_version, stored.state, 42, CODEC
    )


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_type_is_stored_as_its_avro_record_and_rebuilt_unchanged(
    event_class: type,
) -> None:
    event = sample_event(event_class)

    stored = MAPPER.to_stored_event(event)

    assert stored.state[:2] == b"\xc3\x01"
    assert MAPPER.to_domain_event(stored) == event


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_type_round_trips_through_its_schema(event_class: type) -> None:
    event = sample_event(event_class)
    message = published_message(event)

    decoded = CODEC.decode(message.value)

    assert decoded.event_type == event_class.__name__
    assert decoded.writer_version == schema_version(event_class)
    assert decoded.record == as_avro_returns_it(contract_record(event))
    assert message.key == str(event.originator_id).encode()


def as_avro_returns_it(value: object) -> object:
    """Avro gives back lists for tuples and plain strings for enums; other values as they were."""
    if isinstance(value, dict):
        return {k: as_avro_returns_it(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, frozenset)):
        return [as_avro_returns_it(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


OLDER_SCHEMAS = [s for s in SCHEMAS if s.version < SCHEMAS.latest(s.name).version]


@pytest.mark.parametrize("writer", OLDER_SCHEMAS, ids=lambda s: f"{s.name}.v{s.version}")
def test_data_written_with_an_older_schema_reads_with_the_newest(writer: EventSchema) -> None:
    newest = SCHEMAS.latest(writer.name)
    body = io.BytesIO()
    schemaless_writer(body, writer.parsed, sample_record_for(writer.parsed))

    decoded = CODEC.decode(b"\xc3\x01" + writer.fingerprint + body.getvalue())

    assert decoded.writer_version == writer.version
    assert set(decoded.record) == {f["name"] for f in newest.parsed["fields"]}


@pytest.mark.parametrize("writer", OLDER_SCHEMAS, ids=lambda s: f"{s.name}.v{s.version}")
def test_an_event_stored_with_an_older_schema_is_upcast_when_rebuilt(writer: EventSchema) -> None:
    event_class = next(c for c in EVENT_CLASSES if c.__name__ == writer.name)
    record = sample_record_for(writer.parsed)
    body = io.BytesIO()
    schemaless_writer(body, writer.parsed, record)
    stored = StoredEvent(
        originator_id=UUID(record["case_id"]),
        originator_version=record["case_version"],
        topic=get_topic(event_class),
        state=b"\xc3\x01" + writer.fingerprint + body.getvalue(),
    )

    event = MAPPER.to_domain_event(stored)

    assert type(event) is event_class
    rebuilt = contract_record(event)
    assert {k: rebuilt[k] for k in ("case_version", "effective_on")} == {
        "case_version": record["case_version"],
        "effective_on": date(1970, 1, 1) + timedelta(days=record["effective_on"]),
    }


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_an_event_a_read_model_reads_is_rebuilt_from_its_lean_reading_unchanged(
    event_class: type,
) -> None:
    event = sample_event(event_class)

    rebuilt = MAPPER.event_or_passed_over(published_message(event).value, {event_class.__name__})

    assert rebuilt == event


@pytest.mark.parametrize("writer", OLDER_SCHEMAS, ids=lambda s: f"{s.name}.v{s.version}")
def test_an_event_written_with_an_older_schema_is_rebuilt_the_same_from_its_lean_reading(
    writer: EventSchema,
) -> None:
    event_class = next(c for c in EVENT_CLASSES if c.__name__ == writer.name)
    record = sample_record_for(writer.parsed)
    body = io.BytesIO()
    schemaless_writer(body, writer.parsed, record)
    value = b"\xc3\x01" + writer.fingerprint + body.getvalue()
    stored = StoredEvent(
        originator_id=UUID(record["case_id"]),
        originator_version=record["case_version"],
        topic=get_topic(event_class),
        state=value,
    )

    assert MAPPER.event_or_passed_over(value, {writer.name}) == MAPPER.to_domain_event(stored)


@pytest.mark.parametrize("writer", list(SCHEMAS), ids=lambda s: f"{s.name}.v{s.version}")
def test_a_lean_reading_gives_the_full_record_with_uuids_as_text(writer: EventSchema) -> None:
    present = sample_record_for(writer.parsed)
    absent = {
        f["name"]: None if isinstance(f["type"], list) else present[f["name"]]
        for f in writer.parsed["fields"]
    }
    for record in (present, absent):
        body = io.BytesIO()
        schemaless_writer(body, writer.parsed, record)
        value = b"\xc3\x01" + writer.fingerprint + body.getvalue()

        lean = CODEC.decode_lean(value, writer, writer.lean).record

        assert lean == uuids_as_text(CODEC.decode(value, upgrade=False).record)


def uuids_as_text(value: object) -> object:
    if isinstance(value, dict):
        return {k: uuids_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [uuids_as_text(v) for v in value]
    return str(value) if isinstance(value, UUID) else value


CASE_EVENT_SCHEMAS = [s for s in SCHEMAS if s.name in {c.__name__ for c in EVENT_CLASSES}]


@pytest.mark.parametrize("writer", CASE_EVENT_SCHEMAS, ids=lambda s: f"{s.name}.v{s.version}")
def test_a_passed_over_event_is_read_only_up_to_the_envelope_it_keeps(writer: EventSchema) -> None:
    body = io.BytesIO()
    schemaless_writer(body, writer.parsed, sample_record_for(writer.parsed))
    value = b"\xc3\x01" + writer.fingerprint + body.getvalue()
    full = CODEC.decode(value, upgrade=False).record
    names = [f["name"] for f in writer.parsed["fields"]]

    assert writer.envelope is not None
    envelope = CODEC.decode_lean(value, writer, writer.envelope).record
    passed = MAPPER.event_or_passed_over(value, frozenset())

    assert list(envelope) == names[: names.index("effective_on") + 1]
    assert envelope["case_id"] == str(full["case_id"])
    assert type(passed).__name__ == writer.name
    assert (passed.originator_id, passed.originator_version, passed.effective_on) == (
        full["case_id"],
        full["case_version"],
        full["effective_on"],
    )


def test_a_passed_over_event_whose_case_id_is_not_a_uuid_is_refused() -> None:
    writer = SCHEMAS.latest("InvoicePaid")
    record = sample_record_for(writer.parsed)
    record["case_id"] = "not-a-uuid"
    body = io.BytesIO()
    schemaless_writer(body, writer.lean.schema, record)

    with pytest.raises(ContractError, match="InvoicePaid has no valid case_id"):
        MAPPER.event_or_passed_over(b"\xc3\x01" + writer.fingerprint + body.getvalue(), ())


@pytest.mark.parametrize("actor_id", ["", "x" * 101])
def test_an_event_whose_actor_is_invalid_is_refused_even_after_a_valid_one(actor_id: str) -> None:
    writer = SCHEMAS.latest("InvoicePaid")
    valid, invalid = sample_record_for(writer.parsed), sample_record_for(writer.parsed)
    invalid["actor"] = {**valid["actor"], "id": actor_id}
    messages = []
    for record in (valid, invalid):
        body = io.BytesIO()
        schemaless_writer(body, writer.parsed, record)
        messages.append(b"\xc3\x01" + writer.fingerprint + body.getvalue())

    assert MAPPER.event_from_message(messages[0]).actor.id == valid["actor"]["id"]
    with pytest.raises(ContractError, match="InvoicePaid does not rebuild"):
        MAPPER.event_from_message(messages[1])


def test_a_truncated_body_is_refused_however_far_it_is_read() -> None:
    message = published_message(sample_event(EVENT_CLASSES[0]))
    truncated = message.value[: HEADER_LENGTH + 3]

    for reads in ({EVENT_CLASSES[0].__name__}, frozenset()):
        with pytest.raises(ContractError, match="corrupt"):
            MAPPER.event_or_passed_over(truncated, reads)


def test_outcomes_recorded_before_version_2_have_no_occupation_code() -> None:
    state = {"employer": "e", "job_title": "j", "hourly_wage_cents": 1, "weekly_hours": 1.0}
    Case.OutcomeAchieved.upcast_v1_v2(state)
    assert state["occupation_code"] is None
    Case.OutcomeAchieved.upcast_v2_v3(state)
    assert (state["previous_hash"], state["content_hash"]) == (None, None)
    assert SCHEMAS.latest("OutcomeAchieved").version == 3


def sample_record_for(parsed_schema: dict) -> dict:
    def value(avro_type: object) -> object:
        if isinstance(avro_type, list):
            return value(avro_type[1])
        if isinstance(avro_type, dict):
            kind = avro_type["type"]
            logical = avro_type.get("logicalType")
            if logical == "uuid":
                return "12345678-1234-5678-1234-567812345678"
            if logical == "date":
                return 19_000
            if logical == "timestamp-micros":
                return 1_700_000_000_000_000
            if kind == "record":
                return {f["name"]: value(f["type"]) for f in avro_type["fields"]}
            if kind == "enum":
                return avro_type["symbols"][0]
            if kind == "array":
                return [value(avro_type["items"])]
            return value(kind)
        return {"string": "s", "long": 1, "int": 1, "double": 1.0, "boolean": True}[avro_type]

    return {f["name"]: value(f["type"]) for f in parsed_schema["fields"]}


def test_a_message_that_is_not_single_object_encoded_is_refused() -> None:
    with pytest.raises(ContractError, match="not an Avro single-object"):
        CODEC.decode(b'{"json": "is not the contract"}')


def test_an_unknown_writer_schema_is_refused_by_fingerprint() -> None:
    with pytest.raises(ContractError, match="unknown writer schema fingerprint"):
        CODEC.decode(b"\xc3\x01" + b"\x00" * 8 + b"\x02")


def test_a_truncated_body_is_refused() -> None:
    message = published_message(sample_event(EVENT_CLASSES[0]))
    with pytest.raises(ContractError, match="corrupt"):
        CODEC.decode(message.value[: HEADER_LENGTH + 3])


def test_schema_files_are_named_after_their_record_and_version(tmp_path: Path) -> None:
    (tmp_path / "CaseOpened.v1.avsc").write_text(
        json.dumps({"type": "record", "name": "Other", "fields": []})
    )
    with pytest.raises(ContractError, match="declares record 'Other'"):
        SchemaSet(tmp_path)
