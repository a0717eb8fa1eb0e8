"""Every command of the domain as a POST on a case (sub-)resource.

A route's request body is its command model without the ids the path carries; each route
parses, checks the caller's role, hands the command to the application and maps the result.
"""

# No postponed annotations here: FastAPI evaluates the endpoints' annotations at runtime,
# and they name dependencies built in closures.

import asyncio
import hashlib
import inspect
import re
import threading
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, suppress
from copy import copy
from dataclasses import dataclass
from enum import Enum
from functools import partial
from queue import Empty, SimpleQueue
from typing import Annotated, Any, TypeVar, cast
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from api.access import require_override_authority
from api.auth import ActorDependency
from api.case_refs import CaseRef, CaseReference, case_location, looked_up
from api.idempotency import IdempotencyKeys, StoredResponse
from api.lean_route import LeanRoute
from api.problems import MALFORMED_REQUEST, ApiProblem, problem_responses
from application.cases import CaseManagement, IdempotentRequest, Recorded
from domain.base import Actor
from domain.commands import (
    AuthorizePurchasedService,
    AuthorizeService,
    CancelAuthorization,
    CaseCommand,
    ChangeGoalStatus,
    ChangeWage,
    Command,
    CorrectOutcomeDate,
    DecideReview,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    DeterminePEAppropriate,
    EndCashAssistance,
    EstablishSelfSufficiencyPlan,
    GiveSiteVisitConsent,
    IdentifySkill,
    LogIntervention,
    OpenCase,
    PayInvoice,
    PlanContact,
    ReassessPlan,
    ReassignCase,
    ReceiveInvoice,
    RecognizeGrandfathering,
    RecordContact,
    RecordContingencyPlan,
    RecordEligibility,
    RecordJobLoss,
    RecordJobSiteVisit,
    RecordOutcome,
    RecordReachability,
    RecordReferralResult,
    RecordServiceProvided,
    ReferToCommunityResource,
    ReferToTraining,
    RemoveFromPEServices,
    RequestPEServices,
    RequestReview,
    ReturnToMonitoring,
    RevokeSiteVisitConsent,
    SetPlanGoal,
    StartJob,
    TerminateCase,
    UnencumberBalance,
)

PATH_PARAMETER = re.compile(r"\{(\w+)\}")
ENTITY_TAG = re.compile(r'"(\d{1,18})"')
PATH_ID_DESCRIPTIONS = {
    "request_id": "The service request's id, chosen when it was requested",
    "authorization_id": "The authorization's id, chosen when the service was authorized",
    "invoice_id": "The invoice's id, chosen when it was received",
    "goal_id": "The plan goal's id, chosen when it was set",
    "referral_id": "The community referral's id, chosen when it was made",
    "job_id": "The job's id, chosen when it was recorded",
}


def request_body_model(command: type[Command], path_fields: tuple[str, ...]) -> type[BaseModel]:
    """The command's model without the fields the path carries; unknown fields refused."""
    unknown = set(path_fields) - set(command.model_fields)
    if unknown:
        raise ValueError(f"the path names fields {command.__name__} lacks: {unknown}")
    fields: dict[str, Any] = {
        name: (info.annotation, copy(info))
        for name, info in command.model_fields.items()
        if name not in path_fields
    }
    return create_model(
        command.__name__,
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__=command.__doc__,
        **fields,
    )


CommandT = TypeVar("CommandT", bound=Command)


def fields_of(body: BaseModel) -> dict[str, Any]:
    return {name: getattr(body, name) for name in type(body).model_fields}


def command_from(command: type[CommandT], values: dict[str, Any]) -> CommandT:
    """The command from a validated body (and the path's ids); a check only the whole command
    makes is a 422 about the body, like a field's, never a 500."""
    try:
        return command.model_validate(values)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


@dataclass(frozen=True)
class CommandRoute:
    """One case command as an HTTP POST: operation id, command class and path."""

    operation: str
    command: type[CaseCommand]
    path: str

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(PATH_PARAMETER.findall(self.path))

    def body_model(self) -> type[BaseModel]:
        return request_body_model(self.command, self.path_fields)

    def to_command(self, body: BaseModel, path_values: dict[str, UUID]) -> CaseCommand:
        return command_from(self.command, {**fields_of(body), **path_values})


