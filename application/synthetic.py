"""A deterministic synthetic VR caseload: realistic command histories, in business-date order.

`generate_caseload(seed, cases)` yields `SyntheticCommand(actor, command, expect_refusal_rule)`
for every case, merged across cases by business date (ties: case, then the case's own order).
A command with `expect_refusal_rule` set is one the domain must refuse with that rule ID; every
other command must be accepted when applied in the order given.

The generator does not emit `TerminateCase`: the deadline process records terminations (VR-11).
`expected_terminations(seed, cases)` lists each case's VR-11 date so a driver can check it.
No command of a case is dated after its termination date, and nothing happens on that date
after the case leaves PE services, so running the deadline process at the end of each business
day never changes what the domain accepts.

Generating depends on the domain only, with no I/O; `drive` feeds it to the application. Client refs are opaque ("CL-000123"), never names.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

from domain.assistance import (
    ContactChannel,
    ContingencyArea,
    EligibilityStatus,
    GoalStatus,
    InterventionKind,
    JobLossReason,
    ReferralResult,
    ResponsibleParty,
    SupportProgram,
    TrainingPurpose,
)
from domain.base import Actor, Role, numbered_id
from domain.case import Program, case_id_for
from domain.commands import (
    AuthorizePurchasedService,
    AuthorizeService,
    CancelAuthorization,
    CaseCommand,
    ChangeGoalStatus,
    ChangeWage,
    Command,
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
from domain.dates import add_months
from domain.errors import DomainError
from domain.policy import PolicyBook, TAPolicy, VRPolicy
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

if TYPE_CHECKING:
    from application.cases import CaseManagement

DEFAULT_START = date(2024, 1, 1)

CASEWORKERS = tuple(Actor(id=f"cw-{n:03d}", role=Role.CASEWORKER) for n in range(1, 41))
SUPERVISORS = tuple(Actor(id=f"sup-{n:02d}", role=Role.SUPERVISOR) for n in range(1, 6))
BILLING_CLERKS = tuple(Actor(id=f"billing-{n:02d}", role=Role.BILLING) for n in range(1, 4))

EMPLOYERS = (
    "Riverside Grocers",
    "Northgate Logistics",
    "County Health System",
    "Pinecrest Hotel",
    "Metro Transit",
    "Summit Manufacturing",
    "Lakeside School District",
    "Harbor Call Center",
)
JOBS = (
    "stock associate",
    "warehouse associate",
    "patient transporter",
    "housekeeper",
    "bus cleaner",
    "assembler",
    "cafeteria aide",
    "customer service representative",
)
PE_SERVICES: tuple[tuple[ServiceType, ServiceCategory, str], ...] = (
    (ServiceType.TRANSPORTATION, ServiceCategory.SUPPORT, "Monthly transit pass"),
    (ServiceType.EMPLOYMENT_JOB_RETENTION, ServiceCategory.COMMUNITY, "Job retention coaching"),
    (ServiceType.TOOLS_AND_EQUIPMENT, ServiceCategory.SUPPORT, "Work boots and tools"),
    (ServiceType.WORK_CLOTHING, ServiceCategory.SUPPORT, "Uniforms for the new shift"),
    (ServiceType.ASSISTIVE_TECHNOLOGY, ServiceCategory.COMMUNITY, "Screen magnifier"),
    (ServiceType.COUNSELING_AND_GUIDANCE, ServiceCategory.TEAM, "Counseling on workplace issues"),
    (ServiceType.INTERPRETER_SERVICES, ServiceCategory.COMMUNITY, "Interpreter for training"),
    (ServiceType.OCCUPATIONAL_LICENSE, ServiceCategory.SUPPORT, "Forklift certificate fee"),
)
EXCLUDED = (
    ServiceType.EMPLOYMENT_JOB_PLACEMENT,
    ServiceType.POST_SECONDARY_TRAINING,
    ServiceType.SUPPORTED_EMPLOYMENT,
    ServiceType.SMALL_BUSINESS_EXPANSION,
)
ALL_CRITERIA = ScopeCriteria(
    readily_available=True, easy_to_arrange=True, routine=True, providable_within_scope_days=True
)
SCENARIOS: tuple[tuple[str, float], ...] = (
    ("monitoring_only", 0.33),
    ("served", 0.30),
    ("served_with_refusal", 0.08),
    ("new_employment_case", 0.06),
    ("not_appropriate", 0.05),
    ("long_service_override", 0.05),
    ("in_services_at_anniversary", 0.06),
    ("cancelled_and_removed", 0.04),
    ("grandfathered", 0.02),
    ("outcome_refusal", 0.01),
)
REFUSALS = ("VR-02", "VR-04", "VR-05", "VR-06", "VR-07", "VR-09", "VR-10", "VR-11")


class SyntheticCommand(NamedTuple):
    """A command, who issues it, and the rule that must refuse it (None: it must be accepted)."""

    actor: Actor
    command: Command
    expect_refusal_rule: str | None = None


class _History:
    """A case's commands as they are being written, with the ids they chose."""

    rng: random.Random
    case_id: UUID
    steps: list[tuple[date, int, SyntheticCommand]]
    counters: dict[str, int]

    def add(self, actor: Actor, command: Command, refusal: str | None = None) -> None:
        self.steps.append(
            (command.effective_on, len(self.steps), SyntheticCommand(actor, command, refusal))
        )

    def next_id(self, kind: str) -> UUID:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return numbered_id(self.case_id, kind, self.counters[kind])

    def days_after(self, day: date, low: int, high: int) -> date:
        return day + timedelta(days=self.rng.randint(low, high))


@dataclass
class _CasePlan(_History):
    """One VR case's history as it is being written, with the facts VR-11 needs."""

    index: int
    rng: random.Random
    policy: VRPolicy
    case_number: str
    case_id: UUID
    caseworker: Actor
    outcome_date: date
    steps: list[tuple[date, int, SyntheticCommand]] = field(default_factory=list)
    left_pe_services_on: date | None = None
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def anniversary(self) -> date:
        return self.policy.initiation_window_closes(self.outcome_date)

    def termination_date(self) -> date:
        return self.policy.termination_on(self.outcome_date, self.left_pe_services_on)


