"""A consumer that knows only the contract (docs/asyncapi.yaml and the schemas it names) reads
every event type and version the system publishes, once each, from the real broker."""

from __future__ import annotations

import ast
import io
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest
import yaml
from fastavro import schemaless_writer
from kafka import KafkaProducer

from adapters.avro import AvroCodec, EventSchema, published_schemas
from adapters.contract import outgoing_message
from application.cases import CaseManagement
from application.settings import Settings
from domain.base import event_id
from domain.commands import OpenCase
from domain.values import RequestPurpose, ReviewDecision
from synthetic import SyntheticCaseload, drive
from tests.builders import BILLING, CASEWORKER, POLICY, SUPERVISOR, CaseFile, open_case
from tests.conftest import unique
from tests.integration.api_support import assisted_case
from tests.pipeline import SteppedSystem
from tests.topic_reader import read_topic

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = ROOT / "examples" / "contract_consumer" / "consume.py"
PROJECT_PACKAGES = {"domain", "adapters", "application", "projections", "consumers", "api"}
PROJECT_PACKAGES |= {"scripts", "tests", "examples"}
OUTCOME = date(2024, 3, 1)
# Past the VR-11 dates of the cases recorded below and the due date of their unpaid invoice:
# one tick of the deadline process terminates cases and raises an alert.
TICK_DAY = date(2026, 6, 1)
LEGACY_CASE = uuid5(UUID(int=0), "a case recorded by an older producer")


def test_the_reference_consumer_imports_only_the_standard_library_kafka_fastavro_and_yaml() -> None:
    tree = ast.parse(CONSUMER.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, "relative imports would reach the project"
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Name):
            assert node.id != "__import__", "no dynamic imports"

    assert not imported & PROJECT_PACKAGES
    assert "importlib" not in imported, "no dynamic imports"
    assert imported <= set(sys.stdlib_module_names) | {"kafka", "fastavro", "yaml"}


def opened(app: CaseManagement, number: str, opened_on: date, outcome: date | None) -> CaseFile:
    app.open_case(
        open_case(number, opened_on=opened_on, caseworker=CASEWORKER.id),
        CASEWORKER,
    )
    file = CaseFile(outcome=None, opened_on=opened_on, case_number=number)
    if outcome is not None:
        app.handle(file.record_outcome(outcome), CASEWORKER)
    return file


