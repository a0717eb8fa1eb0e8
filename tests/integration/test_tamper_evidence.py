"""Tampering with stored events, directly in SQLite and PostgreSQL, is detected every time."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg
import pytest
from kafka import KafkaProducer

from adapters.avro import AvroCodec, published_schemas
from adapters.contract import outgoing_message
from adapters.event_store import AvroMapper
from application.bootstrap import build_case_management, build_relay
from application.cases import CaseManagement
from application.settings import Settings, as_environment
from application.synthetic import SyntheticCaseload, drive
from application.verification import compare_copies, verify_event_store, verify_topic

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


class StoredRows:
    """Direct SQL on the event store's table, as someone with database access could run it."""

    def __init__(self, settings: Settings, app: CaseManagement) -> None:
        self.settings = settings
        self.table = app.recorder.events_table_name  # type: ignore[attr-defined]
        self.mark = "?" if settings.event_store == "sqlite" else "%s"

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if self.settings.event_store == "sqlite":
            with closing(sqlite3.connect(self.settings.sqlite_path)) as connection:
                yield connection
                connection.commit()
        else:
            with psycopg.connect(self.settings.postgres_conninfo()) as connection:
                yield connection

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.format(table=self.table).replace("?", self.mark)
        with self.connection() as connection:
            cursor = connection.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def case(self, case_id: UUID) -> list[tuple[Any, ...]]:
        return self.run("SELECT * FROM {table} WHERE originator_id = ?", self._id(case_id))

    def restore(self, case_id: UUID, rows: list[tuple[Any, ...]]) -> None:
        self.run("DELETE FROM {table} WHERE originator_id = ?", self._id(case_id))
        marks = ", ".join("?" * len(rows[0]))
        for row in rows:
            self.run(f"INSERT INTO {{table}} VALUES ({marks})", *row)

    def state(self, case_id: UUID, version: int) -> bytes:
        [(state,)] = self.run(
            "SELECT state FROM {table} WHERE originator_id = ? AND originator_version = ?",
            self._id(case_id),
            version,
        )
        return bytes(state)

    def set_state(self, case_id: UUID, version: int, state: bytes) -> None:
        self.run(
            "UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            state,
            self._id(case_id),
            version,
        )

    def _id(self, case_id: UUID) -> Any:
        return case_id.hex if self.settings.event_store == "sqlite" else case_id


@pytest.fixture
def recorded(settings: Settings) -> tuple[Settings, CaseManagement, int]:
    app = build_case_management(settings)
    assert drive(app, SyntheticCaseload(seed=41, cases=40).commands()).unexpected == []
    relay = build_relay(settings, app)
    published = relay.drain()
    relay.close()
    return settings, app, published


def test_an_untouched_store_and_topic_verify_and_agree(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, published = recorded

    store = verify_event_store(app)
    topic = verify_topic(
        cast(str, settings.kafka_bootstrap_servers),
        settings.case_events_topic,
        cast(AvroMapper, app.mapper),
    )

    assert (store.broken, topic.broken, compare_copies(store, topic)) == ([], [], [])
    assert store.events_checked == topic.events_checked == published
    assert store.cases == topic.cases == 40 and store.unchained_events == 0


def change_a_field(rows: StoredRows, app: CaseManagement, case_id: UUID, version: int) -> None:
    mapper = cast(AvroMapper, app.mapper)
    event = app.history(case_id)[version - 1]
    changed = event.model_copy(update={"effective_on": event.effective_on + timedelta(days=1)})
    rows.set_state(case_id, version, mapper.to_stored_event(changed).state)


def flip_a_byte(rows: StoredRows, app: CaseManagement, case_id: UUID, version: int) -> None:
    state = bytearray(rows.state(case_id, version))
    state[len(state) // 2] ^= 0x01
    rows.set_state(case_id, version, bytes(state))


def delete(rows: StoredRows, app: CaseManagement, case_id: UUID, version: int) -> None:
    rows.run(
        "DELETE FROM {table} WHERE originator_id = ? AND originator_version = ?",
        rows._id(case_id),
        version,
    )


def swap_with_next(rows: StoredRows, app: CaseManagement, case_id: UUID, version: int) -> None:
    this, following = rows.state(case_id, version), rows.state(case_id, version + 1)
    rows.set_state(case_id, version, following)
    rows.set_state(case_id, version + 1, this)


TAMPERINGS: dict[str, Callable[[StoredRows, CaseManagement, UUID, int], None]] = {
    "change a field": change_a_field,
    "flip a byte": flip_a_byte,
    "delete": delete,
    "reorder": swap_with_next,
}


def test_every_change_deletion_and_reordering_is_detected_and_named(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, _ = recorded
    rows = StoredRows(settings, app)
    cases = [c for c in app.case_ids() if len(app.history(c)) >= 4]
    picks = random.Random(7)
    tried = 0
    for name, tamper in TAMPERINGS.items():
        for _ in range(4):
            case_id = picks.choice(cases)
            length = len(app.history(case_id))
            version = picks.randint(1, length - 1)  # never the last: that needs the topic
            original = rows.case(case_id)
            tamper(rows, app, case_id, version)
            try:
                report = verify_event_store(app)
            finally:
                rows.restore(case_id, original)
            assert [(b.case_id, b.case_version) for b in report.broken] == [
                (str(case_id), version)
            ], f"{name} at version {version}: {report.broken}"
            tried += 1
    assert tried == 16
    assert verify_event_store(app).broken == []  # restored exactly


def test_a_lost_last_event_shows_against_the_topic_and_pes_verify_fails(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, _ = recorded
    rows = StoredRows(settings, app)
    case_id = next(iter(app.case_ids()))
    last = len(app.history(case_id))
    delete(rows, app, case_id, last)

    store = verify_event_store(app)
    topic = verify_topic(
        cast(str, settings.kafka_bootstrap_servers),
        settings.case_events_topic,
        cast(AvroMapper, app.mapper),
    )

    assert store.broken == []  # a chain cannot see its own lost tail
    [difference] = compare_copies(store, topic)
    assert (difference.case_id, difference.case_version) == (str(case_id), last)
    run = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "verify", "--source", "both"],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(settings)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        f"case {case_id} version {last}: the event store ends at version {last - 1}" in run.stdout
    )


def test_a_forged_message_on_the_topic_is_detected_and_a_redelivery_is_not(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, _ = recorded
    mapper = cast(AvroMapper, app.mapper)
    codec = AvroCodec(published_schemas())
    case_id = next(iter(app.case_ids()))
    history = app.history(case_id)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        for event in (history[-1], history[-1]):  # an honest redelivery, twice
            message = outgoing_message(
                case_id, event.originator_version, mapper.to_stored_event(event).state, 0, codec
            )
            producer.send(settings.case_events_topic, key=message.key, value=message.value)
        producer.flush()
        topic = verify_topic(
            cast(str, settings.kafka_bootstrap_servers), settings.case_events_topic, mapper
        )
        assert topic.broken == []

        forged = history[-1].model_copy(
            update={"originator_version": len(history) + 1, "previous_hash": "0" * 64}
        )
        message = outgoing_message(
            case_id, forged.originator_version, mapper.to_stored_event(forged).state, 0, codec
        )
        producer.send(settings.case_events_topic, key=message.key, value=message.value)
        producer.flush()
    finally:
        producer.close()

    topic = verify_topic(
        cast(str, settings.kafka_bootstrap_servers), settings.case_events_topic, mapper
    )

    [broken] = topic.broken
    assert (broken.case_id, broken.case_version) == (str(case_id), len(history) + 1)
    assert broken.problem.startswith("content changed")
