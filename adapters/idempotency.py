"""Idempotency keys kept in the event store's own database, in the transaction of the events.

A command sent with a client's idempotency key records, in the transaction that appends its
events, the answer its client is given. So a key has an answer exactly when the command's events
are stored: a retry after a crash at any point finds both or neither, and of two concurrent
requests with one key only the first to commit records anything; the other's transaction fails
whole with `IdempotencyKeyTaken`. A refused command appends nothing, so it keeps no key.

The recorders below are the library's application recorders plus that table; the wiring point
(application/bootstrap.py) selects them through `APPLICATION_RECORDER_TOPIC`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from adapters.group_commit import SQLiteRecorderInBatches
from adapters.postgres_tables import PostgresRecorderInTurn

TABLE = "idempotency_keys"


@dataclass(frozen=True)
class KeptAnswer:
    """The answer a keyed request was given, as its client received it."""

    request_hash: str
    status: int
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class KeyedAnswer:
    """An answer to keep under an actor's key, recorded at `recorded_at`, until `keep_until`
    (seconds since the epoch); keys whose time has passed are purged as it is recorded."""

    actor_id: str
    key: str
    recorded_at: float
    keep_until: float
    answer: KeptAnswer

    def row(self) -> tuple[Any, ...]:
        return (
            self.actor_id,
            self.key,
            self.answer.request_hash,
            self.answer.status,
            json.dumps(dict(self.answer.headers)),
            self.answer.body,
            self.recorded_at,
            self.keep_until,
        )


class IdempotencyKeyTaken(Exception):
    """Another request recorded an answer under this key first; nothing of this one is stored."""


@runtime_checkable
class AnswerKeeper(Protocol):
    """A recorder that keeps keyed answers with the events (the `idempotency` save argument)."""

    def kept_answer(self, actor_id: str, key: str, now: float) -> KeptAnswer | None: ...


def _answer(row: Mapping[str, Any] | None) -> KeptAnswer | None:
    if row is None:
        return None
    return KeptAnswer(
        request_hash=row["request_hash"],
        status=row["status"],
        body=bytes(row["body"]),
        headers=json.loads(row["headers"]),
    )


COLUMNS = "actor_id, key, request_hash, status, headers, body, recorded_at, keep_until"


class SQLiteRecorderWithKeys(SQLiteRecorderInBatches):
    """The SQLite event recorder, also keeping idempotency keys and their answers."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "actor_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, "
            "status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, "
            "recorded_at REAL NOT NULL, keep_until REAL NOT NULL, "
            "PRIMARY KEY (actor_id, key)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_by_expiry ON {TABLE} (keep_until)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        keyed: KeyedAnswer | None = kwargs.get("idempotency")
        if keyed is not None:
            # Writes first: the transaction takes the database's write lock at once.
            c.execute(f"DELETE FROM {TABLE} WHERE keep_until < ?", (keyed.recorded_at,))
            c.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING actor_id",
                keyed.row(),
            )
            if c.fetchone() is None:
                raise IdempotencyKeyTaken(keyed.key)
        return super()._insert_events(c, stored_events, **kwargs)

    def kept_answer(self, actor_id: str, key: str, now: float) -> KeptAnswer | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT request_hash, status, body, headers FROM {TABLE}"
                " WHERE actor_id = ? AND key = ? AND keep_until >= ?",
                (actor_id, key, now),
            )
            return _answer(c.fetchone())


class PostgresRecorderWithKeys(PostgresRecorderInTurn):
    """The PostgreSQL event recorder, also keeping idempotency keys and their answers."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        if datastore.enable_db_functions:
            # The library's insert function bypasses _insert_events: keys would not be recorded.
            raise ValueError(
                "idempotency keys are recorded with the events only with "
                "POSTGRES_ENABLE_DB_FUNCTIONS off"
            )
        super().__init__(datastore, events_table_name=events_table_name)
        table = Identifier(datastore.schema, TABLE)
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {table} ("
                "actor_id text NOT NULL, key text NOT NULL, request_hash text NOT NULL, "
                "status integer NOT NULL, headers text NOT NULL, body bytea NOT NULL, "
                "recorded_at double precision NOT NULL, keep_until double precision NOT NULL, "
                "PRIMARY KEY (actor_id, key))"
            ).format(table=table),
            SQL("CREATE INDEX IF NOT EXISTS {index} ON {table} (keep_until)").format(
                index=Identifier(f"{TABLE}_by_expiry"), table=table
            ),
        ]
        self._purge = SQL("DELETE FROM {table} WHERE keep_until < %s").format(table=table)
        self._insert_key = SQL(
            "INSERT INTO {table} (" + COLUMNS + ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING actor_id"
        ).format(table=table)
        self._select_answer = SQL(
            "SELECT request_hash, status, body, headers FROM {table}"
            " WHERE actor_id = %s AND key = %s AND keep_until >= %s"
        ).format(table=table)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        keyed: KeyedAnswer | None = kwargs.get("idempotency")
        if keyed is not None:
            # The events table's lock first (the library takes it again, a no-op, before the
            # events): keys are then written one transaction at a time, so a purge never waits
            # on a row that a transaction waiting for the lock holds.
            self._lock_table(curs)
            curs.execute(self._purge, (keyed.recorded_at,))
            curs.execute(self._insert_key, keyed.row())
            if curs.fetchone() is None:
                raise IdempotencyKeyTaken(keyed.key)
        super()._insert_events(curs, stored_events, **kwargs)

    def kept_answer(self, actor_id: str, key: str, now: float) -> KeptAnswer | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_answer, (actor_id, key, now))
            return _answer(curs.fetchone())
