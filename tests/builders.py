"""What tests build: actors, commands with sensible defaults (by case number, or on a case held
in memory), the caseload replayed in memory, and sample events, so each test states only what
matters."""

from __future__ import annotations

import copy
import inspect
import types
import typing
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, get_args, get_origin
from uuid import UUID, uuid4

from pydantic import BaseModel, ValidationError

from domain import handling
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
from domain.base import Actor, Aggregate, Role, numbered_id
from domain.case import Case, Program, case_id_for
from domain.commands import (
    AuthorizePurchasedService,
    AuthorizeService,
    CancelAuthorization,
    CaseCommand,
    ChangeGoalStatus,
    ChangeWage,
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
from domain.errors import DomainError
from domain.policy import PolicyBook
from domain.values import (
    AdvanceAssessment,
    AdvancementResult,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from domain.vr.requests import link_new_employment_case
from synthetic import SyntheticCommand

POLICIES = PolicyBook.default()
POLICY = POLICIES.vr[0]
CASEWORKER = Actor(id="cw-1", role=Role.CASEWORKER)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
BILLING = Actor(id="bill-1", role=Role.BILLING)
SYSTEM = Actor(id="system:deadlines", role=Role.SYSTEM)

# A leap-day outcome: its anniversary clamps to 2025-02-28.
OUTCOME = date(2024, 2, 29)
ANNIVERSARY = date(2025, 2, 28)

MAINTAIN = MaintainAssessment(
    concern="shift changes clash with the bus timetable",
    raised_with_employer=True,
    what_client_thinks_will_help="a monthly bus pass",
    services_needed="transportation support",
    others_fulfilled_responsibilities=None,
)
ADVANCE = AdvanceAssessment(
    same_employer=True,
    client_needs="a forklift certificate",
    employer_assistance="paid time off for the course",
    barriers_to_arranging_alone="cannot pay the course fee",
    expected_results=(AdvancementResult.GREATER_PAY, AdvancementResult.PROMOTION),
)
ALL_CRITERIA = ScopeCriteria(
    readily_available=True, easy_to_arrange=True, routine=True, providable_within_scope_days=True
)


def day(offset: int, start: date = OUTCOME) -> date:
    return start + timedelta(days=offset)


# Commands by case number, for tests that drive the application or the API (the case need not be in
# memory). Request, authorization and invoice ids derive from the case, as clients are advised to.


def case_numbers(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(count)]


def ids(number: str, kind: str, n: int = 1) -> UUID:
    return numbered_id(case_id_for(number), kind, n)


def open_case(
    number: str,
    opened_on: date = date(2024, 1, 15),
    program: Program = Program.VR,
    caseworker: str = "cw-ada",
) -> OpenCase:
    return OpenCase(
        case_number=number,
        program=program,
        client_ref=f"CL-{number}",
        caseworker_id=caseworker,
        opened_on=opened_on,
    )


def record_outcome(number: str, outcome_date: date = date(2024, 3, 1)) -> RecordOutcome:
    return RecordOutcome(
        case_id=case_id_for(number),
        outcome_date=outcome_date,
        employer="Riverside Grocers",
        job_title="stock associate",
        hourly_wage_cents=1850,
        weekly_hours=32.5,
    )


def correct_outcome_date(number: str, evidence_ref: str) -> CorrectOutcomeDate:
    return CorrectOutcomeDate(
        case_id=case_id_for(number),
        corrected_outcome_date=date(2024, 3, 4),
        corrected_on=date(2024, 3, 10),
        reason="the employer's letter gives the 4th",
        evidence_ref=evidence_ref,
    )


def request_services(
    number: str, on: date, n: int = 1, purpose: RequestPurpose = RequestPurpose.MAINTAIN
) -> RequestPEServices:
    return RequestPEServices(
        case_id=case_id_for(number),
        request_id=ids(number, "request", n),
        requested_on=on,
        purpose=purpose,
        maintain=MAINTAIN if purpose is RequestPurpose.MAINTAIN else None,
        advance=ADVANCE if purpose is RequestPurpose.ADVANCE else None,
    )


def determine_appropriate(number: str, on: date, n: int = 1) -> DeterminePEAppropriate:
    return DeterminePEAppropriate(
        case_id=case_id_for(number),
        request_id=ids(number, "request", n),
        determined_on=on,
        criteria=ALL_CRITERIA,
        expected_provided_by=on.replace(day=28),
    )


def authorize(
    number: str,
    on: date,
    start: date,
    end: date,
    *,
    n: int = 1,
    request: int = 1,
    overrides: tuple[Override, ...] = (),
) -> AuthorizeService:
    return AuthorizeService(
        case_id=case_id_for(number),
        authorization_id=ids(number, "authorization", n),
        request_id=ids(number, "request", request),
        authorized_on=on,
        service_type=ServiceType.TRANSPORTATION,
        category=ServiceCategory.SUPPORT,
        provider="Metro Transit",
        planned_start=start,
        planned_end=end,
        amount_cents=12_000,
        ipe_entry="Monthly transit pass",
        overrides=overrides,
    )


# A case in memory, driven through the domain alone


class _CaseUnderTest:
    """A case in memory and the events it recorded so far, with the commands both programs share."""

    policies: PolicyBook
    case: Case
    events: list[Aggregate.Event]
    counters: dict[str, int]

    @property
    def id(self) -> UUID:
        return self.case.id

    def reassign(self, on: date, to: str = "cw-2", **kw: Any) -> ReassignCase:
        kw.setdefault("reason", "caseload balancing after a caseworker left the unit")
        return ReassignCase(case_id=self.id, caseworker_id=to, reassigned_on=on, **kw)

    def do(self, command: CaseCommand, actor: Actor = CASEWORKER) -> None:
        handling.decide(self.case, command, actor, self.policies)

    def all_events(self) -> list[Aggregate.Event]:
        self.events.extend(self.case.collect_events())
        return list(self.events)

    def last_event(self) -> Aggregate.Event:
        return self.all_events()[-1]

    def next_id(self, kind: str) -> UUID:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return numbered_id(self.id, kind, self.counters[kind])

    # The money commands both programs share (VR-10, TA-10)

    def provided(self, authorization_id: UUID, on: date) -> RecordServiceProvided:
        return RecordServiceProvided(
            case_id=self.id, authorization_id=authorization_id, provided_on=on
        )

    def cancel(self, authorization_id: UUID, on: date) -> CancelAuthorization:
        return CancelAuthorization(
            case_id=self.id, authorization_id=authorization_id, cancelled_on=on, reason="declined"
        )

    def invoice(
        self, authorization_id: UUID, on: date, amount_cents: int, **kw: Any
    ) -> ReceiveInvoice:
        kw.setdefault("invoice_id", self.next_id("invoice"))
        kw.setdefault("invoice_number", f"INV-{self.counters['invoice']}")
        return ReceiveInvoice(
            case_id=self.id,
            authorization_id=authorization_id,
            received_on=on,
            amount_cents=amount_cents,
            **kw,
        )

    def pay(self, invoice_id: UUID, on: date, amount_cents: int) -> PayInvoice:
        return PayInvoice(
            case_id=self.id, invoice_id=invoice_id, paid_on=on, amount_cents=amount_cents
        )

    def unencumber(self, authorization_id: UUID, on: date) -> UnencumberBalance:
        return UnencumberBalance(
            case_id=self.id, authorization_id=authorization_id, unencumbered_on=on
        )


class CaseFile(_CaseUnderTest):
    """One case and the events it recorded so far."""

    def __init__(
        self,
        outcome: date | None = OUTCOME,
        opened_on: date | None = None,
        case_number: str = "VR-TEST-1",
        program: Program = Program.VR,
        policies: PolicyBook = POLICIES,
        client_ref: str = "CL-000001",
    ) -> None:
        self.policies = policies
        opened = opened_on or (outcome or OUTCOME) - timedelta(days=200)
        self.case = handling.open_case(
            OpenCase(
                case_number=case_number,
                program=program,
                client_ref=client_ref,
                caseworker_id=CASEWORKER.id,
                opened_on=opened,
            ),
            CASEWORKER,
        )
        self.events: list[Aggregate.Event] = []
        self.counters: dict[str, int] = {}
        if outcome is not None:
            self.do(self.record_outcome(outcome))

    # Commands with defaults

    def record_outcome(self, on: date) -> RecordOutcome:
        return RecordOutcome(
            case_id=self.id,
            outcome_date=on,
            employer="Acme Logistics",
            job_title="Warehouse associate",
            hourly_wage_cents=1850,
            weekly_hours=32.0,
        )

    def request(
        self, on: date, purpose: RequestPurpose = RequestPurpose.MAINTAIN, **kw: Any
    ) -> RequestPEServices:
        if purpose is RequestPurpose.MAINTAIN:
            kw.setdefault("maintain", MAINTAIN)
        if purpose is RequestPurpose.ADVANCE:
            kw.setdefault("advance", ADVANCE)
        kw.setdefault("request_id", self.next_id("request"))
        return RequestPEServices(case_id=self.id, requested_on=on, purpose=purpose, **kw)

    def appropriate(self, request_id: UUID, on: date, **kw: Any) -> DeterminePEAppropriate:
        kw.setdefault("criteria", ALL_CRITERIA)
        kw.setdefault("expected_provided_by", on + timedelta(days=30))
        return DeterminePEAppropriate(
            case_id=self.id, request_id=request_id, determined_on=on, **kw
        )

    def new_case(self, request_id: UUID, on: date, **kw: Any) -> DetermineNewEmploymentCase:
        kw.setdefault("new_case_number", "VR-NEW-1")
        kw.setdefault("reasons", (NewCaseReason.SIGNIFICANT_STAFF_TIME,))
        return DetermineNewEmploymentCase(
            case_id=self.id, request_id=request_id, determined_on=on, **kw
        )

    def not_appropriate(self, request_id: UUID, on: date, **kw: Any) -> DetermineNotAppropriate:
        kw.setdefault("written_explanation", "The job already provides this support.")
        kw.setdefault("review_notice_given", True)
        return DetermineNotAppropriate(
            case_id=self.id, request_id=request_id, determined_on=on, **kw
        )

    def review(self, request_id: UUID, on: date) -> RequestReview:
        return RequestReview(
            case_id=self.id, request_id=request_id, requested_on=on, grounds="I disagree"
        )

    def decide(self, request_id: UUID, on: date, decision: ReviewDecision) -> DecideReview:
        return DecideReview(
            case_id=self.id,
            request_id=request_id,
            decided_on=on,
            decision=decision,
            reason="reviewed the file",
        )

    def authorize(
        self,
        request_id: UUID,
        on: date,
        start: date | None = None,
        end: date | None = None,
        amount_cents: int = 50_000,
        service_type: ServiceType = ServiceType.TRANSPORTATION,
        overrides: tuple[Override, ...] = (),
        **kw: Any,
    ) -> AuthorizeService:
        start = start or on
        kw.setdefault("authorization_id", self.next_id("authorization"))
        kw.setdefault("category", ServiceCategory.SUPPORT)
        kw.setdefault("provider", "PRV-0042")
        kw.setdefault("ipe_entry", "Monthly bus pass for three months")
        return AuthorizeService(
            case_id=self.id,
            request_id=request_id,
            authorized_on=on,
            service_type=service_type,
            planned_start=start,
            planned_end=end or start + timedelta(days=60),
            amount_cents=amount_cents,
            overrides=overrides,
            **kw,
        )

    def back_to_monitoring(self, on: date) -> ReturnToMonitoring:
        return ReturnToMonitoring(case_id=self.id, returned_on=on)

    def remove(self, on: date) -> RemoveFromPEServices:
        return RemoveFromPEServices(case_id=self.id, removed_on=on, reason="client moved away")

    def terminate(self, on: date) -> TerminateCase:
        return TerminateCase(case_id=self.id, terminated_on=on)

    def correct_outcome(self, corrected: date, on: date, **kw: Any) -> CorrectOutcomeDate:
        kw.setdefault("reason", "the outcome was keyed from the offer letter, not the start date")
        kw.setdefault("evidence_ref", "DOC-2024-0117 payroll record")
        return CorrectOutcomeDate(
            case_id=self.id, corrected_outcome_date=corrected, corrected_on=on, **kw
        )

    def grandfather(self, on: date, **kw: Any) -> RecognizeGrandfathering:
        kw.setdefault("evidence", "QE2 service record: EW job coaching active on 2013-08-01")
        kw.setdefault("services_started_on", date(2013, 5, 6))
        kw.setdefault("planned_services", (ServiceType.SUPPORTED_EMPLOYMENT,))
        return RecognizeGrandfathering(case_id=self.id, recognized_on=on, **kw)

    # Steps of a typical history

    def open_request(self, on: date) -> UUID:
        """A maintain request, determined PE-appropriate on the same day."""
        command = self.request(on)
        self.do(command)
        self.do(self.appropriate(command.request_id, on))
        return command.request_id

    def authorized(self, request_id: UUID, on: date, **kw: Any) -> UUID:
        command = self.authorize(request_id, on, **kw)
        self.do(command)
        return command.authorization_id

    def close_service(self, authorization_id: UUID, on: date, paid_cents: int = 30_000) -> date:
        """Provided, invoiced, paid and unencumbered, from `on`; returns the last date used."""
        self.do(self.provided(authorization_id, on))
        invoice = self.invoice(authorization_id, on + timedelta(days=2), paid_cents)
        self.do(invoice, BILLING)
        self.do(self.pay(invoice.invoice_id, on + timedelta(days=20), paid_cents), BILLING)
        self.do(self.unencumber(authorization_id, on + timedelta(days=21)), BILLING)
        return on + timedelta(days=21)


def rebuilt(events: list[Aggregate.Event]) -> Case:
    """The case rebuilt from its events alone, as a repository would."""
    case: Any = None
    for domain_event in events:
        case = domain_event.mutate(case)
    rebuilt_case: Case = case
    return rebuilt_case


# The cash-assistance program (TA-01..TA-11)

TA_POLICY = POLICIES.ta[0]
# A month-end opening: month arithmetic from it clamps (TA-09).
OPENED = date(2024, 1, 31)


class AssistanceFile(_CaseUnderTest):
    """One cash-assistance case and the events it recorded so far; the plan, its goals and a
    job are added by the tests that need them."""

    def __init__(
        self,
        opened_on: date = OPENED,
        case_number: str = "TA-TEST-1",
        policies: PolicyBook = POLICIES,
        client_ref: str = "CL-000002",
    ) -> None:
        self.policies = policies
        self.case = handling.open_case(
            OpenCase(
                case_number=case_number,
                program=Program.CASH_ASSISTANCE,
                client_ref=client_ref,
                caseworker_id=CASEWORKER.id,
                opened_on=opened_on,
            ),
            CASEWORKER,
        )
        self.events: list[Aggregate.Event] = []
        self.counters: dict[str, int] = {}

    # Commands with defaults

    def establish(self, on: date, **kw: Any) -> EstablishSelfSufficiencyPlan:
        kw.setdefault("emergent_needs", ("child care for the late shift", "bus fare"))
        kw.setdefault("resources_mobilised", ("sister watches the children on Fridays",))
        kw.setdefault("next_reassessment_on", on + timedelta(days=90))
        return EstablishSelfSufficiencyPlan(case_id=self.id, established_on=on, **kw)

    def goal(self, on: date, **kw: Any) -> SetPlanGoal:
        kw.setdefault("goal_id", self.next_id("goal"))
        kw.setdefault("description", "Keep the job through the probation period")
        kw.setdefault("target_date", on + timedelta(days=90))
        kw.setdefault("responsible_party", ResponsibleParty.PARTICIPANT)
        return SetPlanGoal(case_id=self.id, set_on=on, **kw)

    def goal_status(
        self, goal_id: UUID, on: date, status: GoalStatus, note: str = ""
    ) -> ChangeGoalStatus:
        return ChangeGoalStatus(
            case_id=self.id, goal_id=goal_id, changed_on=on, status=status, note=note
        )

    def reassess(self, on: date, **kw: Any) -> ReassessPlan:
        kw.setdefault("emergent_needs", ("bus fare",))
        kw.setdefault("resources_mobilised", ("transit pass from the county",))
        kw.setdefault("summary", "Child care is settled; transport remains the risk.")
        kw.setdefault("next_reassessment_on", on + timedelta(days=90))
        return ReassessPlan(case_id=self.id, reassessed_on=on, **kw)

    def contingency(
        self,
        area: ContingencyArea,
        on: date,
        contingency: str | None = "Neighbour as back-up",
        not_needed_reason: str | None = None,
    ) -> RecordContingencyPlan:
        return RecordContingencyPlan(
            case_id=self.id,
            area=area,
            recorded_on=on,
            contingency=contingency,
            not_needed_reason=not_needed_reason,
        )

    def intervention(self, on: date, **kw: Any) -> LogIntervention:
        kw.setdefault("intervention_id", self.next_id("intervention"))
        kw.setdefault("kind", InterventionKind.PROBLEM_SOLVING)
        kw.setdefault("category", InterventionCategory.DIFFICULT_EMPLOYER)
        kw.setdefault("situation", "Supervisor changed the shift without notice")
        kw.setdefault("action_taken", "Role-played asking for the schedule a week ahead")
        return LogIntervention(case_id=self.id, logged_on=on, **kw)

    def community_referral(self, on: date, **kw: Any) -> ReferToCommunityResource:
        kw.setdefault("referral_id", self.next_id("community_referral"))
        kw.setdefault("need", "winter coats for the children")
        kw.setdefault("resource", "Eastside Family Resource Center")
        return ReferToCommunityResource(case_id=self.id, referred_on=on, **kw)

    def referral_result(
        self, referral_id: UUID, on: date, result: ReferralResult = ReferralResult.CONNECTED
    ) -> RecordReferralResult:
        return RecordReferralResult(
            case_id=self.id, referral_id=referral_id, recorded_on=on, result=result
        )

    def reachability(self, on: date, **kw: Any) -> RecordReachability:
        kw.setdefault("available_in_daytime", False)
        kw.setdefault("best_times", "weekdays after 6 pm")
        kw.setdefault("channels", (ContactChannel.MESSAGE, ContactChannel.POSTCARD))
        return RecordReachability(case_id=self.id, recorded_on=on, **kw)

    def plan_contact(self, on: date, planned_for: date, **kw: Any) -> PlanContact:
        kw.setdefault("contact_id", self.next_id("contact"))
        kw.setdefault("channel", ContactChannel.PHONE)
        kw.setdefault("purpose", "monthly check-in")
        return PlanContact(case_id=self.id, scheduled_on=on, planned_for=planned_for, **kw)

    def contact(self, contact_id: UUID, on: date, **kw: Any) -> RecordContact:
        kw.setdefault("channel", ContactChannel.PHONE)
        kw.setdefault("summary", "Talked through the new schedule")
        return RecordContact(case_id=self.id, contact_id=contact_id, made_on=on, **kw)

    def eligibility(
        self,
        program: SupportProgram,
        on: date,
        status: EligibilityStatus = EligibilityStatus.ELIGIBLE,
        renewal_on: date | None = None,
        **kw: Any,
    ) -> RecordEligibility:
        if status is EligibilityStatus.ELIGIBLE and renewal_on is None:
            renewal_on = on + timedelta(days=180)
        return RecordEligibility(
            case_id=self.id,
            program=program,
            recorded_on=on,
            status=status,
            renewal_on=renewal_on,
            **kw,
        )

    def start_job(self, on: date, **kw: Any) -> StartJob:
        kw.setdefault("job_id", self.next_id("job"))
        kw.setdefault("employer", "Riverside Grocers")
        kw.setdefault("job_title", "cashier")
        kw.setdefault("hourly_wage_cents", 1_500)
        kw.setdefault("weekly_hours", 30.0)
        return StartJob(case_id=self.id, started_on=on, **kw)

    def wage(
        self, job_id: UUID, on: date, hourly_wage_cents: int, weekly_hours: float
    ) -> ChangeWage:
        return ChangeWage(
            case_id=self.id,
            job_id=job_id,
            changed_on=on,
            hourly_wage_cents=hourly_wage_cents,
            weekly_hours=weekly_hours,
        )

    def lose_job(
        self, job_id: UUID, on: date, reason: JobLossReason = JobLossReason.LAID_OFF
    ) -> RecordJobLoss:
        return RecordJobLoss(case_id=self.id, job_id=job_id, lost_on=on, reason=reason)

    def consent(self, job_id: UUID, on: date) -> GiveSiteVisitConsent:
        return GiveSiteVisitConsent(
            case_id=self.id, job_id=job_id, given_on=on, how_given="signed release form"
        )

    def revoke(self, job_id: UUID, on: date) -> RevokeSiteVisitConsent:
        return RevokeSiteVisitConsent(case_id=self.id, job_id=job_id, revoked_on=on)

    def visit(self, job_id: UUID, on: date, **kw: Any) -> RecordJobSiteVisit:
        kw.setdefault("visit_id", self.next_id("visit"))
        kw.setdefault("purpose", "meet the supervisor about the schedule")
        return RecordJobSiteVisit(case_id=self.id, job_id=job_id, visited_on=on, **kw)

    def end_assistance(
        self, on: date, reason: str = "earnings above the limit"
    ) -> EndCashAssistance:
        return EndCashAssistance(case_id=self.id, ended_on=on, reason=reason)

    def training(self, on: date, **kw: Any) -> ReferToTraining:
        kw.setdefault("referral_id", self.next_id("training_referral"))
        kw.setdefault("resource", "Community college forklift course")
        kw.setdefault("purpose", TrainingPurpose.QUALIFY_FOR_ADVANCEMENT)
        return ReferToTraining(case_id=self.id, referred_on=on, **kw)

    def skill(self, on: date, skill: str, how: str = "re-assessment") -> IdentifySkill:
        return IdentifySkill(
            case_id=self.id,
            skill_id=self.next_id("skill"),
            identified_on=on,
            skill=skill,
            how_identified=how,
        )

    def purchase(self, goal_id: UUID, on: date, **kw: Any) -> AuthorizePurchasedService:
        kw.setdefault("authorization_id", self.next_id("authorization"))
        kw.setdefault("service_type", ServiceType.EMPLOYMENT_JOB_RETENTION)
        kw.setdefault("category", ServiceCategory.COMMUNITY)
        kw.setdefault("provider", "Workforce Partners Inc.")
        kw.setdefault("planned_start", on)
        kw.setdefault("planned_end", on + timedelta(days=60))
        kw.setdefault("amount_cents", 80_000)
        kw.setdefault("plan_entry", "Job coaching for the first two months")
        return AuthorizePurchasedService(case_id=self.id, goal_id=goal_id, authorized_on=on, **kw)

    # Steps of a typical history

    def planned(self, on: date, **kw: Any) -> None:
        """The plan, established on `on`."""
        self.do(self.establish(on, **kw))

    def goal_set(self, on: date, **kw: Any) -> UUID:
        command = self.goal(on, **kw)
        self.do(command)
        return command.goal_id

    def covered(self, on: date) -> None:
        """Every contingency area covered on `on` (child care not needed)."""
        self.do(self.contingency(ContingencyArea.CHILD_CARE, on, None, "no children at home"))
        self.do(
            self.contingency(ContingencyArea.TRANSPORTATION, on, "Cousin drives if the bus fails")
        )
        self.do(self.contingency(ContingencyArea.PREVENTABLE_CRISES, on, "Emergency fund of $200"))

    def job_started(self, on: date, **kw: Any) -> UUID:
        command = self.start_job(on, **kw)
        self.do(command)
        return command.job_id


def new_employment_case_numbers(caseload: Any, up_to: date | None = None) -> set[str]:
    """The cases a synthetic caseload's accepted new-employment-case determinations open (VR-08),
    only those determined by `up_to` if given."""
    return {
        item.command.new_case_number
        for item in caseload.commands()
        if isinstance(item.command, DetermineNewEmploymentCase)
        and item.expect_refusal_rule is None
        and (up_to is None or item.command.determined_on <= up_to)
    }


class Replay:
    """Applies a caseload to in-memory cases, as the application would, and tallies the results."""

    def __init__(self, commands: Iterable[SyntheticCommand] = ()) -> None:
        self.cases: dict[UUID, Case] = {}
        self.events: dict[UUID, list[Aggregate.Event]] = {}
        self.refused: Counter[str | None] = Counter()
        self.mismatches: list[str] = []
        for item in commands:
            self.apply(item)

    def apply(self, item: SyntheticCommand) -> None:
        actor, command, expected = item
        try:
            if isinstance(command, OpenCase):
                case = handling.open_case(command, actor)
                self.cases[case.id] = case
            else:
                assert isinstance(command, CaseCommand)
                case = self.cases[command.case_id]
                if isinstance(command, DetermineNewEmploymentCase):
                    # Decided on copies, as the application does: a refusal by the new case
                    # leaves the earlier case as it was.
                    case = copy.deepcopy(case)
                    handling.decide(case, command, actor, POLICIES)
                    named = self.cases.get(case_id_for(command.new_case_number))
                    named = link_new_employment_case(
                        case, copy.deepcopy(named), command, actor, POLICIES
                    )
                    self.cases[case.id] = case
                    self.cases[named.id] = named
                    self.events.setdefault(named.id, []).extend(named.collect_events())
                else:
                    handling.decide(case, command, actor, POLICIES)
        except DomainError as refusal:
            self.refused[refusal.rule_id] += 1
            if refusal.rule_id != expected:
                self.mismatches.append(f"{command!r} refused by {refusal}, expected {expected}")
            return
        self.events.setdefault(case.id, []).extend(case.collect_events())
        if expected is not None:
            self.mismatches.append(f"{command!r} was accepted, expected refusal by {expected}")


# Sample events, for contract tests


def sample_value(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return sample_value(next(a for a in get_args(annotation) if a is not type(None)))
    if origin in (tuple, list, frozenset, set):
        item = sample_value(next(a for a in get_args(annotation) if a is not Ellipsis))
        return origin((item,))
    simple: dict[Any, Any] = {
        str: "sample",
        int: 7,
        bool: True,
        float: 12.5,
        date: date(2024, 2, 29),
        datetime: datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        UUID: UUID("12345678-1234-5678-1234-567812345678"),
    }
    if annotation in simple:
        return simple[annotation]
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        return list(annotation)[-1]
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return sample_model(annotation, {})
    raise TypeError(f"no sample for {annotation!r}")


def sample_model(model: type[BaseModel], fixed: dict[str, Any]) -> Any:
    values = {
        name: fixed[name] if name in fixed else sample_value(info.annotation)
        for name, info in model.model_fields.items()
    }
    try:
        return model.model_validate(values)
    except ValidationError:
        # Field constraints (patterns, ranges) are the domain's business; the contract test
        # only needs every field present with a value of its declared type.
        return model.model_construct(**values)


def sample_event(event_class: type[BaseModel], version: int = 3) -> Any:
    return sample_model(
        event_class,
        {
            "originator_id": uuid4(),
            "originator_version": version,
            "timestamp": datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
            "originator_topic": f"{Case.__module__}:{Case.__qualname__}",
        },
    )
