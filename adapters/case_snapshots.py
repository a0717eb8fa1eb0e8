"""Snapshots of cases, kept for reading a long case as of a date (application/audit.py).

They go through a mapper of their own, into a table of their own (`case_snapshots`) beside the
case events: the event mapper writes the published Avro contract, which has no place for a
case's folded state, and a snapshot is a cache that may be dropped at any time, never a fact.

A snapshot holds the state as pickled by the library's `Snapshot`, encrypted with the event
store's cipher when `PES_CIPHER_KEY` is set. It is only ever unpickled after its stored digest
matches (and, encrypted, after AES-GCM authenticated it), and then only into the domain's own
classes and a few plain value types: a row changed by hand cannot make the reader run code.
Each row also names the domain code that folded it (`domain_code`): snapshots taken by other
code are never used, as its events might have folded differently.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Cipher, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

import domain
from adapters.view_database import ViewDatabase
from domain.case import Case

SNAPSHOT_FORMAT = "pickle-5"
SCHEMA = """
CREATE TABLE IF NOT EXISTS case_snapshots (
    case_id TEXT NOT NULL,
    domain_code TEXT NOT NULL,
    case_version INTEGER NOT NULL,
    effective_through TEXT NOT NULL,
    last_event_digest TEXT NOT NULL,
    state_digest TEXT NOT NULL,
    state {blob} NOT NULL,
    PRIMARY KEY (case_id, domain_code, case_version)
)
"""


@cache
def domain_code() -> str:
    """A digest of the domain package's source and of the snapshot format: what a snapshot's
    state depends on besides its events."""
    digest = hashlib.sha256(SNAPSHOT_FORMAT.encode())
    package = Path(cast(str, domain.__file__)).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:32]


class SnapshotRejected(ValueError):
    """A stored snapshot that cannot be trusted or read: as-of folds the events instead."""


# Everything a case's state holds besides the domain's own classes.
_PLAIN_TYPES = {
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("uuid", "UUID"),
}


def _in_domain(module: str) -> bool:
    return module == "domain" or module.startswith("domain.")


class _DomainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PLAIN_TYPES:
            return super().find_class(module, name)
        if _in_domain(module) and "." not in name:
            found = super().find_class(module, name)
            # Defined in the domain, not merely imported there (a library's class, `Path`...).
            if isinstance(found, type) and _in_domain(found.__module__):
                return found
        raise pickle.UnpicklingError(f"a snapshot may not hold {module}.{name}")


class SnapshotTranscoder(Transcoder):
    """Pickles a snapshot's state; unpickles only the domain's classes and plain values."""

    def encode(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=5)

    def decode(self, data: bytes) -> Any:
        return _DomainUnpickler(io.BytesIO(data)).load()

    def register(self, transcoding: Any) -> None:
        raise NotImplementedError("snapshots are pickled, not transcoded")


@dataclass(frozen=True)
class CaseSnapshot(Snapshot):
    """The library's snapshot of a case, with what choosing and checking it takes: kept in its
    state too, where the cipher authenticates it, not only in the table's columns."""

    effective_through: date
    """The latest business date of the events it covers."""
    last_event_digest: str
    """The content digest of the last event it covers."""

    @classmethod
    def of(cls, case: Case, effective_through: date, last_event_digest: str) -> CaseSnapshot:
        taken = Snapshot.take(case)
        return cls(
            originator_id=taken.originator_id,
            originator_version=taken.originator_version,
            timestamp=taken.timestamp,
            topic=taken.topic,
            state={**taken.state, "_snapshot_of_version": case.version},
            effective_through=effective_through,
            last_event_digest=last_event_digest,
        )


class SnapshotMapper(Mapper[UUID]):
    """The library's mapper with the snapshot transcoder, and the event store's cipher."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        super().__init__(transcoder=SnapshotTranscoder(), cipher=cipher)


@dataclass(frozen=True)
class StoredSnapshot:
    """A case's state after its first `case_version` events, whose latest business date is
    `effective_through`; `last_event_digest` is the content digest of event `case_version`."""

    case_id: UUID
    case_version: int
    effective_through: date
    last_event_digest: str
    state_digest: str
    """SHA-256 of the row's other columns."""
    state: bytes


def _row_digest(row: StoredSnapshot) -> str:
    """SHA-256 of a row's columns: a row changed by hand, or damaged, is not read."""
    digest = hashlib.sha256(
        f"{row.case_id}|{row.case_version}|{row.effective_through}|{row.last_event_digest}|".encode()
    )
    digest.update(row.state)
    return digest.hexdigest()


@dataclass(frozen=True)
class SnapshotsFor:
    """The latest snapshot usable as of a date (None: fold from the first event), and the
    version of the next snapshot (an event up to it was effective after the date)."""

    usable: StoredSnapshot | None
    next_version: int | None


