"""The database read models live in: a SQLite file by default, PostgreSQL by settings.

Read models write plain SQL with `?` placeholders; this adapter runs it on either engine and
gives them one transaction scope, so a view's rows and its Kafka positions commit together.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import psycopg

from adapters.private_files import private_sqlite

Dialect = Literal["sqlite", "postgres"]

SCHEMA_LOCK = 0x7065735F76696577
"""The PostgreSQL advisory lock held while a view store's tables are created ("pes_view")."""

INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
"""What either engine raises when a statement breaks a constraint."""


def is_taken_key(error: Exception) -> bool:
    """Whether a statement failed on a primary key or unique key already taken (not on a NOT
    NULL or CHECK constraint), on either engine."""
    if isinstance(error, sqlite3.IntegrityError):
        return error.sqlite_errorname in (
            "SQLITE_CONSTRAINT_PRIMARYKEY",
            "SQLITE_CONSTRAINT_UNIQUE",
        )
    return isinstance(error, psycopg.errors.UniqueViolation)


def column_positions(schema: str, table: str) -> dict[str, int]:
    """Each column's position in a row of `table`, as the `CREATE TABLE` in `schema` orders
    them: for code that builds or changes whole rows (`INSERT INTO table VALUES (...)`)."""
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\)", schema, re.DOTALL)
    if body is None:
        raise ValueError(f"no CREATE TABLE {table} in the schema")
    names = [line.split()[0] for line in body[1].strip().splitlines()]
    return {
        name: position
        for position, name in enumerate(n for n in names if n.upper() not in _TABLE_CONSTRAINTS)
    }


_TABLE_CONSTRAINTS = {"PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "CONSTRAINT"}


class ViewDatabase:
    """One connection to the view store, used by one projection process."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self._connection = connection
        self.dialect = dialect

    @classmethod
    def sqlite(cls, path: Path) -> ViewDatabase:
        private_sqlite(path)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=10000")
        return cls(connection, "sqlite")

    @classmethod
    def postgres(cls, conninfo: str) -> ViewDatabase:
        return cls(psycopg.connect(conninfo, autocommit=True), "postgres")

    def close(self) -> None:
        self._connection.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._connection.execute(self._native(sql), tuple(params))
        rows = cursor.fetchall() if cursor.description else []
        return [tuple(row) for row in rows]

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            self._connection.executemany(sql, rows)
        else:
            with self._connection.cursor() as cursor:
                cursor.executemany(self._native(sql), rows)

    def columns(self, table: str) -> list[str]:
        """The table's column names, in order."""
        if self.dialect == "sqlite":
            return [row[1] for row in self.execute(f"PRAGMA table_info({table})")]
        return [
            row[0]
            for row in self.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        ]

    def create(self, schema: str) -> None:
        """Runs `;`-separated DDL statements (each idempotent: IF NOT EXISTS)."""
        statements = [s.strip() for s in schema.split(";") if s.strip()]
        if self.dialect == "sqlite":
            for statement in statements:
                self.execute(statement)
            return
        # Two connections creating one table at once can both pass IF NOT EXISTS, and the
        # second then fails on the catalog's unique index: they take turns under one lock.
        # Each statement still commits on its own: a transaction would hold every table's lock
        # to its end, and deadlock with writers of those tables (rebuild workers).
        self.execute("SELECT pg_advisory_lock(?)", (SCHEMA_LOCK,))
        try:
            for statement in statements:
                self.execute(statement)
        finally:
            self.execute("SELECT pg_advisory_unlock(?)", (SCHEMA_LOCK,))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def _native(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")