class SyntheticCaseload:
    """`cases` synthetic VR cases from `seed`, the first opened on or after `start`."""

    def __init__(
        self,
        seed: int,
        cases: int,
        start: date = DEFAULT_START,
        policies: PolicyBook | None = None,
    ) -> None:
        self.seed = seed
        self.cases = cases
        self.start = start
        self.policies = policies or PolicyBook.default()
        self._plans: list[_CasePlan | _AssistancePlan] | None = None

    def commands(self) -> Iterator[SyntheticCommand]:
        """Every case's commands, in business-date order across cases."""
        merged = [
            (on, plan.index, order, item) for plan in self.plans() for on, order, item in plan.steps
        ]
        merged.sort(key=lambda entry: entry[:3])
        for *_, item in merged:
            yield item

    def expected_terminations(self) -> dict[UUID, date]:
        """Each VR case's VR-11 termination date once all its commands are applied
        (cash-assistance cases never terminate)."""
        return {
            plan.case_id: plan.termination_date()
            for plan in self.plans()
            if isinstance(plan, _CasePlan)
        }

    def last_day(self) -> date:
        """The last business date of its history, VR-11 terminations included: a clock at this
        day or later lets all of it be recorded, none of it ahead of the clock."""
        commands = (on for plan in self.plans() for on, _, _ in plan.steps)
        return max(*commands, *self.expected_terminations().values())

    def cash_assistance_case_ids(self) -> set[UUID]:
        return {plan.case_id for plan in self.plans() if isinstance(plan, _AssistancePlan)}

    def termination_commands(self) -> list[tuple[date, TerminateCase]]:
        """The `TerminateCase` commands the deadline process is expected to issue, by date."""
        return sorted(
            (
                (due, TerminateCase(case_id=case_id, terminated_on=due))
                for case_id, due in self.expected_terminations().items()
            ),
            key=lambda entry: entry[0],
        )

    def plans(self) -> list[_CasePlan | _AssistancePlan]:
        if self._plans is None:
            self._plans = [self._plan(index) for index in range(1, self.cases + 1)]
        return self._plans

    def _plan(self, index: int) -> _CasePlan | _AssistancePlan:
        # A stream of its own decides the program, so a VR case's history does not depend on
        # how many cash-assistance cases there are.
        if random.Random(f"pes-synthetic-program:{self.seed}:{index}").random() < TA_SHARE:
            return self._assistance_plan(index)
        rng = random.Random(f"pes-synthetic:{self.seed}:{index}")
        scenario = _choose(rng)
        if scenario == "grandfathered":
            grandfathering_date = self.policies.vr[0].grandfathering_date
            opened_on = grandfathering_date - timedelta(days=rng.randint(200, 420))
            outcome_on = grandfathering_date - timedelta(days=rng.randint(10, 150))
        else:
            opened_on = self.start + timedelta(days=rng.randint(0, 364))
            outcome_on = opened_on + timedelta(days=rng.randint(60, 400))
        case_number = f"VR-{self.seed}-{index:06d}"
        plan = _CasePlan(
            index=index,
            rng=rng,
            policy=self.policies.vr_in_force_on(outcome_on),
            case_number=case_number,
            case_id=case_id_for(case_number),
            caseworker=rng.choice(CASEWORKERS),
            outcome_date=outcome_on,
        )
        _open_with_outcome(plan, opened_on)
        _SCENARIO_WRITERS[scenario](plan)
        return plan

    def _assistance_plan(self, index: int) -> _AssistancePlan:
        rng = random.Random(f"pes-synthetic-ta:{self.seed}:{index}")
        opened_on = self.start + timedelta(days=rng.randint(0, 364))
        case_number = f"TA-{self.seed}-{index:06d}"
        plan = _AssistancePlan(
            index=index,
            rng=rng,
            policy=self.policies.ta_in_force_on(opened_on),
            case_number=case_number,
            case_id=case_id_for(case_number),
            caseworker=rng.choice(CASEWORKERS),
            opened_on=opened_on,
        )
        _assisted(plan)
        return plan


def generate_caseload(
    seed: int, cases: int, start: date = DEFAULT_START
) -> Iterator[SyntheticCommand]:
    """The commands of a synthetic caseload, in business-date order across cases."""
    return SyntheticCaseload(seed, cases, start).commands()


def expected_terminations(seed: int, cases: int, start: date = DEFAULT_START) -> dict[UUID, date]:
    """Each synthetic case's VR-11 termination date (by case id)."""
    return SyntheticCaseload(seed, cases, start).expected_terminations()


def _choose(rng: random.Random) -> str:
    roll = rng.random()
    for name, weight in SCENARIOS:
        roll -= weight
        if roll < 0:
            return name
    return SCENARIOS[0][0]


def _open_with_outcome(plan: _CasePlan, opened_on: date) -> None:
    rng = plan.rng
    plan.add(
        plan.caseworker,
        OpenCase(
            case_number=plan.case_number,
            program=Program.VR,
            client_ref=f"CL-{plan.index:06d}",
            caseworker_id=plan.caseworker.id,
            opened_on=opened_on,
        ),
    )
    plan.add(
        plan.caseworker,
        RecordOutcome(
            case_id=plan.case_id,
            outcome_date=plan.outcome_date,
            employer=rng.choice(EMPLOYERS),
            job_title=rng.choice(JOBS),
            hourly_wage_cents=rng.randint(1_450, 3_200),
            weekly_hours=float(rng.choice((20, 24, 30, 32, 35, 40))),
        ),
    )


# Building blocks: each returns the date it ended on.


def _request(
    plan: _CasePlan, on: date, purpose: RequestPurpose | None = None
) -> tuple[UUID, RequestPurpose]:
    rng = plan.rng
    purpose = purpose or (
        RequestPurpose.MAINTAIN if rng.random() < 0.75 else RequestPurpose.ADVANCE
    )
    maintain = advance = None
    if purpose is RequestPurpose.MAINTAIN:
        maintain = MaintainAssessment(
            concern=rng.choice(
                (
                    "new shift starts before the first bus",
                    "supervisor asks for tools the client does not have",
                    "difficulty reading small print on new scanners",
                    "uniform required from next month",
                )
            ),
            raised_with_employer=rng.random() < 0.7,
            what_client_thinks_will_help="help with the immediate cost",
            services_needed="short support service",
            others_fulfilled_responsibilities=rng.choice((True, False, None)),
        )
    elif purpose is RequestPurpose.ADVANCE:
        advance = AdvanceAssessment(
            same_employer=True,
            client_needs="a certificate required for the promotion",
            employer_assistance="paid time for the course",
            barriers_to_arranging_alone="cannot pay the fee up front",
            expected_results=(AdvancementResult.GREATER_PAY, AdvancementResult.PROMOTION),
        )
    request_id = plan.next_id("request")
    plan.add(
        plan.caseworker,
        RequestPEServices(
            case_id=plan.case_id,
            request_id=request_id,
            requested_on=on,
            purpose=purpose,
            maintain=maintain,
            advance=advance,
        ),
    )
    return request_id, purpose


