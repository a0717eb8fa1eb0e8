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

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from adapters.case_ordered_store import CaseOrderedStore, Refused
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
    reads: frozenset[str] = frozenset(STATUS_AFTER_EVENT) | {
        "CaseOpened",
        "CaseReassigned",
        "JobStarted",
        "WageChanged",
        "JobLost",
        "SkillIdentified",
        "CashAssistanceEnded",
        "PEServicesFoundAppropriate",
        "NewEmploymentCaseOpened",
        "PEServicesFoundNotAppropriate",
        "OutcomeAchieved",
        "OutcomeDateCorrected",
        "GrandfatheringRecognized",
        "PEServicesRequested",
        "ReviewRequested",
        "ReviewDecided",
        "ServiceAuthorized",
        "ServiceProvided",
        "AuthorizationCancelled",
        "ReturnedToMonitoring",
        "RemovedFromPEServices",
        "CaseTerminated",
    }

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

    def apply_event(self, event: Any) -> None:
        case_id = str(event.originator_id)
        event_type = type(event).__name__
        if event_type not in self.reads:
            # It records nothing here (a passed-over one, most often); its case must be known.
            self._case_of(case_id)
            return
        match event:
            case Case.CaseOpened():
                self._open(case_id, event)
                caseworker_id, program = event.caseworker_id, event.program.value
            case _:
                caseworker_id, program = self._case_of(case_id)
        status = STATUS_AFTER_EVENT[event_type].value if event_type in STATUS_AFTER_EVENT else None
        match event:
            case Case.CaseReassigned():
                # The case counts in its new caseworker's caseload from that day, as it stands.
                caseworker_id, status = event.caseworker_id, self._status_of(case_id)
        if status is not None:
            self.append(
                "INSERT INTO reporting_status_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    case_id,
                    event.originator_version,
                    event.effective_on.isoformat(),
                    status,
                    event_type,
                    caseworker_id,
                    event.actor.id,
                ),
            )
        if (fact := employment_fact(event)) is not None:
            self._record_fact(case_id, fact)
            return
        on = event.effective_on.isoformat()
        match event:
            case Case.CashAssistanceEnded():
                self._insert(
                    "reporting_assistance_exits",
                    (case_id, on, event.reason),
                    f"cash assistance of case {case_id} already ended",
                )
            case Case.CaseReassigned():
                self._update(
                    "reporting_cases",
                    "caseworker_id = ?",
                    "case_id = ?",
                    (event.caseworker_id, case_id),
                    f"case {case_id} was never opened",
                )
                self.memo[case_id] = (event.caseworker_id, program)
            case _ if program == Program.CASH_ASSISTANCE.value:
                # The request, determination and authorization tables feed VR reports (VR-02
                # windows, PE timeliness, overrides); a cash-assistance case counts in the caseload.
                pass
            case Case.PEServicesFoundAppropriate():
                self._determine(case_id, event, RequestStatus.PE_APPROPRIATE)
            case Case.NewEmploymentCaseOpened():
                self._determine(case_id, event, RequestStatus.NEW_EMPLOYMENT_CASE)
            case Case.PEServicesFoundNotAppropriate():
                self._determine(case_id, event, RequestStatus.NOT_APPROPRIATE)
            case Case.OutcomeAchieved():
                self._update(
                    "reporting_cases",
                    "outcome_date = ?, hourly_wage_cents = ?, weekly_hours = ?",
                    "case_id = ? AND outcome_date IS NULL",
                    (on, event.hourly_wage_cents, float(event.weekly_hours), case_id),
                    f"case {case_id} already has an outcome",
                )
            case Case.OutcomeDateCorrected():
                self._update(
                    "reporting_cases",
                    "outcome_date = ?",
                    "case_id = ? AND outcome_date IS NOT NULL",
                    (event.corrected_outcome_date.isoformat(), case_id),
                    f"case {case_id} has no outcome to correct",
                )
            case Case.GrandfatheringRecognized():
                self._update(
                    "reporting_cases",
                    "grandfathered_on = ?",
                    "case_id = ?",
                    (on, case_id),
                    f"case {case_id} is not in the reporting store",
                )
            case Case.PEServicesRequested():
                self._insert(
                    "reporting_requests (request_id, case_id, requested_on, purpose)",
                    (str(event.request_id), case_id, on, event.purpose.value),
                    f"request {event.request_id} was already recorded",
                )
            case Case.ReviewRequested():
                self._update_request(
                    case_id,
                    event.request_id,
                    "review_requested_on = ?",
                    (on,),
                )
            case Case.ReviewDecided():
                self._update_request(
                    case_id,
                    event.request_id,
                    "review_decision = ?, review_decided_on = ?",
                    (event.decision.value, on),
                )
            case Case.ServiceAuthorized():
                self._authorize(case_id, event)
            case Case.ServiceProvided():
                self._end_authorization(case_id, event, AuthorizationStatus.PROVIDED)
            case Case.AuthorizationCancelled():
                self._end_authorization(case_id, event, AuthorizationStatus.CANCELLED)
            case Case.ReturnedToMonitoring():
                self._end_requests(case_id, event.completed_request_ids, "completed", on)
            case Case.RemovedFromPEServices():
                self._end_requests(case_id, event.closed_request_ids, "removed", on)
            case Case.CaseTerminated():
                self._update(
                    "reporting_cases",
                    "terminated_on = ?",
                    "case_id = ? AND terminated_on IS NULL",
                    (on, case_id),
                    f"case {case_id} was already terminated",
                )

    def _status_of(self, case_id: str) -> str:
        """The case's status as of its last status change."""
        self.write_appended()
        rows = self.db.execute(
            "SELECT status FROM reporting_status_changes WHERE case_id = ? "
            "ORDER BY case_version DESC LIMIT 1",
            (case_id,),
        )
        return str(rows[0][0])

    def _open(self, case_id: str, event: Any) -> None:
        self._insert(
            "reporting_cases (case_id, case_number, program, caseworker_id, opened_on)",
            (
                case_id,
                event.case_number,
                event.program.value,
                event.caseworker_id,
                event.effective_on.isoformat(),
            ),
            f"case {case_id} was already opened",
        )
        self.memo[case_id] = (event.caseworker_id, event.program.value)

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

    def _case_of(self, case_id: str) -> tuple[str, str]:
        """The case's caseworker and program (remembered for the batch, kept up to date by
        the events that change them)."""
        if case_id not in self.memo:
            rows = self.db.execute(
                "SELECT caseworker_id, program FROM reporting_cases WHERE case_id = ?", (case_id,)
            )
            if not rows:
                raise Refused(f"case {case_id} was never opened in the reporting store")
            self.memo[case_id] = (str(rows[0][0]), str(rows[0][1]))
        known: tuple[str, str] = self.memo[case_id]
        return known

    def _determine(self, case_id: str, event: Any, kind: RequestStatus) -> None:
        self._require_request(case_id, event.request_id)
        self.append(
            "INSERT INTO reporting_determinations VALUES (?, ?, ?, ?, ?, ?)",
            (
                case_id,
                event.originator_version,
                str(event.request_id),
                kind.value,
                event.effective_on.isoformat(),
                event.actor.id,
            ),
        )

    def _authorize(self, case_id: str, event: Any) -> None:
        self._require_request(case_id, event.request_id)
        on = event.effective_on.isoformat()
        authorization_id = str(event.authorization_id)
        self._insert(
            "reporting_authorizations",
            (
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
                AuthorizationStatus.AUTHORIZED.value,
                None,
            ),
            f"authorization {authorization_id} was already recorded",
        )
        rule_ids = [override.rule_id for override in event.overrides]
        if len(set(rule_ids)) != len(rule_ids):
            raise Refused(f"authorization {authorization_id} overrides a rule twice: {rule_ids}")
        self.db.execute_many(
            "INSERT INTO reporting_overrides VALUES (?, ?, ?, ?, ?, ?)",
            [
                (authorization_id, o.rule_id, case_id, on, event.actor.id, o.reason)
                for o in event.overrides
            ],
        )

    def _end_authorization(self, case_id: str, event: Any, status: AuthorizationStatus) -> None:
        self._update(
            "reporting_authorizations",
            "status = ?, ended_on = ?",
            "authorization_id = ? AND case_id = ? AND status = ?",
            (
                status.value,
                event.effective_on.isoformat(),
                str(event.authorization_id),
                case_id,
                AuthorizationStatus.AUTHORIZED.value,
            ),
            f"authorization {event.authorization_id} is not open on case {case_id}",
        )

    def _end_requests(
        self, case_id: str, request_ids: Sequence[Any], ended_as: str, on: str
    ) -> None:
        for request_id in request_ids:
            self._update_request(case_id, request_id, "ended_as = ?, ended_on = ?", (ended_as, on))

    def _update_request(
        self, case_id: str, request_id: Any, assignments: str, params: tuple[Any, ...]
    ) -> None:
        self._update(
            "reporting_requests",
            assignments,
            "request_id = ? AND case_id = ?",
            (*params, str(request_id), case_id),
            f"request {request_id} is not a request of case {case_id}",
        )

    def _require_request(self, case_id: str, request_id: Any) -> None:
        if not self.db.execute(
            "SELECT 1 FROM reporting_requests WHERE request_id = ? AND case_id = ?",
            (str(request_id), case_id),
        ):
            raise Refused(f"request {request_id} is not a request of case {case_id}")

    def _insert(self, target: str, values: tuple[Any, ...], refusal: str) -> None:
        placeholders = ", ".join("?" * len(values))
        inserted = self.db.execute(
            f"INSERT INTO {target} VALUES ({placeholders}) ON CONFLICT DO NOTHING RETURNING 1",
            values,
        )
        if not inserted:
            raise Refused(refusal)

    def _update(
        self, table: str, assignments: str, where: str, params: tuple[Any, ...], refusal: str
    ) -> None:
        updated = self.db.execute(
            f"UPDATE {table} SET {assignments} WHERE {where} RETURNING 1", params
        )
        if not updated:
            raise Refused(refusal)
