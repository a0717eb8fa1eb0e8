"""Leases that make one replica of a singleton (a relay, the deadline process) the active one.

On PostgreSQL the lease is a session advisory lock on a connection of its own, whose session
the server ends after `seconds` without a statement (`idle_session_timeout` and
`idle_in_transaction_session_timeout`). The active replica runs a statement every third of that;
a replica that dies closes its socket and frees the lock at once; a replica that is paused
(SIGSTOP, a stalled VM) stops running statements, the server ends its session `seconds` later,
and a standby, polling every third of `seconds`, takes the lock. A resumed replica knows without
asking: its lease counts as held only until `seconds` after the start of its last successful
heartbeat, by the monotonic clock, which runs on while a process is stopped.

On the embedded SQLite store (one machine) the lease is an exclusive `flock` on a file beside
the data: a second replica waits as a standby; a paused holder keeps it, so nothing takes over
and nothing publishes twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

import psycopg

log = logging.getLogger(__name__)

SAFETY = 0.8
"""The share of the lease a holder counts on after a heartbeat: the server's own clock, and
the time a statement takes to reach it, leave it the rest."""


class LeaseLost(RuntimeError):
    """The active replica's lease lapsed: it stops publishing and recording at once."""


class Lease(Protocol):
    name: str

    def acquire(self, stop: threading.Event) -> bool:
        """Waits as a standby until this replica holds the lease (True) or `stop` is set."""
        ...

    def held(self) -> bool:
        """Whether this replica may still act as the active one (cheap: no round trip)."""
        ...

    def check(self) -> None:
        """Raises `LeaseLost` unless `held()`."""
        ...

    def holder(self) -> str | None:
        """Which replica holds the lease now, as `host:pid`, or None."""
        ...

    def release(self) -> None: ...


class ReportedLease:
    """A lease that tells `on_change` when this replica becomes the active one (True) and when
    it stands by again (False): for metrics, which the lease itself knows nothing of."""

    def __init__(self, lease: Lease, on_change: Callable[[bool], None]) -> None:
        self.lease = lease
        self.name = lease.name
        self.on_change = on_change
        on_change(False)  # a replica starts as a standby

    def acquire(self, stop: threading.Event) -> bool:
        acquired = self.lease.acquire(stop)
        if acquired:
            self.on_change(True)
        return acquired

    def held(self) -> bool:
        return self.lease.held()

    def check(self) -> None:
        self.lease.check()

    def holder(self) -> str | None:
        return self.lease.holder()

    def release(self) -> None:
        self.lease.release()
        self.on_change(False)


def tag_connections() -> None:
    """Names every database session this process opens from now on after this replica, so the
    standby that takes over can end them (`PostgresLease`). Set before the process opens its
    connections: libpq reads PGAPPNAME for each."""
    os.environ["PGAPPNAME"] = session_name(replica_id())


def session_name(replica: str) -> str:
    return f"pes replica {replica}"[:63]


def replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lock_key(name: str) -> int:
    """The advisory lock number of a lease: a stable signed 64-bit hash of its name."""
    digest = hashlib.sha256(f"pes-lease:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Checked:
    name: str

    def held(self) -> bool:
        raise NotImplementedError

    def check(self) -> None:
        if not self.held():
            raise LeaseLost(f"{replica_id()} no longer holds the lease of {self.name}")


class PostgresLease(_Checked):
    """A session advisory lock held by the active replica, lost `seconds` after it pauses."""

    def __init__(self, conninfo: str, name: str, seconds: float = 6.0) -> None:
        self.conninfo = conninfo
        self.name = name
        self.seconds = seconds
        self.poll = seconds / 3
        self.key = lock_key(name)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._valid_until = 0.0
        self._stopped = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._lock = threading.Lock()

    def _connect(self, role: str) -> psycopg.Connection[tuple[object, ...]]:
        timeout = int(self.seconds * 1000)
        return psycopg.connect(
            self.conninfo,
            autocommit=True,
            connect_timeout=max(2, int(self.seconds)),
            application_name=f"pes {role} {replica_id()}"[:63],
            options=(
                f"-c idle_session_timeout={timeout} "
                f"-c idle_in_transaction_session_timeout={timeout}"
            ),
        )

    def acquire(self, stop: threading.Event) -> bool:
        waiting_since: float | None = None
        last_holder: str | None = None
        while not stop.is_set():
            started = time.monotonic()
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self._connect("standby")
                row = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self.key,)
                ).fetchone()
                taken = row is not None and bool(row[0])
                if taken:
                    self._connection.execute(
                        "SELECT set_config('application_name', %s, false)",
                        (f"pes active {replica_id()}"[:63],),
                    )
                    if last_holder is not None and last_holder != replica_id():
                        self._end_sessions_of(self._connection, last_holder)
                else:
                    last_holder = self._holder_on(self._connection) or last_holder
            except psycopg.Error as error:
                log.warning("lease %s: the database did not answer (%s)", self.name, error)
                self._drop_connection()  # frees the lock if it was just taken
                stop.wait(self.poll)
                continue
            if taken:
                self._became_active(started, waiting_since)
                return True
            if waiting_since is None:
                waiting_since = started
                log.info(
                    "lease %s is held by %s: %s waits as a standby (takes over within %.0f s "
                    "of the active one's end)",
                    self.name,
                    last_holder or "another replica",
                    replica_id(),
                    self.seconds + self.poll,
                )
            stop.wait(self.poll)
        return False

    def _became_active(self, started: float, waiting_since: float | None) -> None:
        self._valid_until = started + self.seconds * SAFETY
        self._stopped = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"lease {self.name}", daemon=True
        )
        self._heartbeat.start()
        waited = (
            ""
            if waiting_since is None
            else f" after {time.monotonic() - waiting_since:.1f} s as a standby"
        )
        log.warning("lease %s: %s is the active replica%s", self.name, replica_id(), waited)

    def _end_sessions_of(
        self, connection: psycopg.Connection[tuple[object, ...]], replica: str
    ) -> None:
        """Ends the database sessions of the replica this one took over from: one paused inside
        a transaction (an append holds the notification log's table lock) would otherwise stall
        every writer, and no server timeout ends a session paused in mid-pipeline."""
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (session_name(replica),),
        ).fetchall()
        if rows:
            log.warning(
                "lease %s: ended %d database session(s) of %s, the replica it took over from",
                self.name,
                len(rows),
                replica,
            )

    def _beat(self) -> None:
        while not self._stopped.wait(self.poll):
            started = time.monotonic()
            try:
                with self._lock:
                    if self._connection is None:
                        return
                    self._connection.execute("SELECT 1")
            except psycopg.Error as error:
                self._valid_until = 0.0
                log.error("lease %s lost: %s (%s)", self.name, replica_id(), error)
                return
            if time.monotonic() < self._valid_until:
                self._valid_until = started + self.seconds * SAFETY
            else:
                # Paused past the lease: the server ended the session or is about to.
                self._valid_until = 0.0
                log.error("lease %s lapsed while %s was not running", self.name, replica_id())
                return

    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    def holder(self) -> str | None:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as connection:
            return self._holder_on(connection)

    def _holder_on(self, connection: psycopg.Connection[tuple[object, ...]]) -> str | None:
        query = (
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        row = connection.execute(query, (unsigned >> 32, unsigned & 0xFFFF_FFFF)).fetchone()
        if row is None:
            return None
        return str(row[0]).removeprefix("pes active ")

    def release(self) -> None:
        self._valid_until = 0.0
        self._stopped.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=self.seconds)
            self._heartbeat = None
        self._drop_connection()

    def _drop_connection(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()  # the server frees the lock with the session


class FileLease(_Checked):
    """An exclusive lock on a file beside the embedded store's data: one machine, one holder."""

    def __init__(self, path: Path, name: str, poll: float = 1.0) -> None:
        self.path = path
        self.name = name
        self.poll = poll
        self._file: IO[str] | None = None

    def acquire(self, stop: threading.Event) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        waiting = False
        while not stop.is_set():
            handle = self.path.open("a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                if not waiting:
                    waiting = True
                    log.info(
                        "lease %s is held by %s: %s waits as a standby (the embedded store "
                        "runs one active replica per machine)",
                        self.name,
                        self.holder() or "another replica",
                        replica_id(),
                    )
                stop.wait(self.poll)
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(replica_id())
            handle.flush()
            self._file = handle
            log.warning("lease %s: %s is the active replica", self.name, replica_id())
            return True
        return False

    def held(self) -> bool:
        return self._file is not None

    def holder(self) -> str | None:
        if self._file is not None:
            return replica_id()
        try:
            handle = self.path.open("r")
        except FileNotFoundError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "another replica"
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()
