"""Commands: what a user asks the system to do to a case. Validated on construction.

Each case command hands its fields to one public method of the Case aggregate, which checks the
rules and records the event; the application only loads, applies and saves.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from domain.assignment.commands import ReassignCase
from domain.assistance import (
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
from domain.base import Actor
from domain.case import Case, Program
from domain.command import MAX_CENTS, CaseCommand, Command, Entries, Name, Text
from domain.inputs import Day, Flag, Number, Whole
from domain.policy import PolicyBook
from domain.values import (
    AdvanceAssessment,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from domain.vr.commands import RecordOutcome


class OpenCase(Command):
    """Open a post-employment case for a client."""

    case_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    program: Program
    client_ref: str = Field(min_length=1, max_length=64)
    caseworker_id: str = Field(min_length=1, max_length=100)
    opened_on: Day

    effective_field = "opened_on"


class CorrectOutcomeDate(CaseCommand):
    """Correct a wrongly recorded outcome date, citing the reason and the evidence (VR-01)."""

    corrected_outcome_date: Day
    corrected_on: Day
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(min_length=1, max_length=500)

    effective_field = "corrected_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.correct_outcome_date(
            corrected_outcome_date=self.corrected_outcome_date,
            corrected_on=self.corrected_on,
            reason=self.reason,
            evidence_ref=self.evidence_ref,
            actor=actor,
            policies=policies,
        )


class RecognizeGrandfathering(CaseCommand):
    """Record that the case was receiving EW services on the grandfathering date (VR-12)."""

    recognized_on: Day
    evidence: str = Field(min_length=1, max_length=2000)
    services_started_on: Day
    planned_services: tuple[ServiceType, ...] = Field(min_length=1)

    effective_field = "recognized_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.recognize_grandfathering(
            recognized_on=self.recognized_on,
            evidence=self.evidence,
            services_started_on=self.services_started_on,
            planned_services=self.planned_services,
            actor=actor,
            policies=policies,
        )


class RequestPEServices(CaseCommand):
    """Record a client's request for post-employment services and its assessment (VR-07)."""

    request_id: UUID
    requested_on: Day
    purpose: RequestPurpose
    maintain: MaintainAssessment | None = None
    advance: AdvanceAssessment | None = None

    effective_field = "requested_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.request_services(
            request_id=self.request_id,
            requested_on=self.requested_on,
            purpose=self.purpose,
            maintain=self.maintain,
            advance=self.advance,
            actor=actor,
            policies=policies,
        )


class DeterminePEAppropriate(CaseCommand):
    """Determine that the request is a PE need, affirming the scope criteria (VR-05, VR-08)."""

    request_id: UUID
    determined_on: Day
    criteria: ScopeCriteria
    expected_provided_by: Day

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_pe_appropriate(
            request_id=self.request_id,
            determined_on=self.determined_on,
            criteria=self.criteria,
            expected_provided_by=self.expected_provided_by,
            actor=actor,
            policies=policies,
        )


class DetermineNewEmploymentCase(CaseCommand):
    """Determine that the need requires a new employment program case, opened and linked (VR-08)."""

    request_id: UUID
    determined_on: Day
    new_case_number: str = Field(min_length=1, max_length=40)
    reasons: tuple[NewCaseReason, ...] = Field(min_length=1)

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_new_employment_case(
            request_id=self.request_id,
            determined_on=self.determined_on,
            new_case_number=self.new_case_number,
            reasons=self.reasons,
            actor=actor,
            policies=policies,
        )


class DetermineNotAppropriate(CaseCommand):
    """Determine that neither PE nor a new case is appropriate, with explanation and notice (VR-08)."""

    request_id: UUID
    determined_on: Day
    written_explanation: Text
    review_notice_given: Flag

    effective_field = "determined_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.determine_not_appropriate(
            request_id=self.request_id,
            determined_on=self.determined_on,
            written_explanation=self.written_explanation,
            review_notice_given=self.review_notice_given,
            actor=actor,
            policies=policies,
        )


class RequestReview(CaseCommand):
    """Record the client's request for a Review of Decisions (VR-08)."""

    request_id: UUID
    requested_on: Day
    grounds: Text

    effective_field = "requested_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.request_review(
            request_id=self.request_id,
            requested_on=self.requested_on,
            grounds=self.grounds,
            actor=actor,
            policies=policies,
        )


