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
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from eventsourcing import persistence
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore

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
        save: _Save[T] = _Save(write)
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
