"""Helpers for the HTTP API tests: a client over a fresh SQLite store, tokens, command requests."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api import TokenMap, create_app
from api.commands import CASE_COMMAND_ROUTES, OPEN_CASE_PATH, CommandRoute
from application.settings import Settings
from domain.assistance.values import (
    ContactChannel,
    ContingencyArea,
    EligibilityStatus,
    GoalStatus,
    InterventionCategory,
    InterventionKind,
    JobLossReason,
    ReferralResult,
    ResponsibleParty,
    SupportProgram,
    TrainingPurpose,
)
from domain.base import Actor, Role
from domain.case import Program, case_id_for
from domain.commands import (
    AuthorizePurchasedService,
    CancelAuthorization,
    CaseCommand,
    ChangeGoalStatus,
    ChangeWage,
    Command,
    CorrectOutcomeDate,
    DecideReview,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
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
    RecordReachability,
    RecordReferralResult,
    RecordServiceProvided,
    ReferToCommunityResource,
    ReferToTraining,
    RemoveFromPEServices,
    RequestReview,
    ReturnToMonitoring,
    RevokeSiteVisitConsent,
    SetPlanGoal,
    StartJob,
    TerminateCase,
    UnencumberBalance,
)
from domain.termination import DEADLINE_PROCESS
from domain.values import (
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ServiceCategory,
    ServiceType,
)
from synthetic import BILLING_CLERKS, CASEWORKERS, SUPERVISORS
from tests.builders import (
    authorize,
    determine_appropriate,
    ids,
    open_case,
    record_outcome,
    request_services,
)
from tests.topic_reader import wait_for

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 instead of httpx under its TestClient; httpx2 is not a
    # dependency yet and the client behaves the same, so only this import's warning is muted.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROLE_ACTORS: dict[Role, Actor] = {role: Actor(id=f"{role.value}-1", role=role) for role in Role}
KNOWN_ACTORS = (
    *ROLE_ACTORS.values(),
    *CASEWORKERS,
    *SUPERVISORS,
    *BILLING_CLERKS,
    DEADLINE_PROCESS,
)
CASEWORKER = ROLE_ACTORS[Role.CASEWORKER]
SUPERVISOR = ROLE_ACTORS[Role.SUPERVISOR]
BILLING = ROLE_ACTORS[Role.BILLING]
AUDITOR = ROLE_ACTORS[Role.AUDITOR]
ANALYST = ROLE_ACTORS[Role.ANALYST]
SYSTEM = ROLE_ACTORS[Role.SYSTEM]
PROBLEM_JSON = "application/problem+json"


def token_for(actor: Actor) -> str:
    return f"token-{actor.id}-at-least-32-characters-long"


TOKENS = TokenMap({token_for(actor): actor for actor in KNOWN_ACTORS})


def auth(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(actor)}"}


@contextmanager
def api_client(data_dir: Path, **options: Any) -> Iterator[TestClient]:
    """A client of a fresh API over a SQLite event store in `data_dir`; closed on exit."""
    app = create_app(Settings(data_dir=data_dir), TOKENS, **options)
    with TestClient(app) as client:
        yield client


ROUTES_BY_COMMAND: dict[type[Command], CommandRoute] = {
    route.command: route for route in CASE_COMMAND_ROUTES
}


@contextmanager
def served_api(data_dir: Path) -> Iterator[int]:
    """The API on a real socket (uvicorn, a free port, its own thread); yields the port."""
    served = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(data_dir=data_dir), TOKENS),
            host="127.0.0.1",
            port=0,
            log_config=None,
        )
    )
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    wait_for(lambda: served.started or not thread.is_alive(), timeout=30, what="the API to start")
    assert served.started, "the API stopped while starting"
    try:
        yield served.servers[0].sockets[0].getsockname()[1]
    finally:
        served.should_exit = True
        thread.join(timeout=30)


def command_request(command: Command) -> tuple[str, dict[str, Any]]:
    """The path and JSON body that send `command` over HTTP."""
    if isinstance(command, OpenCase):
        return OPEN_CASE_PATH, command.model_dump(mode="json")
    route = ROUTES_BY_COMMAND[type(command)]
    path_values = {name: getattr(command, name) for name in route.path_fields}
    body = command.model_dump(mode="json", exclude=set(route.path_fields))
    return route.path.format(**path_values), body


def send(client: TestClient, actor: Actor, command: Command, **headers: str) -> httpx.Response:
    path, body = command_request(command)
    return client.post(path, json=body, headers={**auth(actor), **headers})


def assert_problem(
    response: httpx.Response, status: int, slug: str, rule_id: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"urn:pes:problem:{slug}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem.get("rule_id") == rule_id
    return problem


# Cases whose commands, dated coherently, together cover the domain. Ids derive from the case
# (as clients are advised to), so tests can name them.


def served_case(number: str) -> list[tuple[Actor, Command]]:
    """Opened, outcome, a request served, invoiced, paid, closed, returned, terminated."""
    case_id = case_id_for(number)
    authorization_id = ids(number, "authorization")
    invoice_id = ids(number, "invoice")
    return [
        (CASEWORKER, open_case(number)),
        (CASEWORKER, record_outcome(number)),
        (CASEWORKER, request_services(number, date(2024, 6, 3))),
        (CASEWORKER, determine_appropriate(number, date(2024, 6, 10))),
        (CASEWORKER, authorize(number, date(2024, 6, 12), date(2024, 6, 15), date(2024, 7, 15))),
        (
            CASEWORKER,
            RecordServiceProvided(
                case_id=case_id, authorization_id=authorization_id, provided_on=date(2024, 7, 15)
            ),
        ),
        (
            BILLING,
            ReceiveInvoice(
                case_id=case_id,
                invoice_id=invoice_id,
                authorization_id=authorization_id,
                received_on=date(2024, 7, 20),
                invoice_number="INV-1",
                amount_cents=10_000,
            ),
        ),
        (
            BILLING,
            PayInvoice(
                case_id=case_id,
                invoice_id=invoice_id,
                paid_on=date(2024, 8, 1),
                amount_cents=10_000,
            ),
        ),
        (
            BILLING,
            UnencumberBalance(
                case_id=case_id,
                authorization_id=authorization_id,
                unencumbered_on=date(2024, 8, 2),
            ),
        ),
        (CASEWORKER, ReturnToMonitoring(case_id=case_id, returned_on=date(2024, 8, 5))),
        (SYSTEM, TerminateCase(case_id=case_id, terminated_on=date(2025, 3, 1))),
    ]


def reviewed_case(number: str) -> list[tuple[Actor, Command]]:
    """Not appropriate, reviewed and reversed, a new employment case; then an advancement with
    a VR-04 override, cancelled, released, the case removed from PE services, and its outcome
    date corrected."""
    case_id = case_id_for(number)
    first = ids(number, "request", 1)
    authorization_id = ids(number, "authorization", 1)
    return [
        (CASEWORKER, open_case(number)),
        (CASEWORKER, record_outcome(number)),
        (CASEWORKER, request_services(number, date(2024, 5, 1))),
        (
            CASEWORKER,
            DetermineNotAppropriate(
                case_id=case_id,
                request_id=first,
                determined_on=date(2024, 5, 10),
                written_explanation="The concern is outside the job held at outcome.",
                review_notice_given=True,
            ),
        ),
        (
            CASEWORKER,
            RequestReview(
                case_id=case_id,
                request_id=first,
                requested_on=date(2024, 5, 20),
                grounds="The employer changed the shift.",
            ),
        ),
        (
            SUPERVISOR,
            DecideReview(
                case_id=case_id,
                request_id=first,
                decided_on=date(2024, 6, 1),
                decision=ReviewDecision.REVERSED,
                reason="The shift change is documented.",
            ),
        ),
        (
            CASEWORKER,
            DetermineNewEmploymentCase(
                case_id=case_id,
                request_id=first,
                determined_on=date(2024, 6, 5),
                new_case_number=f"EMP-{number}",
                reasons=(NewCaseReason.JOB_SEARCH,),
            ),
        ),
        (CASEWORKER, request_services(number, date(2024, 6, 10), 2, RequestPurpose.ADVANCE)),
        (CASEWORKER, determine_appropriate(number, date(2024, 6, 12), 2)),
        (
            SUPERVISOR,
            authorize(
                number,
                date(2024, 6, 14),
                date(2024, 6, 15),
                date(2024, 10, 30),
                request=2,
                overrides=(Override(rule_id="VR-04", reason="Licensing takes four months."),),
            ),
        ),
        (
            CASEWORKER,
            CancelAuthorization(
                case_id=case_id,
                authorization_id=authorization_id,
                cancelled_on=date(2024, 6, 20),
                reason="The employer paid the fee.",
            ),
        ),
        (
            BILLING,
            UnencumberBalance(
                case_id=case_id,
                authorization_id=authorization_id,
                unencumbered_on=date(2024, 6, 21),
            ),
        ),
        (
            CASEWORKER,
            RemoveFromPEServices(
                case_id=case_id, removed_on=date(2024, 6, 25), reason="The client declined."
            ),
        ),
        (
            SUPERVISOR,
            CorrectOutcomeDate(
                case_id=case_id,
                corrected_outcome_date=date(2024, 3, 8),
                corrected_on=date(2024, 7, 1),
                reason="The outcome was keyed from the offer letter, not the first day of work.",
                evidence_ref="Payroll record PR-2024-0311",
            ),
        ),
    ]


def grandfathered_case(number: str) -> list[tuple[Actor, Command]]:
    """A 2013 case receiving EW services on the grandfathering date (VR-12)."""
    return [
        (CASEWORKER, open_case(number, opened_on=date(2013, 5, 1))),
        (
            CASEWORKER,
            RecognizeGrandfathering(
                case_id=case_id_for(number),
                recognized_on=date(2013, 8, 1),
                evidence="QE2 service record shows EW services active on 2013-08-01.",
                services_started_on=date(2013, 7, 1),
                planned_services=(ServiceType.SUPPORTED_EMPLOYMENT,),
            ),
        ),
        (
            SUPERVISOR,
            ReassignCase(
                case_id=case_id_for(number),
                caseworker_id="cw-2",
                reassigned_on=date(2013, 8, 2),
                reason="the EW caseworker carries grandfathered cases",
            ),
        ),
    ]


def assisted_case(number: str) -> list[tuple[Actor, Command]]:
    """A cash-assistance case through every command of the program (TA-01..TA-11): a job, the
    plan with a goal and its contingencies, a purchased service billed and closed, support,
    contacts, eligibility, a site visit with permission, a raise, a re-assessment, a job lost
    and another found, the end of cash assistance and a training referral on the last day of
    its window."""
    case_id = case_id_for(number)
    goal_id = ids(number, "goal")
    first_job, second_job = ids(number, "job", 1), ids(number, "job", 2)
    authorization_id = ids(number, "authorization")
    invoice_id = ids(number, "invoice")
    referral_id = ids(number, "community_referral")
    contact_id = ids(number, "contact")
    return [
        (CASEWORKER, open_case(number, program=Program.CASH_ASSISTANCE)),
        (
            CASEWORKER,
            StartJob(
                case_id=case_id,
                job_id=first_job,
                started_on=date(2024, 1, 22),
                employer="Riverside Grocers",
                job_title="cashier",
                hourly_wage_cents=1_500,
                weekly_hours=30.0,
            ),
        ),
        (
            CASEWORKER,
            RecordReachability(
                case_id=case_id,
                recorded_on=date(2024, 1, 22),
                available_in_daytime=False,
                best_times="weekdays after 6 pm",
                channels=(ContactChannel.MESSAGE, ContactChannel.POSTCARD),
            ),
        ),
        (
            CASEWORKER,
            EstablishSelfSufficiencyPlan(
                case_id=case_id,
                established_on=date(2024, 1, 29),
                emergent_needs=("child care for the evening shift", "bus fare"),
                resources_mobilised=("grandmother on weekends",),
                next_reassessment_on=date(2024, 4, 29),
            ),
        ),
        (
            CASEWORKER,
            SetPlanGoal(
                case_id=case_id,
                goal_id=goal_id,
                set_on=date(2024, 1, 29),
                description="Finish job coaching on customer de-escalation",
                target_date=date(2024, 4, 30),
                responsible_party=ResponsibleParty.CONTRACTED_PROVIDER,
            ),
        ),
        *[
            (
                CASEWORKER,
                RecordContingencyPlan(
                    case_id=case_id,
                    area=area,
                    recorded_on=date(2024, 1, 29),
                    contingency=None if area is ContingencyArea.CHILD_CARE else "A back-up plan",
                    not_needed_reason="No children under 13"
                    if area is ContingencyArea.CHILD_CARE
                    else None,
                ),
            )
            for area in ContingencyArea
        ],
        (
            CASEWORKER,
            AuthorizePurchasedService(
                case_id=case_id,
                authorization_id=authorization_id,
                goal_id=goal_id,
                authorized_on=date(2024, 2, 1),
                service_type=ServiceType.EMPLOYMENT_JOB_RETENTION,
                category=ServiceCategory.COMMUNITY,
                provider="Workforce Partners Inc.",
                planned_start=date(2024, 2, 1),
                planned_end=date(2024, 3, 31),
                amount_cents=50_000,
                plan_entry="Job coaching, eight sessions",
            ),
        ),
        (
            CASEWORKER,
            RecordServiceProvided(
                case_id=case_id, authorization_id=authorization_id, provided_on=date(2024, 3, 1)
            ),
        ),
        (
            BILLING,
            ReceiveInvoice(
                case_id=case_id,
                invoice_id=invoice_id,
                authorization_id=authorization_id,
                received_on=date(2024, 3, 5),
                invoice_number="CES-1",
                amount_cents=40_000,
            ),
        ),
        (
            BILLING,
            PayInvoice(
                case_id=case_id,
                invoice_id=invoice_id,
                paid_on=date(2024, 3, 20),
                amount_cents=40_000,
            ),
        ),
        (
            BILLING,
            UnencumberBalance(
                case_id=case_id,
                authorization_id=authorization_id,
                unencumbered_on=date(2024, 3, 21),
            ),
        ),
        (
            CASEWORKER,
            ChangeGoalStatus(
                case_id=case_id,
                goal_id=goal_id,
                changed_on=date(2024, 3, 25),
                status=GoalStatus.ACHIEVED,
            ),
        ),
        (
            CASEWORKER,
            LogIntervention(
                case_id=case_id,
                intervention_id=ids(number, "intervention"),
                logged_on=date(2024, 2, 10),
                kind=InterventionKind.CRISIS_INTERVENTION,
                category=InterventionCategory.DIFFICULT_EMPLOYER,
                situation="The supervisor threatened to cut hours",
                action_taken="Planned the conversation and called back the next day",
            ),
        ),
        (
            CASEWORKER,
            ReferToCommunityResource(
                case_id=case_id,
                referral_id=referral_id,
                referred_on=date(2024, 2, 12),
                need="winter coats for the children",
                resource="Eastside Family Center",
            ),
        ),
        (
            CASEWORKER,
            RecordReferralResult(
                case_id=case_id,
                referral_id=referral_id,
                recorded_on=date(2024, 2, 26),
                result=ReferralResult.CONNECTED,
            ),
        ),
        (
            CASEWORKER,
            PlanContact(
                case_id=case_id,
                contact_id=contact_id,
                scheduled_on=date(2024, 1, 29),
                planned_for=date(2024, 2, 28),
                channel=ContactChannel.PHONE,
                purpose="monthly check-in",
            ),
        ),
        (
            CASEWORKER,
            RecordContact(
                case_id=case_id,
                contact_id=contact_id,
                made_on=date(2024, 2, 27),
                channel=ContactChannel.PHONE,
                summary="The new schedule works.",
            ),
        ),
        (
            CASEWORKER,
            RecordEligibility(
                case_id=case_id,
                program=SupportProgram.FOOD_ASSISTANCE,
                recorded_on=date(2024, 2, 1),
                status=EligibilityStatus.ELIGIBLE,
                renewal_on=date(2024, 8, 1),
            ),
        ),
        (
            CASEWORKER,
            GiveSiteVisitConsent(
                case_id=case_id,
                job_id=first_job,
                given_on=date(2024, 3, 1),
                how_given="signed release form",
            ),
        ),
        (
            CASEWORKER,
            RecordJobSiteVisit(
                case_id=case_id,
                visit_id=ids(number, "visit"),
                job_id=first_job,
                visited_on=date(2024, 3, 1),
                purpose="Meet the supervisor about the schedule",
            ),
        ),
        (
            CASEWORKER,
            RevokeSiteVisitConsent(case_id=case_id, job_id=first_job, revoked_on=date(2024, 3, 15)),
        ),
        (
            CASEWORKER,
            ChangeWage(
                case_id=case_id,
                job_id=first_job,
                changed_on=date(2024, 4, 1),
                hourly_wage_cents=1_700,
                weekly_hours=32.0,
            ),
        ),
        (
            CASEWORKER,
            ReassessPlan(
                case_id=case_id,
                reassessed_on=date(2024, 4, 25),
                emergent_needs=("bus fare",),
                resources_mobilised=("county transit pass",),
                summary="Coaching done; transport is the remaining risk.",
                next_reassessment_on=date(2024, 7, 25),
            ),
        ),
        (
            CASEWORKER,
            RecordJobLoss(
                case_id=case_id,
                job_id=first_job,
                lost_on=date(2024, 5, 10),
                reason=JobLossReason.LAID_OFF,
            ),
        ),
        (
            CASEWORKER,
            StartJob(
                case_id=case_id,
                job_id=second_job,
                started_on=date(2024, 5, 28),
                employer="Metro Transit",
                job_title="bus cleaner",
                hourly_wage_cents=1_800,
                weekly_hours=35.0,
            ),
        ),
        (
            CASEWORKER,
            EndCashAssistance(
                case_id=case_id, ended_on=date(2024, 5, 31), reason="Earnings above the limit"
            ),
        ),
        (
            CASEWORKER,
            ReferToTraining(
                case_id=case_id,
                referral_id=ids(number, "training_referral"),
                referred_on=date(2025, 5, 31),
                resource="Community college forklift certificate",
                purpose=TrainingPurpose.QUALIFY_FOR_ADVANCEMENT,
            ),
        ),
        (
            CASEWORKER,
            IdentifySkill(
                case_id=case_id,
                skill_id=ids(number, "skill"),
                identified_on=date(2024, 6, 10),
                skill="customer de-escalation",
                how_identified="job coaching",
            ),
        ),
    ]


SCENARIOS = (served_case, reviewed_case, grandfathered_case, assisted_case)
"""Together they send every command of the domain over HTTP."""


def sample_command(command_class: type[Command], number: str) -> Command:
    """A valid command of the class for case `number` (whether the case would accept it or not)."""
    samples = [command for scenario in SCENARIOS for _, command in scenario(number)]
    return next(command for command in samples if type(command) is command_class)


def case_command_classes() -> list[type[CaseCommand]]:
    return [route.command for route in CASE_COMMAND_ROUTES]