def _appropriate(plan: _CasePlan, request_id: UUID, on: date) -> date:
    plan.add(
        plan.caseworker,
        DeterminePEAppropriate(
            case_id=plan.case_id,
            request_id=request_id,
            determined_on=on,
            criteria=ALL_CRITERIA,
            expected_provided_by=on + timedelta(days=plan.rng.randint(14, plan.policy.scope_days)),
        ),
    )
    return on


def _authorize(
    plan: _CasePlan,
    request_id: UUID,
    on: date,
    start: date,
    end: date,
    *,
    overrides: tuple[Override, ...] = (),
    service: tuple[ServiceType, ServiceCategory, str] | None = None,
    amount_cents: int | None = None,
    refusal: str | None = None,
) -> tuple[UUID, int]:
    rng = plan.rng
    service_type, category, ipe_entry = service or rng.choice(PE_SERVICES)
    amount = amount_cents if amount_cents is not None else rng.randint(40, 1_500) * 100
    authorization_id = plan.next_id("authorization")
    plan.add(
        rng.choice(SUPERVISORS) if overrides else plan.caseworker,
        AuthorizeService(
            case_id=plan.case_id,
            authorization_id=authorization_id,
            request_id=request_id,
            authorized_on=on,
            service_type=service_type,
            category=category,
            provider=f"PRV-{rng.randint(1, 400):04d}",
            planned_start=start,
            planned_end=end,
            amount_cents=amount,
            ipe_entry=ipe_entry,
            overrides=overrides,
        ),
        refusal,
    )
    return authorization_id, amount


