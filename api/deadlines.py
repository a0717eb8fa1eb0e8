"""Deadline reads, from the caseload view: a case's deadlines, and what falls due across cases."""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime.

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.auth import ActorDependency
from api.case_refs import CaseRef, CaseReference
from api.problems import problem_responses
from domain.base import Actor
from domain.deadlines import DeadlineKind, DeadlineStatus
from domain.inputs import Day
from projections.caseload import CaseloadView, DeadlineEntry

DEADLINE_PROBLEMS = problem_responses(401, 403, 422)
Today = Annotated[
    Day | None,
    Query(description="The day the statuses are judged on (YYYY-MM-DD); default: today, UTC"),
]


class Deadline(BaseModel):
    """One deadline of a case and its status on the day asked about."""

    case_id: UUID
    case_number: str
    caseworker_id: str
    kind: DeadlineKind
    rule_id: str | None
    subject: str
    due_on: date | None
    met_on: date | None
    status: DeadlineStatus

    @classmethod
    def of(cls, entry: DeadlineEntry) -> "Deadline":
        return cls(
            case_id=UUID(entry.case_id),
            case_number=entry.case_number,
            caseworker_id=entry.caseworker_id,
            kind=entry.kind,
            rule_id=entry.rule_id,
            subject=entry.subject,
            due_on=entry.due_on,
            met_on=entry.met_on,
            status=entry.status,
        )


class Deadlines(BaseModel):
    """Deadlines as of `today`, oldest due first. From the caseload view: eventually consistent."""

    today: date
    deadlines: list[Deadline]


def deadline_router(
    caseload: CaseloadView, authorized: Callable[[str], ActorDependency]
) -> APIRouter:
    router = APIRouter(tags=["queries"])

    @router.get(
        "/cases/{case_id}/deadlines",
        name="get_case_deadlines",
        operation_id="get_case_deadlines",
        response_model=Deadlines,
        responses=DEADLINE_PROBLEMS,
    )
    def get_case_deadlines(
        case_id: CaseReference,
        actor: Annotated[Actor, Depends(authorized("get_case_deadlines"))],
        today: Today = None,
    ) -> Deadlines:
        """Every deadline of the case (POLICY.md's table) with its status: pending, due soon,
        overdue or met. Empty until the caseload view has seen the case."""
        day = today or datetime.now(UTC).date()
        return Deadlines(
            today=day,
            deadlines=[
                Deadline.of(d) for d in caseload.deadlines_of(str(CaseRef.of(case_id).id), day)
            ],
        )

    @router.get(
        "/deadlines",
        name="get_due_deadlines",
        operation_id="get_due_deadlines",
        response_model=Deadlines,
        responses=DEADLINE_PROBLEMS,
    )
    def get_due_deadlines(
        actor: Annotated[Actor, Depends(authorized("get_due_deadlines"))],
        due_by: Annotated[
            Day, Query(description="Deadlines falling due on or before this day (YYYY-MM-DD)")
        ],
        today: Today = None,
        caseworker: Annotated[str | None, Query(max_length=100)] = None,
        kind: DeadlineKind | None = None,
    ) -> Deadlines:
        """Unmet deadlines due by `due_by`, across cases, with their status on `today`."""
        day = today or datetime.now(UTC).date()
        entries = caseload.unmet_due_by(due_by, caseworker_id=caseworker, kind=kind, as_of=day)
        return Deadlines(today=day, deadlines=[Deadline.of(d) for d in entries])

    return router
