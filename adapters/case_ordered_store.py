"""A read model fed each case's events in order, exactly once in effect.

Downstream stores (the billing ledger, the reports) share one discipline: per partition batch,
one transaction applies the new events of each case in `case_version` order, records the
version each case reached and the topic position, and commits. A redelivered event (version
already applied) is skipped; a gap is rejected to dead letters. Each event is applied inside a
savepoint, so an event the store refuses leaves no half-written rows behind (a batch is first
tried without them, and applied again with them only if an event in it is refused). Rows are
queued and written with one statement per table (`append`, `insert`); a queued row whose key is
already taken is found when they are written, and that batch too is applied again, event by event.

A store that folds a whole batch at once (the caseload view, whose fold runs before it takes the
write lock) overrides `apply` and keeps the same bookkeeping through `versions_of` and
`record_progress`.

Each store declares the `layout` its code writes. A store filled by an older layout (a table
added since, say) would answer from incomplete rows, so it refuses to apply more events until
it is rebuilt (`pes rebuild <view>`), which empties it and stamps the current layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from adapters.consumer import Delivery, is_next_of_its_case
from adapters.view_database import INTEGRITY_ERRORS, ViewDatabase, is_taken_key

POSITIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS view_positions (
    view TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (view, topic, partition)
);
CREATE TABLE IF NOT EXISTS applied_versions (
    view TEXT NOT NULL,
    case_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (view, case_id)
);
CREATE TABLE IF NOT EXISTS view_layouts (
    view TEXT PRIMARY KEY,
    layout INTEGER NOT NULL
)
"""


class Refused(ValueError):
    """The store cannot apply this event; the reason goes to the dead-letter topic."""


class _RefusedInBatch(Exception):
    """A batch applied without savepoints met a refusal: it is rolled back and applied again."""


class StaleLayout(RuntimeError):
    """The store was filled by an older layout of its tables: rebuild it."""