def _close(
    plan: _CasePlan,
    authorization_id: UUID,
    amount: int,
    provided_on: date,
    *,
    late_invoice: bool = False,
    over_invoice: bool = False,
) -> date:
    """Provided, invoiced (maybe twice), paid and unencumbered; returns the last date."""
    rng = plan.rng
    billing = rng.choice(BILLING_CLERKS)
    plan.add(
        plan.caseworker,
        RecordServiceProvided(
            case_id=plan.case_id, authorization_id=authorization_id, provided_on=provided_on
        ),
    )
    last = provided_on
    if rng.random() < 0.25 and amount >= 200:
        first = amount // 2
        invoices = [first, rng.randint(1, amount - first)]
    else:
        invoices = [max(1, amount * rng.randint(60, 100) // 100)]
    received_on = provided_on
    for invoice_amount in invoices:
        received_on = received_on + timedelta(days=rng.randint(1, 15))
        invoice_id = plan.next_id("invoice")
        if over_invoice:
            plan.add(
                billing,
                ReceiveInvoice(
                    case_id=plan.case_id,
                    invoice_id=plan.next_id("invoice"),
                    authorization_id=authorization_id,
                    received_on=received_on,
                    invoice_number=f"INV-{rng.randint(10_000, 99_999)}",
                    amount_cents=amount + rng.randint(1, 5_000),
                ),
                "VR-10",
            )
            over_invoice = False
        plan.add(
            billing,
            ReceiveInvoice(
                case_id=plan.case_id,
                invoice_id=invoice_id,
                authorization_id=authorization_id,
                received_on=received_on,
                invoice_number=f"INV-{rng.randint(10_000, 99_999)}",
                amount_cents=invoice_amount,
            ),
        )
        payment_days = (
            rng.randint(plan.policy.invoice_payment_days + 1, 75)
            if late_invoice
            else rng.randint(3, plan.policy.invoice_payment_days)
        )
        paid_on = received_on + timedelta(days=payment_days)
        plan.add(
            billing,
            PayInvoice(
                case_id=plan.case_id,
                invoice_id=invoice_id,
                paid_on=paid_on,
                amount_cents=invoice_amount,
            ),
        )
        last = max(last, paid_on)
    unencumbered_on = last + timedelta(days=rng.randint(0, 5))
    plan.add(
        billing,
        UnencumberBalance(
            case_id=plan.case_id, authorization_id=authorization_id, unencumbered_on=unencumbered_on
        ),
    )
    return unencumbered_on


def _return(plan: _CasePlan, after: date) -> None:
    # Mostly within the agency's 14 days; sometimes overdue, as in real caseloads.
    limit = plan.policy.return_to_monitoring_days
    days = (
        plan.rng.randint(0, limit) if plan.rng.random() < 0.85 else plan.rng.randint(limit + 1, 40)
    )
    returned_on = after + timedelta(days=days)
    plan.add(plan.caseworker, ReturnToMonitoring(case_id=plan.case_id, returned_on=returned_on))
    plan.left_pe_services_on = returned_on


def _plain_window(plan: _CasePlan, start: date) -> date:
    """A planned end within VR-03 and VR-04 for a service starting on `start`."""
    longest = min(plan.policy.longest_planned_end(start), plan.anniversary)
    days = max(0, (longest - start).days)
    return start + timedelta(days=plan.rng.randint(min(days, 14), days))


# Scenarios


def _monitoring_only(plan: _CasePlan) -> None:
    return


def _served(plan: _CasePlan, refusal: str | None = None) -> None:
    rng = plan.rng
    latest_request = plan.anniversary - timedelta(days=150)
    requested_on = plan.outcome_date + timedelta(
        days=rng.randint(10, max(10, (latest_request - plan.outcome_date).days))
    )
    if refusal == "VR-07":
        request_id, _ = _request(plan, requested_on, RequestPurpose.REGAIN)
        _refused_appropriate(plan, request_id, requested_on, "VR-07")
        _new_case(plan, request_id, requested_on + timedelta(days=rng.randint(1, 10)))
        _return(plan, requested_on + timedelta(days=12))
        return
    request_id, _ = _request(plan, requested_on)
    if refusal == "VR-09":
        start = requested_on + timedelta(days=2)
        _authorize(
            plan, request_id, requested_on, start, start + timedelta(days=30), refusal="VR-09"
        )
    if refusal == "VR-05":
        _refused_appropriate(plan, request_id, requested_on, "VR-05")
    determined_on = _appropriate(
        plan, request_id, requested_on + timedelta(days=rng.randint(0, 14))
    )
    authorized_on = determined_on + timedelta(days=rng.randint(0, 7))
    if refusal == "VR-02":
        late = plan.anniversary + timedelta(days=rng.randint(1, 20))
        _authorize(
            plan, request_id, authorized_on, late, late + timedelta(days=20), refusal="VR-02"
        )
    if refusal == "VR-06":
        excluded = rng.choice(EXCLUDED)
        start = authorized_on + timedelta(days=3)
        _authorize(
            plan,
            request_id,
            authorized_on,
            start,
            start + timedelta(days=30),
            service=(excluded, ServiceCategory.COMMUNITY, "Job placement services"),
            refusal="VR-06",
        )
    if refusal == "VR-04":
        start = authorized_on + timedelta(days=3)
        end = plan.policy.longest_planned_end(start) + timedelta(days=rng.randint(1, 20))
        _authorize(plan, request_id, authorized_on, start, end, refusal="VR-04")
    if refusal == "VR-11":
        plan.add(
            plan.caseworker,
            TerminateCase(case_id=plan.case_id, terminated_on=authorized_on),
            "VR-11",
        )
    last = authorized_on
    for _ in range(2 if rng.random() < 0.3 else 1):
        start = authorized_on + timedelta(days=rng.randint(0, 14))
        end = _plain_window(plan, start)
        authorization_id, amount = _authorize(plan, request_id, authorized_on, start, end)
        provided_on = start + timedelta(days=rng.randint(0, (end - start).days))
        last = max(
            last,
            _close(
                plan,
                authorization_id,
                amount,
                provided_on,
                late_invoice=rng.random() < 0.12,
                over_invoice=refusal == "VR-10",
            ),
        )
        refusal = None if refusal == "VR-10" else refusal
    _return(plan, last)


def _served_with_refusal(plan: _CasePlan) -> None:
    _served(plan, plan.rng.choice(REFUSALS))


def _refused_appropriate(plan: _CasePlan, request_id: UUID, on: date, rule: str) -> None:
    criteria = ALL_CRITERIA
    if rule == "VR-05":
        criteria = ALL_CRITERIA.model_copy(
            update={plan.rng.choice(list(ScopeCriteria.model_fields)): False}
        )
    plan.add(
        plan.caseworker,
        DeterminePEAppropriate(
            case_id=plan.case_id,
            request_id=request_id,
            determined_on=on,
            criteria=criteria,
            expected_provided_by=on + timedelta(days=30),
        ),
        rule,
    )


def _new_case(plan: _CasePlan, request_id: UUID, on: date) -> None:
    plan.counters["new_case"] = plan.counters.get("new_case", 0) + 1
    plan.add(
        plan.caseworker,
        DetermineNewEmploymentCase(
            case_id=plan.case_id,
            request_id=request_id,
            determined_on=on,
            new_case_number=f"{plan.case_number}-N{plan.counters['new_case']}",
            reasons=(
                (NewCaseReason.JOB_SEARCH,)
                if plan.rng.random() < 0.5
                else (NewCaseReason.SIGNIFICANT_STAFF_TIME, NewCaseReason.EXCLUDED_SERVICE_NEEDED)
            ),
        ),
    )


def _new_employment_case(plan: _CasePlan) -> None:
    requested_on = plan.outcome_date + timedelta(days=plan.rng.randint(20, 300))
    purpose = RequestPurpose.REGAIN if plan.rng.random() < 0.6 else None
    request_id, _ = _request(plan, requested_on, purpose)
    determined_on = requested_on + timedelta(days=plan.rng.randint(1, 20))
    _new_case(plan, request_id, determined_on)
    _return(plan, determined_on)


def _not_appropriate(plan: _CasePlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(20, 200))
    request_id, _ = _request(plan, requested_on)
    determined_on = requested_on + timedelta(days=rng.randint(1, 20))
    plan.add(
        plan.caseworker,
        DetermineNotAppropriate(
            case_id=plan.case_id,
            request_id=request_id,
            determined_on=determined_on,
            written_explanation="The employer already provides this accommodation.",
            review_notice_given=True,
        ),
    )
    if rng.random() >= 0.4:
        _return(plan, determined_on)
        return
    review_on = determined_on + timedelta(days=rng.randint(3, 20))
    plan.add(
        plan.caseworker,
        RequestReview(
            case_id=plan.case_id,
            request_id=request_id,
            requested_on=review_on,
            grounds="The client says the accommodation was withdrawn.",
        ),
    )
    decided_on = review_on + timedelta(days=rng.randint(7, 30))
    decision = ReviewDecision.UPHELD if rng.random() < 0.6 else ReviewDecision.REVERSED
    plan.add(
        rng.choice(SUPERVISORS),
        DecideReview(
            case_id=plan.case_id,
            request_id=request_id,
            decided_on=decided_on,
            decision=decision,
            reason="Reviewed the employer's statement.",
        ),
    )
    if decision is ReviewDecision.UPHELD:
        _return(plan, decided_on)
        return
    determined_again = _appropriate(
        plan, request_id, decided_on + timedelta(days=rng.randint(0, 5))
    )
    start = determined_again + timedelta(days=rng.randint(0, 10))
    authorization_id, amount = _authorize(
        plan, request_id, determined_again, start, _plain_window(plan, start)
    )
    _return(
        plan, _close(plan, authorization_id, amount, start + timedelta(days=rng.randint(0, 20)))
    )


def _long_service_override(plan: _CasePlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(15, 150))
    request_id, _ = _request(plan, requested_on, RequestPurpose.ADVANCE)
    determined_on = _appropriate(
        plan, request_id, requested_on + timedelta(days=rng.randint(0, 10))
    )
    start = determined_on + timedelta(days=rng.randint(0, 10))
    end = min(
        plan.policy.longest_planned_end(start) + timedelta(days=rng.randint(10, 60)),
        plan.anniversary,
    )
    override = Override(rule_id="VR-04", reason="The certificate course runs four months.")
    authorization_id, amount = _authorize(
        plan,
        request_id,
        determined_on,
        start,
        end,
        overrides=(override,),
        service=(ServiceType.OCCUPATIONAL_LICENSE, ServiceCategory.SUPPORT, "Certificate course"),
    )
    _return(plan, _close(plan, authorization_id, amount, end))


def _in_services_at_anniversary(plan: _CasePlan) -> None:
    rng = plan.rng
    requested_on = plan.anniversary - timedelta(days=rng.randint(20, 60))
    request_id, _ = _request(plan, requested_on)
    determined_on = _appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 7)))
    start = min(determined_on + timedelta(days=rng.randint(0, 7)), plan.anniversary)
    overrides: tuple[Override, ...] = ()
    if rng.random() < 0.6:
        end = min(
            plan.anniversary + timedelta(days=rng.randint(5, 45)),
            plan.policy.longest_planned_end(start),
        )
        overrides = (Override(rule_id="VR-03", reason="The provider's next opening is late."),)
    else:
        end = _plain_window(plan, start)
    authorization_id, amount = _authorize(
        plan, request_id, determined_on, start, end, overrides=overrides
    )
    closed_on = _close(plan, authorization_id, amount, end, late_invoice=rng.random() < 0.3)
    _return(plan, closed_on)