class DecideReview(CaseCommand):
    """Record the review's decision: upheld or reversed (VR-08)."""

    request_id: UUID
    decided_on: Day
    decision: ReviewDecision
    reason: Text

    effective_field = "decided_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.decide_review(
            request_id=self.request_id,
            decided_on=self.decided_on,
            decision=self.decision,
            reason=self.reason,
            actor=actor,
            policies=policies,
        )


class AuthorizeService(CaseCommand):
    """Enter a PE service in the IPE and authorize it (VR-02..VR-04, VR-06, VR-09, VR-12)."""

    authorization_id: UUID
    request_id: UUID
    authorized_on: Day
    service_type: ServiceType
    category: ServiceCategory
    provider: str = Field(min_length=1, max_length=200)
    planned_start: Day
    planned_end: Day
    amount_cents: Whole = Field(ge=0, le=MAX_CENTS)
    ipe_entry: Text
    overrides: tuple[Override, ...] = ()

    effective_field = "authorized_on"

    def requested_overrides(self) -> tuple[Override, ...]:
        return self.overrides

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.authorize_service(
            authorization_id=self.authorization_id,
            request_id=self.request_id,
            authorized_on=self.authorized_on,
            service_type=self.service_type,
            category=self.category,
            provider=self.provider,
            planned_start=self.planned_start,
            planned_end=self.planned_end,
            amount_cents=self.amount_cents,
            ipe_entry=self.ipe_entry,
            overrides=self.overrides,
            actor=actor,
            policies=policies,
        )


class CancelAuthorization(CaseCommand):
    """Cancel an authorization whose service was not provided."""

    authorization_id: UUID
    cancelled_on: Day
    reason: Text

    effective_field = "cancelled_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.cancel_authorization(
            authorization_id=self.authorization_id,
            cancelled_on=self.cancelled_on,
            reason=self.reason,
            actor=actor,
            policies=policies,
        )


class RecordServiceProvided(CaseCommand):
    """Record that an authorized service was provided."""

    authorization_id: UUID
    provided_on: Day

    effective_field = "provided_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_service_provided(
            authorization_id=self.authorization_id,
            provided_on=self.provided_on,
            actor=actor,
            policies=policies,
        )


class ReceiveInvoice(CaseCommand):
    """Record a provider's invoice against an authorization (VR-10)."""

    invoice_id: UUID
    authorization_id: UUID
    received_on: Day
    invoice_number: str = Field(min_length=1, max_length=100)
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "received_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.receive_invoice(
            invoice_id=self.invoice_id,
            authorization_id=self.authorization_id,
            received_on=self.received_on,
            invoice_number=self.invoice_number,
            amount_cents=self.amount_cents,
            actor=actor,
            policies=policies,
        )


class PayInvoice(CaseCommand):
    """Record the payment of an invoice (VR-10)."""

    invoice_id: UUID
    paid_on: Day
    amount_cents: Whole = Field(gt=0, le=MAX_CENTS)

    effective_field = "paid_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.pay_invoice(
            invoice_id=self.invoice_id,
            paid_on=self.paid_on,
            amount_cents=self.amount_cents,
            actor=actor,
            policies=policies,
        )


class UnencumberBalance(CaseCommand):
    """Release an authorization's unpaid balance once its service is closed (VR-10)."""

    authorization_id: UUID
    unencumbered_on: Day

    effective_field = "unencumbered_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.unencumber_balance(
            authorization_id=self.authorization_id,
            unencumbered_on=self.unencumbered_on,
            actor=actor,
            policies=policies,
        )


class ReturnToMonitoring(CaseCommand):
    """Return the case to Post Employment Monitoring once its services are closed (VR-10)."""

    returned_on: Day

    effective_field = "returned_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.return_to_monitoring(returned_on=self.returned_on, actor=actor, policies=policies)


class RemoveFromPEServices(CaseCommand):
    """Remove the case from PE services explicitly, with a reason (VR-10, VR-11)."""

    removed_on: Day
    reason: Text

    effective_field = "removed_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.remove_from_pe_services(
            removed_on=self.removed_on, reason=self.reason, actor=actor, policies=policies
        )