class CaseOrderedStore:
    """Base of stores that apply case events in order; subclasses implement `apply_event`."""

    view_name: str
    schema: str
    layout: int = 1
    reads: frozenset[str] | None = None
    """The event types `apply_event` reads; the consumer passes the others over without
    rebuilding them (`AvroMapper.event_or_passed_over`). None: every type is rebuilt."""

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db
        self.memo: dict[Any, Any] = {}
        """What a store remembers of its own rows within one batch's transaction (emptied
        when the transaction starts, and when an event's savepoint is rolled back)."""
        self._appends: dict[str, list[Sequence[Any]]] = {}
        self._refusable: set[str] = set()
        self._savepoints = False
        self.writes = 0
        """How many times queued rows were written: a row `insert` queued is still queued (and
        may be changed in place) while this has not moved."""
        db.create(POSITIONS_SCHEMA)
        db.create(self.schema)
        self._stored_layout = self._read_layout()
        if self._stored_layout is None:
            self._stamp_layout()

    def stored_layout(self) -> int | None:
        """The layout that filled the store, as read when it was opened (or stamped since)."""
        return self._stored_layout

    def require_current_layout(self) -> None:
        if self._stored_layout != self.layout:
            raise StaleLayout(
                f"the {self.view_name} store was filled by layout {self._stored_layout} of its "
                f"tables and this version writes layout {self.layout}: rebuild it with "
                f"`pes rebuild {self.view_name}`"
            )

    def _read_layout(self) -> int | None:
        """A store fed before layouts were stamped is layout 1; None for a store never fed."""
        rows = self.db.execute("SELECT layout FROM view_layouts WHERE view = ?", (self.view_name,))
        if rows:
            return int(rows[0][0])
        fed = self.db.execute("SELECT 1 FROM view_positions WHERE view = ?", (self.view_name,))
        return 1 if fed else None

    def _stamp_layout(self) -> None:
        self.db.execute(
            "INSERT INTO view_layouts VALUES (?, ?) ON CONFLICT (view) "
            "DO UPDATE SET layout = excluded.layout",
            (self.view_name, self.layout),
        )
        self._stored_layout = self.layout

    def apply_event(self, event: Any, case_id: str) -> None:
        """Writes what the event of case `case_id` (its originator) changes, inside the batch's
        transaction; raises `Refused`."""
        raise NotImplementedError

    def tables(self) -> Sequence[str]:
        """The store's own tables, emptied by `reset`."""
        raise NotImplementedError

    def append(self, sql: str, row: Sequence[Any]) -> None:
        """Queues a plain INSERT of a row nothing in the batch reads back (nor refuses on): the
        rows of each statement are written with one `execute_many` before the batch commits
        (before an event's savepoint is released), instead of one statement per event."""
        if (rows := self._appends.get(sql)) is None:
            self._appends[sql] = [row]
        else:
            rows.append(row)

    def insert(self, sql: str, row: list[Any], refusal: str) -> bool:
        """A plain INSERT of a row whose key the event must not find taken (it is then refused
        with `refusal`). Queued as `append` queues, when the batch is applied without savepoints
        (True: the caller may change `row` in place while `writes` has not moved); a taken key
        is found when the rows are written and the batch is applied again with savepoints,
        where the row is written at once (False) and a taken key refuses its event."""
        if not self._savepoints:
            self._refusable.add(sql)
            self.append(sql, row)
            return True
        try:
            self.db.execute(sql, row)
        except INTEGRITY_ERRORS as error:
            if is_taken_key(error):
                raise Refused(refusal) from error
            raise
        return False

    def write_appended(self) -> None:
        """Writes the queued rows now: before a read of their table within the batch."""
        if not self._appends:
            return
        self.writes += 1
        appends, self._appends = self._appends, {}
        for sql, rows in appends.items():
            try:
                self.db.execute_many(sql, rows)
            except INTEGRITY_ERRORS as error:
                if sql in self._refusable and is_taken_key(error):
                    raise _RefusedInBatch from error
                raise

    def close(self) -> None:
        self.db.close()

    def next_offsets(self, topic: str) -> dict[int, int]:
        rows = self.db.execute(
            "SELECT partition, next_offset FROM view_positions WHERE view = ? AND topic = ?",
            (self.view_name, topic),
        )
        return {int(p): int(o) for p, o in rows}

    def positions_total(self, topic: str) -> int:
        return sum(self.next_offsets(topic).values())

    def applied_versions(self) -> dict[str, int]:
        """The version each case has been applied up to."""
        rows = self.db.execute(
            "SELECT case_id, version FROM applied_versions WHERE view = ?", (self.view_name,)
        )
        return {case_id: int(version) for case_id, version in rows}

    def apply(
        self,
        topic: str,
        partition: int,
        deliveries: Sequence[Delivery],
        next_offset: int,
        before_commit: Callable[[list[tuple[Delivery, str]]], None],
    ) -> None:
        # Refusals are rare: a batch is first applied without a savepoint per event (two
        # statements each), and only a batch that meets one is rolled back and applied again
        # event by event. Either way the same events take effect.
        self.require_current_layout()
        try:
            self._apply_batch(topic, partition, deliveries, next_offset, before_commit, False)
        except _RefusedInBatch:
            self._apply_batch(topic, partition, deliveries, next_offset, before_commit, True)

    def _apply_batch(
        self,
        topic: str,
        partition: int,
        deliveries: Sequence[Delivery],
        next_offset: int,
        before_commit: Callable[[list[tuple[Delivery, str]]], None],
        savepoints: bool,
    ) -> None:
        with self.db.transaction():
            self.memo.clear()
            self._appends.clear()
            self._savepoints = savepoints
            case_ids, cases = case_ids_of(deliveries)
            versions = dict.fromkeys(cases, 0)
            versions.update(self.versions_of(cases))
            applied: dict[str, int] = {}
            rejected: list[tuple[Delivery, str]] = []
            apply_event = self.apply_event
            for delivery, case_id in zip(deliveries, case_ids, strict=True):
                event = delivery.event
                version = event.originator_version
                if version != versions[case_id] + 1 and not is_next_of_its_case(
                    delivery, versions[case_id], rejected
                ):
                    continue
                if not savepoints:
                    try:
                        apply_event(event, case_id)
                    except Refused as refusal:
                        raise _RefusedInBatch from refusal
                    versions[case_id] = applied[case_id] = version
                    continue
                self.db.execute("SAVEPOINT event")
                try:
                    apply_event(event, case_id)
                    self.write_appended()
                except Refused as refusal:
                    self.db.execute("ROLLBACK TO SAVEPOINT event")
                    self.memo.clear()  # it may hold what the event wrote
                    self._appends.clear()
                    rejected.append((delivery, str(refusal)))
                    continue
                finally:
                    self.db.execute("RELEASE SAVEPOINT event")
                versions[case_id] = applied[case_id] = version
            self.write_appended()
            self.record_progress(applied, topic, partition, next_offset)
            before_commit(rejected)

    def record_progress(
        self, applied: dict[str, int], topic: str, partition: int, next_offset: int
    ) -> None:
        """Records, inside the batch's transaction, the version each case reached and the
        partition's next offset."""
        self.db.execute_many(
            "INSERT INTO applied_versions VALUES (?, ?, ?) ON CONFLICT (view, case_id) "
            "DO UPDATE SET version = excluded.version",
            [(self.view_name, case_id, version) for case_id, version in applied.items()],
        )
        self.db.execute(
            "INSERT INTO view_positions VALUES (?, ?, ?, ?) ON CONFLICT (view, topic, partition) "
            "DO UPDATE SET next_offset = excluded.next_offset",
            (self.view_name, topic, partition, next_offset),
        )

    def versions_of(self, case_ids: Sequence[str], *, lock: bool = False) -> dict[str, int]:
        """The versions the cases were applied up to (cases never applied are absent); with
        `lock`, their rows stay locked until the transaction ends (SQLite's write lock already
        covers the whole file)."""
        suffix = " FOR UPDATE" if lock and self.db.dialect == "postgres" else ""
        versions: dict[str, int] = {}
        for start in range(0, len(case_ids), _CHUNK):
            chunk = case_ids[start : start + _CHUNK]
            for case_id, version in self.db.execute(
                "SELECT case_id, version FROM applied_versions WHERE view = ? "
                f"AND case_id IN ({', '.join('?' * len(chunk))}){suffix}",
                (self.view_name, *chunk),
            ):
                versions[case_id] = int(version)
        return versions

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in a stable order: to compare two stores."""
        snapshot = {
            table: sorted(self.db.execute(f"SELECT * FROM {table}"), key=_sort_key)
            for table in self.tables()
        }
        snapshot["applied_versions"] = sorted(self.applied_versions().items())
        return snapshot

    def reset(self) -> None:
        """Empties the store and forgets its positions, so the next consumer starts at zero."""
        with self.db.transaction():
            for table in self.tables():
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM applied_versions WHERE view = ?", (self.view_name,))
            self.db.execute("DELETE FROM view_positions WHERE view = ?", (self.view_name,))
            self._stamp_layout()


_CHUNK = 500


def case_ids_of(deliveries: Sequence[Delivery]) -> tuple[list[str], list[str]]:
    """Each delivery's case id as text, and the cases in the order they first come. A case's
    id is written once per batch: a UUID's text takes ~0.4 µs, and keyed by its number a case
    is found without calling UUID's own hash and equality."""
    named: dict[Any, str] = {}
    of_case = []
    for delivery in deliveries:
        case = delivery.event.originator_id
        key = getattr(case, "int", case)
        name = named.get(key)
        if name is None:
            name = named[key] = str(case)
        of_case.append(name)
    return of_case, list(named.values())


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(map(str, row))