def _cancelled_and_removed(plan: _CasePlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(10, 200))
    request_id, _ = _request(plan, requested_on)
    determined_on = _appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 7)))
    start = determined_on + timedelta(days=rng.randint(3, 10))
    authorization_id, _ = _authorize(
        plan, request_id, determined_on, start, _plain_window(plan, start)
    )
    cancelled_on = determined_on + timedelta(days=rng.randint(1, 3))
    plan.add(
        plan.caseworker,
        CancelAuthorization(
            case_id=plan.case_id,
            authorization_id=authorization_id,
            cancelled_on=cancelled_on,
            reason="The client found the help elsewhere.",
        ),
    )
    unencumbered_on = cancelled_on + timedelta(days=rng.randint(0, 5))
    plan.add(
        rng.choice(BILLING_CLERKS),
        UnencumberBalance(
            case_id=plan.case_id, authorization_id=authorization_id, unencumbered_on=unencumbered_on
        ),
    )
    if rng.random() < 0.5:
        removed_on = unencumbered_on + timedelta(days=rng.randint(0, 10))
        plan.add(
            plan.caseworker,
            RemoveFromPEServices(
                case_id=plan.case_id, removed_on=removed_on, reason="The client declined services."
            ),
        )
        plan.left_pe_services_on = removed_on
    else:
        _return(plan, unencumbered_on)


def _grandfathered(plan: _CasePlan) -> None:
    """A 2013 case receiving EW services on 2013-08-01, finishing them past the window (VR-12)."""
    rng = plan.rng
    grandfathering_date = plan.policy.grandfathering_date
    planned = rng.choice((ServiceType.SUPPORTED_EMPLOYMENT, ServiceType.POST_SECONDARY_TRAINING))
    plan.add(
        plan.caseworker,
        RecognizeGrandfathering(
            case_id=plan.case_id,
            recognized_on=grandfathering_date,
            evidence="QE2 service record shows EW services active on 2013-08-01.",
            services_started_on=grandfathering_date - timedelta(days=rng.randint(1, 150)),
            planned_services=(planned,),
        ),
    )
    requested_on = grandfathering_date + timedelta(days=rng.randint(1, 30))
    request_id, _ = _request(plan, requested_on)
    determined_on = _appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 5)))
    start = determined_on + timedelta(days=rng.randint(0, 10))
    end = max(plan.anniversary + timedelta(days=rng.randint(30, 200)), start + timedelta(days=200))
    authorization_id, amount = _authorize(
        plan,
        request_id,
        determined_on,
        start,
        end,
        service=(planned, ServiceCategory.COMMUNITY, "Finish the planned EW services"),
    )
    _return(plan, _close(plan, authorization_id, amount, end))


def _outcome_refusal(plan: _CasePlan) -> None:
    """A request entered before the outcome it depends on (VR-01), then ordinary services."""
    early = plan.outcome_date - timedelta(days=plan.rng.randint(1, 20))
    request_id = plan.next_id("request")
    plan.add(
        plan.caseworker,
        RequestPEServices(
            case_id=plan.case_id,
            request_id=request_id,
            requested_on=early,
            purpose=RequestPurpose.REGAIN,
        ),
        "VR-01",
    )
    _served(plan)


_SCENARIO_WRITERS = {
    "monitoring_only": _monitoring_only,
    "served": _served,
    "served_with_refusal": _served_with_refusal,
    "new_employment_case": _new_employment_case,
    "not_appropriate": _not_appropriate,
    "long_service_override": _long_service_override,
    "in_services_at_anniversary": _in_services_at_anniversary,
    "cancelled_and_removed": _cancelled_and_removed,
    "grandfathered": _grandfathered,
    "outcome_refusal": _outcome_refusal,
}


# The cash-assistance program (TA-01..TA-11)

TA_SHARE = 0.2
"""The share of synthetic cases in the cash-assistance program."""
TA_REFUSALS = ("TA-02", "TA-08", "TA-09", "TA-10")
"""The rules some cash-assistance commands of the caseload are there to be refused by."""

NEEDS = (
    "child care for the evening shift",
    "bus fare until the first paycheck",
    "work shoes",
    "rent arrears",
    "a phone that holds a charge",
)
RESOURCES = (
    "grandmother watches the children on weekends",
    "church food pantry",
    "county transit pass program",
    "employer's employee assistance line",
)
GOALS: tuple[tuple[str, ResponsibleParty], ...] = (
    ("Complete the 90-day probation period", ResponsibleParty.PARTICIPANT),
    ("Arrange back-up child care", ResponsibleParty.CAREER_NAVIGATOR),
    ("Open a savings account with $300 for emergencies", ResponsibleParty.PARTICIPANT),
    ("Finish job coaching on customer de-escalation", ResponsibleParty.CONTRACTED_PROVIDER),
    ("Ask the supervisor about full-time hours", ResponsibleParty.PARTICIPANT),
    ("Enroll the children in the after-school program", ResponsibleParty.COMMUNITY_PARTNER),
)
PURCHASED_SERVICES: tuple[tuple[ServiceType, ServiceCategory, str], ...] = (
    (ServiceType.EMPLOYMENT_JOB_RETENTION, ServiceCategory.COMMUNITY, "Job retention coaching"),
    (ServiceType.EMPLOYMENT_JOB_SEEKING_SKILLS, ServiceCategory.COMMUNITY, "Job search workshop"),
    (ServiceType.WORK_CLOTHING, ServiceCategory.SUPPORT, "Uniform and safety shoes"),
    (ServiceType.TRANSPORTATION, ServiceCategory.SUPPORT, "Gas card for the first month"),
)
TRAINING = (
    "Community college forklift certificate",
    "Certified nursing assistant course",
    "GED preparation evenings",
    "Bookkeeping basics at the adult school",
)
SKILLS = (
    "forklift operation",
    "budgeting",
    "customer de-escalation",
    "scheduling around school hours",
    "spreadsheet basics",
)


