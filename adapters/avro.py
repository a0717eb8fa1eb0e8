"""The Avro contract at run time: schemas loaded once, single-object encoding, reader-schema decoding.

Wire format (see docs/wire-format.md): every message value is Avro single-object encoded —
the two bytes C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema's
canonical form, then the Avro binary body. Any consumer holding the `.avsc` files can decode it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

SINGLE_OBJECT_MARKER = b"\xc3\x01"
HEADER_LENGTH = len(SINGLE_OBJECT_MARKER) + 8
SCHEMA_FILE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.avsc$")
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


class ContractError(Exception):
    """A message does not fit the published contract (unknown schema, bad bytes, wrong record)."""


@dataclass(frozen=True)
class LeanReading:
    """A cheaper way to read what a schema wrote: its body read with `schema`, which has no
    logical types (fastavro's reader costs more per such field than making its value), then
    the `conversions` make the dates and timestamps; UUIDs stay text."""

    schema: Any
    conversions: tuple[tuple[str, Callable[[int], Any]], ...]


@dataclass(frozen=True)
class EventSchema:
    """One version of one event type's schema, and two cheaper ways to read what it wrote."""

    name: str
    version: int
    parsed: Any
    fingerprint: bytes
    lean: LeanReading
    """Every field, UUIDs as their text: for a reader that validates them itself (a pydantic
    event parses a UUID's text faster than fastavro's reader makes one)."""
    envelope: LeanReading | None
    """The fields up to the last envelope field a passed-over event keeps (case id, version,
    business date; Avro writes fields in order, so the read stops after them); None for a
    record without them (not a case event)."""


class DecodedEvent(NamedTuple):
    """A message value decoded with the newest schema of its event type (a named tuple: one is
    made per message read, and a frozen dataclass costs twice as much to make)."""

    event_type: str
    writer_version: int
    record: dict[str, Any]


class SchemaSet:
    """All `.avsc` files of a folder, parsed once, found by (type, version) or by fingerprint."""

    def __init__(self, directory: Path = DEFAULT_SCHEMA_DIR) -> None:
        self.directory = directory
        self._by_key: dict[tuple[str, int], EventSchema] = {}
        self._by_fingerprint: dict[bytes, EventSchema] = {}
        self._latest: dict[str, EventSchema] = {}
        for path in sorted(directory.glob("*.avsc")):
            match = SCHEMA_FILE.match(path.name)
            if not match:
                raise ContractError(f"{path.name}: schema files are named <EventType>.v<N>.avsc")
            self._add(match["name"], int(match["version"]), json.loads(path.read_text()))
        if not self._by_key:
            raise ContractError(f"no Avro schemas found in {directory}")

    def _add(self, name: str, version: int, schema: dict[str, Any]) -> None:
        if schema.get("name") != name:
            raise ContractError(f"{name}.v{version}.avsc declares record {schema.get('name')!r}")
        # parse_schema marks what it returns as parsed; fastavro's readers and writers parse an
        # unmarked schema again on every call, which doubled the cost of each encode and decode.
        parsed = parse_schema(schema)
        digest = bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))
        entry = EventSchema(
            name=name,
            version=version,
            parsed=parsed,
            fingerprint=digest,
            lean=_lean_reading(schema),
            envelope=_envelope_reading(schema),
        )
        self._by_key[(name, version)] = entry
        self._by_fingerprint[digest] = entry
        if name not in self._latest or self._latest[name].version < version:
            self._latest[name] = entry

    def get(self, name: str, version: int) -> EventSchema:
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise ContractError(f"no schema for event type {name} version {version}") from None

    def latest(self, name: str) -> EventSchema:
        try:
            return self._latest[name]
        except KeyError:
            raise ContractError(f"no schema for event type {name}") from None

    def by_fingerprint(self, digest: bytes) -> EventSchema:
        try:
            return self._by_fingerprint[digest]
        except KeyError:
            raise ContractError(f"unknown writer schema fingerprint {digest.hex()}") from None

    def __iter__(self) -> Any:
        return iter(self._by_key.values())

    @property
    def event_types(self) -> list[str]:
        return sorted(self._latest)


