"""Reads: a case as it stands, its history as of a date, and caseloads from the caseload view."""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime,
# and they name dependencies built in closures.

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from api.assistance_read import CashAssistanceState, cash_assistance_state
from api.auth import ActorDependency
from api.case_refs import CASE_PATH, CaseRef, CaseReference, looked_up
from api.problems import problem_responses
from application.cases import CaseManagement
from domain.authorizations.records import Authorization, Invoice
from domain.base import Actor
from domain.case import Case, CaseStatus, Program
from domain.deadlines import DeadlineKind, DeadlineStatus
from domain.inputs import Day, whole_as_given
from domain.values import (
    AuthorizationStatus,
    RequestPurpose,
    RequestStatus,
    ReviewDecision,
    ServiceCategory,
    ServiceType,
)
from domain.vr.records import ServiceRequest
from projections.caseload import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CaseloadLine,
    CaseloadView,
)

EVENT_ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "effective_on",
    }
)
QUERY_PROBLEMS = problem_responses(401, 403, 404, 422)


class RequestSummary(BaseModel):
    """A service request and where its determination stands."""

    model_config = ConfigDict(from_attributes=True)

    request_id: UUID
    requested_on: date
    purpose: RequestPurpose
    status: RequestStatus
    determined_on: date | None
    linked_case_number: str | None
    review_requested_on: date | None
    review_decision: ReviewDecision | None
    closed_on: date | None

    @classmethod
    def of(cls, request: ServiceRequest) -> Self:
        return cls.model_validate(request)


class LinkedFrom(BaseModel):
    """The earlier case whose request this new employment program case serves (VR-08)."""

    model_config = ConfigDict(from_attributes=True)

    case_id: UUID
    case_number: str
    request_id: UUID
    linked_on: date
    opened_by_determination: bool = Field(
        description="true: the determination opened this case; false: it linked it, already open"
    )


class AuthorizationSummary(BaseModel):
    """An authorized service and its money: amount, invoiced, paid, still encumbered."""

    model_config = ConfigDict(from_attributes=True)

    authorization_id: UUID
    request_id: UUID
    service_type: ServiceType
    category: ServiceCategory
    provider: str
    planned_start: date
    planned_end: date
    status: AuthorizationStatus
    amount_cents: int
    invoiced_cents: int
    paid_cents: int
    encumbered_cents: int
    grandfathered: bool
    closed: bool = Field(validation_alias="is_closed")

    @classmethod
    def of(cls, authorization: Authorization) -> Self:
        return cls.model_validate(authorization)


class InvoiceSummary(BaseModel):
    """A provider's invoice and its payment."""

    model_config = ConfigDict(from_attributes=True)

    invoice_id: UUID
    authorization_id: UUID
    invoice_number: str
    amount_cents: int
    received_on: date
    paid_cents: int | None
    paid_on: date | None

    @classmethod
    def of(cls, invoice: Invoice) -> Self:
        return cls.model_validate(invoice)


class CaseSummary(BaseModel):
    """A case as it stands now, read from its events (always current)."""

    case_id: UUID
    case_number: str
    program: Program
    client_ref: str
    caseworker_id: str
    status: CaseStatus
    opened_on: date
    outcome_date: date | None
    employer: str | None
    job_title: str | None
    hourly_wage_cents: int | None
    weekly_hours: float | None
    occupation_code: str | None
    grandfathered: bool
    linked_from: LinkedFrom | None = Field(
        description="For a new employment program case: the earlier case and request it was "
        "opened or linked from (VR-08); the earlier request names this case as its "
        "`linked_case_number`. Null for any other case"
    )
    scheduled_termination: date | None = Field(
        description="The VR-11 date as things stand; null while in PE services or without outcome"
    )
    left_pe_services_on: date | None
    terminated_on: date | None
    encumbered_cents: int
    version: int
    requests: list[RequestSummary]
    authorizations: list[AuthorizationSummary]
    invoices: list[InvoiceSummary]
    cash_assistance: CashAssistanceState | None = Field(
        description="A cash-assistance case's plan, contingencies, contacts, eligibility, jobs, "
        "training window and outcome measures (TA-01..TA-11); null for a VR case"
    )


class HistoryEvent(BaseModel):
    """One recorded event: what, when it took effect, when it was recorded, by whom."""

    type: str
    version: int
    effective_on: date
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any] = Field(description="The event's own fields (see docs/domain.md)")


