"""A cash-assistance case's deadlines (TA-01, TA-05, TA-06, TA-09): its own, never VR's.

The VR deadlines and VR-11's automatic termination never apply to it: the deadline process
terminates the cases whose termination deadline is due, and a cash-assistance case has none.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.assistance.records import eligibility_subject_id
from domain.assistance.values import EligibilityStatus, GoalStatus, SupportProgram
from domain.commands import TerminateCase
from domain.deadlines import (
    CaseTimeline,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    deadlines,
    status_on,
    timeline_of,
)
from domain.errors import InvalidCommand
from domain.termination import DEADLINE_PROCESS, scheduled_termination, termination_date
from tests.builders import BILLING, POLICIES, POLICY, AssistanceFile

PENDING = DeadlineStatus.PENDING
DUE_SOON = DeadlineStatus.DUE_SOON
OVERDUE = DeadlineStatus.OVERDUE
MET = DeadlineStatus.MET
ON = date(2024, 3, 4)


def timeline(file: AssistanceFile) -> CaseTimeline:
    folded = timeline_of(file.all_events())
    assert folded is not None
    return folded


def the(file: AssistanceFile, kind: DeadlineKind, subject_id: UUID | None = None) -> Deadline:
    found = [
        d
        for d in deadlines(timeline(file), POLICIES)
        if d.kind is kind and (subject_id is None or d.subject_id == subject_id)
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def file() -> AssistanceFile:
    file = AssistanceFile()
    file.planned(ON, next_reassessment_on=date(2024, 6, 3))
    return file


def busy(file: AssistanceFile) -> None:
    """A case with every kind of fact, money included."""
    job_id = file.job_started(ON)
    goal_id = file.goal_set(ON)
    file.covered(ON)
    file.do(file.plan_contact(ON, ON + timedelta(days=30)))
    file.do(file.eligibility(SupportProgram.FOOD_ASSISTANCE, ON))
    file.do(file.consent(job_id, ON))
    file.do(file.visit(job_id, ON))
    file.do(file.end_assistance(ON))
    file.do(file.training(ON))
    purchase = file.purchase(goal_id, ON)
    file.do(purchase)
    file.do(file.provided(purchase.authorization_id, ON + timedelta(days=10)))
    file.do(file.invoice(purchase.authorization_id, ON + timedelta(days=12), 10_000), BILLING)
    file.do(file.reassess(date(2024, 6, 1)))


# No VR deadline, no VR-11 termination


def test_a_cash_assistance_case_has_no_vr_deadline_and_no_termination_date(
    file: AssistanceFile,
) -> None:
    busy(file)
    vr_kinds = {
        DeadlineKind.INITIATION_WINDOW,
        DeadlineKind.SERVICE_END,
        DeadlineKind.RETURN_TO_MONITORING,
        DeadlineKind.TERMINATION,
    }
    found = deadlines(timeline(file), POLICIES)
    assert found and not {d.kind for d in found} & vr_kinds
    assert all(d.policy_version == "TA-3440" for d in found)
    assert file.case.termination_date(POLICY) is None
    assert termination_date(file.all_events(), POLICY) is None
    assert scheduled_termination(file.all_events(), POLICIES) is None


def test_the_deadline_process_cannot_terminate_a_cash_assistance_case(
    file: AssistanceFile,
) -> None:
    busy(file)
    version = file.case.version
    for on in (ON, date(2025, 3, 4), date(2030, 1, 1)):
        with pytest.raises(InvalidCommand, match="not a VR case"):
            file.do(TerminateCase(case_id=file.id, terminated_on=on), DEADLINE_PROCESS)
    assert file.case.version == version


# TA-01


def test_a_goal_is_due_on_its_target_date_and_met_when_achieved_TA_01(
    file: AssistanceFile,
) -> None:
    goal_id = file.goal_set(ON, target_date=date(2024, 5, 31))
    goal = the(file, DeadlineKind.GOAL_TARGET, goal_id)
    assert (goal.rule_id, goal.due_on, goal.met_on) == ("TA-01", date(2024, 5, 31), None)
    assert status_on(goal, date(2024, 5, 31)) is DUE_SOON
    assert status_on(goal, date(2024, 6, 1)) is OVERDUE

    file.do(file.goal_status(goal_id, date(2024, 6, 10), GoalStatus.IN_PROGRESS))
    assert the(file, DeadlineKind.GOAL_TARGET, goal_id).met_on is None
    file.do(file.goal_status(goal_id, date(2024, 6, 12), GoalStatus.ACHIEVED))
    achieved = the(file, DeadlineKind.GOAL_TARGET, goal_id)
    assert achieved.met_on == date(2024, 6, 12)
    assert status_on(achieved, date(2024, 6, 11)) is OVERDUE
    assert status_on(achieved, date(2024, 6, 12)) is MET


def test_a_discontinued_goal_is_no_longer_owed_TA_01(file: AssistanceFile) -> None:
    goal_id = file.goal_set(ON, target_date=date(2024, 5, 31))
    file.do(file.goal_status(goal_id, date(2024, 5, 1), GoalStatus.DISCONTINUED, "changed jobs"))
    assert the(file, DeadlineKind.GOAL_TARGET, goal_id).met_on == date(2024, 5, 1)


def test_a_missed_reassessment_is_overdue_until_the_next_one_replaces_it_TA_01(
    file: AssistanceFile,
) -> None:
    due = the(file, DeadlineKind.PLAN_REASSESSMENT)
    assert (due.rule_id, due.subject_id, due.due_on) == ("TA-01", None, date(2024, 6, 3))
    assert status_on(due, date(2024, 6, 3)) is DUE_SOON
    assert status_on(due, date(2024, 6, 4)) is OVERDUE

    file.covered(ON)
    file.do(file.reassess(date(2024, 6, 20), next_reassessment_on=date(2024, 9, 20)))
    assert the(file, DeadlineKind.PLAN_REASSESSMENT).due_on == date(2024, 9, 20)


# TA-05


def test_a_planned_contact_not_made_by_its_date_is_overdue_TA_05(file: AssistanceFile) -> None:
    planned = file.plan_contact(ON, date(2024, 4, 1))
    file.do(planned)
    contact = the(file, DeadlineKind.PLANNED_CONTACT, planned.contact_id)
    assert (contact.rule_id, contact.due_on, contact.met_on) == ("TA-05", date(2024, 4, 1), None)
    assert status_on(contact, date(2024, 4, 1)) is DUE_SOON
    assert status_on(contact, date(2024, 4, 2)) is OVERDUE

    file.do(file.contact(planned.contact_id, date(2024, 4, 3)))
    made = the(file, DeadlineKind.PLANNED_CONTACT, planned.contact_id)
    assert made.met_on == date(2024, 4, 3)
    assert status_on(made, date(2024, 4, 2)) is OVERDUE
    assert status_on(made, date(2024, 4, 3)) is MET


def test_a_contact_made_on_its_planned_date_meets_it_and_unplanned_ones_owe_nothing_TA_05(
    file: AssistanceFile,
) -> None:
    planned = file.plan_contact(ON, date(2024, 4, 1))
    file.do(planned)
    file.do(file.contact(planned.contact_id, date(2024, 4, 1)))
    file.do(file.contact(file.next_id("contact"), date(2024, 4, 5)))
    (contact,) = [
        d for d in deadlines(timeline(file), POLICIES) if d.kind.value == "planned_contact"
    ]
    assert status_on(contact, date(2024, 4, 1)) is MET


# TA-06


def test_a_renewal_is_due_soon_from_the_agency_lead_time_and_overdue_after_it_TA_06(
    file: AssistanceFile,
) -> None:
    file.do(file.eligibility(SupportProgram.HEALTH_INSURANCE, ON, renewal_on=date(2024, 9, 30)))
    renewal = the(file, DeadlineKind.BENEFIT_RENEWAL)
    assert renewal.subject_id == eligibility_subject_id(file.id, SupportProgram.HEALTH_INSURANCE)
    assert (renewal.rule_id, renewal.due_on) == ("TA-06", date(2024, 9, 30))
    # 30 days before 2024-09-30 is 2024-08-31.
    assert renewal.due_soon_from == date(2024, 8, 31)
    assert status_on(renewal, date(2024, 8, 30)) is PENDING
    assert status_on(renewal, date(2024, 8, 31)) is DUE_SOON
    assert status_on(renewal, date(2024, 9, 30)) is DUE_SOON
    assert status_on(renewal, date(2024, 10, 1)) is OVERDUE


def test_a_renewal_recorded_moves_the_deadline_and_a_lapse_removes_it_TA_06(
    file: AssistanceFile,
) -> None:
    program = SupportProgram.CHILD_CARE_SUBSIDY
    file.do(file.eligibility(program, ON, renewal_on=date(2024, 9, 30)))
    file.do(file.eligibility(program, date(2024, 9, 25), renewal_on=date(2025, 9, 30)))
    assert the(file, DeadlineKind.BENEFIT_RENEWAL).due_on == date(2025, 9, 30)
    file.do(file.eligibility(program, date(2025, 10, 2), EligibilityStatus.LAPSED))
    assert DeadlineKind.BENEFIT_RENEWAL not in {d.kind for d in deadlines(timeline(file), POLICIES)}


def test_each_program_has_its_own_renewal_deadline_TA_06(file: AssistanceFile) -> None:
    for program in (SupportProgram.FOOD_ASSISTANCE, SupportProgram.UTILITY_ASSISTANCE):
        file.do(file.eligibility(program, ON))
    subjects = {
        d.subject_id
        for d in deadlines(timeline(file), POLICIES)
        if d.kind is DeadlineKind.BENEFIT_RENEWAL
    }
    assert subjects == {
        eligibility_subject_id(file.id, SupportProgram.FOOD_ASSISTANCE),
        eligibility_subject_id(file.id, SupportProgram.UTILITY_ASSISTANCE),
    }


# TA-09


def test_the_training_window_closes_twelve_months_after_the_end_clamped_never_overdue_TA_09(
    file: AssistanceFile,
) -> None:
    file.do(file.end_assistance(date(2024, 2, 29)))
    window = the(file, DeadlineKind.TRAINING_REFERRAL_WINDOW)
    assert (window.rule_id, window.due_on, window.met_on) == (
        "TA-09",
        date(2025, 2, 28),
        date(2025, 3, 1),
    )
    assert status_on(window, date(2025, 2, 28)) is DUE_SOON
    assert status_on(window, date(2025, 3, 1)) is MET


# Invoices of purchased services (agency setting)


def test_an_invoice_of_a_purchased_service_is_due_after_the_agency_days(
    file: AssistanceFile,
) -> None:
    goal_id = file.goal_set(ON)
    purchase = file.purchase(goal_id, ON)
    file.do(purchase)
    invoice = file.invoice(purchase.authorization_id, date(2024, 3, 10), 5_000)
    file.do(invoice, BILLING)
    payment = the(file, DeadlineKind.INVOICE_PAYMENT, invoice.invoice_id)
    assert (payment.rule_id, payment.due_on) == (None, date(2024, 4, 9))
    file.do(file.pay(invoice.invoice_id, date(2024, 4, 12), 5_000), BILLING)
    assert the(file, DeadlineKind.INVOICE_PAYMENT, invoice.invoice_id).met_on == date(2024, 4, 12)


# The timeline a read model keeps


def test_the_timeline_round_trips_through_json_with_the_cash_assistance_facts(
    file: AssistanceFile,
) -> None:
    busy(file)
    folded = timeline(file)
    assert CaseTimeline.model_validate(json.loads(folded.model_dump_json())) == folded
    assert folded.cash_assistance_ended_on == ON and folded.renewals and folded.goals


def test_a_timeline_stored_before_the_cash_assistance_fields_still_reads() -> None:
    stored = {"case_id": "12345678-1234-5678-1234-567812345678", "version": 2, "program": "vr"}
    assert CaseTimeline.model_validate(stored).goals == ()


def test_every_deadline_of_a_busy_case_is_unique_by_kind_and_subject(
    file: AssistanceFile,
) -> None:
    busy(file)
    keys = [(d.kind, d.subject_id) for d in deadlines(timeline(file), POLICIES)]
    assert len(keys) == len(set(keys))
