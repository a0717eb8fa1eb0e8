"""PostgreSQL event recorders that create their tables in turn with every other process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.view_database import SCHEMA_LOCK


class PostgresRecorderInTurn(PostgresApplicationRecorder):
    """The library's recorder, creating its tables under the schema lock.

    Processes starting on a fresh database at once would race on CREATE ... IF NOT EXISTS (the
    catalog's unique index refuses the second): they take turns under a lock held on a
    connection of its own, as the pool may have only one.
    """

    def create_table(self) -> None:
        # The datastore builds its pool from a dict of connection arguments.
        pooled = cast(Mapping[str, Any], self.datastore.pool.kwargs)
        kwargs = {k: v for k, v in pooled.items() if k != "row_factory"}
        with psycopg.connect(**kwargs, autocommit=True) as turn:
            turn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            super().create_table()
