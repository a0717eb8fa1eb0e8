"""A cash-assistance case's self-sufficiency plan and the support around it (TA-01..TA-07):
plan, goals, contingencies, re-assessments, contacts, eligibility, interventions, referrals."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from domain.assistance.policy import TAPolicy
from domain.assistance.values import (
    ContactChannel,
    ContingencyArea,
    EligibilityStatus,
    GoalStatus,
    InterventionKind,
    ReferralResult,
    ResponsibleParty,
    SupportProgram,
)
from domain.base import Actor
from domain.commands import (
    ChangeGoalStatus,
    EstablishSelfSufficiencyPlan,
    LogIntervention,
    PlanContact,
    ReassessPlan,
    RecordContact,
    RecordContingencyPlan,
    RecordEligibility,
    RecordReachability,
    RecordReferralResult,
    ReferToCommunityResource,
    SetPlanGoal,
)
from synthetic.history import History, SyntheticCommand

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


@dataclass
class AssistancePlan(History):
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


def reachability(plan: AssistancePlan, on: date) -> None:
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


def establish(plan: AssistancePlan, on: date) -> date:
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


def goal(plan: AssistancePlan, on: date) -> UUID:
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


def contingencies(plan: AssistancePlan, planned_on: date) -> date:
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


def reassess(plan: AssistancePlan, due: date, covered_on: date) -> None:
    # Mostly around the due date; sometimes late, as a missed re-assessment (TA-01).
    on = due + timedelta(days=plan.rng.randint(-10, 5) if plan.rng.random() < 0.85 else 25)
    _reassess_command(plan, max(on, covered_on + timedelta(days=1)))


def _reassess_command(plan: AssistancePlan, on: date, refusal: str | None = None) -> None:
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


def progress(plan: AssistancePlan, goal_ids: list[UUID], planned_on: date) -> None:
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
    plan: AssistancePlan, goal_id: UUID, on: date, status: GoalStatus, note: str = ""
) -> None:
    plan.add(
        plan.caseworker,
        ChangeGoalStatus(
            case_id=plan.case_id, goal_id=goal_id, changed_on=on, status=status, note=note
        ),
    )


def contacts(plan: AssistancePlan, planned_on: date) -> None:
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


def _contact(plan: AssistancePlan, contact_id: UUID, on: date, channel: ContactChannel) -> None:
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


def eligibility(plan: AssistancePlan, on: date) -> None:
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
    plan: AssistancePlan,
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


def intervention(plan: AssistancePlan, on: date) -> None:
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


def community_referral(plan: AssistancePlan, on: date) -> None:
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