class TerminateCase(CaseCommand):
    """Record the automatic termination on the case's VR-11 date (system actor only)."""

    terminated_on: Day

    effective_field = "terminated_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.terminate(terminated_on=self.terminated_on, actor=actor, policies=policies)


# Cash-assistance program (TA-01..TA-11)


class EstablishSelfSufficiencyPlan(CaseCommand):
    """Establish the participant's post-employment self-sufficiency plan (TA-01)."""

    established_on: Day
    emergent_needs: Entries = Field(description="The emergent needs, highest priority first")
    resources_mobilised: Entries
    next_reassessment_on: Day

    effective_field = "established_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.establish_plan(
            established_on=self.established_on,
            emergent_needs=self.emergent_needs,
            resources_mobilised=self.resources_mobilised,
            next_reassessment_on=self.next_reassessment_on,
            actor=actor,
            policies=policies,
        )


class SetPlanGoal(CaseCommand):
    """Add a goal to the plan, with its target date and responsible party (TA-01)."""

    goal_id: UUID
    set_on: Day
    description: Text
    target_date: Day
    responsible_party: ResponsibleParty

    effective_field = "set_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.set_goal(
            goal_id=self.goal_id,
            set_on=self.set_on,
            description=self.description,
            target_date=self.target_date,
            responsible_party=self.responsible_party,
            actor=actor,
            policies=policies,
        )


class ChangeGoalStatus(CaseCommand):
    """Move a plan goal to in progress, achieved or discontinued (TA-01)."""

    goal_id: UUID
    changed_on: Day
    status: GoalStatus
    note: Text = ""

    effective_field = "changed_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.change_goal_status(
            goal_id=self.goal_id,
            changed_on=self.changed_on,
            status=self.status,
            note=self.note,
            actor=actor,
            policies=policies,
        )


class ReassessPlan(CaseCommand):
    """Re-assess the plan: re-prioritise needs, resources, the next date (TA-01, TA-02)."""

    reassessed_on: Day
    emergent_needs: Entries = Field(description="The emergent needs, highest priority first")
    resources_mobilised: Entries
    summary: Text
    next_reassessment_on: Day

    effective_field = "reassessed_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.reassess_plan(
            reassessed_on=self.reassessed_on,
            emergent_needs=self.emergent_needs,
            resources_mobilised=self.resources_mobilised,
            summary=self.summary,
            next_reassessment_on=self.next_reassessment_on,
            actor=actor,
            policies=policies,
        )


class RecordContingencyPlan(CaseCommand):
    """Record one area's contingency plan, or why the area needs none (TA-02)."""

    area: ContingencyArea
    recorded_on: Day
    contingency: Text | None = None
    not_needed_reason: Text | None = None

    effective_field = "recorded_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_contingency(
            area=self.area,
            recorded_on=self.recorded_on,
            contingency=self.contingency,
            not_needed_reason=self.not_needed_reason,
            actor=actor,
            policies=policies,
        )


class LogIntervention(CaseCommand):
    """Log problem solving or crisis intervention, its category and the action taken (TA-03)."""

    intervention_id: UUID
    logged_on: Day
    kind: InterventionKind
    category: InterventionCategory
    situation: Text
    action_taken: Text

    effective_field = "logged_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.log_intervention(
            intervention_id=self.intervention_id,
            logged_on=self.logged_on,
            kind=self.kind,
            category=self.category,
            situation=self.situation,
            action_taken=self.action_taken,
            actor=actor,
            policies=policies,
        )


class ReferToCommunityResource(CaseCommand):
    """Refer the participant to a community resource for a need (TA-04)."""

    referral_id: UUID
    referred_on: Day
    need: Text
    resource: Name

    effective_field = "referred_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.refer_to_community_resource(
            referral_id=self.referral_id,
            referred_on=self.referred_on,
            need=self.need,
            resource=self.resource,
            actor=actor,
            policies=policies,
        )


class RecordReferralResult(CaseCommand):
    """Record what came of a community referral (TA-04)."""

    referral_id: UUID
    recorded_on: Day
    result: ReferralResult
    note: Text = ""

    effective_field = "recorded_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_referral_result(
            referral_id=self.referral_id,
            recorded_on=self.recorded_on,
            result=self.result,
            note=self.note,
            actor=actor,
            policies=policies,
        )