class CaseHistory(BaseModel):
    """A case's events in order, only those effective on or before `as_of` if given."""

    case_id: UUID
    case_number: str
    as_of: date | None
    events: list[HistoryEvent]


class NextDeadline(BaseModel):
    """A case's earliest deadline not met and not yet past."""

    kind: DeadlineKind
    rule_id: str | None
    subject: str
    due_on: date
    status: DeadlineStatus


class OverdueItem(BaseModel):
    """A deadline of the case past its due date and not met on `today`."""

    kind: DeadlineKind
    rule_id: str | None
    subject: str = Field(description="the authorization or invoice it concerns; empty for the case")
    due_on: date


class CaseloadEntry(BaseModel):
    """One case as the caseload view has it, with its next deadline and its overdue deadlines."""

    case_id: UUID
    case_number: str
    program: str
    caseworker_id: str
    status: str
    outcome_date: date | None
    version: int
    next_deadline: NextDeadline | None
    overdue: int = Field(description="how many deadlines of the case are overdue on `today`")
    overdue_items: list[OverdueItem] = Field(description="those deadlines, oldest first")

    @classmethod
    def of(cls, line: CaseloadLine) -> Self:
        upcoming = line.next_deadline
        return cls(
            case_id=UUID(line.case.case_id),
            case_number=line.case.case_number,
            program=line.case.program,
            caseworker_id=line.case.caseworker_id,
            status=line.case.status,
            outcome_date=line.case.outcome_date,
            version=line.case.version,
            next_deadline=(
                NextDeadline(
                    kind=upcoming.kind,
                    rule_id=upcoming.rule_id,
                    subject=upcoming.subject,
                    due_on=upcoming.due_on,
                    status=upcoming.status,
                )
                if upcoming and upcoming.due_on
                else None
            ),
            overdue=len(line.overdue),
            overdue_items=[
                OverdueItem(kind=d.kind, rule_id=d.rule_id, subject=d.subject, due_on=d.due_on)
                for d in line.overdue
                if d.due_on
            ],
        )


class Caseload(BaseModel):
    """A page of cases from the caseload view, which follows the event stream (eventually
    consistent), by case number."""

    today: date
    total: int = Field(description="cases matching the filters, on every page together")
    limit: int
    cases: list[CaseloadEntry]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )
    next: str | None = Field(
        description="the next page's path and query (same filters and `today`); null on the last"
    )