CASE_COMMAND_ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute("record_outcome", RecordOutcome, "/cases/{case_id}/outcome"),
    CommandRoute(
        "correct_outcome_date", CorrectOutcomeDate, "/cases/{case_id}/outcome/date-correction"
    ),
    CommandRoute(
        "recognize_grandfathering", RecognizeGrandfathering, "/cases/{case_id}/grandfathering"
    ),
    CommandRoute("request_pe_services", RequestPEServices, "/cases/{case_id}/requests"),
    CommandRoute(
        "determine_pe_appropriate",
        DeterminePEAppropriate,
        "/cases/{case_id}/requests/{request_id}/determination/pe-appropriate",
    ),
    CommandRoute(
        "determine_new_employment_case",
        DetermineNewEmploymentCase,
        "/cases/{case_id}/requests/{request_id}/determination/new-employment-case",
    ),
    CommandRoute(
        "determine_not_appropriate",
        DetermineNotAppropriate,
        "/cases/{case_id}/requests/{request_id}/determination/not-appropriate",
    ),
    CommandRoute("request_review", RequestReview, "/cases/{case_id}/requests/{request_id}/review"),
    CommandRoute(
        "decide_review", DecideReview, "/cases/{case_id}/requests/{request_id}/review/decision"
    ),
    CommandRoute("authorize_service", AuthorizeService, "/cases/{case_id}/authorizations"),
    CommandRoute(
        "cancel_authorization",
        CancelAuthorization,
        "/cases/{case_id}/authorizations/{authorization_id}/cancellation",
    ),
    CommandRoute(
        "record_service_provided",
        RecordServiceProvided,
        "/cases/{case_id}/authorizations/{authorization_id}/provision",
    ),
    CommandRoute("receive_invoice", ReceiveInvoice, "/cases/{case_id}/invoices"),
    CommandRoute("pay_invoice", PayInvoice, "/cases/{case_id}/invoices/{invoice_id}/payment"),
    CommandRoute(
        "unencumber_balance",
        UnencumberBalance,
        "/cases/{case_id}/authorizations/{authorization_id}/unencumbrance",
    ),
    CommandRoute(
        "return_to_monitoring", ReturnToMonitoring, "/cases/{case_id}/return-to-monitoring"
    ),
    CommandRoute(
        "remove_from_pe_services", RemoveFromPEServices, "/cases/{case_id}/removal-from-pe-services"
    ),
    CommandRoute("terminate_case", TerminateCase, "/cases/{case_id}/termination"),
    CommandRoute("reassign_case", ReassignCase, "/cases/{case_id}/reassignment"),
    # Cash-assistance program (TA-01..TA-11); purchased services are invoiced, paid and
    # released through the money routes above.
    CommandRoute(
        "establish_self_sufficiency_plan",
        EstablishSelfSufficiencyPlan,
        "/cases/{case_id}/self-sufficiency-plan",
    ),
    CommandRoute("set_plan_goal", SetPlanGoal, "/cases/{case_id}/self-sufficiency-plan/goals"),
    CommandRoute(
        "change_goal_status",
        ChangeGoalStatus,
        "/cases/{case_id}/self-sufficiency-plan/goals/{goal_id}/status",
    ),
    CommandRoute(
        "reassess_plan", ReassessPlan, "/cases/{case_id}/self-sufficiency-plan/reassessments"
    ),
    CommandRoute(
        "record_contingency_plan",
        RecordContingencyPlan,
        "/cases/{case_id}/self-sufficiency-plan/contingencies",
    ),
    CommandRoute(
        "authorize_purchased_service",
        AuthorizePurchasedService,
        "/cases/{case_id}/self-sufficiency-plan/goals/{goal_id}/purchased-services",
    ),
    CommandRoute("log_intervention", LogIntervention, "/cases/{case_id}/interventions"),
    CommandRoute(
        "refer_to_community_resource",
        ReferToCommunityResource,
        "/cases/{case_id}/community-referrals",
    ),
    CommandRoute(
        "record_referral_result",
        RecordReferralResult,
        "/cases/{case_id}/community-referrals/{referral_id}/result",
    ),
    CommandRoute("record_reachability", RecordReachability, "/cases/{case_id}/reachability"),
    CommandRoute("plan_contact", PlanContact, "/cases/{case_id}/planned-contacts"),
    CommandRoute("record_contact", RecordContact, "/cases/{case_id}/contacts"),
    CommandRoute("record_eligibility", RecordEligibility, "/cases/{case_id}/eligibility"),
    CommandRoute("start_job", StartJob, "/cases/{case_id}/jobs"),
    CommandRoute("change_wage", ChangeWage, "/cases/{case_id}/jobs/{job_id}/wage"),
    CommandRoute("record_job_loss", RecordJobLoss, "/cases/{case_id}/jobs/{job_id}/loss"),
    CommandRoute(
        "give_site_visit_consent",
        GiveSiteVisitConsent,
        "/cases/{case_id}/jobs/{job_id}/site-visit-consent",
    ),
    CommandRoute(
        "revoke_site_visit_consent",
        RevokeSiteVisitConsent,
        "/cases/{case_id}/jobs/{job_id}/site-visit-consent/revocation",
    ),
    CommandRoute(
        "record_job_site_visit", RecordJobSiteVisit, "/cases/{case_id}/jobs/{job_id}/site-visits"
    ),
    CommandRoute("end_cash_assistance", EndCashAssistance, "/cases/{case_id}/cash-assistance-end"),
    CommandRoute("refer_to_training", ReferToTraining, "/cases/{case_id}/training-referrals"),
    CommandRoute("identify_skill", IdentifySkill, "/cases/{case_id}/skills"),
)
OPEN_CASE_OPERATION = "open_case"
OPEN_CASE_PATH = "/cases"
OpenCaseBody = request_body_model(OpenCase, ())


