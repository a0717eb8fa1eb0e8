"""The caseload view and the deadline timeline, built from the case event stream.

Per case: caseworker, program, status, outcome date, and its deadline timeline (the folded
`CaseTimeline`); per deadline: kind, rule, subject, due and met dates. A `CaseOrderedStore`:
rows, the version each case reached and the view's Kafka positions commit in one transaction per
partition batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from adapters.case_ordered_store import CaseOrderedStore, case_ids_of
from adapters.consumer import Delivery, is_next_of_its_case
from adapters.event_store import PassedOver
from adapters.view_database import ViewDatabase
from domain.case import Case
from domain.catalog import STATUS_AFTER_EVENT
from domain.deadlines import (
    CaseTimeline,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    TimelineFold,
    deadline_rows,
    status_on,
)
from domain.policy import PolicyBook

VIEW_NAME = "caseload"
NO_SUBJECT = ""
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS caseload (
    case_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    program TEXT NOT NULL,
    caseworker_id TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome_date TEXT,
    version INTEGER NOT NULL,
    last_event_type TEXT NOT NULL,
    timeline TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS caseload_by_worker ON caseload (caseworker_id, status);
CREATE INDEX IF NOT EXISTS caseload_by_number ON caseload (case_number);
CREATE TABLE IF NOT EXISTS case_deadlines (
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    rule_id TEXT,
    due_on TEXT,
    met_on TEXT,
    policy_version TEXT NOT NULL,
    due_soon_from TEXT,
    PRIMARY KEY (case_id, kind, subject)
);
CREATE INDEX IF NOT EXISTS case_deadlines_by_due ON case_deadlines (due_on)
"""


@dataclass(frozen=True)
class CaseloadEntry:
    """One case as a caseworker's list shows it."""

    case_id: str
    case_number: str
    program: str
    caseworker_id: str
    status: str
    outcome_date: date | None
    version: int


@dataclass(frozen=True)
class CaseloadLine:
    """A case in a caseload on a day: its next deadline not yet past and those overdue."""

    case: CaseloadEntry
    next_deadline: DeadlineEntry | None
    overdue: tuple[DeadlineEntry, ...]


@dataclass(frozen=True)
class CaseloadPage:
    """One page of a caseload: its lines, how many cases match in all, where the next page starts."""

    today: date
    lines: list[CaseloadLine]
    total: int
    next_after: str | None
    """The case number the next page starts after; None on the last page."""


@dataclass(frozen=True)
class DeadlineEntry:
    """One deadline of one case, with its status on the day asked about."""

    case_id: str
    case_number: str
    caseworker_id: str
    kind: DeadlineKind
    rule_id: str | None
    subject: str
    due_on: date | None
    met_on: date | None
    status: DeadlineStatus


@dataclass(slots=True)
class _CaseRow:
    case_id: str
    case_number: str
    program: str
    caseworker_id: str
    status: str
    outcome_date: date | None
    version: int
    last_event_type: str
    timeline: CaseTimeline


