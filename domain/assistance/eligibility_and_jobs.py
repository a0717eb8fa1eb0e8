"""Eligibility maintenance (TA-06); jobs, job loss and re-employment (TA-07); job-site visits,
only with the participant's permission (TA-08)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.assistance.commands import (
    ChangeWage,
    GiveSiteVisitConsent,
    RecordEligibility,
    RecordJobLoss,
    RecordJobSiteVisit,
    RevokeSiteVisitConsent,
    StartJob,
)
from domain.assistance.events import (
    EligibilityRecorded,
    JobLost,
    JobSiteVisited,
    JobStarted,
    SiteVisitConsentGiven,
    SiteVisitConsentRevoked,
    WageChanged,
)
from domain.assistance.records import ConsentChange, Eligibility, Job, JobSiteVisit, blank
from domain.assistance.values import EligibilityStatus
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook


def record_eligibility(
    case: Case, command: RecordEligibility, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    program, recorded_on, status, renewal_on = (
        command.program,
        command.recorded_on,
        command.status,
        command.renewal_on,
    )
    current = case.assistance.eligibility.get(program)
    if current == Eligibility(program, recorded_on, status, renewal_on, command.note):
        return
    case.require_not_before_opening(recorded_on, "eligibility")
    if current is not None and recorded_on < current.recorded_on:
        raise InvalidCommand(f"{program} eligibility was last recorded on {current.recorded_on}")
    if program not in policy.eligibility_programs:
        raise RuleViolation("TA-06", f"{program} is not a program the policy lists")
    if status is EligibilityStatus.ELIGIBLE and renewal_on is None:
        raise RuleViolation("TA-06", f"eligibility for {program} records its renewal date")
    if status is not EligibilityStatus.ELIGIBLE and renewal_on is not None:
        raise RuleViolation(
            "TA-06", f"only an eligible participant has a renewal date ({program} is {status})"
        )
    if renewal_on is not None and renewal_on <= recorded_on:
        raise InvalidCommand(f"a renewal date is after the day it is recorded ({recorded_on})")
    case.record(
        EligibilityRecorded,
        effective_on=recorded_on,
        program=program,
        status=status,
        renewal_on=renewal_on,
        note=command.note,
        policy_version=policy.version,
        actor=actor,
    )


def start_job(case: Case, command: StartJob, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    job_id, started_on = command.job_id, command.started_on
    existing = case.assistance.jobs.get(job_id)
    if existing is not None:
        if existing.terms() == (
            started_on,
            command.employer,
            command.job_title,
            command.hourly_wage_cents,
            command.weekly_hours,
        ):
            return
        raise InvalidCommand(f"job {job_id} was already recorded with other details")
    case.require_not_before_opening(started_on, "a job")
    if blank(command.employer, command.job_title):
        raise RuleViolation("TA-07", "a job records its employer and title")
    if command.hourly_wage_cents <= 0 or command.weekly_hours <= 0:
        raise RuleViolation("TA-07", "a job records its wage and its weekly hours")
    case.record(
        JobStarted,
        effective_on=started_on,
        job_id=job_id,
        employer=command.employer,
        job_title=command.job_title,
        hourly_wage_cents=command.hourly_wage_cents,
        weekly_hours=command.weekly_hours,
        policy_version=policy.version,
        actor=actor,
    )


def change_wage(case: Case, command: ChangeWage, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    job_id, changed_on = command.job_id, command.changed_on
    hourly_wage_cents, weekly_hours = command.hourly_wage_cents, command.weekly_hours
    job = _job(case, job_id)
    terms = (hourly_wage_cents, weekly_hours)
    if terms == (job.hourly_wage_cents, job.weekly_hours):
        if job.wage_changed_on == changed_on:
            return
        raise InvalidCommand(f"job {job_id} already pays {hourly_wage_cents} for {weekly_hours}")
    if not job.held_on(changed_on):
        raise InvalidCommand(f"job {job_id} was not held on {changed_on}")
    if changed_on < (job.wage_changed_on or job.started_on):
        raise InvalidCommand(
            f"job {job_id}'s wage was last set on {job.wage_changed_on or job.started_on}"
        )
    if hourly_wage_cents <= 0 or weekly_hours <= 0:
        raise RuleViolation("TA-07", "a job records its wage and its weekly hours")
    case.record(
        WageChanged,
        effective_on=changed_on,
        job_id=job_id,
        hourly_wage_cents=hourly_wage_cents,
        weekly_hours=weekly_hours,
        policy_version=policy.version,
        actor=actor,
    )


def lose_job(case: Case, command: RecordJobLoss, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    job_id, lost_on = command.job_id, command.lost_on
    job = _job(case, job_id)
    if job.lost_on is not None:
        if (job.lost_on, job.loss_reason, job.loss_note) == (
            lost_on,
            command.reason,
            command.note,
        ):
            return
        raise InvalidCommand(f"job {job_id} ended on {job.lost_on}", rule_id="TA-07")
    if lost_on < job.last_fact_on:
        raise InvalidCommand(
            f"job {job_id} has facts recorded up to {job.last_fact_on}", rule_id="TA-07"
        )
    case.record(
        JobLost,
        effective_on=lost_on,
        job_id=job_id,
        reason=command.reason,
        note=command.note,
        policy_version=policy.version,
        actor=actor,
    )


def give_site_visit_consent(
    case: Case, command: GiveSiteVisitConsent, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    job_id, given_on, how_given = command.job_id, command.given_on, command.how_given
    job = _job(case, job_id)
    last = job.consent_changes[-1] if job.consent_changes else None
    if last is not None and last.given:
        if (last.on, last.how) == (given_on, how_given):
            return
        raise InvalidCommand(f"permission to visit job {job_id} was given on {last.on}")
    _require_consent_date(case, job, given_on, last)
    if blank(how_given):
        raise RuleViolation("TA-08", "record how the participant gave permission")
    case.record(
        SiteVisitConsentGiven,
        effective_on=given_on,
        job_id=job_id,
        how_given=how_given,
        policy_version=policy.version,
        actor=actor,
    )


def revoke_site_visit_consent(
    case: Case, command: RevokeSiteVisitConsent, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    job_id, revoked_on = command.job_id, command.revoked_on
    job = _job(case, job_id)
    last = job.consent_changes[-1] if job.consent_changes else None
    if last is None or not last.given:
        if last is not None and last.on == revoked_on:
            return
        raise InvalidCommand(
            f"no permission to visit job {job_id} is in force to revoke", rule_id="TA-08"
        )
    _require_consent_date(case, job, revoked_on, last)
    case.record(
        SiteVisitConsentRevoked,
        effective_on=revoked_on,
        job_id=job_id,
        policy_version=policy.version,
        actor=actor,
    )


def visit_job_site(
    case: Case, command: RecordJobSiteVisit, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    visit_id, job_id, visited_on, purpose = (
        command.visit_id,
        command.job_id,
        command.visited_on,
        command.purpose,
    )
    existing = case.assistance.visits.get(visit_id)
    if existing is not None:
        if existing == JobSiteVisit(visit_id, job_id, visited_on, purpose):
            return
        raise InvalidCommand(f"visit {visit_id} was already recorded with other details")
    job = _job(case, job_id)
    if not job.held_on(visited_on):
        raise InvalidCommand(f"job {job_id} was not held on {visited_on}")
    if blank(purpose):
        raise InvalidCommand("a job-site visit records its purpose")
    if not job.consent_in_force_on(visited_on):
        raise RuleViolation(
            "TA-08",
            f"the participant's permission to visit the site of job {job_id} was not in "
            f"force on {visited_on}",
        )
    case.record(
        JobSiteVisited,
        effective_on=visited_on,
        visit_id=visit_id,
        job_id=job_id,
        purpose=purpose,
        policy_version=policy.version,
        actor=actor,
    )


def _job(case: Case, job_id: UUID) -> Job:
    job = case.assistance.jobs.get(job_id)
    if job is None:
        raise InvalidCommand(f"no job {job_id} on case {case.case_number}")
    return job


def _require_consent_date(case: Case, job: Job, on: date, last: ConsentChange | None) -> None:
    if last is not None and on < last.on:
        raise InvalidCommand(
            f"permission for job {job.job_id} last changed on {last.on}; changes are in order"
        )
    if on < case.opened_on:
        raise InvalidCommand(f"permission cannot precede the case's opening on {case.opened_on}")
    if job.lost_on is not None and on > job.lost_on:
        raise InvalidCommand(f"job {job.job_id} ended on {job.lost_on}")