def record_every_kind_of_event(app: CaseManagement) -> None:
    """One case per path, so every event type is recorded whatever the synthetic caseload
    happens to cover (it never corrects an outcome date, and it terminates nothing)."""
    served = opened(app, "VR-K-1", date(2023, 8, 14), OUTCOME)
    app.handle(served.correct_outcome(date(2024, 3, 15), on=date(2024, 4, 2)), SUPERVISOR)
    request = served.request(date(2024, 5, 1))
    app.handle(request, CASEWORKER)
    app.handle(served.appropriate(request.request_id, date(2024, 5, 1)), CASEWORKER)
    kept = served.authorize(request.request_id, date(2024, 5, 2))
    dropped = served.authorize(request.request_id, date(2024, 5, 2))
    app.handle(kept, CASEWORKER)
    app.handle(dropped, CASEWORKER)
    app.handle(served.cancel(dropped.authorization_id, date(2024, 5, 3)), CASEWORKER)
    app.handle(served.unencumber(dropped.authorization_id, date(2024, 5, 4)), BILLING)
    app.handle(served.provided(kept.authorization_id, date(2024, 6, 1)), CASEWORKER)
    invoice = served.invoice(kept.authorization_id, date(2024, 6, 3), 20_000)
    app.handle(invoice, BILLING)
    app.handle(served.pay(invoice.invoice_id, date(2024, 6, 20), 20_000), BILLING)
    app.handle(served.unencumber(kept.authorization_id, date(2024, 6, 21)), BILLING)
    app.handle(served.back_to_monitoring(date(2024, 6, 25)), CASEWORKER)

    reviewed = opened(app, "VR-K-2", date(2023, 8, 14), OUTCOME)
    request = reviewed.request(date(2024, 5, 1))
    app.handle(request, CASEWORKER)
    app.handle(reviewed.not_appropriate(request.request_id, date(2024, 5, 5)), CASEWORKER)
    app.handle(reviewed.review(request.request_id, date(2024, 5, 10)), CASEWORKER)
    decision = reviewed.decide(request.request_id, date(2024, 5, 20), ReviewDecision.UPHELD)
    app.handle(decision, SUPERVISOR)
    app.handle(reviewed.remove(date(2024, 5, 25)), CASEWORKER)

    new_case = opened(app, "VR-K-3", date(2023, 8, 14), OUTCOME)
    request = new_case.request(date(2024, 5, 1), RequestPurpose.REGAIN)
    app.handle(request, CASEWORKER)
    app.handle(new_case.new_case(request.request_id, date(2024, 5, 3)), CASEWORKER)
    app.handle(new_case.back_to_monitoring(date(2024, 5, 4)), CASEWORKER)

    grandfathered = opened(app, "VR-K-4", POLICY.grandfathering_date, None)
    app.handle(grandfathered.grandfather(POLICY.grandfathering_date), CASEWORKER)
    app.handle(grandfathered.reassign(POLICY.grandfathering_date), SUPERVISOR)

    unpaid = opened(app, "VR-K-5", date(2023, 8, 14), OUTCOME)
    request = unpaid.request(date(2024, 5, 1))
    app.handle(request, CASEWORKER)
    app.handle(unpaid.appropriate(request.request_id, date(2024, 5, 1)), CASEWORKER)
    authorization = unpaid.authorize(request.request_id, date(2024, 5, 2))
    app.handle(authorization, CASEWORKER)
    app.handle(unpaid.provided(authorization.authorization_id, date(2024, 6, 1)), CASEWORKER)
    app.handle(unpaid.invoice(authorization.authorization_id, date(2024, 6, 3), 9_000), BILLING)

    for actor, command in assisted_case("TA-K-1"):  # every cash-assistance event type
        if isinstance(command, OpenCase):
            app.open_case(command, actor)
        else:
            app.handle(command, actor)  # type: ignore[arg-type]


def sample_record(schema: dict[str, Any]) -> dict[str, Any]:
    """A record that fits an Avro record schema, with a value of its declared type per field."""

    def value(avro_type: Any) -> Any:
        if isinstance(avro_type, list):
            return value(next(t for t in avro_type if t != "null"))
        if isinstance(avro_type, dict):
            logical = avro_type.get("logicalType")
            if logical == "uuid":
                return "00000000-0000-4000-8000-000000000001"
            if logical == "date":
                return 19_800
            if logical == "timestamp-micros":
                return 1_700_000_000_000_000
            if avro_type["type"] == "record":
                return sample_record(avro_type)
            if avro_type["type"] == "enum":
                return avro_type["symbols"][0]
            if avro_type["type"] == "array":
                return [value(avro_type["items"])]
            return value(avro_type["type"])
        return {"string": "legacy", "long": 1, "int": 1, "double": 1.5, "boolean": True}[avro_type]

    return {field["name"]: value(field["type"]) for field in schema["fields"]}


def legacy_message(writer: EventSchema, case_version: int, codec: AvroCodec) -> Any:
    """What a producer of an older version published: written by hand from the old `.avsc`."""
    record = sample_record(writer.parsed)
    record.update(
        event_id=str(event_id(LEGACY_CASE, case_version)),
        case_id=str(LEGACY_CASE),
        case_version=case_version,
    )
    body = io.BytesIO()
    schemaless_writer(body, writer.parsed, record)
    value = b"\xc3\x01" + writer.fingerprint + body.getvalue()
    return outgoing_message(LEGACY_CASE, case_version, value, 1_000_000 + case_version, codec)


