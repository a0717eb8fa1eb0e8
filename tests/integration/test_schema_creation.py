"""Processes that open a fresh store at the same instant all get its tables: on PostgreSQL,
concurrent `CREATE TABLE IF NOT EXISTS` of one table can fail on the catalog's unique index."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.case_ordered_store import POSITIONS_SCHEMA
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management
from scripts.local_postgres import conninfo
from tests.conftest import postgres_settings, unique

pytestmark = pytest.mark.postgres

OPENERS = 6
ROUNDS = 5


def _at_once(openers: int, open_store: Callable[[], object]) -> list[BaseException]:
    """Runs `open_store` from so many threads at the same instant; what each raised."""
    ready = threading.Barrier(openers, timeout=30)
    failures: list[BaseException] = []

    def run() -> None:
        ready.wait()
        try:
            open_store()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return failures


def test_processes_opening_a_fresh_postgres_view_store_at_once_all_get_its_tables(
    postgres_server: Any,
) -> None:
    for _ in range(ROUNDS):
        name = unique("fresh_views")
        postgres_server.create_database(name)
        databases = [
            ViewDatabase.postgres(conninfo(postgres_server.connection, dbname=name))
            for _ in range(OPENERS)
        ]
        connections = iter(databases)
        failures = _at_once(OPENERS, lambda c=connections: next(c).create(POSITIONS_SCHEMA))
        for db in databases:
            db.close()
        assert failures == []
        check = ViewDatabase.postgres(conninfo(postgres_server.connection, dbname=name))
        assert check.columns("view_positions") and check.columns("view_layouts")
        check.close()


def test_processes_opening_a_fresh_postgres_event_store_at_once_all_get_its_tables(
    postgres_server: Any, tmp_path: Path
) -> None:
    for _ in range(ROUNDS):
        settings = postgres_settings(postgres_server, tmp_path, prefix="fresh_events")
        apps: list[Any] = []
        failures = _at_once(OPENERS, lambda a=apps, s=settings: a.append(build_case_management(s)))
        for app in apps:
            app.close()
        assert failures == []
        assert len(apps) == OPENERS
