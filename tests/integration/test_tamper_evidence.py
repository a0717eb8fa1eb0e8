"""Tampering with stored events, directly in SQLite and PostgreSQL, is detected every time."""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from kafka import KafkaProducer

from adapters.avro import AvroCodec, published_schemas
from adapters.contract import outgoing_message
from adapters.event_store import AvroMapper
from adapters.kafka import RememberedPartitions, transactional_producer
from adapters.relay import OutboxRelay, position_name
from application.bootstrap import (
    build_case_management,
    build_refusal_relay,
    build_relay,
    build_tracking_recorder,
)
from application.cases import CaseManagement
from application.settings import Settings, as_environment
from application.verification import compare_copies, verify_event_store, verify_topic
from scripts.exit_codes import ExitCode
from synthetic import SyntheticCaseload, drive
from tests.builders import new_employment_case_numbers

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
    refusal_relay = build_refusal_relay(settings)  # the caseload's refused commands
    refusal_relay.drain()
    refusal_relay.close()
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
    # The 40 planned cases and the new employment program cases their determinations opened.
    opened = new_employment_case_numbers(SyntheticCaseload(seed=41, cases=40))
    assert store.cases == topic.cases == 40 + len(opened) and store.unchained_events == 0


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
            rows_changed = [version, version + 1] if tamper is swap_with_next else [version]
            assert [(b.case_id, b.case_version) for b in report.broken] == [
                (str(case_id), v) for v in rows_changed
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
    run = pes_verify(settings, "both")
    assert run.returncode == ExitCode.CHECK_FAILED, run.stdout + run.stderr
    number = app.get_case(case_id).case_number
    assert (
        f"case {number} (id {case_id}) version {last} [event store vs Kafka topic "
        f"{settings.case_events_topic}]: the event store ends at version {last - 1}"
    ) in run.stdout


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


def pes_verify(settings: Settings, source: str) -> subprocess.CompletedProcess[str]:
    """`pes verify --source SOURCE` in its own process, configured as these settings say."""
    environment = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "verify", "--source", source],
        cwd=REPOSITORY,
        env={**environment, **as_environment(settings)},
        capture_output=True,
        text=True,
        timeout=300,
    )


class PositionLostInACrash:
    """The relay's tracking as a SIGKILL leaves it: the last `lost` notifications the broker
    acknowledged were never recorded as published."""

    def __init__(self, tracking: Any, lost: int) -> None:
        self.tracking, self.lost = tracking, lost

    def max_tracking_id(self, name: str) -> int:
        return (self.tracking.max_tracking_id(name) or 0) - self.lost

    def insert_tracking(self, tracking: Tracking) -> None:
        recorded = self.tracking.max_tracking_id(tracking.application_name) or 0
        if tracking.notification_id > recorded:  # what the crash lost is recorded already here
            self.tracking.insert_tracking(tracking)


def republish_the_tail(settings: Settings, app: CaseManagement, lost: int) -> Counter[str]:
    """Starts a relay whose last `lost` notifications were published but not recorded, as after
    a SIGKILL, and lets it catch up; returns how many versions of each case it sent again."""
    last = app.recorder.max_notification_id() or 0
    relay = OutboxRelay(
        source=app,
        tracking=cast(Any, PositionLostInACrash(build_tracking_recorder(settings, "relay"), lost)),
        producer=transactional_producer(
            cast(str, settings.kafka_bootstrap_servers),
            client_id="pes-relay",
            transactional_id=position_name(settings.case_events_topic),
            partitioner=RememberedPartitions(),
        ),
        topic=settings.case_events_topic,
    )
    try:
        assert relay.drain() == lost
    finally:
        relay.close()
    tail = app.recorder.select_notifications(last - lost, lost, inclusive_of_start=False)
    return Counter(str(n.originator_id) for n in tail)