class LinkedCaseResult(BaseModel):
    """The other case the command recorded on: the new employment program case (VR-08)."""

    case_id: UUID
    case_number: str
    version: int = Field(description="That case's version after the command")
    events: int = Field(description="Events this request recorded on that case")
    opened: bool = Field(
        description="true: the determination opened the case; false: it linked a case already open"
    )


class CommandResult(BaseModel):
    """What a command recorded: the case, its version afterwards and how many events it added."""

    case_id: UUID
    case_number: str
    version: int = Field(description="The case's version after the command; also the ETag")
    events: int = Field(description="Events recorded by this request (0 for a retried creation)")
    linked_case: LinkedCaseResult | None = Field(
        None,
        description="Only for a new-employment-case determination: the case it opened or "
        "linked, which records the link too (absent for every other command)",
    )


IfMatchHeader = Annotated[
    str | None,
    Header(
        description='The case version the command expects, as its ETag: "3". '
        "A case at another version refuses the command (409)."
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A key unique to this request; a retry with the same key and body returns "
        "the original response without recording anything again.",
    ),
]

COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 413, 422)


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = ENTITY_TAG.fullmatch(if_match.strip())
    if match is None:
        raise ApiProblem(
            MALFORMED_REQUEST,
            f'If-Match must be one case version as an ETag, e.g. "3"; got {if_match!r}',
        )
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def request_hash(operation: str, command: Command) -> str:
    """What identifies a request for its idempotency key: the operation and the full command."""
    return hashlib.sha256(f"{operation}\n{command.model_dump_json()}".encode()).hexdigest()


def recorded_response(
    recorded: Recorded, status: int, location: str | None = None
) -> StoredResponse:
    linked = recorded.linked_case
    result = CommandResult(
        case_id=recorded.case_id,
        case_number=recorded.case_number,
        version=recorded.version,
        events=recorded.events,
        linked_case=None
        if linked is None
        else LinkedCaseResult(
            case_id=linked.case_id,
            case_number=linked.case_number,
            version=linked.version,
            events=linked.events,
            opened=linked.opened,
        ),
    )
    headers = {"ETag": etag(recorded.version)}
    if location is not None:
        headers["Location"] = location
    body = result.model_dump_json(exclude_none=True).encode()
    return StoredResponse(status, body, headers)


def as_response(stored: StoredResponse) -> Response:
    headers = dict(stored.headers)
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(stored.body, stored.status, headers, media_type="application/json")


COMMAND_THREADS = 4
"""Commands one API process runs at once on PostgreSQL; the others wait their turn in its
queue. (On SQLite one thread records them in batches: `serve_batches`.)

Every command ends at the event store, which records one at a time (SQLite's write lock, the
PostgreSQL events table's lock), so more threads only contend: at 32 clients on PostgreSQL,
40 threads (FastAPI's default pool) ran 345-397 commands/s with a p95 of 168-207 ms, 4 threads
616-740/s and 49-82 ms (docs/benchmarks.md). Reads keep the default pool.
"""


COMMANDS_PER_TRANSACTION = 64
"""On SQLite, the most commands one transaction records (`serve_batches`)."""

Job = tuple[Callable[[], Response], "asyncio.Future[Response]", asyncio.AbstractEventLoop]