@dataclass
class _AssistancePlan(_History):
    """One cash-assistance case's history as it is being written."""

    index: int
    rng: random.Random
    policy: TAPolicy
    case_number: str
    case_id: UUID
    caseworker: Actor
    opened_on: date
    steps: list[tuple[date, int, SyntheticCommand]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


def _assisted(plan: _AssistancePlan) -> None:
    """A participant employed soon after the case opens, followed through the TA services.

    Every case has a plan, goals, contingencies, contacts, eligibility and a job; many have a
    raise, a job loss and re-employment, job-site visits with permission given and revoked, the
    end of cash assistance with training referrals near the TA-09 boundary, and purchased
    services. Some commands are there to be refused (`TA_REFUSALS`).
    """
    rng, worker = plan.rng, plan.caseworker
    plan.add(
        worker,
        OpenCase(
            case_number=plan.case_number,
            program=Program.CASH_ASSISTANCE,
            client_ref=f"CL-{plan.index:06d}",
            caseworker_id=worker.id,
            opened_on=plan.opened_on,
        ),
    )
    job_id, started_on = _job(plan, plan.days_after(plan.opened_on, 0, 10))
    planned_on = plan.days_after(started_on, 1, 14)
    _reachability(plan, plan.days_after(plan.opened_on, 0, 5))
    next_reassessment = _establish(plan, planned_on)
    goal_ids = [_goal(plan, planned_on) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.4:
        _purchase(plan, goal_ids[0], plan.days_after(planned_on, 0, 5))
    covered_on = _contingencies(plan, planned_on)
    _progress(plan, goal_ids, planned_on)
    _reassess(plan, next_reassessment, covered_on)
    _contacts(plan, planned_on)
    _eligibility(plan, plan.days_after(planned_on, 0, 30))
    for _ in range(rng.randint(0, 2)):
        _intervention(plan, plan.days_after(planned_on, 0, 200))
    if rng.random() < 0.6:
        _community_referral(plan, plan.days_after(planned_on, 0, 60))
    last_job_fact = started_on
    if rng.random() < 0.4:
        last_job_fact = _raise(plan, job_id, started_on)
    if rng.random() < 0.5:
        last_job_fact = max(last_job_fact, _site_visits(plan, job_id, started_on))
    if rng.random() < 0.35:
        lost_on = plan.days_after(last_job_fact, 10, 120)
        plan.add(
            worker,
            RecordJobLoss(
                case_id=plan.case_id,
                job_id=job_id,
                lost_on=lost_on,
                reason=rng.choice(list(JobLossReason)),
                note="Hours were cut after the holiday season.",
            ),
        )
        if rng.random() < 0.85:
            _job(plan, plan.days_after(lost_on, 0, 60))
    _cash_assistance(plan, started_on, planned_on)
    for _ in range(rng.randint(1, 3)):
        plan.add(
            worker,
            IdentifySkill(
                case_id=plan.case_id,
                skill_id=plan.next_id("skill"),
                identified_on=plan.days_after(planned_on, 0, 300),
                skill=rng.choice(SKILLS),
                how_identified=rng.choice(("re-assessment", "employer feedback", "training")),
            ),
        )


def _job(plan: _AssistancePlan, started_on: date) -> tuple[UUID, date]:
    job_id = plan.next_id("job")
    plan.add(
        plan.caseworker,
        StartJob(
            case_id=plan.case_id,
            job_id=job_id,
            started_on=started_on,
            employer=plan.rng.choice(EMPLOYERS),
            job_title=plan.rng.choice(JOBS),
            hourly_wage_cents=plan.rng.randint(1_250, 2_400),
            weekly_hours=float(plan.rng.choice((16, 20, 24, 30, 32, 35, 40))),
        ),
    )
    return job_id, started_on


def _reachability(plan: _AssistancePlan, on: date) -> None:
    daytime = plan.rng.random() < 0.4
    plan.add(
        plan.caseworker,
        RecordReachability(
            case_id=plan.case_id,
            recorded_on=on,
            available_in_daytime=daytime,
            best_times="" if daytime else plan.rng.choice(("after 6 pm", "weekends", "lunch")),
            channels=tuple(plan.rng.sample(sorted(plan.policy.contact_channels), 2)),
        ),
    )


def _establish(plan: _AssistancePlan, on: date) -> date:
    next_reassessment = plan.days_after(on, 60, 120)
    plan.add(
        plan.caseworker,
        EstablishSelfSufficiencyPlan(
            case_id=plan.case_id,
            established_on=on,
            emergent_needs=tuple(plan.rng.sample(NEEDS, plan.rng.randint(1, 3))),
            resources_mobilised=tuple(plan.rng.sample(RESOURCES, plan.rng.randint(1, 2))),
            next_reassessment_on=next_reassessment,
        ),
    )
    return next_reassessment


def _goal(plan: _AssistancePlan, on: date) -> UUID:
    description, party = plan.rng.choice(GOALS)
    goal_id = plan.next_id("goal")
    plan.add(
        plan.caseworker,
        SetPlanGoal(
            case_id=plan.case_id,
            goal_id=goal_id,
            set_on=on,
            description=description,
            target_date=plan.days_after(on, 45, 240),
            responsible_party=party,
        ),
    )
    return goal_id


def _contingencies(plan: _AssistancePlan, planned_on: date) -> date:
    """Each area covered; sometimes a re-assessment is tried first and refused (TA-02)."""
    rng = plan.rng
    areas = list(ContingencyArea)
    rng.shuffle(areas)
    premature = rng.random() < 0.15
    covered_on = plan.days_after(planned_on, 2 if premature else 0, 20)
    for number, area in enumerate(areas, start=1):
        on = covered_on if number == len(areas) else plan.days_after(planned_on, 0, 0)
        needed = area is not ContingencyArea.CHILD_CARE or rng.random() < 0.65
        plan.add(
            plan.caseworker,
            RecordContingencyPlan(
                case_id=plan.case_id,
                area=area,
                recorded_on=on,
                contingency=f"Back-up for {area.value.replace('_', ' ')}" if needed else None,
                not_needed_reason=None if needed else "No children under 13 at home.",
            ),
        )
    if premature:
        _reassess_command(plan, planned_on + timedelta(days=1), "TA-02")
    return covered_on


def _reassess(plan: _AssistancePlan, due: date, covered_on: date) -> None:
    # Mostly around the due date; sometimes late, as a missed re-assessment (TA-01).
    on = due + timedelta(days=plan.rng.randint(-10, 5) if plan.rng.random() < 0.85 else 25)
    _reassess_command(plan, max(on, covered_on + timedelta(days=1)))


def _reassess_command(plan: _AssistancePlan, on: date, refusal: str | None = None) -> None:
    plan.add(
        plan.caseworker,
        ReassessPlan(
            case_id=plan.case_id,
            reassessed_on=on,
            emergent_needs=tuple(plan.rng.sample(NEEDS, plan.rng.randint(1, 2))),
            resources_mobilised=tuple(plan.rng.sample(RESOURCES, plan.rng.randint(1, 3))),
            summary="Reviewed the goals and the contingencies with the participant.",
            next_reassessment_on=plan.days_after(on, 60, 120),
        ),
        refusal,
    )


def _progress(plan: _AssistancePlan, goal_ids: list[UUID], planned_on: date) -> None:
    rng = plan.rng
    for goal_id in goal_ids:
        if rng.random() >= 0.7:
            continue
        started = plan.days_after(planned_on, 6, 30)
        _goal_status(plan, goal_id, started, GoalStatus.IN_PROGRESS)
        roll = rng.random()
        if roll < 0.5:
            _goal_status(plan, goal_id, plan.days_after(started, 10, 200), GoalStatus.ACHIEVED)
        elif roll < 0.6:
            _goal_status(
                plan,
                goal_id,
                plan.days_after(started, 5, 60),
                GoalStatus.DISCONTINUED,
                "The participant changed jobs; the goal no longer applies.",
            )


def _goal_status(
    plan: _AssistancePlan, goal_id: UUID, on: date, status: GoalStatus, note: str = ""
) -> None:
    plan.add(
        plan.caseworker,
        ChangeGoalStatus(
            case_id=plan.case_id, goal_id=goal_id, changed_on=on, status=status, note=note
        ),
    )


def _contacts(plan: _AssistancePlan, planned_on: date) -> None:
    """A monthly scheduling matrix: most contacts made on time, some late, some never (TA-05)."""
    rng = plan.rng
    channels = sorted(plan.policy.contact_channels)
    for month in range(1, rng.randint(3, 5) + 1):
        contact_id = plan.next_id("contact")
        planned_for = planned_on + timedelta(days=30 * month)
        channel = rng.choice(channels)
        plan.add(
            plan.caseworker,
            PlanContact(
                case_id=plan.case_id,
                contact_id=contact_id,
                scheduled_on=planned_on,
                planned_for=planned_for,
                channel=channel,
                purpose="monthly check-in",
            ),
        )
        roll = rng.random()
        if roll < 0.75:
            made_on = max(planned_on, planned_for - timedelta(days=rng.randint(0, 3)))
        elif roll < 0.9:
            made_on = plan.days_after(planned_for, 1, 10)
        else:
            continue
        _contact(plan, contact_id, made_on, channel)
    if rng.random() < 0.5:
        _contact(
            plan, plan.next_id("contact"), plan.days_after(planned_on, 1, 90), rng.choice(channels)
        )


def _contact(plan: _AssistancePlan, contact_id: UUID, on: date, channel: ContactChannel) -> None:
    plan.add(
        plan.caseworker,
        RecordContact(
            case_id=plan.case_id,
            contact_id=contact_id,
            made_on=on,
            channel=channel,
            summary="Checked in on the schedule, child care and transport.",
        ),
    )


def _eligibility(plan: _AssistancePlan, on: date) -> None:
    rng = plan.rng
    for program in rng.sample(sorted(plan.policy.eligibility_programs), rng.randint(2, 4)):
        recorded_on = on
        if rng.random() < 0.2:
            plan.add(
                plan.caseworker, _eligibility_record(plan, program, on, EligibilityStatus.APPLIED)
            )
            recorded_on = plan.days_after(on, 7, 30)
        renewal_on = plan.days_after(recorded_on, 120, 365)
        plan.add(
            plan.caseworker,
            _eligibility_record(plan, program, recorded_on, EligibilityStatus.ELIGIBLE, renewal_on),
        )
        if rng.random() < 0.4:
            renewed_on = renewal_on - timedelta(days=rng.randint(0, 20))
            plan.add(
                plan.caseworker,
                _eligibility_record(
                    plan,
                    program,
                    max(renewed_on, recorded_on + timedelta(days=1)),
                    EligibilityStatus.ELIGIBLE,
                    renewal_on + timedelta(days=365),
                ),
            )


def _eligibility_record(
    plan: _AssistancePlan,
    program: SupportProgram,
    on: date,
    status: EligibilityStatus,
    renewal_on: date | None = None,
) -> RecordEligibility:
    return RecordEligibility(
        case_id=plan.case_id,
        program=program,
        recorded_on=on,
        status=status,
        renewal_on=renewal_on,
        note="Paperwork reviewed with the participant.",
    )


def _intervention(plan: _AssistancePlan, on: date) -> None:
    rng = plan.rng
    plan.add(
        plan.caseworker,
        LogIntervention(
            case_id=plan.case_id,
            intervention_id=plan.next_id("intervention"),
            logged_on=on,
            kind=rng.choice(list(InterventionKind)),
            category=rng.choice(sorted(plan.policy.intervention_categories)),
            situation="The participant called after a hard week at work.",
            action_taken="Worked through options and agreed a first step for tomorrow.",
        ),
    )


def _community_referral(plan: _AssistancePlan, on: date) -> None:
    referral_id = plan.next_id("community_referral")
    plan.add(
        plan.caseworker,
        ReferToCommunityResource(
            case_id=plan.case_id,
            referral_id=referral_id,
            referred_on=on,
            need=plan.rng.choice(NEEDS),
            resource=plan.rng.choice(("Eastside Family Center", "United Way 211", "Food bank")),
        ),
    )
    if plan.rng.random() < 0.8:
        plan.add(
            plan.caseworker,
            RecordReferralResult(
                case_id=plan.case_id,
                referral_id=referral_id,
                recorded_on=plan.days_after(on, 3, 30),
                result=plan.rng.choice(list(ReferralResult)),
                note="Followed up by phone.",
            ),
        )


def _raise(plan: _AssistancePlan, job_id: UUID, started_on: date) -> date:
    changed_on = plan.days_after(started_on, 60, 200)
    plan.add(
        plan.caseworker,
        ChangeWage(
            case_id=plan.case_id,
            job_id=job_id,
            changed_on=changed_on,
            hourly_wage_cents=2_500 + plan.rng.randint(50, 300),
            weekly_hours=float(plan.rng.choice((32, 35, 40))),
        ),
    )
    return changed_on


def _site_visits(plan: _AssistancePlan, job_id: UUID, started_on: date) -> date:
    """Permission given, a visit (often the same day), permission revoked; sometimes a visit
    tried before the permission or the day after the revocation, and refused (TA-08)."""
    rng = plan.rng
    given_on = plan.days_after(started_on, 5, 40)
    if rng.random() < 0.3:
        _visit(plan, job_id, given_on - timedelta(days=1), "TA-08")
    plan.add(
        plan.caseworker,
        GiveSiteVisitConsent(
            case_id=plan.case_id,
            job_id=job_id,
            given_on=given_on,
            how_given=rng.choice(("signed release form", "verbal, noted in the file")),
        ),
    )
    visited_on = given_on if rng.random() < 0.5 else plan.days_after(given_on, 1, 20)
    _visit(plan, job_id, visited_on)
    revoked_on = plan.days_after(visited_on, 5, 60)
    plan.add(
        plan.caseworker,
        RevokeSiteVisitConsent(case_id=plan.case_id, job_id=job_id, revoked_on=revoked_on),
    )
    if rng.random() < 0.5:
        _visit(plan, job_id, revoked_on + timedelta(days=1), "TA-08")
    return revoked_on


def _visit(plan: _AssistancePlan, job_id: UUID, on: date, refusal: str | None = None) -> None:
    plan.add(
        plan.caseworker,
        RecordJobSiteVisit(
            case_id=plan.case_id,
            visit_id=plan.next_id("visit"),
            job_id=job_id,
            visited_on=on,
            purpose="Meet the supervisor about the new schedule.",
        ),
        refusal,
    )


def _cash_assistance(plan: _AssistancePlan, started_on: date, planned_on: date) -> None:
    """Cash assistance ends for most, sometimes on a month's last day; training referrals come
    within the window, on its last day, or the day after it and are refused (TA-09)."""
    rng = plan.rng
    if rng.random() < 0.3:
        if rng.random() < 0.4:
            _training(plan, plan.days_after(planned_on, 0, 200))
        return
    ended_on = plan.days_after(started_on, 10, 120)
    if rng.random() < 0.3:
        ended_on = add_months(ended_on.replace(day=1), 1) - timedelta(days=1)
    plan.add(
        plan.caseworker,
        EndCashAssistance(
            case_id=plan.case_id, ended_on=ended_on, reason="Earnings above the grant limit."
        ),
    )
    closes = plan.policy.training_referral_window_closes(ended_on)
    roll = rng.random()
    if roll < 0.5:
        _training(plan, ended_on + timedelta(days=rng.randint(0, (closes - ended_on).days)))
    elif roll < 0.75:
        _training(plan, closes)
    elif roll < 0.9:
        _training(plan, closes + timedelta(days=1), "TA-09")


def _training(plan: _AssistancePlan, on: date, refusal: str | None = None) -> None:
    plan.add(
        plan.caseworker,
        ReferToTraining(
            case_id=plan.case_id,
            referral_id=plan.next_id("training_referral"),
            referred_on=on,
            resource=plan.rng.choice(TRAINING),
            purpose=plan.rng.choice(list(TrainingPurpose)),
        ),
        refusal,
    )


def _purchase(plan: _AssistancePlan, goal_id: UUID, on: date) -> None:
    """A service bought from contracted employment services for a goal, and paid (TA-10)."""
    rng = plan.rng
    billing = rng.choice(BILLING_CLERKS)
    service_type, category, entry = rng.choice(PURCHASED_SERVICES)
    authorization_id = plan.next_id("authorization")
    amount = rng.randint(50, 1_200) * 100
    plan.add(
        plan.caseworker,
        AuthorizePurchasedService(
            case_id=plan.case_id,
            authorization_id=authorization_id,
            goal_id=goal_id,
            authorized_on=on,
            service_type=service_type,
            category=category,
            provider=f"CES-{rng.randint(1, 60):03d}",
            planned_start=on,
            planned_end=plan.days_after(on, 14, 120),
            amount_cents=amount,
            plan_entry=entry,
        ),
    )
    if rng.random() < 0.15:
        cancelled_on = plan.days_after(on, 1, 3)
        plan.add(
            plan.caseworker,
            CancelAuthorization(
                case_id=plan.case_id,
                authorization_id=authorization_id,
                cancelled_on=cancelled_on,
                reason="The participant's employer provides it.",
            ),
        )
        last = cancelled_on
    else:
        provided_on = plan.days_after(on, 5, 60)
        plan.add(
            plan.caseworker,
            RecordServiceProvided(
                case_id=plan.case_id, authorization_id=authorization_id, provided_on=provided_on
            ),
        )
        received_on = plan.days_after(provided_on, 1, 15)
        if rng.random() < 0.1:
            plan.add(billing, _invoice(plan, authorization_id, received_on, amount + 1), "TA-10")
        invoiced = max(1, amount * rng.randint(60, 100) // 100)
        invoice = _invoice(plan, authorization_id, received_on, invoiced)
        plan.add(billing, invoice)
        last = plan.days_after(received_on, 3, 45)
        plan.add(
            billing,
            PayInvoice(
                case_id=plan.case_id,
                invoice_id=invoice.invoice_id,
                paid_on=last,
                amount_cents=invoiced,
            ),
        )
    plan.add(
        billing,
        UnencumberBalance(
            case_id=plan.case_id,
            authorization_id=authorization_id,
            unencumbered_on=plan.days_after(last, 0, 5),
        ),
    )


def _invoice(
    plan: _AssistancePlan, authorization_id: UUID, on: date, amount_cents: int
) -> ReceiveInvoice:
    return ReceiveInvoice(
        case_id=plan.case_id,
        invoice_id=plan.next_id("invoice"),
        authorization_id=authorization_id,
        received_on=on,
        invoice_number=f"CES-INV-{plan.rng.randint(10_000, 99_999)}",
        amount_cents=amount_cents,
    )


@dataclass
class DriveResult:
    """What feeding a synthetic caseload to the application recorded and refused."""

    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)


def drive(app: CaseManagement, items: Iterable[SyntheticCommand]) -> DriveResult:
    """Feeds commands to the application as users would; checks each outcome is the expected one."""
    result = DriveResult()
    for actor, command, expected_rule in items:
        try:
            if isinstance(command, OpenCase):
                app.open_case(command, actor)
            elif isinstance(command, CaseCommand):
                app.handle(command, actor)
            else:
                raise TypeError(f"not a command the application handles: {command!r}")
        except DomainError as refusal:
            rule = refusal.rule_id or type(refusal).__name__
            result.refused[rule] = result.refused.get(rule, 0) + 1
            if rule != expected_rule:
                result.unexpected.append(f"{type(command).__name__} refused by {refusal}")
            continue
        result.accepted += 1
        if expected_rule is not None:
            result.unexpected.append(f"{type(command).__name__} accepted; {expected_rule} expected")
    return result
