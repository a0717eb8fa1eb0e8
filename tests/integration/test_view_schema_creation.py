"""Processes that open a fresh view store at the same instant all get its tables: on PostgreSQL,
concurrent `CREATE TABLE IF NOT EXISTS` of one table can fail on the catalog's unique index."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from adapters.case_ordered_store import POSITIONS_SCHEMA
from adapters.view_database import ViewDatabase
from scripts.local_postgres import conninfo
from tests.conftest import unique

pytestmark = pytest.mark.postgres

OPENERS = 6
ROUNDS = 5


def _open_at_once(databases: list[ViewDatabase]) -> list[BaseException]:
    """Creates the positions tables from every connection at the same instant; the failures."""
    ready = threading.Barrier(len(databases), timeout=30)
    failures: list[BaseException] = []

    def open_store(db: ViewDatabase) -> None:
        ready.wait()
        try:
            db.create(POSITIONS_SCHEMA)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_store, args=(db,)) for db in databases]
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
        failures = _open_at_once(databases)
        for db in databases:
            db.close()
        assert failures == []
        check = ViewDatabase.postgres(conninfo(postgres_server.connection, dbname=name))
        assert check.columns("view_positions") and check.columns("view_layouts")
        check.close()
