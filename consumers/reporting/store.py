"""The reporting store: the facts the management reports need, folded from the case events.

One small row per fact, keyed so the reports can ask "as of a business date" questions:

| table | one row per | holds |
|---|---|---|
| `reporting_cases` | case | number, program, caseworker (the current one: reassignments move it), opening, current outcome (date, wage, hours), grandfathering and termination dates |
| `reporting_status_changes` | event that sets a case's status (`STATUS_AFTER_EVENT`) or its caseworker (`CaseReassigned`, status unchanged) | case version, effective date, status, event type, the case's caseworker, the actor |
| `reporting_requests` | PE request | requested on, purpose, review (requested, decision, decided), how and when it ended |
| `reporting_determinations` | determination (a reversed review leads to a second one) | request, kind, date, actor |
| `reporting_authorizations` | authorization | request, dates, planned start and end, service type, category, grandfathered, policy version, status |
| `reporting_overrides` | accepted override of a soft rule | authorization, rule ID, date, actor, reason |
| `reporting_employment` | job started, wage changed, job lost, skill identified (cash assistance) | the `domain.measures.EmploymentFact` the event records |
| `reporting_assistance_exits` | cash-assistance case whose assistance ended (TA-09) | the exit date and reason |

Events the reports do not need (invoices, payments, releases of balances) change nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from adapters.case_ordered_store import CaseOrderedStore, Refused
from adapters.view_database import column_positions
from domain.case import Case, Program
from domain.catalog import STATUS_AFTER_EVENT
from domain.measures import EmploymentFact, FactKind, employment_fact
from domain.values import AuthorizationStatus, RequestStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS reporting_cases (
    case_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    program TEXT NOT NULL,
    caseworker_id TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    outcome_date TEXT,
    hourly_wage_cents INTEGER,
    weekly_hours DOUBLE PRECISION,
    grandfathered_on TEXT,
    terminated_on TEXT
);
CREATE INDEX IF NOT EXISTS reporting_cases_by_outcome ON reporting_cases (outcome_date);
CREATE TABLE IF NOT EXISTS reporting_status_changes (
    case_id TEXT NOT NULL,
    case_version INTEGER NOT NULL,
    effective_on TEXT NOT NULL,
    status TEXT NOT NULL,
    event_type TEXT NOT NULL,
    caseworker_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    PRIMARY KEY (case_id, case_version)
);
CREATE INDEX IF NOT EXISTS reporting_status_changes_by_date
    ON reporting_status_changes (effective_on, case_id, case_version);
CREATE TABLE IF NOT EXISTS reporting_requests (
    request_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    purpose TEXT NOT NULL,
    review_requested_on TEXT,
    review_decision TEXT,
    review_decided_on TEXT,
    ended_as TEXT,
    ended_on TEXT
);
CREATE INDEX IF NOT EXISTS reporting_requests_by_date ON reporting_requests (requested_on);
CREATE TABLE IF NOT EXISTS reporting_determinations (
    case_id TEXT NOT NULL,
    case_version INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    determined_on TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    PRIMARY KEY (case_id, case_version)
);
CREATE INDEX IF NOT EXISTS reporting_determinations_by_request
    ON reporting_determinations (request_id, determined_on);
CREATE INDEX IF NOT EXISTS reporting_determinations_by_date
    ON reporting_determinations (determined_on);
CREATE TABLE IF NOT EXISTS reporting_authorizations (
    authorization_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    authorized_on TEXT NOT NULL,
    service_type TEXT NOT NULL,
    category TEXT NOT NULL,
    planned_start TEXT NOT NULL,
    planned_end TEXT NOT NULL,
    grandfathered INTEGER NOT NULL,
    policy_version TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    status TEXT NOT NULL,
    ended_on TEXT
);
CREATE INDEX IF NOT EXISTS reporting_authorizations_by_request
    ON reporting_authorizations (request_id, authorized_on);
CREATE INDEX IF NOT EXISTS reporting_authorizations_by_date
    ON reporting_authorizations (authorized_on);
CREATE TABLE IF NOT EXISTS reporting_overrides (
    authorization_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    authorized_on TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (authorization_id, rule_id)
);
CREATE INDEX IF NOT EXISTS reporting_overrides_by_date ON reporting_overrides (authorized_on);
CREATE TABLE IF NOT EXISTS reporting_employment (
    case_id TEXT NOT NULL,
    case_version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    job_id TEXT,
    employer TEXT NOT NULL,
    hourly_wage_cents INTEGER,
    weekly_hours DOUBLE PRECISION,
    skill TEXT NOT NULL,
    PRIMARY KEY (case_id, case_version)
);
CREATE TABLE IF NOT EXISTS reporting_assistance_exits (
    case_id TEXT PRIMARY KEY,
    exited_on TEXT NOT NULL,
    reason TEXT NOT NULL
)
"""