class CaseSnapshots:
    """The snapshot table, on its own connection to the event store's database."""

    def __init__(
        self,
        connect: Callable[[], ViewDatabase],
        mapper: SnapshotMapper,
        interval: int,
    ) -> None:
        if interval < 1:
            raise ValueError(f"a snapshot interval is at least 1 event, not {interval}")
        self.interval = interval
        self.mapper = mapper
        self._connect = connect
        self._database: ViewDatabase | None = None
        # The API serves reads on several threads; one connection serves them in turn.
        self._lock = threading.Lock()

    def for_date(self, case_id: UUID, day: date) -> SnapshotsFor:
        """The latest snapshot whose events are all effective on or before `day`."""
        # Each snapshot covers the ones before it, so `effective_through` never decreases.
        case, code, through = str(case_id), domain_code(), day.isoformat()
        later = (
            "SELECT MIN(case_version) FROM case_snapshots "
            "WHERE case_id = ? AND domain_code = ? AND effective_through > ?"
        )
        rows = self._execute(
            "SELECT case_version, effective_through, last_event_digest, state_digest, state, "
            f"({later}) FROM case_snapshots WHERE case_id = ? AND domain_code = ? "
            "AND effective_through <= ? ORDER BY case_version DESC LIMIT 1",
            (case, code, through, case, code, through),
        )
        if not rows:
            ((next_version,),) = self._execute(later, (case, code, through))
            return SnapshotsFor(None, next_version)
        ((version, covered, last_event_digest, state_digest, state, next_version),) = rows
        stored = StoredSnapshot(
            case_id,
            version,
            date.fromisoformat(covered),
            last_event_digest,
            state_digest,
            bytes(state),
        )
        return SnapshotsFor(stored, next_version)

    def restore(self, stored: StoredSnapshot) -> Case:
        """The case the snapshot holds; `SnapshotRejected` if the row was changed or does not
        decode into that case."""
        if _row_digest(stored) != stored.state_digest:
            raise SnapshotRejected("its row does not match its digest")
        try:
            snapshot = self.mapper.to_domain_event(
                StoredEvent(
                    stored.case_id, stored.case_version, get_topic(CaseSnapshot), stored.state
                )
            )
        except Exception as error:  # the cipher and the unpickler raise many kinds
            raise SnapshotRejected(f"its state does not decode: {error}") from None
        if not isinstance(snapshot, CaseSnapshot) or snapshot.topic != get_topic(Case):
            raise SnapshotRejected("it does not hold a case")
        state = dict(snapshot.state)
        if (
            state.pop("_snapshot_of_version", None),
            snapshot.effective_through,
            snapshot.last_event_digest,
        ) != (stored.case_version, stored.effective_through, stored.last_event_digest):
            raise SnapshotRejected("its row does not say what its state says")
        try:
            case = replace(snapshot, state=state).mutate(None)
        except Exception as error:
            raise SnapshotRejected(f"its state does not make a case: {error}") from None
        if not isinstance(case, Case) or case.id != stored.case_id:
            raise SnapshotRejected("it holds another case")
        return case

    def add(self, case: Case, effective_through: date, last_event_digest: str) -> None:
        """Keeps the case's state at its version; a snapshot another process kept first stays."""
        state = self.mapper.to_stored_event(
            CaseSnapshot.of(case, effective_through, last_event_digest)
        ).state
        row = StoredSnapshot(case.id, case.version, effective_through, last_event_digest, "", state)
        self._execute(
            "INSERT INTO case_snapshots (case_id, domain_code, case_version, effective_through, "
            "last_event_digest, state_digest, state) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                str(case.id),
                domain_code(),
                case.version,
                effective_through.isoformat(),
                last_event_digest,
                _row_digest(row),
                state,
            ),
        )

    def drop_other_code(self, case_id: UUID) -> None:
        """Deletes the case's snapshots taken by other domain code: they are never used."""
        self._execute(
            "DELETE FROM case_snapshots WHERE case_id = ? AND domain_code <> ?",
            (str(case_id), domain_code()),
        )

    def close(self) -> None:
        with self._lock:
            if self._database is not None:
                self._database.close()
                self._database = None

    def _execute(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._database is None:
                database = self._connect()
                try:
                    database.create(
                        SCHEMA.format(blob="BLOB" if database.dialect == "sqlite" else "BYTEA")
                    )
                except BaseException:
                    database.close()
                    raise
                self._database = database
            try:
                return self._database.execute(sql, params)
            except BaseException:
                # A broken connection is opened afresh for the next read.
                self._database.close()
                self._database = None
                raise