class RecordReachability(CaseCommand):
    """Record when and through which channels the participant can be reached (TA-05)."""

    recorded_on: Day
    available_in_daytime: Flag
    best_times: Text = ""
    channels: tuple[ContactChannel, ...] = Field(min_length=1, max_length=len(ContactChannel))

    effective_field = "recorded_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_reachability(
            recorded_on=self.recorded_on,
            available_in_daytime=self.available_in_daytime,
            best_times=self.best_times,
            channels=self.channels,
            actor=actor,
            policies=policies,
        )


class PlanContact(CaseCommand):
    """Put a contact on the scheduling matrix: its date and channel (TA-05)."""

    contact_id: UUID
    scheduled_on: Day
    planned_for: Day
    channel: ContactChannel
    purpose: Text = ""

    effective_field = "scheduled_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.plan_contact(
            contact_id=self.contact_id,
            scheduled_on=self.scheduled_on,
            planned_for=self.planned_for,
            channel=self.channel,
            purpose=self.purpose,
            actor=actor,
            policies=policies,
        )


class RecordContact(CaseCommand):
    """Log a contact made; a planned contact's id marks it made (TA-05)."""

    contact_id: UUID
    made_on: Day
    channel: ContactChannel
    summary: Text

    effective_field = "made_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_contact(
            contact_id=self.contact_id,
            made_on=self.made_on,
            channel=self.channel,
            summary=self.summary,
            actor=actor,
            policies=policies,
        )


class RecordEligibility(CaseCommand):
    """Record the participant's status and renewal date in a support program (TA-06)."""

    program: SupportProgram
    recorded_on: Day
    status: EligibilityStatus
    renewal_on: Day | None = None
    note: Text = ""

    effective_field = "recorded_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.record_eligibility(
            program=self.program,
            recorded_on=self.recorded_on,
            status=self.status,
            renewal_on=self.renewal_on,
            note=self.note,
            actor=actor,
            policies=policies,
        )


class StartJob(CaseCommand):
    """Record a job the participant started: start date, wage and hours (TA-07)."""

    job_id: UUID
    started_on: Day
    employer: Name
    job_title: Name
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)

    effective_field = "started_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.start_job(
            job_id=self.job_id,
            started_on=self.started_on,
            employer=self.employer,
            job_title=self.job_title,
            hourly_wage_cents=self.hourly_wage_cents,
            weekly_hours=self.weekly_hours,
            actor=actor,
            policies=policies,
        )


class ChangeWage(CaseCommand):
    """Record a new wage or new weekly hours in a job held (TA-07, TA-11)."""

    job_id: UUID
    changed_on: Day
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)

    effective_field = "changed_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.change_wage(
            job_id=self.job_id,
            changed_on=self.changed_on,
            hourly_wage_cents=self.hourly_wage_cents,
            weekly_hours=self.weekly_hours,
            actor=actor,
            policies=policies,
        )


class RecordJobLoss(CaseCommand):
    """Record that the participant lost or left a job; re-employment starts (TA-07)."""

    job_id: UUID
    lost_on: Day
    reason: JobLossReason
    note: Text = ""

    effective_field = "lost_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.lose_job(
            job_id=self.job_id,
            lost_on=self.lost_on,
            reason=self.reason,
            note=self.note,
            actor=actor,
            policies=policies,
        )


class GiveSiteVisitConsent(CaseCommand):
    """Record the participant's permission to visit a job's site, and how it was given (TA-08)."""

    job_id: UUID
    given_on: Day
    how_given: Text

    effective_field = "given_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.give_site_visit_consent(
            job_id=self.job_id,
            given_on=self.given_on,
            how_given=self.how_given,
            actor=actor,
            policies=policies,
        )


class RevokeSiteVisitConsent(CaseCommand):
    """Record that the participant withdrew permission to visit a job's site (TA-08)."""

    job_id: UUID
    revoked_on: Day

    effective_field = "revoked_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.revoke_site_visit_consent(
            job_id=self.job_id, revoked_on=self.revoked_on, actor=actor, policies=policies
        )


