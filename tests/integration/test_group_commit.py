"""Saves waiting for SQLite's writer are recorded together, each undone alone if it fails."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from eventsourcing import persistence
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

from adapters.group_commit import GroupCommit
from application.bootstrap import build_case_management
from application.settings import Settings
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