def breaks_printed(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  case ")]


def test_a_republished_tail_of_several_versions_per_case_verifies_intact_with_exit_0(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, _ = recorded
    republished = republish_the_tail(settings, app, lost=60)
    assert max(republished.values()) >= 3, "the tail should hold several versions of a case"

    run = pes_verify(settings, "both")

    assert run.returncode == ExitCode.OK, run.stdout + run.stderr
    assert breaks_printed(run.stdout) == []
    assert "60 duplicate(s)" in run.stdout
    assert "store vs topic: 0 case(s) whose copies end differently" in run.stdout


def test_every_break_in_the_store_and_on_the_topic_is_reported_also_after_an_earlier_one(
    recorded: tuple[Settings, CaseManagement, int],
) -> None:
    settings, app, _ = recorded
    republish_the_tail(settings, app, lost=60)
    mapper = cast(AvroMapper, app.mapper)
    rows = StoredRows(settings, app)
    in_store, on_topic = [c for c in app.case_ids() if len(app.history(c)) >= 6][:2]
    numbers = {c: app.get_case(c).case_number for c in (in_store, on_topic)}
    flip_a_byte(rows, app, in_store, 2)
    change_a_field(rows, app, in_store, 5)  # the same case, after its first break
    history = app.history(on_topic)
    codec = AvroCodec(published_schemas())
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        for version in (2, 5):
            event = history[version - 1]
            forged = event.model_copy(update={"effective_on": event.effective_on - timedelta(1)})
            state = mapper.to_stored_event(forged).state
            message = outgoing_message(on_topic, version, state, 0, codec)
            producer.send(settings.case_events_topic, key=message.key, value=message.value)
        producer.flush()
    finally:
        producer.close()

    run = pes_verify(settings, "both")

    assert run.returncode == ExitCode.CHECK_FAILED, run.stdout + run.stderr
    topic = f"Kafka topic {settings.case_events_topic}"
    reported = breaks_printed(run.stdout)
    expected = [
        f"case {numbers[in_store]} (id {in_store}) version 2 [event store, row 2]: ",
        f"case {numbers[in_store]} (id {in_store}) version 5 [event store, row 5]: content changed",
        f"case {numbers[on_topic]} (id {on_topic}) version 2 [{topic}, partition ",
        f"case {numbers[on_topic]} (id {on_topic}) version 5 [{topic}, partition ",
    ]
    assert len(reported) == len(expected), run.stdout
    for line in expected:
        assert any(r.startswith(line) for r in reported), f"{line!r} not in {run.stdout}"
    assert "store vs topic: 0 case(s) whose copies end differently" in run.stdout


def test_pes_verify_exits_3_with_one_line_when_the_check_cannot_run(
    recorded: tuple[Settings, CaseManagement, int], tmp_path: Path
) -> None:
    settings, _, _ = recorded
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = settings.model_copy(
        update={"kafka_bootstrap_servers": f"127.0.0.1:{closed_port}"}
    )
    no_broker = settings.model_copy(update={"kafka_bootstrap_servers": None})
    no_topic = settings.model_copy(update={"case_events_topic": "pes.no-such-topic"})
    no_store = Settings(data_dir=tmp_path / "nothing-here", event_store="sqlite")

    runs = {
        "broker unreachable": pes_verify(unreachable, "both"),
        "no broker configured": pes_verify(no_broker, "kafka"),
        "no topic": pes_verify(no_topic, "kafka"),
        "no event store": pes_verify(no_store, "store"),
    }

    for why, run in runs.items():
        assert run.returncode == ExitCode.UNAVAILABLE, f"{why}: {run.stdout}{run.stderr}"
        assert "Traceback" not in run.stderr, why
        [message] = [line for line in run.stderr.splitlines() if line.startswith("pes verify")]
        assert message.startswith("pes verify: the check could not run: "), why
    assert "KAFKA_BOOTSTRAP_SERVERS" in runs["no broker configured"].stderr
    assert str(no_store.sqlite_path) in runs["no event store"].stderr
    assert "the topic pes.no-such-topic does not exist" in runs["no topic"].stderr
    assert not no_store.sqlite_path.exists()