class RecordJobSiteVisit(CaseCommand):
    """Record a visit to a job site; refused without permission in force that day (TA-08)."""

    visit_id: UUID
    job_id: UUID
    visited_on: Day
    purpose: Text

    effective_field = "visited_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.visit_job_site(
            visit_id=self.visit_id,
            job_id=self.job_id,
            visited_on=self.visited_on,
            purpose=self.purpose,
            actor=actor,
            policies=policies,
        )


class EndCashAssistance(CaseCommand):
    """Record the day the participant's cash assistance ended (TA-09)."""

    ended_on: Day
    reason: Text

    effective_field = "ended_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.end_cash_assistance(
            ended_on=self.ended_on, reason=self.reason, actor=actor, policies=policies
        )


class ReferToTraining(CaseCommand):
    """Refer the participant to education or training; not after the TA-09 window closes."""

    referral_id: UUID
    referred_on: Day
    resource: Name
    purpose: TrainingPurpose

    effective_field = "referred_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.refer_to_training(
            referral_id=self.referral_id,
            referred_on=self.referred_on,
            resource=self.resource,
            purpose=self.purpose,
            actor=actor,
            policies=policies,
        )


class IdentifySkill(CaseCommand):
    """Record a new personal skill of the participant and how it was identified (TA-11)."""

    skill_id: UUID
    identified_on: Day
    skill: Name
    how_identified: Text

    effective_field = "identified_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.identify_skill(
            skill_id=self.skill_id,
            identified_on=self.identified_on,
            skill=self.skill,
            how_identified=self.how_identified,
            actor=actor,
            policies=policies,
        )


class AuthorizePurchasedService(CaseCommand):
    """Authorize a service from contracted employment services for an open plan goal (TA-10)."""

    authorization_id: UUID
    goal_id: UUID
    authorized_on: Day
    service_type: ServiceType
    category: ServiceCategory
    provider: Name
    planned_start: Day
    planned_end: Day
    amount_cents: Whole = Field(ge=0, le=MAX_CENTS)
    plan_entry: Text

    effective_field = "authorized_on"

    def apply_to(self, case: Case, actor: Actor, policies: PolicyBook) -> None:
        case.authorize_purchased_service(
            authorization_id=self.authorization_id,
            goal_id=self.goal_id,
            authorized_on=self.authorized_on,
            service_type=self.service_type,
            category=self.category,
            provider=self.provider,
            planned_start=self.planned_start,
            planned_end=self.planned_end,
            amount_cents=self.amount_cents,
            plan_entry=self.plan_entry,
            actor=actor,
            policies=policies,
        )


CASH_ASSISTANCE_COMMANDS: tuple[type[CaseCommand], ...] = (
    EstablishSelfSufficiencyPlan,
    SetPlanGoal,
    ChangeGoalStatus,
    ReassessPlan,
    RecordContingencyPlan,
    LogIntervention,
    ReferToCommunityResource,
    RecordReferralResult,
    RecordReachability,
    PlanContact,
    RecordContact,
    RecordEligibility,
    StartJob,
    ChangeWage,
    RecordJobLoss,
    GiveSiteVisitConsent,
    RevokeSiteVisitConsent,
    RecordJobSiteVisit,
    EndCashAssistance,
    ReferToTraining,
    IdentifySkill,
    AuthorizePurchasedService,
)
"""The commands only a cash-assistance case accepts. The money commands that follow an
authorization (`CancelAuthorization` to `UnencumberBalance`) serve both programs."""
CASE_COMMANDS: tuple[type[CaseCommand], ...] = (
    RecordOutcome,
    CorrectOutcomeDate,
    RecognizeGrandfathering,
    RequestPEServices,
    DeterminePEAppropriate,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    RequestReview,
    DecideReview,
    AuthorizeService,
    CancelAuthorization,
    RecordServiceProvided,
    ReceiveInvoice,
    PayInvoice,
    UnencumberBalance,
    ReturnToMonitoring,
    RemoveFromPEServices,
    TerminateCase,
    *CASH_ASSISTANCE_COMMANDS,
    ReassignCase,
)
COMMANDS_WITH_OVERRIDES: tuple[type[CaseCommand], ...] = (AuthorizeService,)
