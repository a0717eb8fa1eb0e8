"""Saves waiting for SQLite's writer are recorded together, each undone alone if it fails; a
batch records commands one after another in one transaction, committed once at its end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import pytest
from eventsourcing import persistence
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore
from fastapi import Response

from adapters.group_commit import GroupCommit
from api.commands import serve_batches
from api.idempotency import IdempotencyKeys, StoredResponse
from application.bootstrap import build_case_management, build_refusal_records
from application.cases import CaseManagement, IdempotentRequest, Recorded
from application.settings import Settings
from domain.case import case_id_for
from domain.errors import CaseNotFound, RuleViolation
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.topic_reader import wait_for


@pytest.fixture
def datastore(tmp_path: Path) -> Any:
    store = SQLiteDatastore(str(tmp_path / "store.sqlite"))
    with store.transaction(commit=True) as cursor:
        cursor.execute("CREATE TABLE facts (name TEXT PRIMARY KEY)")
    yield store
    store.close()


def recorded(datastore: SQLiteDatastore) -> set[str]:
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT name FROM facts")
        return {row[0] for row in cursor.fetchall()}


def test_saves_waiting_for_the_writer_share_one_transaction_and_a_failing_one_fails_alone(
    datastore: SQLiteDatastore,
) -> None:
    group_commit = GroupCommit(datastore)
    first_writing, release_first = threading.Event(), threading.Event()
    cursors: dict[str, SQLiteCursor] = {}  # kept alive: told apart by identity
    outcomes: dict[str, object] = {}

    def insert(label: str, name: str, wait: bool = False) -> Any:
        def write(cursor: SQLiteCursor) -> str:
            cursors[label] = cursor
            if wait:
                first_writing.set()
                assert release_first.wait(timeout=30)
            cursor.execute("INSERT INTO facts (name) VALUES (?)", (name,))
            return name

        return write

    def save(name: str, write: Any) -> None:
        try:
            outcomes[name] = group_commit.run(write)
        except Exception as error:
            outcomes[name] = error

    first = threading.Thread(target=save, args=("first", insert("first", "first", wait=True)))
    first.start()
    assert first_writing.wait(timeout=30)
    # While the first holds the writer, three more arrive: the second and the fourth record
    # new facts, the third one the first already recorded (a clash, as of a case's version).
    others = [
        threading.Thread(target=save, args=(label, insert(label, name)))
        for label, name in (("second", "second"), ("third", "first"), ("fourth", "fourth"))
    ]
    for thread in others:
        thread.start()
    wait_for(lambda: len(group_commit._waiting) == 3, timeout=30, what="three saves waiting")
    release_first.set()
    for thread in (first, *others):
        thread.join(timeout=30)
        assert not thread.is_alive()

    assert outcomes["first"] == "first"
    assert outcomes["second"] == "second"
    assert outcomes["fourth"] == "fourth"
    assert isinstance(outcomes["third"], persistence.IntegrityError)
    assert recorded(datastore) == {"first", "second", "fourth"}
    # The three that waited were written through one cursor: one transaction, one commit.
    assert cursors["second"] is cursors["third"] is cursors["fourth"]
    assert cursors["second"] is not cursors["first"]


def test_a_save_alone_fails_with_the_librarys_error_and_records_nothing(
    datastore: SQLiteDatastore,
) -> None:
    group_commit = GroupCommit(datastore)
    group_commit.run(lambda c: c.execute("INSERT INTO facts (name) VALUES ('a')"))

    def clash_after_a_write(cursor: SQLiteCursor) -> None:
        cursor.execute("INSERT INTO facts (name) VALUES ('b')")
        cursor.execute("INSERT INTO facts (name) VALUES ('a')")

    with pytest.raises(persistence.IntegrityError):
        group_commit.run(clash_after_a_write)
    assert recorded(datastore) == {"a"}


def test_commands_from_many_threads_are_all_recorded_once_each(tmp_path: Path) -> None:
    app = build_case_management(Settings(data_dir=tmp_path))
    numbers = case_numbers("VR-GROUP", 160)
    errors: list[BaseException] = []

    def client(mine: list[str]) -> None:
        try:
            for number in mine:
                app.open_case(open_case(number), CASEWORKER)
                app.handle(record_outcome(number), CASEWORKER)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(numbers[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()

    assert errors == []
    versions = sorted(app.get_case(case_id).version for case_id in app.case_ids())
    assert versions == [2] * len(numbers)
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    assert [n.id for n in notifications] == list(range(1, 2 * len(numbers) + 1))
    app.close()


def batch_of(app: CaseManagement) -> AbstractContextManager[None]:
    assert app.records_in_batches
    return app.in_one_transaction()


def on_another_thread(read: Callable[[], Any]) -> Any:
    """What `read` returns on a thread without the batch (None if it raises CaseNotFound)."""
    seen: list[Any] = []

    def reading() -> None:
        try:
            seen.append(read())
        except CaseNotFound:
            seen.append(None)

    thread = threading.Thread(target=reading)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return seen[0]


def committed(app: CaseManagement) -> list[Any]:
    """The notifications a thread without the batch reads: what is committed."""
    return list(on_another_thread(lambda: app.recorder.select_notifications(start=1, limit=10)))


def test_a_batch_commits_once_at_its_end_and_its_commands_see_the_ones_before_them(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    app = build_case_management(settings)
    elsewhere = build_case_management(settings)  # another connection, as another process
    keys = IdempotencyKeys(app)
    number = "VR-BATCH-1"

    def open_it(request: IdempotentRequest) -> Recorded:
        return app.open_case(open_case(number), CASEWORKER, request)

    def respond(recorded: Recorded) -> StoredResponse:
        return StoredResponse(201, f"version {recorded.version}".encode(), {})

    with batch_of(app):
        first = keys.replay_or_run("cw-1", "key-1", "request", open_it, respond)
        # The same key again in the same batch: answered from the batch's own transaction.
        again = keys.replay_or_run("cw-1", "key-1", "request", open_it, respond)
        app.handle(record_outcome(number), CASEWORKER)
        assert committed(elsewhere) == []  # nothing another thread can see yet
        # Nor through the cases kept in memory: the case decided in the batch stays with it.
        assert on_another_thread(lambda: app.get_case(case_id_for(number))) is None

    assert (first.replayed, again.replayed, again.body) == (False, True, first.body)
    assert elsewhere.get_case(case_id_for(number)).version == 2
    app.close()
    elsewhere.close()


def test_a_command_refused_in_a_batch_keeps_its_decision_record_with_the_batch(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    app = build_case_management(settings)
    number, before_it = "VR-BATCH-2", "VR-BATCH-2A"
    app.open_case(open_case(number), CASEWORKER)
    app.handle(record_outcome(number), CASEWORKER)

    with batch_of(app):
        app.open_case(open_case(before_it), CASEWORKER)  # the batch holds the write lock now
        # The refusal records are another recorder on the same file: they join the batch
        # instead of waiting for its write lock (and failing after SQLite's lock timeout).
        with pytest.raises(RuleViolation) as refusal:
            app.handle(record_outcome(number), CASEWORKER)

    assert refusal.value.rule_id == "VR-01"
    assert app.get_case(case_id_for(before_it)).version == 1
    records = build_refusal_records(settings)
    assert [r.rule_ids for r in records.refusals_of(case_id_for(number))] == [("VR-01",)]
    records.close()
    app.close()


def test_a_batch_whose_commit_fails_answers_every_command_with_it_and_keeps_no_case_it_decided(
    tmp_path: Path,
) -> None:
    app = build_case_management(Settings(data_dir=tmp_path))
    number = "VR-BATCH-3"
    app.open_case(open_case(number), CASEWORKER)  # recorded, and kept in memory

    @contextmanager
    def commit_fails() -> Iterator[None]:
        with batch_of(app):
            yield
            raise persistence.OperationalError("disk I/O error")  # as the commit would

    def outcome() -> Response:
        app.handle(record_outcome(number), CASEWORKER)
        return Response()

    async def run_batch() -> list[object]:
        loop = asyncio.get_running_loop()
        jobs: SimpleQueue[Any] = SimpleQueue()
        answer = loop.create_future()
        jobs.put((outcome, answer, loop))
        jobs.put(None)
        serving = threading.Thread(target=serve_batches, args=(jobs, commit_fails))
        serving.start()
        answers = await asyncio.wait_for(asyncio.gather(answer, return_exceptions=True), 30)
        serving.join(timeout=30)
        return list(answers)

    (answered,) = asyncio.run(run_batch())

    assert isinstance(answered, persistence.OperationalError)
    # Kept in memory, the case would still show the outcome the store never recorded.
    assert app.get_case(case_id_for(number)).version == 1
    app.close()