class CaseloadView(CaseOrderedStore):
    """Caseload rows and deadlines, on the positions and versions every case-ordered store keeps."""

    view_name = VIEW_NAME
    schema = SCHEMA
    # What the timeline folds, the statuses, and the row's own fields.
    reads = frozenset(STATUS_AFTER_EVENT) | {
        "CaseOpened",
        "CaseReassigned",
        "OutcomeAchieved",
        "OutcomeDateCorrected",
        "GrandfatheringRecognized",
        "PEServicesRequested",
        "ReviewRequested",
        "PEServicesFoundAppropriate",
        "NewEmploymentCaseOpened",
        "PEServicesFoundNotAppropriate",
        "ReviewDecided",
        "ServiceAuthorized",
        "AuthorizationCancelled",
        "ServiceProvided",
        "BalanceUnencumbered",
        "InvoiceReceived",
        "InvoicePaid",
        "ReturnedToMonitoring",
        "RemovedFromPEServices",
        "CaseTerminated",
        "SelfSufficiencyPlanEstablished",
        "PlanReassessed",
        "PlanGoalSet",
        "GoalStatusChanged",
        "ContactPlanned",
        "ContactMade",
        "EligibilityRecorded",
        "CashAssistanceEnded",
    }

    def __init__(
        self, db: ViewDatabase, policies: PolicyBook | None = None, due_soon_days: int = 7
    ):
        self.policies = policies or PolicyBook.default()
        self.due_soon_days = due_soon_days
        super().__init__(db)
        self._add_due_soon_from()
        self._track_versions()

    def tables(self) -> Sequence[str]:
        return ("case_deadlines", "caseload")

    def _add_due_soon_from(self) -> None:
        """Views built before deadlines kept their own lead time (TA-06's renewal alert) gain
        the column, filled from each case's stored timeline: no rebuild needed."""
        if "due_soon_from" in self.db.columns("case_deadlines"):
            return
        with self.db.transaction():
            if self.db.dialect == "postgres":
                self.db.execute("LOCK TABLE case_deadlines IN ACCESS EXCLUSIVE MODE")
            if "due_soon_from" in self.db.columns("case_deadlines"):
                return
            self.db.execute("ALTER TABLE case_deadlines ADD COLUMN due_soon_from TEXT")
            for case_id, timeline in self.db.execute("SELECT case_id, timeline FROM caseload"):
                self._save_deadlines(case_id, CaseTimeline.model_validate_json(timeline))

    def _track_versions(self) -> None:
        """Views built before the caseload kept its case versions in `applied_versions`, as every
        case-ordered store does, gain them from their own rows: no rebuild needed."""
        tracked = self.db.execute(
            "SELECT 1 FROM applied_versions WHERE view = ? LIMIT 1", (VIEW_NAME,)
        )
        if tracked or not self.db.execute("SELECT 1 FROM caseload LIMIT 1"):
            return
        with self.db.transaction():
            # WHERE true: SQLite needs it to read ON CONFLICT as the upsert clause.
            self.db.execute(
                "INSERT INTO applied_versions (view, case_id, version) "
                "SELECT ?, case_id, version FROM caseload WHERE true "
                "ON CONFLICT (view, case_id) DO NOTHING",
                (VIEW_NAME,),
            )

    def apply(
        self,
        topic: str,
        partition: int,
        deliveries: Sequence[Delivery],
        next_offset: int,
        before_commit: Callable[[list[tuple[Delivery, str]]], None],
    ) -> None:
        # The fold runs before the write lock is taken, so rebuild workers sharing one SQLite
        # file overlap their CPU work; under the lock the rows are written only if no case the
        # batch touches has moved since it was read, and folded again otherwise.
        self.require_current_layout()
        of_case, case_ids = case_ids_of(deliveries)
        loaded = self._load_many(case_ids)
        read = {case_id: row.version for case_id, row in loaded.items()}
        changed, rejected = _fold(loaded, deliveries, of_case)
        with self.db.transaction():
            versions = self.versions_of(case_ids, lock=True)
            if versions != read:
                changed, rejected = _fold(self._load_many(case_ids), deliveries, of_case)
            self._save(
                changed,
                self._stored_deadlines([r.case_id for r in changed if r.case_id in versions]),
            )
            applied = {row.case_id: row.version for row in changed}
            self.record_progress(applied, topic, partition, next_offset)
            before_commit(rejected)

    def _load_many(self, case_ids: Sequence[str]) -> dict[str, _CaseRow]:
        rows: dict[str, _CaseRow] = {}
        for chunk in _chunks(case_ids):
            for r in self.db.execute(
                f"SELECT {_ENTRY_COLUMNS}, last_event_type, timeline FROM caseload "
                f"WHERE case_id IN ({_marks(chunk)})",
                chunk,
            ):
                rows[r[0]] = _CaseRow(
                    **_entry_fields(r),
                    last_event_type=r[7],
                    timeline=CaseTimeline.model_validate_json(r[8]),
                )
        return rows

    def _stored_deadlines(self, case_ids: Sequence[str]) -> dict[str, dict[_Key, _DeadlineRow]]:
        """The deadline rows the cases have in the view now, by case and (kind, subject)."""
        stored: dict[str, dict[_Key, _DeadlineRow]] = {}
        for chunk in _chunks(case_ids):
            for row in self.db.execute(
                f"SELECT case_id, kind, subject, {_DEADLINE_VALUES} FROM case_deadlines "
                f"WHERE case_id IN ({_marks(chunk)})",
                chunk,
            ):
                stored.setdefault(row[0], {})[(row[1], row[2])] = tuple(row)
        return stored

    def _save(self, rows: Sequence[_CaseRow], stored: dict[str, dict[_Key, _DeadlineRow]]) -> None:
        """Writes the rows, and of their deadlines only those that differ from the `stored`
        ones: in a rebuild most of a case's deadlines stay as they were from batch to batch."""
        self.db.execute_many(
            "INSERT INTO caseload VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET "
            "caseworker_id = excluded.caseworker_id, status = excluded.status, outcome_date = excluded.outcome_date, "
            "version = excluded.version, last_event_type = excluded.last_event_type, "
            "timeline = excluded.timeline",
            [
                (
                    row.case_id,
                    row.case_number,
                    row.program,
                    row.caseworker_id,
                    row.status,
                    row.outcome_date.isoformat() if row.outcome_date else None,
                    row.version,
                    row.last_event_type,
                    row.timeline.model_dump_json(),
                )
                for row in rows
            ],
        )
        upserts: list[_DeadlineRow] = []
        removals: list[tuple[str, str, str]] = []
        for row in rows:
            after = self._deadline_rows(row.case_id, row.timeline)
            before = stored.get(row.case_id)
            if not before:
                upserts.extend(after.values())
                continue
            upserts.extend(values for key, values in after.items() if before.get(key) != values)
            removals.extend((row.case_id, *key) for key in before if key not in after)
        self._write_deadlines(upserts, removals)

    def _deadline_rows(self, case_id: str, timeline: CaseTimeline) -> dict[_Key, _DeadlineRow]:
        """The case's deadline rows as the view stores them, by (kind, subject)."""
        found: dict[_Key, _DeadlineRow] = {}
        for (
            kind,
            rule_id,
            subject_id,
            due_on,
            met_on,
            policy_version,
            due_soon_from,
        ) in deadline_rows(timeline, self.policies):
            kind_value = _KIND_VALUES[kind]
            subject = str(subject_id) if subject_id else NO_SUBJECT
            found[(kind_value, subject)] = (
                case_id,
                kind_value,
                subject,
                rule_id,
                _iso(due_on) if due_on else None,
                _iso(met_on) if met_on else None,
                policy_version,
                _iso(due_soon_from) if due_soon_from else None,
            )
        return found

    def _write_deadlines(
        self, upserts: Sequence[_DeadlineRow], removals: Sequence[tuple[str, str, str]]
    ) -> None:
        self.db.execute_many(
            "DELETE FROM case_deadlines WHERE case_id = ? AND kind = ? AND subject = ?", removals
        )
        self.db.execute_many(
            f"INSERT INTO case_deadlines (case_id, kind, subject, {_DEADLINE_VALUES}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, kind, subject) DO UPDATE SET "
            "rule_id = excluded.rule_id, due_on = excluded.due_on, met_on = excluded.met_on, "
            "policy_version = excluded.policy_version, due_soon_from = excluded.due_soon_from",
            upserts,
        )

    def _save_deadlines(self, case_id: str, timeline: CaseTimeline) -> None:
        """Replaces all the case's deadline rows."""
        self.db.execute("DELETE FROM case_deadlines WHERE case_id = ?", (case_id,))
        self._write_deadlines(
            list(self._deadline_rows(case_id, timeline).values()),
            [],
        )

    # Queries

    def case(self, case_id: str) -> CaseloadEntry | None:
        rows = self._select("WHERE case_id = ?", (case_id,))
        return rows[0] if rows else None

    def cases(
        self, caseworker_id: str | None = None, status: str | None = None
    ) -> list[CaseloadEntry]:
        clauses, params = [], []
        if caseworker_id is not None:
            clauses.append("caseworker_id = ?")
            params.append(caseworker_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._select(where + " ORDER BY case_number", tuple(params))

    def caseload(
        self,
        today: date,
        caseworker_id: str | None = None,
        status: str | None = None,
        *,
        program: str | None = None,
        overdue_only: bool = False,
        limit: int | None = None,
        after: str | None = None,
    ) -> CaseloadPage:
        """The cases matching every filter given, by case number, from the one after `after`, at
        most `limit` of them; each with its next deadline on or after `today` and its deadlines
        overdue on `today`. `overdue_only` keeps the cases with at least one overdue."""
        if limit is not None and limit < 1:
            raise ValueError(f"a page holds at least one case, not {limit}")
        matching, params = _caseload_filter(today, program, caseworker_id, status, overdue_only)
        start, start_params = ("c.case_number > ?", [after]) if after is not None else ("true", [])
        # The total is counted in the page's own statement: both see the same state of the view.
        rows = self.db.execute(
            f"SELECT {_columns('c')}, (SELECT COUNT(*) FROM caseload c WHERE {matching}) "
            f"FROM caseload c WHERE {matching} AND {start} ORDER BY c.case_number"
            + (" LIMIT ?" if limit is not None else ""),
            [*params, *params, *start_params, *([limit + 1] if limit is not None else [])],
        )
        if rows:
            total = int(rows[0][len(_ENTRY_FIELDS)])
        else:
            counted = self.db.execute(f"SELECT COUNT(*) FROM caseload c WHERE {matching}", params)
            total = int(counted[0][0])
        entries = [CaseloadEntry(**_entry_fields(r)) for r in rows[:limit]]
        more = limit is not None and len(rows) > limit
        unmet = self._unmet_on(today, [e.case_id for e in entries])
        lines = []
        for entry in entries:
            of_case = unmet.get(entry.case_id, [])
            upcoming = [d for d in of_case if d.due_on and d.due_on >= today]
            lines.append(
                CaseloadLine(
                    case=entry,
                    next_deadline=upcoming[0] if upcoming else None,
                    overdue=tuple(d for d in of_case if d.status is DeadlineStatus.OVERDUE),
                )
            )
        return CaseloadPage(
            today=today,
            lines=lines,
            total=total,
            next_after=entries[-1].case_number if more else None,
        )

    def _unmet_on(self, today: date, case_ids: Sequence[str]) -> dict[str, list[DeadlineEntry]]:
        """The cases' deadlines with a due date and not met on `today`, oldest first, by case."""
        unmet: dict[str, list[DeadlineEntry]] = {}
        for chunk in _chunks(case_ids):
            for deadline in self._deadlines(
                f"WHERE d.case_id IN ({_marks(chunk)}) AND d.due_on IS NOT NULL "
                "AND (d.met_on IS NULL OR d.met_on > ?)",
                (*chunk, today.isoformat()),
                today,
            ):
                unmet.setdefault(deadline.case_id, []).append(deadline)
        return unmet

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of cases per (caseworker, status)."""
        rows = self.db.execute(
            "SELECT caseworker_id, status, COUNT(*) FROM caseload GROUP BY caseworker_id, status"
        )
        return {(worker, status): int(n) for worker, status, n in rows}

    def deadlines_of(self, case_id: str, today: date) -> list[DeadlineEntry]:
        return self._deadlines("WHERE d.case_id = ?", (case_id,), today)

    def unmet_due_by(
        self,
        day: date,
        caseworker_id: str | None = None,
        kind: DeadlineKind | None = None,
        as_of: date | None = None,
    ) -> list[DeadlineEntry]:
        """Deadlines falling due on or before `day` and not met by `as_of` (default: `day`),
        oldest first, with their status on `as_of`."""
        as_of = as_of or day
        clauses = ["d.due_on <= ?", "(d.met_on IS NULL OR d.met_on > ?)"]
        params: list[Any] = [day.isoformat(), as_of.isoformat()]
        if caseworker_id is not None:
            clauses.append("c.caseworker_id = ?")
            params.append(caseworker_id)
        if kind is not None:
            clauses.append("d.kind = ?")
            params.append(kind.value)
        return self._deadlines("WHERE " + " AND ".join(clauses), tuple(params), as_of)

    def due_soon_or_overdue(self, today: date) -> list[DeadlineEntry]:
        """Unmet deadlines due soon or overdue on `today`: due within `due_soon_days`, or inside
        a lead time of their own (a benefit renewal's, TA-06), or past due; oldest first."""
        lead = (today + timedelta(days=self.due_soon_days)).isoformat()
        return [
            d
            for d in self._deadlines(
                "WHERE (d.due_on <= ? OR d.due_soon_from <= ?) "
                "AND (d.met_on IS NULL OR d.met_on > ?)",
                (lead, today.isoformat(), today.isoformat()),
                today,
            )
            if d.status in (DeadlineStatus.DUE_SOON, DeadlineStatus.OVERDUE)
        ]

    def overdue(self, today: date, caseworker_id: str | None = None) -> list[DeadlineEntry]:
        return [
            d for d in self.unmet_due_by(today, caseworker_id) if d.status is DeadlineStatus.OVERDUE
        ]

    def _deadlines(self, where: str, params: tuple[Any, ...], today: date) -> list[DeadlineEntry]:
        rows = self.db.execute(
            "SELECT d.case_id, c.case_number, c.caseworker_id, d.kind, d.rule_id, d.subject, "
            "d.due_on, d.met_on, d.policy_version, d.due_soon_from FROM case_deadlines d "
            f"JOIN caseload c ON c.case_id = d.case_id {where} "
            "ORDER BY d.due_on, c.case_number, d.kind, d.subject",
            params,
        )
        entries = []
        for case_id, number, worker, kind, rule_id, subject, due, met, version, soon in rows:
            deadline = Deadline(
                kind=DeadlineKind(kind),
                rule_id=rule_id,
                subject_id=subject or None,
                due_on=_date(due),
                met_on=_date(met),
                policy_version=version,
                due_soon_from=_date(soon),
            )
            entries.append(
                DeadlineEntry(
                    case_id=case_id,
                    case_number=number,
                    caseworker_id=worker,
                    kind=deadline.kind,
                    rule_id=rule_id,
                    subject=subject,
                    due_on=deadline.due_on,
                    met_on=deadline.met_on,
                    status=status_on(deadline, today, self.due_soon_days),
                )
            )
        return entries

    def _select(self, tail: str, params: tuple[Any, ...]) -> list[CaseloadEntry]:
        rows = self.db.execute(f"SELECT {_ENTRY_COLUMNS} FROM caseload {tail}", params)
        return [CaseloadEntry(**_entry_fields(r)) for r in rows]


_ENTRY_FIELDS = (
    "case_id",
    "case_number",
    "program",
    "caseworker_id",
    "status",
    "outcome_date",
    "version",
)
_ENTRY_COLUMNS = ", ".join(_ENTRY_FIELDS)
_DEADLINE_VALUES = "rule_id, due_on, met_on, policy_version, due_soon_from"
# A deadline row's key in its case, (kind, subject).
_Key = tuple[str, str]
# A deadline row as stored: case_id, kind, subject, then `_DEADLINE_VALUES`.
_DeadlineRow = tuple[Any, ...]
_KIND_VALUES = {kind: kind.value for kind in DeadlineKind}


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in _ENTRY_FIELDS)


def _caseload_filter(
    today: date,
    program: str | None,
    caseworker_id: str | None,
    status: str | None,
    overdue_only: bool,
) -> tuple[str, list[Any]]:
    """The condition on `caseload c` that keeps the cases every given filter keeps, and its
    parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("program", program),
        ("caseworker_id", caseworker_id),
        ("status", status),
    ):
        if value is not None:
            clauses.append(f"c.{column} = ?")
            params.append(value)
    if overdue_only:
        # The SQL twin of `status_on`'s OVERDUE: past its due date, not met by `today`.
        clauses.append(
            "EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.case_id "
            "AND d.due_on < ? AND (d.met_on IS NULL OR d.met_on > ?))"
        )
        params += [today.isoformat(), today.isoformat()]
    return " AND ".join(clauses) or "true", params


def _entry_fields(r: Sequence[Any]) -> dict[str, Any]:
    """A caseload entry's fields from a row that starts with `_ENTRY_COLUMNS`."""
    return {
        "case_id": r[0],
        "case_number": r[1],
        "program": r[2],
        "caseworker_id": r[3],
        "status": r[4],
        "outcome_date": date.fromisoformat(r[5]) if r[5] else None,
        "version": int(r[6]),
    }


def _fold(
    rows: dict[str, _CaseRow], deliveries: Sequence[Delivery], of_case: Sequence[str]
) -> tuple[list[_CaseRow], list[tuple[Delivery, str]]]:
    """Advances `rows` (in place) by the deliveries in order (`of_case`: each one's case id);
    returns the rows that changed and the deliveries refused, with the reason. Each case's
    timeline is folded through one `TimelineFold` for the whole batch, copied once at the end."""
    changed: dict[str, _CaseRow] = {}
    folds: dict[str, TimelineFold] = {}
    rejected: list[tuple[Delivery, str]] = []
    for delivery, case_id in zip(deliveries, of_case, strict=True):
        event = delivery.event
        row = rows.get(case_id)
        if row is None:
            if event.originator_version != 1:
                is_next_of_its_case(delivery, 0, rejected)
                continue
            fold = folds[case_id] = TimelineFold(None)
            try:
                rows[case_id] = changed[case_id] = _opened(fold, event, case_id)
            except ValueError as error:
                rejected.append((delivery, str(error)))
            continue
        if event.originator_version != row.version + 1:
            is_next_of_its_case(delivery, row.version, rejected)
            continue
        fold = folds.get(case_id) or folds.setdefault(case_id, TimelineFold(row.timeline))
        cls = type(event)
        of_class = _EVENT_CLASSES.get(cls) or _event_class(cls)
        if not of_class.passed_over:  # the timeline folds none of those
            try:
                # A case's fold is given only the events of its case.
                fold.advance_own(event)
            except ValueError as error:
                rejected.append((delivery, str(error)))
                continue
        row.version = event.originator_version
        row.last_event_type = of_class.name
        if of_class.status is not None:
            row.status = of_class.status
        if of_class.changes_row_fields:
            _own_fields_changed(row, event)
        changed[case_id] = row
    for case_id, row in changed.items():
        row.timeline = folds[case_id].timeline()
    return list(changed.values()), rejected


_CHUNK = 500


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _marks(chunk: Sequence[str]) -> str:
    return ", ".join("?" * len(chunk))


@dataclass(frozen=True)
class _EventClass:
    """What `_fold` needs of an event's class, looked up once per class."""

    name: str
    status: str | None
    """The status the row moves to; None leaves it as it was."""
    passed_over: bool
    changes_row_fields: bool
    """Whether it changes a row's own fields (`_own_fields_changed`)."""


def _event_class(cls: type) -> _EventClass:
    status = STATUS_AFTER_EVENT.get(cls.__name__)
    found = _EVENT_CLASSES[cls] = _EventClass(
        name=cls.__name__,
        status=None if status is None else status.value,
        passed_over=issubclass(cls, PassedOver),
        changes_row_fields=issubclass(
            cls, (Case.OutcomeAchieved, Case.OutcomeDateCorrected, Case.CaseReassigned)
        ),
    )
    return found


_EVENT_CLASSES: dict[type, _EventClass] = {}


def _opened(fold: TimelineFold, event: Any, case_id: str) -> _CaseRow:
    """The row of case `case_id` after its first event, its timeline started in `fold` (set on
    the row by `_fold`)."""
    name = type(event).__name__
    fold.advance(event)
    match event:
        case Case.CaseOpened():
            return _CaseRow(
                case_id=case_id,
                case_number=event.case_number,
                program=event.program.value,
                caseworker_id=event.caseworker_id,
                status=STATUS_AFTER_EVENT[name].value,
                outcome_date=None,
                version=event.originator_version,
                last_event_type=name,
                # `_fold` sets the timeline folded once the batch is.
                timeline=fold.started_from or fold.timeline(),
            )
        case _:
            raise ValueError(f"case {event.originator_id} starts with {name}")


def _own_fields_changed(row: _CaseRow, event: Any) -> None:
    """Sets on `row` the fields of its own (not its status) that `event` changes."""
    match event:
        case Case.OutcomeAchieved():
            row.outcome_date = event.effective_on
        case Case.OutcomeDateCorrected():
            row.outcome_date = event.corrected_outcome_date
        case Case.CaseReassigned():
            row.caseworker_id = event.caseworker_id


@cache
def _iso(day: date) -> str:
    """A day as the view stores it; remembered, as a rebuild writes the same days again and again."""
    return day.isoformat()


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
