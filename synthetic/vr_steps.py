"""The building blocks of a VR case story (VR-01..VR-12): each writes one step of the case's
history and returns the date it ended on."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from domain.base import Actor
from domain.case import Program
from domain.commands import (
    AuthorizeService,
    DetermineNewEmploymentCase,
    DeterminePEAppropriate,
    OpenCase,
    PayInvoice,
    ReceiveInvoice,
    RecordOutcome,
    RecordServiceProvided,
    RequestPEServices,
    ReturnToMonitoring,
    UnencumberBalance,
)
from domain.values import (
    AdvanceAssessment,
    AdvancementResult,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from domain.vr.policy import VRPolicy
from synthetic.history import (
    BILLING_CLERKS,
    EMPLOYERS,
    JOBS,
    SUPERVISORS,
    History,
    SyntheticCommand,
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


@dataclass
class VRPlan(History):
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


def open_with_outcome(plan: VRPlan, opened_on: date) -> None:
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


def request(
    plan: VRPlan, on: date, purpose: RequestPurpose | None = None
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


def appropriate(plan: VRPlan, request_id: UUID, on: date) -> date:
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


def authorize(
    plan: VRPlan,
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


def close(
    plan: VRPlan,
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


def return_to_monitoring(plan: VRPlan, after: date) -> None:
    # Mostly within the agency's 14 days; sometimes overdue, as in real caseloads.
    limit = plan.policy.return_to_monitoring_days
    days = (
        plan.rng.randint(0, limit) if plan.rng.random() < 0.85 else plan.rng.randint(limit + 1, 40)
    )
    returned_on = after + timedelta(days=days)
    plan.add(plan.caseworker, ReturnToMonitoring(case_id=plan.case_id, returned_on=returned_on))
    plan.left_pe_services_on = returned_on


def plain_window(plan: VRPlan, start: date) -> date:
    """A planned end within VR-03 and VR-04 for a service starting on `start`."""
    longest = min(plan.policy.longest_planned_end(start), plan.anniversary)
    days = max(0, (longest - start).days)
    return start + timedelta(days=plan.rng.randint(min(days, 14), days))


def refused_appropriate(plan: VRPlan, request_id: UUID, on: date, rule: str) -> None:
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


def new_case(plan: VRPlan, request_id: UUID, on: date) -> None:
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
