"""An independent client (kcat) reads the topic; the `.avsc` files alone decode every payload.

The decoding below deliberately imports nothing of the project: it is what a consumer in any
language does with docs/wire-format.md and the schemas folder.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import fastavro
import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from application.bootstrap import build_case_management, build_relay
from application.settings import Settings
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome

pytestmark = [pytest.mark.kafka]

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def writer_schemas_by_fingerprint(directory: Path) -> dict[bytes, dict]:
    schemas = {}
    for path in directory.glob("*.avsc"):
        schema = json.loads(path.read_text())
        digest = fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")
        schemas[bytes.fromhex(digest)] = fastavro.parse_schema(schema)
    return schemas


def decode_single_object(value: bytes, schemas: dict[bytes, dict]) -> tuple[str, dict]:
    assert value[:2] == b"\xc3\x01", "Avro single-object marker"
    schema = schemas[value[2:10]]
    return schema["name"].rsplit(".", 1)[-1], fastavro.schemaless_reader(
        io.BytesIO(value[10:]), schema, None
    )


def kcat_read(bootstrap_servers: str, topic: str) -> list[tuple[dict[str, str], bytes, bytes]]:
    """(headers, key, value) of every message, read by kcat with a length-prefixed format."""
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run scripts/install_system_deps.sh (Debian package kcat)"
    output = subprocess.run(
        [
            kcat,
            "-C",
            "-b",
            bootstrap_servers,
            # The relay publishes in transactions: read only what they committed.
            "-X",
            "isolation.level=read_committed",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%K %S %h\n%k%s",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    messages, stream = [], io.BytesIO(output)
    while line := stream.readline():
        key_length, value_length, headers = line.rstrip(b"\n").split(b" ", 2)
        key = stream.read(int(key_length))
        value = stream.read(int(value_length))
        header_map = dict(h.split("=", 1) for h in headers.decode().split(","))
        messages.append((header_map, key, value))
    return messages


def test_kcat_reads_every_event_and_the_avsc_files_alone_decode_it(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    from tests.conftest import unique

    settings = Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
    )
    app = build_case_management(settings)
    for number in case_numbers("VR-I", 5):
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)
    relay = build_relay(settings, app)
    relay.drain()
    relay.close()

    messages = kcat_read(kafka_bootstrap, settings.case_events_topic)
    schemas = writer_schemas_by_fingerprint(SCHEMA_DIR)

    assert len(messages) == 10
    for headers, key, value in messages:
        event_type, record = decode_single_object(value, schemas)
        assert event_type == headers["event_type"]
        assert str(record["case_id"]).encode() == key
        assert record["case_version"] == int(headers["case_version"])
        assert record["actor"] == {"id": CASEWORKER.id, "role": "caseworker"}
    outcomes = [
        decode_single_object(v, schemas)[1]
        for h, _, v in messages
        if h["event_type"] == "OutcomeAchieved"
    ]
    assert {o["hourly_wage_cents"] for o in outcomes} == {1850}