def flag_in_query(value: object) -> object:
    """`true` or `false` as a query string gives it, never 1, yes or on."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value
    raise PydanticCustomError("bool_type", "Input should be true or false")


PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE), BeforeValidator(whole_as_given)]
"""Cases on a page: decimal digits, from 1 to the largest page."""
QueryFlag = Annotated[bool, BeforeValidator(flag_in_query)]


def case_summary(case: Case, cases: CaseManagement) -> CaseSummary:
    return CaseSummary(
        case_id=case.id,
        case_number=case.case_number,
        program=case.program,
        client_ref=case.client_ref,
        caseworker_id=case.caseworker_id,
        status=case.status,
        opened_on=case.opened_on,
        outcome_date=case.outcome_date,
        employer=case.employer,
        job_title=case.job_title,
        hourly_wage_cents=case.hourly_wage_cents,
        weekly_hours=case.weekly_hours,
        occupation_code=case.occupation_code,
        grandfathered=case.grandfathering is not None,
        linked_from=None
        if case.linked_from is None
        else LinkedFrom.model_validate(case.linked_from),
        scheduled_termination=case.termination_date(case.governing_policy(cases.policies)),
        left_pe_services_on=case.left_pe_services_on,
        terminated_on=case.terminated_on,
        encumbered_cents=case.encumbered_cents,
        version=case.version,
        requests=[RequestSummary.of(r) for r in case.requests.values()],
        authorizations=[AuthorizationSummary.of(a) for a in case.authorizations.values()],
        invoices=[InvoiceSummary.of(i) for i in case.invoices.values()],
        cash_assistance=cash_assistance_state(
            case,
            # The measures read the events, up to this case's version (others may have come since)
            (e for e in cases.events_of(case.id) if e.originator_version <= case.version),
            cases.policies,
            cases.clock(),
        )
        if case.program is Program.CASH_ASSISTANCE
        else None,
    )


def history_event(event: Any) -> HistoryEvent:
    return HistoryEvent(
        type=type(event).__name__,
        version=event.originator_version,
        effective_on=event.effective_on,
        recorded_at=event.timestamp,
        actor=event.actor,
        data=event.model_dump(mode="json", exclude=set(EVENT_ENVELOPE_FIELDS)),
    )


def query_router(
    cases: CaseManagement,
    caseload: CaseloadView,
    authorized: Callable[[str], ActorDependency],
) -> APIRouter:
    router = APIRouter(tags=["queries"])

    @router.get(
        CASE_PATH,
        name="get_case",
        operation_id="get_case",
        response_model=CaseSummary,
        responses=QUERY_PROBLEMS,
    )
    def get_case(
        case_id: CaseReference,
        response: Response,
        actor: Annotated[Actor, Depends(authorized("get_case"))],
    ) -> CaseSummary:
        """The case as it stands, with its version as ETag (for If-Match on commands)."""
        case = CaseRef.of(case_id)
        with looked_up(case):
            summary = case_summary(cases.get_case(case.id), cases)
        response.headers["ETag"] = f'"{summary.version}"'
        return summary

    @router.get(
        "/cases/{case_id}/history",
        name="get_case_history",
        operation_id="get_case_history",
        response_model=CaseHistory,
        responses=QUERY_PROBLEMS,
    )
    def get_case_history(
        case_id: CaseReference,
        actor: Annotated[Actor, Depends(authorized("get_case_history"))],
        as_of: Annotated[
            Day | None,
            Query(description="Only events effective on or before this date (YYYY-MM-DD)"),
        ] = None,
    ) -> CaseHistory:
        """The case's events in order: type, version, effective date, recording time, actor."""
        case = CaseRef.of(case_id)
        with looked_up(case):
            recorded = cases.history(case.id)
        events = [
            history_event(event)
            for event in recorded
            if as_of is None or event.effective_on <= as_of
        ]
        return CaseHistory(
            case_id=case.id, case_number=recorded[0].case_number, as_of=as_of, events=events
        )

    @router.get(
        "/caseloads",
        name="get_caseloads",
        operation_id="get_caseloads",
        response_model=Caseload,
        responses=problem_responses(401, 403, 422),
    )
    def get_caseloads(
        request: Request,
        actor: Annotated[Actor, Depends(authorized("get_caseloads"))],
        program: Annotated[Program | None, Query(description="only this program's cases")] = None,
        caseworker: Annotated[
            str | None, Query(min_length=1, max_length=100, description="only this caseworker's")
        ] = None,
        status: Annotated[
            CaseStatus | None, Query(description="only cases with this status")
        ] = None,
        overdue: Annotated[
            QueryFlag,
            Query(description="true: only cases with at least one deadline overdue on `today`"),
        ] = False,
        today: Annotated[
            Day | None,
            Query(description="The day deadlines are judged on (YYYY-MM-DD); default: today, UTC"),
        ] = None,
        limit: Annotated[
            PageSize, Query(description=f"cases per page, 1 to {MAX_PAGE_SIZE}")
        ] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None,
            Query(min_length=1, max_length=100, description="a previous page's `next_cursor`"),
        ] = None,
    ) -> Caseload:
        """Cases by program, caseworker, status and overdue deadlines, a page at a time, from the
        caseload view.

        Pages run by case number; a cursor is the case number a page ended on, so a page never
        repeats or skips a case that was there before, whatever the view records meanwhile. The
        view is built from the Kafka event stream, so it is eventually consistent: a command's
        effect shows here after the relay and the projection have passed it (compare each
        entry's version with GET /cases/{case_id}).
        """
        day = today or datetime.now(UTC).date()
        page = caseload.caseload(
            day,
            caseworker_id=caseworker,
            status=status.value if status is not None else None,
            program=program.value if program is not None else None,
            overdue_only=overdue,
            limit=limit,
            after=cursor,
        )
        next_url = None
        if page.next_after is not None:
            url = request.url.include_query_params(
                cursor=page.next_after, today=day.isoformat(), limit=limit
            )
            next_url = f"{url.path}?{url.query}"
        return Caseload(
            today=day,
            total=page.total,
            limit=limit,
            cases=[CaseloadEntry.of(line) for line in page.lines],
            next_cursor=page.next_after,
            next=next_url,
        )

    return router
