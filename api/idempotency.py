"""Idempotency keys: a retried POST with the same key and body gets the original response.

Keys are kept per actor in a small SQLite database beside the event store's data, with a hash
of the request and the response, so a retry after a lost response or a restart records nothing
twice. Only successful responses are kept: a refused command recorded nothing, so re-running it
is harmless.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from api.problems import IDEMPOTENCY_KEY_IN_USE, IDEMPOTENCY_KEY_REUSED, ApiProblem

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    actor_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    status INTEGER,
    headers TEXT,
    body BLOB,
    PRIMARY KEY (actor_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (claimed_at);
"""


@dataclass(frozen=True)
class StoredResponse:
    """A response as it was sent: what a retry with the same key gets back."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


class IdempotencyStore:
    """Idempotency keys, each claimed by one request and then holding its response."""

    def __init__(
        self,
        path: Path,
        *,
        retention_seconds: float = 24 * 3600,
        abandoned_after_seconds: float = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._retention = retention_seconds
        self._abandoned_after = abandoned_after_seconds
        self._clock = clock
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection per call: the API's worker threads (and processes) never share one.
        with closing(sqlite3.connect(self._path, timeout=10, isolation_level=None)) as db:
            yield db

    def replay_or_run(
        self,
        actor_id: str,
        key: str,
        request_hash: str,
        run: Callable[[], StoredResponse],
    ) -> StoredResponse:
        """The stored response for (actor, key), or `run()`'s, stored if it succeeded."""
        stored = self._claim(actor_id, key, request_hash)
        if stored is not None:
            return stored
        try:
            response = run()
        except BaseException:
            self._release(actor_id, key)
            raise
        if 200 <= response.status < 300:
            self._complete(actor_id, key, response)
        else:
            self._release(actor_id, key)
        return response

    def _claim(self, actor_id: str, key: str, request_hash: str) -> StoredResponse | None:
        now = self._clock()
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "DELETE FROM idempotency_keys WHERE claimed_at < ?", (now - self._retention,)
                )
                row = db.execute(
                    "SELECT request_hash, claimed_at, status, headers, body FROM idempotency_keys"
                    " WHERE actor_id = ? AND key = ?",
                    (actor_id, key),
                ).fetchone()
                if row is None:
                    db.execute(
                        "INSERT INTO idempotency_keys (actor_id, key, request_hash, claimed_at)"
                        " VALUES (?, ?, ?, ?)",
                        (actor_id, key, request_hash, now),
                    )
                    db.execute("COMMIT")
                    return None
                stored_hash, claimed_at, status, headers, body = row
                if stored_hash != request_hash:
                    raise ApiProblem(
                        IDEMPOTENCY_KEY_REUSED,
                        f"idempotency key {key!r} was used for a different request; "
                        "use a new key for a new request",
                    )
                if status is not None:
                    db.execute("COMMIT")
                    return StoredResponse(status, body, json.loads(headers), replayed=True)
                if now - claimed_at < self._abandoned_after:
                    raise ApiProblem(
                        IDEMPOTENCY_KEY_IN_USE,
                        f"a request with idempotency key {key!r} is still being processed; "
                        "retry later",
                    )
                # The claiming request never finished (its process died): this one takes over.
                db.execute(
                    "UPDATE idempotency_keys SET claimed_at = ? WHERE actor_id = ? AND key = ?",
                    (now, actor_id, key),
                )
                db.execute("COMMIT")
                return None
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _complete(self, actor_id: str, key: str, response: StoredResponse) -> None:
        with self._connection() as db:
            db.execute(
                "UPDATE idempotency_keys SET status = ?, headers = ?, body = ?"
                " WHERE actor_id = ? AND key = ?",
                (response.status, json.dumps(response.headers), response.body, actor_id, key),
            )

    def _release(self, actor_id: str, key: str) -> None:
        with self._connection() as db:
            db.execute(
                "DELETE FROM idempotency_keys WHERE actor_id = ? AND key = ? AND status IS NULL",
                (actor_id, key),
            )
