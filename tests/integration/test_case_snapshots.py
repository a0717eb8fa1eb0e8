"""Snapshots for reading a long case as of a date: the same answer as folding every event, on
either store, whatever the order of reads; never trusted when their row or the event under them
changed; encrypted at rest with the events."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher
from pydantic import SecretStr

from adapters.view_database import ViewDatabase
from application.audit import case_as_of, state_as_of
from application.bootstrap import build_case_management, open_event_store_database
from application.cases import CaseManagement
from application.settings import Settings
from domain.base import Actor, Role
from domain.case import case_id_for
from scripts.bench_audit import record_long_case

CASE = case_id_for("VR-BENCH-LONG")
INTERVAL = 10


@pytest.fixture
def long_case(store_settings: Settings) -> Iterator[tuple[Settings, list[Any]]]:
    """A case of 250 events with requests entered late under earlier dates and corrections of
    its outcome date, recorded without snapshots; its history."""
    recorder, _ = record_long_case(
        store_settings.model_copy(update={"snapshot_interval": 0}), 250, corrections_every=4
    )
    history = recorder.history(CASE)
    recorder.close()
    yield store_settings.model_copy(update={"snapshot_interval": INTERVAL}), history


def every_date(history: list[Any]) -> list[date]:
    """Each event's business date, and the day before it."""
    days = {e.effective_on for e in history} | {e.effective_on - timedelta(days=1) for e in history}
    return sorted(days)


def snapshot_rows(database: ViewDatabase) -> list[tuple[Any, ...]]:
    return database.execute(
        "SELECT case_version, effective_through, last_event_digest, state, domain_code "
        "FROM case_snapshots ORDER BY case_version"
    )


def test_a_case_as_of_every_date_is_the_same_with_snapshots_as_folding_every_event(
    long_case: tuple[Settings, list[Any]],
) -> None:
    settings, history = long_case
    days = every_date(history)
    # Back-dated facts: some event is dated before one recorded ahead of it.
    assert any(b.effective_on < a.effective_on for a, b in pairwise(history))
    plain = build_case_management(settings.model_copy(update={"snapshot_interval": 0}))
    expected = {day: state_as_of(plain, CASE, day) for day in days}
    app = build_case_management(settings)

    # Snapshots kept as the reads go, in an order that is neither forwards nor backwards.
    for day in days[1::2] + days[::-2]:
        assert state_as_of(app, CASE, day) == expected[day], day

    database = open_event_store_database(settings)
    kept = [row[0] for row in snapshot_rows(database)]
    assert kept == list(range(INTERVAL, len(history) + 1, INTERVAL))
    for day in days:
        as_of = case_as_of(app, CASE, day)
        assert state_as_of(app, CASE, day) == expected[day], day
        # Never more than an interval's events folded: the rest came from a snapshot.
        assert as_of.events_folded < INTERVAL, day
    assert case_as_of(app, CASE, days[-1]).snapshot_version == kept[-1]
    assert [row[0] for row in snapshot_rows(database)] == kept
    database.close()
    app.close()
    plain.close()


