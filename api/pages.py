"""Pages for people in a browser: the case page and the caseload board, behind the same tokens
and roles as the API. A browser signs in once with its token, kept in an HttpOnly cookie that
only these pages read; a page's problem is shown as a page, never as JSON."""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime.

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.pages.case_page import case_page
from adapters.pages.caseload_board import caseload_board
from adapters.pages.layout import CSP, esc, page
from adapters.pages.printing import PrintingUnavailable, print_to_pdf
from api.access import ROLES_BY_OPERATION
from api.auth import ActorDependency, TokenMap
from api.case_refs import CaseRef
from application.case_file import CaseFile, case_file_of
from application.cases import CaseManagement
from domain.base import Actor
from domain.case import CaseStatus, Program
from domain.command import CASE_NUMBER_PATTERN
from domain.errors import CaseNotFound
from projections.caseload import CaseloadView

COOKIE = "pes_token"
SIGN_IN_REFUSALS = {"token": "That token is not valid."}
BOARD_PAGE_SIZE = 500
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CASE_REFERENCE = re.compile(CASE_NUMBER_PATTERN)
_bearer = HTTPBearer(auto_error=False)


class PageProblem(Exception):
    """What a page shows instead of itself: a status, a title and what to do."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class SignInNeeded(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


def problem_page(problem: PageProblem) -> HTMLResponse:
    body = f'<p>{esc(problem.detail)}</p><p><a href="/pages/caseload">Caseload board</a></p>'
    return html(page(problem.title, problem.title, f"Error {problem.status}", body), problem.status)


def pages_router(
    cases: CaseManagement, caseload: CaseloadView, tokens: TokenMap, today: Callable[[], date]
) -> APIRouter:
    router = APIRouter(prefix="/pages", tags=["pages"])

    def page_actor(operation: str) -> ActorDependency:
        allowed = ROLES_BY_OPERATION[operation]

        async def actor(  # async: in memory only, no worker thread (api/auth.py)
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Actor:
            token = credentials.credentials if credentials else request.cookies.get(COOKIE)
            found = tokens.actor_for(token) if token else None
            if found is None:
                raise SignInNeeded(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
            if found.role not in allowed:
                raise PageProblem(
                    403,
                    "Not for your role",
                    f"This page is for the {', '.join(sorted(allowed))} role(s); {found.id} acts "
                    f"as {found.role}.",
                )
            return found

        return actor

    @router.get(
        "/sign-in", name="sign_in_page", include_in_schema=False, response_class=HTMLResponse
    )
    def sign_in_page(next: str = "/pages/caseload", refused: str = "") -> HTMLResponse:
        """A form asking for the token that stands for you."""
        # Only the page's own words: a link cannot put a message of its choosing here.
        said = SIGN_IN_REFUSALS.get(refused)
        shown = f'<p class="bad" role="alert">{esc(said)}</p>' if said else ""
        body = (
            f'{shown}<form method="post" action="/pages/sign-in" class="filters">'
            f'<input type="hidden" name="next" value="{esc(_local(next))}">'
            '<label>Your token<input type="password" name="token" required autocomplete="current-password" '
            'size="48"></label><button type="submit">Sign in</button></form>'
            '<p class="muted">The token your administrator gave you (PES_API_TOKENS). It is kept '
            "in this browser until you sign out, readable by these pages only.</p>"
        )
        return html(page("Sign in", "Sign in", "Pages of the case management system.", body))

    @router.post("/sign-in", name="sign_in", include_in_schema=False, response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = form.get("token", [""])[0]
        target = _local(form.get("next", ["/pages/caseload"])[0])
        if not token or tokens.actor_for(token) is None:
            query = urlencode({"next": target, "refused": "token"})
            return RedirectResponse(f"/pages/sign-in?{query}", status_code=303)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/pages",
        )
        return response

    @router.post("/sign-out", name="sign_out", include_in_schema=False, response_class=HTMLResponse)
    def sign_out() -> Response:
        response = RedirectResponse("/pages/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path="/pages")
        return response

    @router.get(
        "/cases/{case}",
        name="get_case_page",
        operation_id="get_case_page",
        response_class=HTMLResponse,
    )
    def get_case_page(
        case: str,
        actor: Annotated[Actor, Depends(page_actor("get_case_page"))],
        as_of: str | None = None,
    ) -> HTMLResponse:
        """The case page: its dates drawn, deadlines, money, every fact, its chain's status."""
        return html(case_page(_case_file(case, as_of), cases.policies))

    def _case_file(case: str, as_of: str | None) -> CaseFile:
        if not CASE_REFERENCE.fullmatch(case):
            raise PageProblem(404, "No such case", f"{case!r} is not a case number or id.")
        try:
            return case_file_of(cases, CaseRef.of(case).id, today(), as_of=_day("as_of", as_of))
        except CaseNotFound:
            raise PageProblem(404, "No such case", f"No case {case} is recorded.") from None

    @router.get(
        "/cases/{case}/audit-file.pdf",
        name="get_audit_file",
        operation_id="get_audit_file",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def get_audit_file(
        case: str,
        actor: Annotated[Actor, Depends(page_actor("get_audit_file"))],
        as_of: str | None = None,
    ) -> Response:
        """The case page printed for an auditor's working papers: a PDF headed with the case,
        when it was produced, the policy versions and the hash chain's status."""
        file = _case_file(case, as_of)
        try:
            pdf = print_to_pdf(case_page(file, cases.policies, produced_at=datetime.now(UTC)))
        except PrintingUnavailable as error:
            raise PageProblem(503, "Cannot print the audit file", str(error)) from None
        name = f"audit-file-{file.case.case_number}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get(
        "/caseload",
        name="get_caseload_board",
        operation_id="get_caseload_board",
        response_class=HTMLResponse,
    )
    def get_caseload_board(
        request: Request,
        actor: Annotated[Actor, Depends(page_actor("get_caseload_board"))],
    ) -> HTMLResponse:
        """Cases per caseworker by status, next deadline and overdue items; filterable."""
        given = {k: v for k, v in request.query_params.items() if v}
        program = _choice("program", given.get("program"), [p.value for p in Program])
        status = _choice("status", given.get("status"), [s.value for s in CaseStatus])
        caseworker = given.get("caseworker")
        if caseworker is not None and len(caseworker) > 100:
            raise PageProblem(
                422, "Filter not understood", "a caseworker id has at most 100 characters"
            )
        after = given.get("after")
        shown = caseload.caseload(
            _day("today", given.get("today")) or today(),
            caseworker_id=caseworker,
            status=status,
            program=program,
            overdue_only=given.get("overdue") == "true",
            limit=BOARD_PAGE_SIZE,
            after=after,
        )
        more = None
        if shown.next_after is not None:
            more = "/pages/caseload?" + urlencode({**given, "after": shown.next_after})
        return html(
            caseload_board(shown, given, lambda number: f"/pages/cases/{quote(number)}", more)
        )

    return router


def _local(target: str) -> str:
    """Only a path on this server: a sign-in never sends the browser elsewhere."""
    return target if target.startswith("/pages/") and "//" not in target else "/pages/caseload"


def _day(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        if not ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise PageProblem(
            422, "Date not understood", f"{name} must be a date as YYYY-MM-DD, not {value!r}."
        ) from None


def _choice(name: str, value: str | None, allowed: list[str]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise PageProblem(
            422,
            "Filter not understood",
            f"{name} must be one of {', '.join(allowed)}, not {value!r}.",
        )
    return value


def install_page_handlers(app: FastAPI) -> None:
    """A page's problem is a page; a page asked for without a token leads to the sign-in."""

    async def shown_as_page(_: Request, error: Exception) -> Response:
        assert isinstance(error, PageProblem)
        return problem_page(error)

    async def to_sign_in(_: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        return RedirectResponse(
            "/pages/sign-in?" + urlencode({"next": _local(error.target)}), status_code=303
        )

    app.add_exception_handler(PageProblem, shown_as_page)
    app.add_exception_handler(SignInNeeded, to_sign_in)