class CommandRunner:
    """Runs commands for routes, once per idempotency key: on PostgreSQL `COMMAND_THREADS` at
    a time; on SQLite in batches, one thread recording every command waiting in one
    transaction (`serve_batches`)."""

    def __init__(self, cases: CaseManagement, idempotency: IdempotencyKeys) -> None:
        self.cases = cases
        self.idempotency = idempotency
        # Threads of their own taking the next waiting command from one queue, each answer
        # handed back to the event loop: ≈ 15 µs of CPU less per command than a pool executor,
        # ≈ 40 µs less than anyio's worker threads and capacity limiter (docs/benchmarks.md).
        self._jobs: SimpleQueue[Job | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []

    async def in_turn(self, run: Callable[[], Response]) -> Response:
        """`run` on a command thread once one is free; until then it waits its turn."""
        if not self._threads:
            self._start_threads()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Response] = loop.create_future()
        self._jobs.put((run, answer, loop))
        return await answer

    def close(self) -> None:
        """Waits for the commands under way (their events and answers are recorded whole)."""
        threads, self._threads = self._threads, []
        _stop(self._jobs, len(threads))
        for thread in threads:
            thread.join()

    def _start_threads(self) -> None:
        if self.cases is not None and self.cases.records_in_batches:
            batches = threading.Thread(
                target=serve_batches,
                args=(self._jobs, self.cases.in_one_transaction),
                name="pes-command-batches",
                daemon=True,
            )
            self._threads = [batches]
            batches.start()
            weakref.finalize(self, _stop, self._jobs, 1)
            return
        self._threads = [
            # Given the queue, not the runner: a runner never closed is still collected, and
            # its threads then stopped.
            threading.Thread(
                target=serve_commands, args=(self._jobs,), name=f"pes-command-{n}", daemon=True
            )
            for n in range(COMMAND_THREADS)
        ]
        for thread in self._threads:
            thread.start()
        weakref.finalize(self, _stop, self._jobs, COMMAND_THREADS)

    def run(
        self,
        operation: str,
        command: Command,
        actor: Actor,
        idempotency_key: str | None,
        execute: Callable[[IdempotentRequest | None], Recorded],
        respond: Callable[[Recorded], StoredResponse],
    ) -> Response:
        """`respond` to what `execute` recorded; with a key, the response is recorded with the
        events (so it can be built only from what was recorded) and replayed to retries."""
        require_override_authority(actor, command)
        if idempotency_key is None:
            return as_response(respond(execute(None)))
        return as_response(
            self.idempotency.replay_or_run(
                actor.id, idempotency_key, request_hash(operation, command), execute, respond
            )
        )


def serve_batches(
    jobs: SimpleQueue[Job | None], in_one_transaction: Callable[[], AbstractContextManager[None]]
) -> None:
    """The command thread on SQLite: takes every job waiting (up to
    `COMMANDS_PER_TRANSACTION`), runs them one after another in one transaction, and answers
    them once it is committed.

    SQLite has one writer, and a commit waits for the disk: with four threads each taking the
    writer in turn, a commit grouped at most four saves, and the threads handed the GIL and the
    writer to each other around every one (docs/benchmarks.md, "The SQLite API at 8 and 32
    clients"). Here the more clients wait, the more commands one commit records. A command
    that fails is undone alone (its save's savepoint) and answered with its error; a commit
    that fails answers every command of the batch with that error, none recorded (and the
    cases they decided are not kept: `CaseManagement.in_one_transaction`)."""
    while (first := jobs.get()) is not None:
        waiting, stopping = _take_waiting(first, jobs)
        done: list[tuple[asyncio.Future[Response], asyncio.AbstractEventLoop, Any, Any]] = []
        try:
            with in_one_transaction():
                for run, answer, loop in waiting:
                    if answer.cancelled():  # its request is gone: record nothing for it
                        continue
                    try:
                        done.append((answer, loop, run(), None))
                    except Exception as error:
                        done.append((answer, loop, None, error))
        except Exception as failed:
            done = [(answer, loop, None, failed) for answer, loop, _, _ in done]
        for answer, loop, response, raised in done:
            with suppress(RuntimeError):  # the loop closed meanwhile: nobody waits for the answer
                loop.call_soon_threadsafe(partial(_settle, answer, response, raised))
        if stopping:
            return


def _take_waiting(first: Job, jobs: SimpleQueue[Job | None]) -> tuple[list[Job], bool]:
    """`first` and the jobs waiting behind it, up to `COMMANDS_PER_TRANSACTION`; and whether
    the runner was asked to stop meanwhile."""
    taken = [first]
    while len(taken) < COMMANDS_PER_TRANSACTION:
        try:
            job = jobs.get_nowait()
        except Empty:
            break
        if job is None:
            return taken, True
        taken.append(job)
    return taken, False


