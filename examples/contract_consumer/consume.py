"""A downstream consumer that knows only the published contract.

It reads docs/asyncapi.yaml for the topic and the `.avsc` files, and imports nothing of the
system that produces the events: what another team writes with the contract alone.

    python examples/contract_consumer/consume.py --bootstrap localhost:9094 --until-idle 5

prints one JSON line per event: its type, the version of the schema it was written with, its
case and case version, and the record decoded into the newest version of its type.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import fastavro
import yaml
from fastavro.schema import fingerprint, to_parsing_canonical_form
from kafka import KafkaConsumer

DEFAULT_CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
SINGLE_OBJECT_MARKER = b"\xc3\x01"


@dataclass(frozen=True)
class Schema:
    """One version of one event type's schema."""

    event_type: str
    version: int
    parsed: Any


@dataclass(frozen=True)
class Channel:
    """A topic of the contract: its address, dedup key and the schemas of its messages."""

    address: str
    deduplicate_on: list[str]
    writers: dict[bytes, Schema]  # by the 8 fingerprint bytes, as they are on the wire
    newest: dict[str, Schema]  # by event type


def resolve(document: dict[str, Any], ref: str) -> Any:
    """A local reference of the document, e.g. '#/components/messages/CaseOpened.v1'."""
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def load_channel(contract: Path, channel_id: str) -> Channel:
    document = yaml.safe_load(contract.read_text())
    channel = document["channels"][channel_id]
    writers: dict[bytes, Schema] = {}
    newest: dict[str, Schema] = {}
    for reference in channel["messages"].values():
        message = resolve(document, reference["$ref"])
        if not message["payload"].get("schemaFormat", "").startswith("application/vnd.apache.avro"):
            continue
        headers = message["headers"]["properties"]
        avsc = json.loads((contract.parent / message["payload"]["schema"]["$ref"]).read_text())
        schema = Schema(
            event_type=headers["event_type"]["const"],
            version=int(headers["schema_version"]["const"]),
            parsed=fastavro.parse_schema(avsc),
        )
        # fastavro returns the fingerprint's bytes in wire order (little-endian), as hex.
        wire = bytes.fromhex(fingerprint(to_parsing_canonical_form(avsc), "CRC-64-AVRO"))
        writers[wire] = schema
        if schema.event_type not in newest or newest[schema.event_type].version < schema.version:
            newest[schema.event_type] = schema
    if not writers:
        raise SystemExit(f"channel {channel_id} has no Avro messages")
    return Channel(channel["address"], channel["x-pes-deduplicate-on"], writers, newest)


def decode(channel: Channel, value: bytes) -> tuple[Schema, dict[str, Any]]:
    """The writer schema and the record, read with the newest schema of the same type."""
    if value[:2] != SINGLE_OBJECT_MARKER:
        raise SystemExit("not an Avro single-object encoded message")
    writer = channel.writers.get(value[2:10])
    if writer is None:
        raise SystemExit(
            f"unknown writer schema {value[2:10].hex()}: the producer's contract is newer than "
            "this copy; update docs/asyncapi.yaml and schemas/"
        )
    reader = channel.newest[writer.event_type]
    record = fastavro.schemaless_reader(io.BytesIO(value[10:]), writer.parsed, reader.parsed)
    if not isinstance(record, dict):
        raise SystemExit(f"{writer.event_type} v{writer.version} is not a record")
    return writer, record


def as_json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def consume(channel: Channel, topic: str, bootstrap: str, until_idle: float | None) -> int:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,  # no offsets committed: every run reads the topic from the start
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        # The relay publishes in transactions: a replica fenced mid-transaction leaves records
        # that were aborted, which a read_committed reader never sees.
        isolation_level="read_committed",
        consumer_timeout_ms=int(until_idle * 1000) if until_idle else float("inf"),
    )
    seen: set[tuple[Any, ...]] = set()
    redeliveries = 0
    try:
        for message in consumer:
            writer, record = decode(channel, message.value)
            # Delivery is at least once: a repeated message is the same event, drop it.
            identity = tuple(record[field] for field in channel.deduplicate_on)
            if identity in seen:
                redeliveries += 1
                continue
            seen.add(identity)
            line = {
                "event_type": writer.event_type,
                "schema_version": writer.version,
                "case_id": record["case_id"],
                "case_version": record.get("case_version"),
                "record": record,
            }
            print(json.dumps(line, default=as_json), flush=True)
    finally:
        consumer.close()
    print(f"{len(seen)} events, {redeliveries} redeliveries dropped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, HOST:PORT")
    parser.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT, help="asyncapi.yaml")
    parser.add_argument(
        "--channel", default="caseEvents", help="channel of the contract (default caseEvents)"
    )
    parser.add_argument("--topic", help="the topic, when it is not the channel's address")
    parser.add_argument(
        "--until-idle", type=float, help="stop after this many seconds without a message"
    )
    args = parser.parse_args(argv)
    channel = load_channel(args.contract, args.channel)
    return consume(channel, args.topic or channel.address, args.bootstrap, args.until_idle)


if __name__ == "__main__":
    sys.exit(main())