class AvroCodec:
    """Encodes records with their event type's schema; decodes any known version to the newest."""

    def __init__(self, schemas: SchemaSet) -> None:
        self.schemas = schemas

    def encode(self, event_type: str, version: int, record: Mapping[str, Any]) -> bytes:
        schema = self.schemas.get(event_type, version)
        buffer = io.BytesIO()
        buffer.write(SINGLE_OBJECT_MARKER)
        buffer.write(schema.fingerprint)
        try:
            schemaless_writer(buffer, schema.parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ContractError(
                f"{event_type} v{version} record does not fit its schema: {error}"
            ) from error
        return buffer.getvalue()

    def writer_of(self, value: bytes) -> EventSchema:
        """The schema a message was written with, found by its fingerprint."""
        if value is None or len(value) < HEADER_LENGTH or value[:2] != SINGLE_OBJECT_MARKER:
            raise ContractError("not an Avro single-object encoded message")
        return self.schemas.by_fingerprint(bytes(value[2:HEADER_LENGTH]))

    def decode(self, value: bytes, upgrade: bool = True) -> DecodedEvent:
        """Decodes a message; with `upgrade`, into the newest schema of its event type."""
        writer = self.writer_of(value)
        reader = self.schemas.latest(writer.name) if upgrade else writer
        return self.decode_as(
            value, writer, writer.parsed, reader.parsed if reader is not writer else None
        )

    def decode_lean(self, value: bytes, writer: EventSchema, lean: LeanReading) -> DecodedEvent:
        """Decodes a message `writer` wrote the cheaper way `lean` reads it (`writer.lean` or
        `writer.envelope`): UUIDs as text, dates and timestamps made without fastavro's
        logical-type readers."""
        decoded = self.decode_as(value, writer, lean.schema)
        record = decoded.record
        for name, convert in lean.conversions:
            if (number := record[name]) is not None:
                record[name] = convert(number)
        return decoded

    def decode_as(
        self, value: bytes, writer: EventSchema, as_written: Any, reader: Any = None
    ) -> DecodedEvent:
        """Decodes a message `writer` wrote, reading its body with `as_written` (the writer's
        parsed schema or a lean one of it)."""
        try:
            record = schemaless_reader(io.BytesIO(value[HEADER_LENGTH:]), as_written, reader)
        except (ValueError, TypeError, KeyError, EOFError, IndexError, StopIteration) as error:
            raise ContractError(
                f"{writer.name} v{writer.version} body is corrupt: {error}"
            ) from error
        if not isinstance(record, dict):
            raise ContractError(f"{writer.name} v{writer.version} did not decode to a record")
        return DecodedEvent(event_type=writer.name, writer_version=writer.version, record=record)


# What a passed-over event keeps of the envelope; a message's body is read up to the last of them.
ENVELOPE_KEPT = ("case_id", "case_version", "effective_on")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
# How a lean reading makes each logical type of a record's own fields (as fastavro's readers do;
# timedelta's days, seconds, microseconds, milliseconds given by position: keywords cost more).
_CONVERSIONS: dict[str, Callable[[int], Any]] = {
    "date": lambda days: date.fromordinal(_EPOCH_ORDINAL + days),
    "timestamp-micros": lambda micros: _EPOCH + timedelta(0, 0, micros),
    "timestamp-millis": lambda millis: _EPOCH + timedelta(0, 0, 0, millis),
}


def _lean_reading(schema: dict[str, Any]) -> LeanReading:
    """The lean reading of a record schema: UUIDs anywhere read as text, the record's own
    date and timestamp fields read as numbers and converted (nested ones, which no schema has
    today, stay with fastavro's readers)."""
    fields, conversions = [], []
    for field in schema["fields"]:
        kind = _own_logical_type(field["type"])
        if kind in _CONVERSIONS:
            conversions.append((field["name"], _CONVERSIONS[kind]))
            field = {**field, "type": _without_logical_types(field["type"], {kind}, nested=False)}
        fields.append(field)
    lean = _without_logical_types({**schema, "fields": fields}, {"uuid"})
    return LeanReading(parse_schema(lean), tuple(conversions))


def _envelope_reading(schema: dict[str, Any]) -> LeanReading | None:
    """The lean reading of a record schema's leading fields up to the last `ENVELOPE_KEPT` one,
    converting only those kept; None if it lacks one."""
    names = [field["name"] for field in schema.get("fields", ())]
    if not set(ENVELOPE_KEPT) <= set(names):
        return None
    last = max(names.index(name) for name in ENVELOPE_KEPT)
    lean = _lean_reading({**schema, "fields": schema["fields"][: last + 1]})
    kept = tuple((name, convert) for name, convert in lean.conversions if name in ENVELOPE_KEPT)
    return LeanReading(lean.schema, kept)


def _own_logical_type(field_type: Any) -> str | None:
    """The logical type of a field's own type, or of the one non-null branch of its union."""
    branches = field_type if isinstance(field_type, list) else [field_type]
    kinds = {b.get("logicalType") for b in branches if isinstance(b, dict)} - {None}
    return kinds.pop() if len(kinds) == 1 else None


def _without_logical_types(schema: Any, kinds: set[str], nested: bool = True) -> Any:
    """The schema with the `kinds` of logical type removed where they annotate a type: anywhere
    in it, or with `nested=False` only on the type itself (or the branches of its union)."""
    if isinstance(schema, list):
        return [_without_logical_types(item, kinds, nested) for item in schema]
    if isinstance(schema, dict):
        return {
            key: _without_logical_types(value, kinds) if nested else value
            for key, value in schema.items()
            if not (key == "logicalType" and value in kinds)
        }
    return schema


@cache
def published_schemas(directory: Path = DEFAULT_SCHEMA_DIR) -> SchemaSet:
    """The contract's schemas, parsed once per process."""
    return SchemaSet(directory)