def serve_commands(jobs: SimpleQueue[Job | None]) -> None:
    """A command thread: runs each job in turn, its answer settled on the job's event loop."""
    while (job := jobs.get()) is not None:
        run, answer, loop = job
        if answer.cancelled():  # its request is gone: record nothing for it
            continue
        try:
            settled = partial(_settle, answer, run(), None)
        except BaseException as error:
            settled = partial(_settle, answer, None, error)
        with suppress(RuntimeError):  # the loop closed meanwhile: nobody waits for the answer
            loop.call_soon_threadsafe(settled)


def _settle(
    answer: "asyncio.Future[Response]", response: Response | None, error: BaseException | None
) -> None:
    if answer.cancelled():
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(cast(Response, response))


def _stop(jobs: SimpleQueue[Job | None], threads: int) -> None:
    for _ in range(threads):
        jobs.put(None)


COMMAND_TAGS: list[str | Enum] = ["commands"]


def add_command_routes(
    router: APIRouter, runner: CommandRunner, authorized: Callable[[str], ActorDependency]
) -> None:
    """Adds every command route to `router`, the app's own: a router included in the app is
    matched twice per request, through FastAPI's included-router contexts (docs/benchmarks.md).
    Every command route is checked by a plan made once (api/lean_route.py)."""

    async def open_case(
        request: Request,
        body: Annotated[OpenCaseBody, Body()],  # type: ignore[valid-type]
        actor: Annotated[Actor, Depends(authorized(OPEN_CASE_OPERATION))],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        command = command_from(OpenCase, fields_of(body))

        def execute(keyed: IdempotentRequest | None) -> Recorded:
            return runner.cases.open_case(command, actor, keyed)

        def respond(recorded: Recorded) -> StoredResponse:
            location = case_location(str(request.base_url), recorded.case_id)
            return recorded_response(recorded, 201, location)

        return await runner.in_turn(
            partial(
                runner.run, OPEN_CASE_OPERATION, command, actor, idempotency_key, execute, respond
            )
        )

    router.add_api_route(
        OPEN_CASE_PATH,
        open_case,
        methods=["POST"],
        name=OPEN_CASE_OPERATION,
        operation_id=OPEN_CASE_OPERATION,
        summary=OpenCase.__doc__,
        status_code=201,
        response_model=CommandResult,
        responses=COMMAND_PROBLEMS,
        tags=COMMAND_TAGS,
        route_class_override=LeanRoute,
    )
    for route in CASE_COMMAND_ROUTES:
        router.add_api_route(
            route.path,
            case_command_endpoint(route, runner, authorized(route.operation)),
            methods=["POST"],
            name=route.operation,
            operation_id=route.operation,
            summary=route.command.__doc__,
            status_code=200,
            response_model=CommandResult,
            responses=COMMAND_PROBLEMS,
            tags=COMMAND_TAGS,
            route_class_override=LeanRoute,
        )


def case_command_endpoint(
    route: CommandRoute, runner: CommandRunner, authorized_actor: ActorDependency
) -> Callable[..., Awaitable[Response]]:
    """The endpoint of one case command, its signature built from the path and the command."""

    async def endpoint(
        *,
        body: BaseModel,
        actor: Actor,
        if_match: str | None,
        idempotency_key: str | None,
        case_id: str,
        **path_values: UUID,
    ) -> Response:
        case = CaseRef.of(case_id)
        command = route.to_command(body, {**path_values, "case_id": case.id})
        version = expected_version(if_match)

        def execute(keyed: IdempotentRequest | None) -> Recorded:
            return runner.cases.handle(command, actor, version, keyed)

        def respond(recorded: Recorded) -> StoredResponse:
            return recorded_response(recorded, 200)

        def run() -> Response:
            with looked_up(case):
                return runner.run(
                    route.operation, command, actor, idempotency_key, execute, respond
                )

        return await runner.in_turn(run)

    keyword = inspect.Parameter.KEYWORD_ONLY
    path_parameters = [
        inspect.Parameter(
            name,
            keyword,
            annotation=CaseReference
            if name == "case_id"
            else Annotated[UUID, Path(description=PATH_ID_DESCRIPTIONS.get(name))],
        )
        for name in route.path_fields
    ]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            *path_parameters,
            inspect.Parameter("body", keyword, annotation=Annotated[route.body_model(), Body()]),
            inspect.Parameter(
                "actor", keyword, annotation=Annotated[Actor, Depends(authorized_actor)]
            ),
            inspect.Parameter("if_match", keyword, annotation=IfMatchHeader, default=None),
            inspect.Parameter(
                "idempotency_key", keyword, annotation=IdempotencyKeyHeader, default=None
            ),
        ],
        return_annotation=Response,
    )
    endpoint.__name__ = route.operation
    return endpoint
