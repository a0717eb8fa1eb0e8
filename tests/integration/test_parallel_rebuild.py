"""A rebuild shared among worker processes (`pes rebuild --workers N`) ends equal to a rebuild by
one process, which ends equal to a store fed as a live projection feeds it, on SQLite and
PostgreSQL view stores, and a killed worker fails the rebuild by name and leaves a store that
the next rebuild resumes."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from pydantic import SecretStr

from adapters.avro import AvroCodec, published_schemas
from adapters.consumer import Delivery
from adapters.event_store import AvroMapper
from application.bootstrap import (
    READ_MODELS,
    RebuildFailed,
    build_case_management,
    build_relay,
    rebuild,
)
from application.settings import Settings
from synthetic import SyntheticCaseload, drive
from tests.conftest import PostgresServer, unique

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str
) -> Iterator[tuple[Settings, int, dict[str, int]]]:
    """A synthetic caseload on a topic of 5 partitions: settings, message count, case versions."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("parallel-rebuild"),
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=5,
    )
    caseload = SyntheticCaseload(seed=21, cases=300)
    # Its history runs past the real today: the store lives at the caseload's last day.
    last_day = caseload.last_day()
    app = build_case_management(settings, clock=lambda: last_day)
    assert drive(app, caseload.commands()).unexpected == []
    relay = build_relay(settings, app)
    total = relay.drain()
    relay.close()
    versions = {str(case_id): app.get_case(case_id).version for case_id in app.case_ids()}
    yield settings, total, versions


def topic_end(settings: Settings) -> int:
    """The sum of the topic's end offsets: its events and the relay's transaction markers."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, isolation_level="read_committed"
    )
    try:
        partitions = [
            TopicPartition(settings.case_events_topic, p)
            for p in range(settings.case_events_partitions)
        ]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def view_settings(
    base: Settings, tmp_path: Path, name: str, view_store: str, request: pytest.FixtureRequest
) -> Settings:
    if view_store == "sqlite":
        return base.model_copy(update={"data_dir": tmp_path / name, "view_store": "sqlite"})
    server: PostgresServer = request.getfixturevalue("postgres_server")
    dbname = unique("pes_views")
    server.create_database(dbname)
    connection = server.connection
    return base.model_copy(
        update={
            "data_dir": tmp_path / name,
            "view_store": "postgres",
            "postgres_host": connection["host"],
            "postgres_port": int(connection["port"]),
            "postgres_user": connection["user"],
            "postgres_password": SecretStr(connection["password"]),
            "postgres_dbname": dbname,
        }
    )


@pytest.mark.parametrize("view_store", ["sqlite", "postgres"])
@pytest.mark.parametrize("read_model", list(READ_MODELS))
def test_a_rebuild_shared_among_workers_equals_a_rebuild_by_one(
    published: tuple[Settings, int, dict[str, int]],
    tmp_path: Path,
    read_model: str,
    view_store: str,
    request: pytest.FixtureRequest,
) -> None:
    base, total, versions = published
    alone = view_settings(base, tmp_path, "alone", view_store, request)
    shared = view_settings(base, tmp_path, "shared", view_store, request)
    seen: list[tuple[int, int]] = []

    assert rebuild(alone, read_model) == total
    # Small batches: many transactions per worker, interleaving on the one store.
    assert (
        rebuild(shared, read_model, lambda d, t: seen.append((d, t)), workers=3, batch=25) == total
    )

    one, three = READ_MODELS[read_model].open(alone), READ_MODELS[read_model].open(shared)
    try:
        assert three.snapshot() == one.snapshot()
        assert three.applied_versions() == versions
        # Each partition's position is past its last event and the relay's commit marker.
        assert three.positions_total(base.case_events_topic) == topic_end(base)
    finally:
        one.close()
        three.close()
    assert seen[-1] == (topic_end(base), topic_end(base))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


@pytest.mark.parametrize("view_store", ["sqlite", "postgres"])
@pytest.mark.parametrize("read_model", list(READ_MODELS))
def test_a_rebuild_equals_the_store_fed_every_event_rebuilt_in_small_batches(
    published: tuple[Settings, int, dict[str, int]],
    tmp_path: Path,
    read_model: str,
    view_store: str,
    request: pytest.FixtureRequest,
) -> None:
    """What a rebuild skips (types a store does not read, savepoints, timeline copies) leaves
    the rows a live projection's small batches of fully rebuilt events write."""
    base, total, _ = published
    rebuilt = view_settings(base, tmp_path, "rebuilt", view_store, request)
    live = view_settings(base, tmp_path, "live", view_store, request)
    mapper = AvroMapper(AvroCodec(published_schemas()))
    app = build_case_management(base)
    stored = app.recorder.select_notifications(start=1, limit=total)
    events = [mapper.event_from_message(app.mapper.plaintext(n.state)) for n in stored]

    assert rebuild(rebuilt, read_model) == total
    by_batches = READ_MODELS[read_model].open(live)
    one = READ_MODELS[read_model].open(rebuilt)
    try:
        for start in range(0, len(events), 40):
            part = events[start : start + 40]
            deliveries = [Delivery("live", 0, start + i, e) for i, e in enumerate(part)]
            by_batches.apply("live", 0, deliveries, start + len(part), lambda refused: None)
        assert one.snapshot() == by_batches.snapshot()
    finally:
        one.close()
        by_batches.close()


def test_a_killed_worker_fails_the_rebuild_by_name_and_the_next_one_resumes(
    published: tuple[Settings, int, dict[str, int]], tmp_path: Path
) -> None:
    base, total, versions = published
    alone = base.model_copy(update={"data_dir": tmp_path / "alone"})
    shared = base.model_copy(update={"data_dir": tmp_path / "shared"})
    killed: list[int] = []

    # Killed at the first progress report, while the children are still starting up (a spawned
    # process imports the application first), so its partitions are left short of their end.
    def kill_a_worker(done: int, target: int) -> None:
        children = multiprocessing.active_children()
        if not killed and children:
            killed.append(children[0].pid or 0)
            os.kill(children[0].pid or 0, signal.SIGKILL)

    with pytest.raises(
        RebuildFailed, match=r"rebuild-caseload-\d \(exit code -9\).*run the rebuild again"
    ):
        rebuild(shared, "caseload", progress=kill_a_worker, workers=3, batch=25)
    assert killed

    partial = READ_MODELS["caseload"].open(shared)
    stopped_at = partial.positions_total(base.case_events_topic)
    partial.close()
    assert stopped_at < topic_end(base)

    # It resumes where the killed worker's partitions stopped, not from the start.
    assert 0 < rebuild(shared, "caseload", workers=3) < total
    assert rebuild(alone, "caseload") == total
    resumed, one = READ_MODELS["caseload"].open(shared), READ_MODELS["caseload"].open(alone)
    try:
        assert resumed.snapshot() == one.snapshot()
        assert resumed.applied_versions() == versions
    finally:
        resumed.close()
        one.close()
