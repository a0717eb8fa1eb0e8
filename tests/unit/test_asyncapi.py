"""docs/asyncapi.yaml is the published contract: it names every schema, and its topics and
headers are the ones the code actually produces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import fastavro
import pytest
import yaml
from fastavro.schema import fingerprint, to_parsing_canonical_form

from adapters.avro import DEFAULT_SCHEMA_DIR, SCHEMA_FILE, AvroCodec, SchemaSet
from adapters.consumer import DeadLetter, DeadLetters, Delivery
from adapters.contract import outgoing_message
from adapters.event_store import AvroMapper
from adapters.kafka import replication_for
from adapters.relay import OutboxRelay
from adapters.schema_generation import domain_event_classes
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management, build_tracking_recorder, case_event_topics
from application.settings import Settings
from domain.case import case_id_for
from projections.caseload import CaseloadView
from projections.deadline_enforcement import DeadlineEnforcer
from tests.builders import BILLING, CASEWORKER, CaseFile, open_case, record_outcome, sample_event

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
DOC: dict[str, Any] = yaml.safe_load(DOC_PATH.read_text())
AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
CODEC = AvroCodec(SchemaSet())


def resolve(ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref}: only local references are expected here"
    node: Any = DOC
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def merged(base: Any, override: Any) -> Any:
    """A message with its traits applied: the message's own values win (AsyncAPI 3.0)."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(base.get(key), value) if key in base else value
    return result


def message(ref: str) -> dict[str, Any]:
    own = resolve(ref)
    applied: dict[str, Any] = {}
    for trait in own.get("traits", []):
        applied = merged(applied, resolve(trait["$ref"]))
    return cast(dict[str, Any], merged(applied, {k: v for k, v in own.items() if k != "traits"}))


def channel_messages(channel_id: str) -> list[dict[str, Any]]:
    return [message(ref["$ref"]) for ref in DOC["channels"][channel_id]["messages"].values()]


def avro_messages() -> list[dict[str, Any]]:
    return [
        m
        for channel_id in DOC["channels"]
        for m in channel_messages(channel_id)
        if m["payload"].get("schemaFormat") == AVRO_FORMAT
    ]


def schema_path(msg: dict[str, Any]) -> Path:
    return (DOC_PATH.parent / msg["payload"]["schema"]["$ref"]).resolve()


def documented(channel_id: str, event_type: str, version: int) -> dict[str, Any]:
    for m in channel_messages(channel_id):
        headers = m["headers"]["properties"]
        if (headers["event_type"].get("const"), headers["schema_version"].get("const")) == (
            event_type,
            str(version),
        ):
            return m
    raise AssertionError(f"{channel_id} documents no message {event_type} v{version}")


def assert_headers_fit(sent: list[tuple[str, bytes]], msg: dict[str, Any]) -> None:
    schema = msg["headers"]
    names = [name for name, _ in sent]
    assert len(names) == len(set(names))
    assert set(names) == set(schema["properties"]) == set(schema["required"])
    for name, raw in sent:
        value = raw.decode()
        rules = schema["properties"][name]
        if "const" in rules:
            assert value == rules["const"], name
        if "pattern" in rules:
            assert re.fullmatch(rules["pattern"], value), (name, value)
        if rules.get("format") == "uuid":
            UUID(value)


def walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_refs(item)


def test_it_is_an_asyncapi_3_document_with_the_four_published_topics() -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", str(DOC["asyncapi"]))
    assert DOC["info"]["title"] and DOC["info"]["version"]
    assert set(DOC["channels"]) == {
        "caseEvents",
        "caseEventDeadLetters",
        "deadlineAlerts",
        "commandRefusals",
    }
    for channel in DOC["channels"].values():
        assert channel["address"] and channel["messages"]


