"""Audit reads: the timeline of decisions, and a case as of a business date or at a version."""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime.

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic_core import to_jsonable_python

from adapters.audit_report import audit_to_json
from adapters.pages.case_page import case_page
from adapters.pages.layout import CSP
from api.auth import ActorDependency
from api.case_refs import CaseRef, CaseReference, looked_up
from api.problems import problem_responses
from application.audit import audit_of, state_as_of, state_at_version
from application.case_file import case_file_of
from application.cases import CaseManagement
from domain.base import Actor
from domain.errors import InvalidCommand
from domain.inputs import CaseVersion, Day

AUDIT_PROBLEMS = problem_responses(401, 403, 404, 422)
AsOf = Annotated[
    Day | None,
    Query(description="Also show the case as it stood on this business date (YYYY-MM-DD)"),
]


def audit_router(cases: CaseManagement, authorized: Callable[[str], ActorDependency]) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/cases/{case_id}/audit",
        name="get_case_audit",
        operation_id="get_case_audit",
        responses=AUDIT_PROBLEMS,
    )
    def get_case_audit(
        case_id: CaseReference,
        actor: Annotated[Actor, Depends(authorized("get_case_audit"))],
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        """Every event as a decision: business date, recording time, actor and role, rules,
        policy version, overrides and reasons; every refused command as an attempt
        (`refusals`); the current state, and the state and refusals `as_of`."""
        case = CaseRef.of(case_id)
        with looked_up(case):
            audit = audit_of(cases, case.id)
            then = state_as_of(cases, case.id, as_of) if as_of else None
        document: dict[str, Any] = json.loads(audit_to_json(audit, as_of, then))
        return document

    @router.get(
        "/cases/{case_id}/audit.html",
        name="get_case_audit_page",
        operation_id="get_case_audit_page",
        response_class=HTMLResponse,
        responses=AUDIT_PROBLEMS,
    )
    def get_case_audit_page(
        case_id: CaseReference,
        actor: Annotated[Actor, Depends(authorized("get_case_audit_page"))],
        as_of: AsOf = None,
    ) -> HTMLResponse:
        """The audit trail as the case page: its dates drawn, every fact and refused attempt in
        words, the hash chain's status; as of a date, what came later greyed out
        (/pages/cases/{case} is the same page for a browser signed in with a cookie)."""
        case = CaseRef.of(case_id)
        with looked_up(case):
            file = case_file_of(cases, case.id, cases.clock(), as_of=as_of)
        return HTMLResponse(
            case_page(file, cases.policies), headers={"Content-Security-Policy": CSP}
        )

    @router.get(
        "/cases/{case_id}/state",
        name="get_case_state",
        operation_id="get_case_state",
        responses=AUDIT_PROBLEMS,
    )
    def get_case_state(
        case_id: CaseReference,
        actor: Annotated[Actor, Depends(authorized("get_case_state"))],
        as_of: Annotated[Day | None, Query(description="a business date (YYYY-MM-DD)")] = None,
        version: Annotated[CaseVersion | None, Query(description="a version of the case")] = None,
    ) -> dict[str, Any]:
        """The case as it stood on a business date, or after its first `version` events."""
        case = CaseRef.of(case_id)
        with looked_up(case):
            if as_of is not None and version is None:
                state = state_as_of(cases, case.id, as_of)
            elif version is not None and as_of is None:
                state = state_at_version(cases, case.id, version)
            else:
                raise InvalidCommand("give exactly one of as_of and version")
            opened = next(cases.events_of(case.id))
        document: dict[str, Any] = to_jsonable_python(
            {
                "case_id": case.id,
                "case_number": opened.case_number,
                "as_of": as_of,
                "version": version,
                "state": state,
            }
        )
        return document

    return router
