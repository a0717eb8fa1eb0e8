"""Saves that wait for SQLite's one writer are recorded together, in one transaction.

A SQLite database has one writer, and each save's commit waits for the disk (`fdatasync`). When
commands arrive on several threads at once (the API's command threads), each used to take the
writer in turn for a transaction of its own, and the next one could start only once the last
had flushed and handed the writer on. Here the thread that finds the writer free takes every
save waiting at that moment and records them in one transaction, each inside a savepoint of its
own, so a save that fails (another writer took its case's version, an idempotency key already
taken) is undone alone and fails alone; one commit flushes them all. Every save still returns
only once its transaction is committed, so nothing is answered that a crash could lose, and a
crash before the commit loses the whole group, none of it answered. A save alone is a
transaction of its own, as before.

A batch goes further (`GroupCommit.batch`, used by the API's one command thread on SQLite): the
thread runs commands one after another in one open transaction, each save in a savepoint of its
own, and commits once at the end, before any of them is answered. While the batch is open,
everything this thread reads or writes in the database goes through that transaction
(`BatchAwareDatastore`): a command sees the ones before it in the batch (a case reloaded, an
idempotency key already taken), and the refusal records, another recorder on the same file, are
committed with the batch instead of waiting for its write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

T = TypeVar("T")

# The library's translation of the driver's errors (eventsourcing.sqlite.SQLiteTransaction),
# most specific first: callers tell a version clash by the library's IntegrityError.
_LIBRARY_ERRORS: tuple[tuple[type[sqlite3.Error], type[persistence.PersistenceError]], ...] = (
    (sqlite3.InterfaceError, persistence.InterfaceError),
    (sqlite3.DataError, persistence.DataError),
    (sqlite3.OperationalError, persistence.OperationalError),
    (sqlite3.IntegrityError, persistence.IntegrityError),
    (sqlite3.InternalError, persistence.InternalError),
    (sqlite3.ProgrammingError, persistence.ProgrammingError),
    (sqlite3.NotSupportedError, persistence.NotSupportedError),
    (sqlite3.DatabaseError, persistence.DatabaseError),
    (sqlite3.Error, persistence.PersistenceError),
)


def as_library_error(error: BaseException) -> BaseException:
    for driver_error, library_error in _LIBRARY_ERRORS:
        if isinstance(error, driver_error):
            translated = library_error(error)
            translated.__cause__ = error
            return translated
    return error


_BATCHES = threading.local()
"""This thread's open batch transactions, by database file: `cursors`, a dict."""


def _batch_cursors() -> dict[str, SQLiteCursor]:
    cursors: dict[str, SQLiteCursor] | None = getattr(_BATCHES, "cursors", None)
    if cursors is None:
        cursors = _BATCHES.cursors = {}
    return cursors


def _batch_cursor(datastore: SQLiteDatastore) -> SQLiteCursor | None:
    return _batch_cursors().get(datastore.pool.db_name)


class BatchAwareDatastore:
    """A recorder's datastore whose transactions, on a thread with a batch open on the same
    database file, are that batch's: no transaction of their own, nothing committed or rolled
    back but the batch. Everything else is the wrapped datastore's."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.wrapped = datastore

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        cursor = _batch_cursor(self.wrapped)
        if cursor is None:
            with self.wrapped.transaction(commit=commit) as own:
                yield own
        else:
            yield cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


@dataclass
class _Save(Generic[T]):
    write: Callable[[SQLiteCursor], T]
    result: T | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class GroupCommit:
    """Runs each `write` in a transaction, sharing it with the writes waiting at the same time."""

    datastore: SQLiteDatastore
    _waiting: list[_Save[object]] = field(default_factory=list)
    _writing: bool = False
    _turn: threading.Condition = field(default_factory=threading.Condition)

    def run(self, write: Callable[[SQLiteCursor], T]) -> T:
        batch = _batch_cursor(self.datastore)
        if batch is not None:
            save: _Save[T] = _Save(write)
            self._record_one_of_many(batch, save)  # type: ignore[arg-type]
            if save.error is not None:
                raise save.error
            return save.result  # type: ignore[return-value]
        save = _Save(write)
        with self._turn:
            self._waiting.append(save)  # type: ignore[arg-type]
            while self._writing and not save.done:
                self._turn.wait()
            if not save.done:
                # The writer is free and this save is still waiting: it records the group.
                self._writing = True
                group, self._waiting = self._waiting, []
        if not save.done:
            try:
                self._record(group)
            finally:
                with self._turn:
                    self._writing = False
                    self._turn.notify_all()
        if save.error is not None:
            raise save.error
        return save.result  # type: ignore[return-value]

    def _record(self, group: list[_Save[object]]) -> None:
        try:
            with self.datastore.transaction(commit=True) as cursor:
                if len(group) == 1:
                    group[0].result = group[0].write(cursor)
                else:
                    for save in group:
                        self._record_one_of_many(cursor, save)
        except BaseException as error:
            for save in group:
                if save.error is None:
                    save.error = error
        finally:
            for save in group:
                save.done = True

    @staticmethod
    def _record_one_of_many(cursor: SQLiteCursor, save: _Save[object]) -> None:
        cursor.execute("SAVEPOINT group_member")
        try:
            save.result = save.write(cursor)
        except Exception as error:
            cursor.execute("ROLLBACK TO group_member")
            save.error = as_library_error(error)
        cursor.execute("RELEASE group_member")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Until the block ends, every save on this thread joins one transaction (each in a
        savepoint of its own) and every read of this database file on it reads that
        transaction; committed once the block ends, rolled back if it raises."""
        with self._turn:
            while self._writing:
                self._turn.wait()
            self._writing = True
        try:
            with self.datastore.transaction(commit=True) as cursor:
                cursors = _batch_cursors()
                cursors[self.datastore.pool.db_name] = cursor
                try:
                    yield
                finally:
                    del cursors[self.datastore.pool.db_name]
        finally:
            with self._turn:
                self._writing = False
                self._turn.notify_all()


class SQLiteRecorderInBatches(SQLiteApplicationRecorder):
    """The library's SQLite event recorder, its saves grouped (`GroupCommit`) and, on a thread
    with a batch open on its database file, its reads and writes the batch's."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.datastore = cast(SQLiteDatastore, BatchAwareDatastore(datastore))
        self.group_commit = GroupCommit(datastore)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self.group_commit.run(lambda c: self._insert_events(c, stored_events, **kwargs))