@pytest.mark.parametrize(
    "change",
    [
        "a byte of its state",
        "its date moved earlier, its digest made to match",
        "the state of another snapshot, its columns made to match",
        "the stored event it was taken after",
    ],
)
def test_a_snapshot_that_was_changed_is_not_used_and_the_events_answer(
    long_case: tuple[Settings, list[Any]], change: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings, history = long_case
    app = build_case_management(settings)
    state_as_of(app, CASE, history[-1].effective_on)
    version = 5 * INTERVAL
    day = history[version - 1].effective_on
    assert case_as_of(app, CASE, day).snapshot_version == version
    database = open_event_store_database(settings)
    rows = {row[0]: row for row in snapshot_rows(database)}
    _, through, _, state, _ = rows[version]
    if change == "a byte of its state":
        state = bytes(state)
        update(database, version, state=state[:-1] + bytes([state[-1] ^ 1]))
    elif change == "its date moved earlier, its digest made to match":
        earlier = (date.fromisoformat(through) - timedelta(days=30)).isoformat()
        update(database, version, effective_through=earlier, state=bytes(state))
    elif change == "the state of another snapshot, its columns made to match":
        update(database, version, state=bytes(rows[version - INTERVAL][3]))
    else:
        rewrite_event(app, settings, database, version)
    database.close()

    plain = build_case_management(settings.model_copy(update={"snapshot_interval": 0}))
    with caplog.at_level(logging.WARNING, logger="application.audit"):
        as_of = case_as_of(app, CASE, day)
        assert state_as_of(app, CASE, day) == state_as_of(plain, CASE, day)
    assert as_of.snapshot_version is None
    assert f"the snapshot of case {CASE} at version {version} is not used" in caplog.text
    app.close()
    plain.close()


def update(database: ViewDatabase, version: int, state: bytes, effective_through: str = "") -> None:
    """Changes the snapshot row as someone with the database's password could, digest and all."""
    ((through, last_digest),) = database.execute(
        "SELECT effective_through, last_event_digest FROM case_snapshots WHERE case_version = ?",
        (version,),
    )
    through = effective_through or through
    digest = hashlib.sha256(f"{CASE}|{version}|{through}|{last_digest}|".encode())
    digest.update(state)
    database.execute(
        "UPDATE case_snapshots SET effective_through = ?, state = ?, state_digest = ? "
        "WHERE case_version = ?",
        (through, state, digest.hexdigest(), version),
    )


def rewrite_event(
    app: CaseManagement, settings: Settings, database: ViewDatabase, version: int
) -> None:
    """Rewrites the stored event at `version` in place: another actor, its old seal kept."""
    (event,) = app.events.get(CASE, gt=version - 1, lte=version)
    changed = event.model_copy(update={"actor": Actor(id="someone-else", role=Role.SUPERVISOR)})  # type: ignore[attr-defined]
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    case_id = CASE.hex if settings.event_store == "sqlite" else CASE
    database.execute(
        f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (app.mapper.to_stored_event(changed).state, case_id, version),
    )
    (stored,) = app.events.get(CASE, gt=version - 1, lte=version)
    assert stored.actor.id == "someone-else"  # type: ignore[attr-defined]


def test_snapshots_of_other_domain_code_are_never_used_and_give_way_to_new_ones(
    long_case: tuple[Settings, list[Any]],
) -> None:
    settings, history = long_case
    app = build_case_management(settings)
    last_day = history[-1].effective_on
    expected = state_as_of(app, CASE, last_day)
    database = open_event_store_database(settings)
    database.execute("UPDATE case_snapshots SET domain_code = 'code of an earlier release'")

    assert case_as_of(app, CASE, last_day).snapshot_version is None
    assert state_as_of(app, CASE, last_day) == expected
    codes = {row[4] for row in snapshot_rows(database)}
    assert len(codes) == 1 and "code of an earlier release" not in codes
    assert case_as_of(app, CASE, last_day).snapshot_version == len(history) // INTERVAL * INTERVAL
    database.close()
    app.close()


def test_processes_keeping_the_same_snapshots_at_once_keep_each_one_once(
    long_case: tuple[Settings, list[Any]], caplog: pytest.LogCaptureFixture
) -> None:
    settings, history = long_case
    apps = [build_case_management(settings) for _ in range(3)]
    last_day = history[-1].effective_on
    start = threading.Barrier(len(apps), timeout=60)
    answers: list[Any] = []

    def read(app: CaseManagement) -> None:
        start.wait()
        answers.append(state_as_of(app, CASE, last_day))

    with caplog.at_level(logging.WARNING):
        threads = [threading.Thread(target=read, args=(app,)) for app in apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert len(answers) == len(apps) and all(answer == answers[0] for answer in answers)
    assert "snapshot" not in caplog.text
    database = open_event_store_database(settings)
    kept = [row[0] for row in snapshot_rows(database)]
    assert kept == list(range(INTERVAL, len(history) + 1, INTERVAL))
    database.close()
    for app in apps:
        app.close()


def test_snapshots_are_encrypted_at_rest_with_the_events(tmp_path: Any) -> None:
    def kept_states(settings: Settings) -> list[bytes]:
        app, _ = record_long_case(settings, 64)
        assert state_as_of(app, CASE, date(2030, 1, 1)) is not None
        assert case_as_of(app, CASE, date(2030, 1, 1)).snapshot_version == 60
        app.close()
        database = open_event_store_database(settings)
        states = [bytes(row[3]) for row in snapshot_rows(database)]
        database.close()
        assert len(states) == 60 // INTERVAL  # a case of 64 events
        return states

    key = SecretStr(AESCipher.create_key(32))
    encrypted = Settings(
        data_dir=tmp_path / "encrypted", snapshot_interval=INTERVAL, cipher_key=key
    )
    plain = Settings(data_dir=tmp_path / "plain", snapshot_interval=INTERVAL)

    # What the case holds (its employer, its case number) is in a snapshot kept without a key...
    assert all(
        b"Bench Works" in state and b"VR-BENCH-LONG" in state for state in kept_states(plain)
    )
    # ... and in none kept with one.
    for state in kept_states(encrypted):
        assert b"Bench Works" not in state and b"VR-BENCH-LONG" not in state