def test_every_operation_sends_messages_of_its_own_channel() -> None:
    assert DOC["operations"]
    for name, operation in DOC["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel_ref = operation["channel"]["$ref"]
        channel = resolve(channel_ref)
        assert channel in DOC["channels"].values(), name
        refs = [m["$ref"] for m in operation.get("messages", [])]
        assert refs, f"{name} lists no messages"
        for ref in refs:
            assert ref.startswith(f"{channel_ref}/messages/"), f"{name}: {ref}"
            resolve(ref)
    sent = {m["$ref"] for operation in DOC["operations"].values() for m in operation["messages"]}
    every_channel_message = {
        f"#/channels/{channel_id}/messages/{key}"
        for channel_id, channel in DOC["channels"].items()
        for key in channel["messages"]
    }
    assert sent == every_channel_message


def test_every_local_reference_resolves_and_every_message_is_well_formed() -> None:
    local = [ref for ref in walk_refs(DOC) if ref.startswith("#")]
    assert local
    for ref in local:
        resolve(ref)
    for key in DOC["components"]["messages"]:
        msg = message(f"#/components/messages/{key}")
        assert msg["name"] and msg["payload"], key
        assert msg["headers"]["type"] == "object", key
        assert msg["bindings"]["kafka"]["key"], key


def test_the_documented_schemas_are_exactly_the_files_in_schemas_and_each_parses() -> None:
    named = [schema_path(m) for m in avro_messages()]
    on_disk = sorted(p.resolve() for p in DEFAULT_SCHEMA_DIR.glob("*.avsc"))

    assert len(named) == len(set(named)), "a schema file is documented twice"
    assert sorted(set(named)) == on_disk, (
        "every .avsc in schemas/ must be a message of docs/asyncapi.yaml, and every message's "
        f"schema must exist: missing from the document {sorted(set(on_disk) - set(named))}, "
        f"missing from schemas/ {sorted(set(named) - set(on_disk))}"
    )
    for path in named:
        fastavro.parse_schema(json.loads(path.read_text()))


@pytest.mark.parametrize(
    "msg", avro_messages(), ids=lambda m: m["payload"]["schema"]["$ref"].rsplit("/", 1)[-1]
)
def test_each_message_is_its_schema_file_type_and_version_with_its_wire_fingerprint(
    msg: dict[str, Any],
) -> None:
    path = schema_path(msg)
    match = SCHEMA_FILE.match(path.name)
    assert match, path.name
    schema = json.loads(path.read_text())
    headers = msg["headers"]["properties"]

    assert msg["payload"]["schemaFormat"] == AVRO_FORMAT
    assert schema["name"] == match["name"] == msg["name"] == headers["event_type"]["const"]
    assert headers["schema_version"]["const"] == match["version"]
    assert msg["x-pes-fingerprint"] == fingerprint(
        to_parsing_canonical_form(schema), "CRC-64-AVRO"
    ), f"{path.name} changed after it was documented: a published schema is never edited"


def test_the_channel_addresses_and_topic_settings_are_the_ones_the_system_creates() -> None:
    defaults = Settings.model_construct()  # the declared defaults, whatever PES_* is set here
    specs = {spec.name: spec for spec in case_event_topics(defaults)}
    expected = {
        "caseEvents": defaults.case_events_topic,
        "caseEventDeadLetters": f"{defaults.case_events_topic}.dlq",
        "deadlineAlerts": defaults.deadline_alerts_topic,
        "commandRefusals": defaults.command_refusals_topic,
    }

    assert {cid: c["address"] for cid, c in DOC["channels"].items()} == expected
    for channel in DOC["channels"].values():
        spec = specs[channel["address"]]
        kafka = channel["bindings"]["kafka"]
        assert kafka["partitions"] == spec.partitions
        # As created on a cluster of three brokers (one replica on a single broker).
        assert kafka["replicas"] == replication_for(3, spec.replication_factor)[0]
        assert str(kafka["topicConfiguration"]["retention.ms"]) == spec.retention_ms


@pytest.mark.parametrize("event_class", domain_event_classes(), ids=lambda c: c.__name__)
def test_what_the_system_writes_now_is_documented_with_the_headers_it_carries(
    event_class: type,
) -> None:
    event = sample_event(event_class)
    stored = AvroMapper(CODEC).to_stored_event(event)
    sent = outgoing_message(stored.originator_id, stored.originator_version, stored.state, 7, CODEC)
    headers = dict(sent.headers)

    msg = documented(
        "caseEvents", headers["event_type"].decode(), int(headers["schema_version"].decode())
    )

    assert_headers_fit(sent.headers, msg)
    assert sent.key.decode() == str(UUID(sent.key.decode()))


class RecordingProducer:
    """Stands in for KafkaProducer: keeps what was sent, acknowledges at once."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, topic: str, **message: Any) -> Any:
        self.sent.append({"topic": topic, **message})
        return self

    def get(self, timeout: float | None = None) -> None:
        return None

    def flush(self, timeout: float | None = None) -> None:
        pass

    def begin_transaction(self) -> None:
        pass

    def commit_transaction(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass


def test_the_relay_sends_the_documented_key_and_headers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    app = build_case_management(settings)
    app.open_case(open_case("VR-H-1"), CASEWORKER)
    app.handle(record_outcome("VR-H-1"), CASEWORKER)
    producer = RecordingProducer()
    relay = OutboxRelay(
        source=app,
        tracking=build_tracking_recorder(settings, "relay"),
        producer=cast(Any, producer),
        topic="pes.case-events",
    )

    assert relay.drain() == 2
    for sent in producer.sent:
        event = CODEC.decode(sent["value"])
        msg = documented("caseEvents", event.event_type, event.writer_version)
        assert_headers_fit(sent["headers"], msg)
        assert (
            sent["key"]
            == str(case_id_for("VR-H-1")).encode()
            == str(event.record["case_id"]).encode()
        )


def test_dead_letters_carry_the_documented_headers() -> None:
    producer = RecordingProducer()
    letter = DeadLetter("pes.case-events", 2, 41, b"key", b"not avro", "decode: not an Avro")

    DeadLetters(lambda: cast(Any, producer), "pes-caseload").publish([letter])

    (sent,) = producer.sent
    (msg,) = channel_messages("caseEventDeadLetters")
    assert sent["topic"] == DOC["channels"]["caseEventDeadLetters"]["address"]
    assert (sent["key"], sent["value"]) == (b"key", b"not avro")
    assert_headers_fit(sent["headers"], msg)


def test_deadline_alerts_carry_the_documented_headers(tmp_path: Path) -> None:
    file = CaseFile(case_number="VR-H-2")
    request = file.open_request(date(2024, 5, 1))
    authorization = file.authorized(request, date(2024, 5, 2))
    file.do(file.provided(authorization, date(2024, 6, 1)))
    file.do(file.invoice(authorization, date(2024, 6, 3), 10_000), BILLING)  # due 2024-07-03
    view = CaseloadView(ViewDatabase.sqlite(tmp_path / "views.sqlite"))
    topic = "pes.case-events"
    events = file.all_events()
    view.apply(
        topic,
        0,
        [Delivery(topic, 0, offset, event) for offset, event in enumerate(events)],
        len(events),
        lambda rejected: None,
    )
    producer = RecordingProducer()
    enforcer = DeadlineEnforcer(
        app=cast(Any, None),  # terminations are not due in this test; only alerts are raised
        view=view,
        producer=cast(Any, producer),
        codec=CODEC,
        alerts_topic=DOC["channels"]["deadlineAlerts"]["address"],
        clock=lambda: date(2024, 7, 3) - timedelta(days=7),
    )

    assert enforcer.tick().alerts >= 1
    for sent in producer.sent:
        alert = CODEC.decode(sent["value"])
        msg = documented("deadlineAlerts", alert.event_type, alert.writer_version)
        assert sent["topic"] == DOC["channels"]["deadlineAlerts"]["address"]
        assert_headers_fit(sent["headers"], msg)
        assert sent["key"] == str(alert.record["case_id"]).encode()
    view.close()