class ReportingStore(CaseOrderedStore):
    """The reporting tables in their own database, fed by the case event topic."""

    view_name = "reporting"
    schema = SCHEMA
    # 2: job, wage, loss and skill facts and cash-assistance exits (TA-07, TA-11).
    layout = 2
    reads: frozenset[str]
    """Set below the class: the types that change a status, and those `_HANDLERS` apply."""

    def tables(self) -> Sequence[str]:
        return (
            "reporting_assistance_exits",
            "reporting_employment",
            "reporting_overrides",
            "reporting_authorizations",
            "reporting_determinations",
            "reporting_requests",
            "reporting_status_changes",
            "reporting_cases",
        )

    def apply_event(self, event: Any, case_id: str) -> None:
        event_type = type(event).__name__
        if event_type == "CaseOpened":
            case = self._open(case_id, event)
        else:
            case = self._case_of(case_id)
            if event_type not in self.reads:
                return  # it records nothing here (a passed-over one, most often)
        on = event.effective_on.isoformat()
        status = _STATUS_AFTER.get(event_type)
        caseworker_id = case.caseworker_id
        if event_type == "CaseReassigned":
            # The case counts in its new caseworker's caseload from that day, as it stands.
            caseworker_id, status = event.caseworker_id, self._status_of(case_id, case)
        if status is not None:
            self.append(
                "INSERT INTO reporting_status_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    case_id,
                    event.originator_version,
                    on,
                    status,
                    event_type,
                    caseworker_id,
                    event.actor.id,
                ),
            )
            case.status = status
        handler = _HANDLERS.get(event_type)
        if handler is not None and (
            case.program != _CASH_ASSISTANCE or event_type in _EVERY_PROGRAM
        ):
            # The request, determination and authorization tables feed VR reports (VR-02
            # windows, PE timeliness, overrides); a cash-assistance case counts in the caseload.
            handler(self, case_id, case, event, on)

    def _status_of(self, case_id: str, case: _Case) -> str:
        """The case's status as of its last status change."""
        if case.status is None:
            self.write_appended()
            rows = self.db.execute(
                "SELECT status FROM reporting_status_changes WHERE case_id = ? "
                "ORDER BY case_version DESC LIMIT 1",
                (case_id,),
            )
            case.status = str(rows[0][0])
        return case.status

    def _open(self, case_id: str, event: Any) -> _Case:
        refusal = f"case {case_id} was already opened"
        if case_id in self.memo:
            raise Refused(refusal)
        program = event.program.value
        row = [
            case_id,
            event.case_number,
            program,
            event.caseworker_id,
            event.effective_on.isoformat(),
            None,
            None,
            None,
            None,
            None,
        ]
        queued = self.insert(
            "INSERT INTO reporting_cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row, refusal
        )
        case = self.memo[case_id] = _Case(
            event.caseworker_id, program, row if queued else None, self.writes
        )
        return case

    def _case_of(self, case_id: str) -> _Case:
        """What the batch knows of the case: read once, then kept up to date by its events."""
        case: _Case | None = self.memo.get(case_id)
        if case is None:
            rows = self.db.execute(
                "SELECT caseworker_id, program FROM reporting_cases WHERE case_id = ?", (case_id,)
            )
            if not rows:
                raise Refused(f"case {case_id} was never opened in the reporting store")
            case = self.memo[case_id] = _Case(str(rows[0][0]), str(rows[0][1]), None, -1)
        return case

    def _queued_row(self, known: _Case | _Known | None) -> list[Any] | None:
        """The row the batch queued and has not written yet, to change in place."""
        if known is None or known.row is None or known.queued_at != self.writes:
            return None
        return known.row

    def _record_employment_fact(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        fact = employment_fact(event)
        assert fact is not None
        self._record_fact(case_id, fact)

    def _end_assistance(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self.insert(
            "INSERT INTO reporting_assistance_exits VALUES (?, ?, ?)",
            [case_id, on, event.reason],
            f"cash assistance of case {case_id} already ended",
        )

    def _reassign(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        if (row := self._queued_row(case)) is not None:
            row[_CASE_COLUMN["caseworker_id"]] = event.caseworker_id
        else:
            self._update(
                "reporting_cases",
                "caseworker_id = ?",
                "case_id = ?",
                (event.caseworker_id, case_id),
                f"case {case_id} was never opened",
            )
        case.caseworker_id = event.caseworker_id

    def _record_outcome(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        refusal = f"case {case_id} already has an outcome"
        if (row := self._queued_row(case)) is None:
            self._update(
                "reporting_cases",
                "outcome_date = ?, hourly_wage_cents = ?, weekly_hours = ?",
                "case_id = ? AND outcome_date IS NULL",
                (on, event.hourly_wage_cents, float(event.weekly_hours), case_id),
                refusal,
            )
        elif row[_CASE_COLUMN["outcome_date"]] is not None:
            raise Refused(refusal)
        else:
            _set(
                row,
                _CASE_COLUMN,
                outcome_date=on,
                hourly_wage_cents=event.hourly_wage_cents,
                weekly_hours=float(event.weekly_hours),
            )

    def _correct_outcome(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        refusal = f"case {case_id} has no outcome to correct"
        corrected = event.corrected_outcome_date.isoformat()
        if (row := self._queued_row(case)) is None:
            self._update(
                "reporting_cases",
                "outcome_date = ?",
                "case_id = ? AND outcome_date IS NOT NULL",
                (corrected, case_id),
                refusal,
            )
        elif row[_CASE_COLUMN["outcome_date"]] is None:
            raise Refused(refusal)
        else:
            row[_CASE_COLUMN["outcome_date"]] = corrected

    def _recognize_grandfathering(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        if (row := self._queued_row(case)) is not None:
            row[_CASE_COLUMN["grandfathered_on"]] = on
        else:
            self._update(
                "reporting_cases",
                "grandfathered_on = ?",
                "case_id = ?",
                (on, case_id),
                f"case {case_id} is not in the reporting store",
            )

    def _terminate(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        refusal = f"case {case_id} was already terminated"
        if (row := self._queued_row(case)) is None:
            self._update(
                "reporting_cases",
                "terminated_on = ?",
                "case_id = ? AND terminated_on IS NULL",
                (on, case_id),
                refusal,
            )
        elif row[_CASE_COLUMN["terminated_on"]] is not None:
            raise Refused(refusal)
        else:
            row[_CASE_COLUMN["terminated_on"]] = on

    def _request(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        request_id = str(event.request_id)
        refusal = f"request {event.request_id} was already recorded"
        if ("request", request_id) in self.memo:
            raise Refused(refusal)
        row = [request_id, case_id, on, event.purpose.value, None, None, None, None, None]
        queued = self.insert(
            "INSERT INTO reporting_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row, refusal
        )
        self.memo["request", request_id] = _Known(case_id, row if queued else None, self.writes)

    def _request_review(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._update_request(case_id, event.request_id, review_requested_on=on)

    def _decide_review(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._update_request(
            case_id, event.request_id, review_decision=event.decision.value, review_decided_on=on
        )

    def _find_appropriate(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._determine(case_id, event, RequestStatus.PE_APPROPRIATE, on)

    def _open_new_employment_case(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._determine(case_id, event, RequestStatus.NEW_EMPLOYMENT_CASE, on)

    def _find_not_appropriate(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._determine(case_id, event, RequestStatus.NOT_APPROPRIATE, on)

    def _provide(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._end_authorization(case_id, event, AuthorizationStatus.PROVIDED, on)

    def _cancel(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._end_authorization(case_id, event, AuthorizationStatus.CANCELLED, on)

    def _complete_requests(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._end_requests(case_id, event.completed_request_ids, "completed", on)

    def _remove_requests(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._end_requests(case_id, event.closed_request_ids, "removed", on)

    def _record_fact(self, case_id: str, fact: EmploymentFact) -> None:
        self.append(
            "INSERT INTO reporting_employment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case_id,
                fact.case_version,
                fact.kind.value,
                fact.effective_on.isoformat(),
                None if fact.job_id is None else str(fact.job_id),
                fact.employer,
                fact.hourly_wage_cents,
                fact.weekly_hours,
                fact.skill,
            ),
        )

    def employment_facts(self) -> dict[str, list[EmploymentFact]]:
        """Each case's employment facts, in case order: what `domain.measures` reads."""
        rows = self.db.execute(
            "SELECT case_id, case_version, kind, effective_on, job_id, employer, "
            "hourly_wage_cents, weekly_hours, skill FROM reporting_employment "
            "ORDER BY case_id, case_version"
        )
        facts: dict[str, list[EmploymentFact]] = {}
        for case_id, version, kind, on, job_id, employer, wage, hours, skill in rows:
            facts.setdefault(case_id, []).append(
                EmploymentFact(
                    case_version=int(version),
                    kind=FactKind(kind),
                    effective_on=date.fromisoformat(on),
                    job_id=None if job_id is None else UUID(job_id),
                    employer=employer,
                    hourly_wage_cents=None if wage is None else int(wage),
                    weekly_hours=None if hours is None else float(hours),
                    skill=skill,
                )
            )
        return facts

    def _determine(self, case_id: str, event: Any, kind: RequestStatus, on: str) -> None:
        self._require_request(case_id, event.request_id)
        self.append(
            "INSERT INTO reporting_determinations VALUES (?, ?, ?, ?, ?, ?)",
            (
                case_id,
                event.originator_version,
                str(event.request_id),
                kind.value,
                on,
                event.actor.id,
            ),
        )

    def _authorize(self, case_id: str, case: _Case, event: Any, on: str) -> None:
        self._require_request(case_id, event.request_id)
        authorization_id = str(event.authorization_id)
        refusal = f"authorization {authorization_id} was already recorded"
        if ("authorization", authorization_id) in self.memo:
            raise Refused(refusal)
        row = [
            authorization_id,
            case_id,
            str(event.request_id),
            on,
            event.service_type.value,
            event.category.value,
            event.planned_start.isoformat(),
            event.planned_end.isoformat(),
            int(event.grandfathered),
            event.policy_version,
            event.actor.id,
            _AUTHORIZED,
            None,
        ]
        queued = self.insert(
            "INSERT INTO reporting_authorizations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
            refusal,
        )
        self.memo["authorization", authorization_id] = _Known(
            case_id, row if queued else None, self.writes
        )
        if not event.overrides:
            return
        rule_ids = [override.rule_id for override in event.overrides]
        if len(set(rule_ids)) != len(rule_ids):
            raise Refused(f"authorization {authorization_id} overrides a rule twice: {rule_ids}")
        # A new authorization has no overrides yet: their keys cannot be taken.
        for override in event.overrides:
            self.append(
                "INSERT INTO reporting_overrides VALUES (?, ?, ?, ?, ?, ?)",
                (authorization_id, override.rule_id, case_id, on, event.actor.id, override.reason),
            )

    def _end_authorization(
        self, case_id: str, event: Any, status: AuthorizationStatus, on: str
    ) -> None:
        refusal = f"authorization {event.authorization_id} is not open on case {case_id}"
        known = self.memo.get(("authorization", str(event.authorization_id)))
        if (row := self._queued_row(known)) is None:
            self._update(
                "reporting_authorizations",
                "status = ?, ended_on = ?",
                "authorization_id = ? AND case_id = ? AND status = ?",
                (status.value, on, str(event.authorization_id), case_id, _AUTHORIZED),
                refusal,
            )
        elif row[_AUTHORIZATION_COLUMN["case_id"]] != case_id or (
            row[_AUTHORIZATION_COLUMN["status"]] != _AUTHORIZED
        ):
            raise Refused(refusal)
        else:
            _set(row, _AUTHORIZATION_COLUMN, status=status.value, ended_on=on)

    def _end_requests(
        self, case_id: str, request_ids: Sequence[Any], ended_as: str, on: str
    ) -> None:
        for request_id in request_ids:
            self._update_request(case_id, request_id, ended_as=ended_as, ended_on=on)

    def _update_request(self, case_id: str, request_id: Any, **values: Any) -> None:
        """Sets the request's columns named in `values`."""
        refusal = f"request {request_id} is not a request of case {case_id}"
        known = self.memo.get(("request", str(request_id)))
        if known is not None and known.case_id != case_id:
            raise Refused(refusal)
        if (row := self._queued_row(known)) is not None:
            _set(row, _REQUEST_COLUMN, **values)
            return
        self._update(
            "reporting_requests",
            ", ".join(f"{column} = ?" for column in values),
            "request_id = ? AND case_id = ?",
            (*values.values(), str(request_id), case_id),
            refusal,
        )

    def _require_request(self, case_id: str, request_id: Any) -> None:
        """Refuses unless the request is one of the case's (written by the batch or before)."""
        key = ("request", str(request_id))
        known = self.memo.get(key)
        if known is None and self.db.execute(
            "SELECT 1 FROM reporting_requests WHERE request_id = ? AND case_id = ?",
            (str(request_id), case_id),
        ):
            known = self.memo[key] = _Known(case_id, None, -1)
        if known is None or known.case_id != case_id:
            raise Refused(f"request {request_id} is not a request of case {case_id}")

    def _update(
        self, table: str, assignments: str, where: str, params: tuple[Any, ...], refusal: str
    ) -> None:
        updated = self.db.execute(
            f"UPDATE {table} SET {assignments} WHERE {where} RETURNING 1", params
        )
        if not updated:
            raise Refused(refusal)


class _Case:
    """What a batch knows of a case: its caseworker and program, its status once the batch
    wrote or read it, and its row while the batch has it queued (`queued_at`: the store's
    `writes` then)."""

    __slots__ = ("caseworker_id", "program", "queued_at", "row", "status")

    def __init__(
        self, caseworker_id: str, program: str, row: list[Any] | None, queued_at: int
    ) -> None:
        self.caseworker_id = caseworker_id
        self.program = program
        self.row = row
        self.queued_at = queued_at
        self.status: str | None = None


class _Known:
    """A request or authorization a batch knows exists: its case, and its row while queued."""

    __slots__ = ("case_id", "queued_at", "row")

    def __init__(self, case_id: str, row: list[Any] | None, queued_at: int) -> None:
        self.case_id = case_id
        self.row = row
        self.queued_at = queued_at


# Where each column sits in the rows the batch queues (`INSERT INTO <table> VALUES (...)`).
_CASE_COLUMN = column_positions(SCHEMA, "reporting_cases")
_REQUEST_COLUMN = column_positions(SCHEMA, "reporting_requests")
_AUTHORIZATION_COLUMN = column_positions(SCHEMA, "reporting_authorizations")


def _set(row: list[Any], positions: dict[str, int], **values: Any) -> None:
    """Changes the named columns of a queued row."""
    for column, value in values.items():
        row[positions[column]] = value


_STATUS_AFTER = {event_type: status.value for event_type, status in STATUS_AFTER_EVENT.items()}
_AUTHORIZED = AuthorizationStatus.AUTHORIZED.value
_CASH_ASSISTANCE = Program.CASH_ASSISTANCE.value
_HANDLERS: dict[str, Callable[[ReportingStore, str, _Case, Any, str], None]] = {
    Case.JobStarted.__name__: ReportingStore._record_employment_fact,
    Case.WageChanged.__name__: ReportingStore._record_employment_fact,
    Case.JobLost.__name__: ReportingStore._record_employment_fact,
    Case.SkillIdentified.__name__: ReportingStore._record_employment_fact,
    Case.CashAssistanceEnded.__name__: ReportingStore._end_assistance,
    Case.CaseReassigned.__name__: ReportingStore._reassign,
    Case.PEServicesFoundAppropriate.__name__: ReportingStore._find_appropriate,
    Case.NewEmploymentCaseOpened.__name__: ReportingStore._open_new_employment_case,
    Case.PEServicesFoundNotAppropriate.__name__: ReportingStore._find_not_appropriate,
    Case.OutcomeAchieved.__name__: ReportingStore._record_outcome,
    Case.OutcomeDateCorrected.__name__: ReportingStore._correct_outcome,
    Case.GrandfatheringRecognized.__name__: ReportingStore._recognize_grandfathering,
    Case.PEServicesRequested.__name__: ReportingStore._request,
    Case.ReviewRequested.__name__: ReportingStore._request_review,
    Case.ReviewDecided.__name__: ReportingStore._decide_review,
    Case.ServiceAuthorized.__name__: ReportingStore._authorize,
    Case.ServiceProvided.__name__: ReportingStore._provide,
    Case.AuthorizationCancelled.__name__: ReportingStore._cancel,
    Case.ReturnedToMonitoring.__name__: ReportingStore._complete_requests,
    Case.RemovedFromPEServices.__name__: ReportingStore._remove_requests,
    Case.CaseTerminated.__name__: ReportingStore._terminate,
}
"""What each event type read changes besides the case's status (none: only that)."""
ReportingStore.reads = frozenset(STATUS_AFTER_EVENT) | {Case.CaseOpened.__name__} | _HANDLERS.keys()
_EVERY_PROGRAM = frozenset(
    {
        Case.JobStarted.__name__,
        Case.WageChanged.__name__,
        Case.JobLost.__name__,
        Case.SkillIdentified.__name__,
        Case.CashAssistanceEnded.__name__,
        Case.CaseReassigned.__name__,
    }
)
"""The types whose rows a cash-assistance case has too; its others change only its status."""