def documented_versions(channel_id: str) -> set[tuple[str, int]]:
    """(event type, schema version) of every message of a channel of docs/asyncapi.yaml."""
    contract = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    versions = set()
    for reference in contract["channels"][channel_id]["messages"].values():
        message = contract["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]
        headers = message["headers"]["properties"]
        versions.add((headers["event_type"]["const"], int(headers["schema_version"]["const"])))
    return versions


def contract_only_copy(destination: Path) -> Path:
    """docs/asyncapi.yaml and schemas/, alone: what another team has of this repository."""
    (destination / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "asyncapi.yaml", destination / "docs" / "asyncapi.yaml")
    shutil.copytree(ROOT / "schemas", destination / "schemas")
    return destination / "docs" / "asyncapi.yaml"


def start_consumer(bootstrap: str, contract: Path, channel: str, topic: str) -> Any:
    arguments = ["--bootstrap", bootstrap, "--contract", str(contract), "--channel", channel]
    return subprocess.Popen(
        [sys.executable, "-I", str(CONSUMER), *arguments, "--topic", topic, "--until-idle", "5"],
        cwd=contract.parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: Any) -> tuple[list[dict[str, Any]], str]:
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    return [json.loads(line) for line in stdout.splitlines()], stderr


def test_a_consumer_with_only_the_contract_reads_every_event_type_and_version_once(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "system",
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.contract-events"),
        deadline_alerts_topic=unique("test.contract-alerts"),
        case_events_partitions=3,
    )
    codec = AvroCodec(published_schemas())
    system = SteppedSystem(settings, group_id=unique("test-contract"))
    try:
        assert drive(system.app, SyntheticCaseload(seed=7, cases=20).commands()).unexpected == []
        record_every_kind_of_event(system.app)
        assert system.tick(TICK_DAY).terminated
        system.relay.drain()
        recorded = {
            (str(case_id), event.originator_version)
            for case_id in system.app.case_ids()
            for event in system.app.history(case_id)
        }
    finally:
        system.close()

    topic, alerts_topic = settings.case_events_topic, settings.deadline_alerts_topic
    published = read_topic(kafka_bootstrap, topic)
    written_now = {(w.name, w.version) for w in map(codec.writer_of, (m.value for m in published))}
    documented = documented_versions("caseEvents")
    assert {name for name, _ in written_now} == {name for name, _ in documented}
    assert all(version == codec.schemas.latest(name).version for name, version in written_now)
    older = sorted(documented - written_now)
    assert ("OutcomeAchieved", 1) in older
    legacy = [
        legacy_message(codec.schemas.get(*old), case_version, codec)
        for case_version, old in enumerate(older, start=1)
    ]
    alerts = read_topic(kafka_bootstrap, alerts_topic)
    assert alerts

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        for message in legacy:
            producer.send(topic, key=message.key, value=message.value, headers=message.headers)
        # Redeliveries, byte for byte, as a relay or deadline process that crashed would send.
        repeated = [*published[:5], *published[-3:]]
        for m in repeated:
            producer.send(topic, key=m.key, value=m.value, headers=m.headers)
        producer.send(topic, key=legacy[0].key, value=legacy[0].value, headers=legacy[0].headers)
        producer.send(
            alerts_topic, key=alerts[0].key, value=alerts[0].value, headers=alerts[0].headers
        )
        producer.flush()
    finally:
        producer.close()

    copy = contract_only_copy(tmp_path / "other-team")
    events_run = start_consumer(kafka_bootstrap, copy, "caseEvents", topic)
    alerts_run = start_consumer(kafka_bootstrap, copy, "deadlineAlerts", alerts_topic)
    events, events_summary = finished(events_run)
    decoded_alerts, alerts_summary = finished(alerts_run)

    identities = [(e["case_id"], e["case_version"]) for e in events]
    assert len(identities) == len(set(identities))
    legacy_identities = {(str(LEGACY_CASE), n) for n in range(1, len(legacy) + 1)}
    assert set(identities) == recorded | legacy_identities
    assert f"{len(repeated) + 1} redeliveries dropped" in events_summary
    assert {(e["event_type"], e["schema_version"]) for e in events} == documented
    for event in events:
        newest = codec.schemas.latest(event["event_type"]).parsed
        assert set(event["record"]) == {f["name"] for f in newest["fields"]}
    (old_outcome,) = [
        e for e in events if (e["event_type"], e["schema_version"]) == ("OutcomeAchieved", 1)
    ]
    assert old_outcome["record"]["occupation_code"] is None

    assert {a["record"]["alert_id"] for a in decoded_alerts} == {
        str(codec.decode(m.value).record["alert_id"]) for m in alerts
    }
    assert len(decoded_alerts) == len(alerts)
    assert {(a["event_type"], a["schema_version"]) for a in decoded_alerts} == (
        documented_versions("deadlineAlerts")
    )
    assert "1 redeliveries dropped" in alerts_summary
