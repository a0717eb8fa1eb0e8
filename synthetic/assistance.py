"""The cash-assistance program's case story (TA-01..TA-11)."""

from __future__ import annotations

from domain.assistance.values import JobLossReason
from domain.case import Program
from domain.commands import IdentifySkill, OpenCase, RecordJobLoss
from synthetic.assistance_plan import (
    AssistancePlan,
    community_referral,
    contacts,
    contingencies,
    eligibility,
    establish,
    goal,
    intervention,
    progress,
    reachability,
    reassess,
)
from synthetic.assistance_services import cash_assistance, job, purchase, raise_wage, site_visits

TA_SHARE = 0.2
"""The share of synthetic cases in the cash-assistance program."""

SKILLS = (
    "forklift operation",
    "budgeting",
    "customer de-escalation",
    "scheduling around school hours",
    "spreadsheet basics",
)


def assisted(plan: AssistancePlan) -> None:
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
    job_id, started_on = job(plan, plan.days_after(plan.opened_on, 0, 10))
    planned_on = plan.days_after(started_on, 1, 14)
    reachability(plan, plan.days_after(plan.opened_on, 0, 5))
    next_reassessment = establish(plan, planned_on)
    goal_ids = [goal(plan, planned_on) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.4:
        purchase(plan, goal_ids[0], plan.days_after(planned_on, 0, 5))
    covered_on = contingencies(plan, planned_on)
    progress(plan, goal_ids, planned_on)
    reassess(plan, next_reassessment, covered_on)
    contacts(plan, planned_on)
    eligibility(plan, plan.days_after(planned_on, 0, 30))
    for _ in range(rng.randint(0, 2)):
        intervention(plan, plan.days_after(planned_on, 0, 200))
    if rng.random() < 0.6:
        community_referral(plan, plan.days_after(planned_on, 0, 60))
    last_job_fact = started_on
    if rng.random() < 0.4:
        last_job_fact = raise_wage(plan, job_id, started_on)
    if rng.random() < 0.5:
        last_job_fact = max(last_job_fact, site_visits(plan, job_id, started_on))
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
            job(plan, plan.days_after(lost_on, 0, 60))
    cash_assistance(plan, started_on, planned_on)
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
