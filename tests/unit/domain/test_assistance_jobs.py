"""Jobs, job loss and re-employment (TA-07); job-site visits only with permission (TA-08)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.assistance.records import ConsentChange
from domain.assistance.values import JobLossReason
from domain.errors import InvalidCommand, RuleViolation
from tests.builders import OPENED, AssistanceFile

STARTED = date(2024, 2, 5)
VISIT = date(2024, 4, 10)


@pytest.fixture
def file() -> AssistanceFile:
    return AssistanceFile()


@pytest.fixture
def job_id(file: AssistanceFile) -> UUID:
    return file.job_started(STARTED)


def visited(file: AssistanceFile, job_id: UUID, on: date) -> None:
    """Records a visit and checks it was recorded for that job and day."""
    command = file.visit(job_id, on)
    file.do(command)
    event = file.last_event()
    assert type(event).__name__ == "JobSiteVisited"
    assert (event.visit_id, event.job_id, event.effective_on) == (command.visit_id, job_id, on)  # type: ignore[attr-defined]
    visit = file.case.assistance.visits[command.visit_id]
    assert (visit.job_id, visit.visited_on) == (job_id, on)


# TA-07


def test_a_job_records_its_start_date_wage_and_hours_TA_07(
    file: AssistanceFile, job_id: UUID
) -> None:
    job = file.case.assistance.jobs[job_id]
    assert (job.started_on, job.hourly_wage_cents, job.weekly_hours) == (STARTED, 1_500, 30.0)


def test_a_job_cannot_start_before_the_case_opening_TA_07(file: AssistanceFile) -> None:
    with pytest.raises(InvalidCommand):
        file.do(file.start_job(OPENED - timedelta(days=1)))
    command = file.start_job(OPENED)
    file.do(command)
    assert type(file.last_event()).__name__ == "JobStarted"
    assert file.case.assistance.jobs[command.job_id].started_on == OPENED


def test_a_started_job_retried_records_nothing_other_details_are_refused(
    file: AssistanceFile,
) -> None:
    command = file.start_job(STARTED)
    file.do(command)
    events = len(file.all_events())
    file.do(command)
    assert len(file.all_events()) == events
    with pytest.raises(InvalidCommand):
        file.do(command.model_copy(update={"hourly_wage_cents": 1_600}))


def test_a_raise_changes_the_wage_of_a_job_held_from_its_date_TA_07(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.wage(job_id, date(2024, 6, 1), 1_650, 32.0))
    job = file.case.assistance.jobs[job_id]
    assert (job.hourly_wage_cents, job.weekly_hours, job.starting_hourly_wage_cents) == (
        1_650,
        32.0,
        1_500,
    )
    with pytest.raises(InvalidCommand):
        file.do(file.wage(job_id, date(2024, 5, 31), 1_700, 32.0))


def test_a_wage_change_outside_the_job_is_refused_TA_07(file: AssistanceFile, job_id: UUID) -> None:
    with pytest.raises(InvalidCommand):
        file.do(file.wage(job_id, STARTED - timedelta(days=1), 1_650, 30.0))
    file.do(file.lose_job(job_id, date(2024, 6, 30)))
    with pytest.raises(InvalidCommand):
        file.do(file.wage(job_id, date(2024, 7, 1), 1_650, 30.0))


def test_a_job_loss_ends_the_job_once_and_not_before_its_recorded_facts_TA_07(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.wage(job_id, date(2024, 6, 1), 1_650, 32.0))
    with pytest.raises(InvalidCommand):
        file.do(file.lose_job(job_id, date(2024, 5, 31)))
    file.do(file.lose_job(job_id, date(2024, 6, 1), JobLossReason.DISMISSED))
    file.do(file.lose_job(job_id, date(2024, 6, 1), JobLossReason.DISMISSED))  # a retry
    with pytest.raises(InvalidCommand):
        file.do(file.lose_job(job_id, date(2024, 6, 2)))
    job = file.case.assistance.jobs[job_id]
    assert (job.lost_on, job.loss_reason) == (date(2024, 6, 1), JobLossReason.DISMISSED)


def test_re_employment_is_a_new_job_after_the_loss_TA_07(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.lose_job(job_id, date(2024, 6, 1)))
    second = file.job_started(date(2024, 6, 20), employer="Metro Transit")
    held = file.case.assistance.jobs_held_on(date(2024, 6, 20))
    assert [j.job_id for j in held] == [second]


# TA-08: consent on the day of the visit, revoked the day before


def test_a_visit_without_any_permission_is_refused_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.visit(job_id, VISIT))
    assert refusal.value.rule_id == "TA-08"
    assert file.case.assistance.visits == {}


def test_permission_given_the_day_of_the_visit_is_in_force_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, VISIT))
    file.do(file.visit(job_id, VISIT))
    assert len(file.case.assistance.visits) == 1


def test_permission_given_the_day_after_the_visit_is_not_in_force_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, VISIT + timedelta(days=1)))
    with pytest.raises(RuleViolation, match="TA-08"):
        file.do(file.visit(job_id, VISIT))


def test_permission_revoked_the_day_before_the_visit_is_not_in_force_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, date(2024, 3, 1)))
    file.do(file.revoke(job_id, VISIT - timedelta(days=1)))
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.visit(job_id, VISIT))
    assert refusal.value.rule_id == "TA-08"


def test_permission_revoked_the_day_of_the_visit_is_not_in_force_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, date(2024, 3, 1)))
    file.do(file.revoke(job_id, VISIT))
    with pytest.raises(RuleViolation, match="TA-08"):
        file.do(file.visit(job_id, VISIT))


def test_permission_revoked_the_day_after_the_visit_was_in_force_on_it_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, date(2024, 3, 1)))
    file.do(file.revoke(job_id, VISIT + timedelta(days=1)))
    visit = file.visit(job_id, VISIT)
    file.do(visit)  # recorded late; permission was in force that day
    event = file.last_event()
    assert type(event).__name__ == "JobSiteVisited"
    assert (event.visit_id, event.job_id, event.effective_on) == (visit.visit_id, job_id, VISIT)  # type: ignore[attr-defined]
    assert file.case.assistance.visits[visit.visit_id].visited_on == VISIT
    job = file.case.assistance.jobs[job_id]
    assert job.consent_in_force_on(VISIT)
    assert not job.consent_in_force_on(VISIT + timedelta(days=1))


def test_permission_given_again_after_a_revocation_is_in_force_from_its_day_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, date(2024, 3, 1)))
    file.do(file.revoke(job_id, date(2024, 3, 20)))
    file.do(file.consent(job_id, VISIT))
    with pytest.raises(RuleViolation, match="TA-08"):
        file.do(file.visit(job_id, VISIT - timedelta(days=1)))
    visited(file, job_id, VISIT)


def test_permission_is_per_job_TA_08(file: AssistanceFile, job_id: UUID) -> None:
    other = file.job_started(date(2024, 3, 1), employer="Metro Transit")
    file.do(file.consent(other, date(2024, 3, 1)))
    with pytest.raises(RuleViolation, match="TA-08"):
        file.do(file.visit(job_id, VISIT))
    visited(file, other, VISIT)


def test_permission_changes_are_recorded_in_order_and_say_how_it_was_given_TA_08(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, date(2024, 3, 10)))
    with pytest.raises(InvalidCommand):
        file.do(file.revoke(job_id, date(2024, 3, 9)))
    with pytest.raises(InvalidCommand):
        file.do(file.consent(job_id, date(2024, 3, 11)))  # already given
    file.do(file.revoke(job_id, date(2024, 3, 12)))
    with pytest.raises(InvalidCommand):
        file.do(file.revoke(job_id, date(2024, 3, 13)))  # nothing in force
    with pytest.raises(RuleViolation, match="TA-08"):
        file.do(file.consent(job_id, date(2024, 3, 14)).model_copy(update={"how_given": " "}))
    assert file.case.assistance.jobs[job_id].consent_changes == [
        ConsentChange(on=date(2024, 3, 10), given=True, how="signed release form"),
        ConsentChange(on=date(2024, 3, 12), given=False, how=""),
    ]
    recorded = [e for e in file.all_events() if "SiteVisitConsent" in type(e).__name__]
    assert [(type(e).__name__, e.effective_on) for e in recorded] == [
        ("SiteVisitConsentGiven", date(2024, 3, 10)),
        ("SiteVisitConsentRevoked", date(2024, 3, 12)),
    ]
    assert recorded[0].how_given == "signed release form"  # type: ignore[attr-defined]


def test_a_visit_is_to_a_job_held_that_day(file: AssistanceFile, job_id: UUID) -> None:
    file.do(file.consent(job_id, STARTED))
    with pytest.raises(InvalidCommand):
        file.do(file.visit(job_id, STARTED - timedelta(days=1)))
    file.do(file.lose_job(job_id, date(2024, 5, 1)))
    with pytest.raises(InvalidCommand):
        file.do(file.visit(job_id, date(2024, 5, 2)))
    visited(file, job_id, date(2024, 5, 1))


def test_a_job_cannot_be_lost_before_a_visit_already_recorded(
    file: AssistanceFile, job_id: UUID
) -> None:
    file.do(file.consent(job_id, STARTED))
    file.do(file.visit(job_id, VISIT))
    with pytest.raises(InvalidCommand):
        file.do(file.lose_job(job_id, VISIT - timedelta(days=1)))
