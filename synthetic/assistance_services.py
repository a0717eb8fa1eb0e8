"""A cash-assistance participant's work and the services bought for it (TA-08..TA-10): jobs,
wages, job-site visits, the end of cash assistance, training referrals, purchased services."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.assistance.values import TrainingPurpose
from domain.commands import (
    AuthorizePurchasedService,
    CancelAuthorization,
    ChangeWage,
    EndCashAssistance,
    GiveSiteVisitConsent,
    PayInvoice,
    ReceiveInvoice,
    RecordJobSiteVisit,
    RecordServiceProvided,
    ReferToTraining,
    RevokeSiteVisitConsent,
    StartJob,
    UnencumberBalance,
)
from domain.dates import add_months
from domain.values import ServiceCategory, ServiceType
from synthetic.assistance_plan import AssistancePlan
from synthetic.history import BILLING_CLERKS, EMPLOYERS, JOBS

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


def job(plan: AssistancePlan, started_on: date) -> tuple[UUID, date]:
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


def raise_wage(plan: AssistancePlan, job_id: UUID, started_on: date) -> date:
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


def site_visits(plan: AssistancePlan, job_id: UUID, started_on: date) -> date:
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


def _visit(plan: AssistancePlan, job_id: UUID, on: date, refusal: str | None = None) -> None:
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


def cash_assistance(plan: AssistancePlan, started_on: date, planned_on: date) -> None:
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


def _training(plan: AssistancePlan, on: date, refusal: str | None = None) -> None:
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


def purchase(plan: AssistancePlan, goal_id: UUID, on: date) -> None:
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
    plan: AssistancePlan, authorization_id: UUID, on: date, amount_cents: int
) -> ReceiveInvoice:
    return ReceiveInvoice(
        case_id=plan.case_id,
        invoice_id=plan.next_id("invoice"),
        authorization_id=authorization_id,
        received_on=on,
        invoice_number=f"CES-INV-{plan.rng.randint(10_000, 99_999)}",
        amount_cents=amount_cents,
    )
