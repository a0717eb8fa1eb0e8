"""The Case aggregate's shell: one client's post-employment case, in the VR or the
cash-assistance program, and what every program shares.

The programs live beside it (`domain/vr/`, `domain/assistance/`, the money lifecycle both share
in `domain/authorizations/`, reassignment in `domain/assignment/`): their decisions check the
rules and record events, each event applies its own change (`domain.events.CaseEvent`), so a
replay never re-runs a rule. The body below lists every event class, which registers it under
the stored topic `domain.case:Case.<Event>`. A VR case's decisions use the VR policy version in
force on its outcome date; a cash-assistance case's the TA version in force on its opening.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.assignment import events as assignment_events
from domain.assistance import events as assistance_events
from domain.assistance.policy import TAPolicy
from domain.assistance.records import AssistanceRecord
from domain.authorizations import events as authorization_events
from domain.authorizations.records import Authorization, Invoice
from domain.base import Actor, Aggregate
from domain.command import CASE_NUMBER_MAX_LENGTH, CASE_NUMBER_PATTERN, UUID_SHAPE
from domain.errors import InvalidCommand, RuleViolation
from domain.events import CaseEvent, CaseStatus, Program
from domain.policy import PolicyBook
from domain.vr import events as vr_events
from domain.vr.policy import VRPolicy
from domain.vr.records import (
    OPEN_REQUEST_STATUSES,
    CaseLink,
    Grandfathering,
    ServiceRequest,
)
from domain.vr.rules import termination_due

CASE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:pes:case")


class Case(Aggregate):
    """A post-employment case. Public methods decide; private `@event` methods only record."""

    class CaseOpened(CaseEvent, Aggregate.Created):
        """A post-employment case was opened for a client, in a program, for a caseworker."""

        status_after = CaseStatus.OPEN
        judged_by_replay = True

        case_number: str
        program: Program
        client_ref: str
        caseworker_id: str

    OutcomeAchieved = vr_events.OutcomeAchieved
    OutcomeDateCorrected = vr_events.OutcomeDateCorrected
    GrandfatheringRecognized = vr_events.GrandfatheringRecognized
    PEServicesRequested = vr_events.PEServicesRequested
    PEServicesFoundAppropriate = vr_events.PEServicesFoundAppropriate
    NewEmploymentCaseOpened = vr_events.NewEmploymentCaseOpened
    LinkedFromEarlierCase = vr_events.LinkedFromEarlierCase
    PEServicesFoundNotAppropriate = vr_events.PEServicesFoundNotAppropriate
    ReviewRequested = vr_events.ReviewRequested
    ReviewDecided = vr_events.ReviewDecided
    ServiceAuthorized = authorization_events.ServiceAuthorized

    AuthorizationCancelled = authorization_events.AuthorizationCancelled
    ServiceProvided = authorization_events.ServiceProvided
    InvoiceReceived = authorization_events.InvoiceReceived
    InvoicePaid = authorization_events.InvoicePaid
    BalanceUnencumbered = authorization_events.BalanceUnencumbered

    ReturnedToMonitoring = vr_events.ReturnedToMonitoring
    RemovedFromPEServices = vr_events.RemovedFromPEServices
    CaseTerminated = vr_events.CaseTerminated

    # Cash-assistance program (TA-01..TA-11). Purchased services (TA-10) record the money
    # events above; their `request_id` names the plan goal the service serves.

    SelfSufficiencyPlanEstablished = assistance_events.SelfSufficiencyPlanEstablished
    PlanGoalSet = assistance_events.PlanGoalSet
    GoalStatusChanged = assistance_events.GoalStatusChanged
    PlanReassessed = assistance_events.PlanReassessed
    ContingencyPlanRecorded = assistance_events.ContingencyPlanRecorded
    InterventionLogged = assistance_events.InterventionLogged
    CommunityReferralMade = assistance_events.CommunityReferralMade
    CommunityReferralResultRecorded = assistance_events.CommunityReferralResultRecorded
    ReachabilityRecorded = assistance_events.ReachabilityRecorded
    ContactPlanned = assistance_events.ContactPlanned
    ContactMade = assistance_events.ContactMade
    EligibilityRecorded = assistance_events.EligibilityRecorded
    JobStarted = assistance_events.JobStarted
    WageChanged = assistance_events.WageChanged
    JobLost = assistance_events.JobLost
    SiteVisitConsentGiven = assistance_events.SiteVisitConsentGiven
    SiteVisitConsentRevoked = assistance_events.SiteVisitConsentRevoked
    JobSiteVisited = assistance_events.JobSiteVisited
    CashAssistanceEnded = assistance_events.CashAssistanceEnded
    TrainingReferralMade = assistance_events.TrainingReferralMade
    SkillIdentified = assistance_events.SkillIdentified

    CaseReassigned = assignment_events.CaseReassigned

    @staticmethod
    def create_id(case_number: str, **_: Any) -> UUID:
        return case_id_for(case_number)

    @event(CaseOpened)
    def __init__(
        self,
        case_number: str,
        program: Program,
        client_ref: str,
        caseworker_id: str,
        effective_on: date,
        actor: Actor,
    ) -> None:
        self.case_number = case_number
        self.program = program
        self.client_ref = client_ref
        self.caseworker_id = caseworker_id
        self.opened_on = effective_on
        self.status = CaseStatus.OPEN
        self.outcome_date: date | None = None
        self.employer: str | None = None
        self.job_title: str | None = None
        self.hourly_wage_cents: int | None = None
        self.weekly_hours: float | None = None
        self.occupation_code: str | None = None
        self.grandfathering: Grandfathering | None = None
        self.linked_from: CaseLink | None = None
        self.requests: dict[UUID, ServiceRequest] = {}
        self.authorizations: dict[UUID, Authorization] = {}
        self.invoices: dict[UUID, Invoice] = {}
        self.left_pe_services_on: date | None = None
        self.terminated_on: date | None = None
        self.last_activity_on = effective_on
        self.assistance = AssistanceRecord()

    # Reads

    def governing_policy(self, policies: PolicyBook, on: date | None = None) -> VRPolicy:
        """The VR policy version for this case: the one in force on its outcome date."""
        reference = self.outcome_date or on or self.opened_on
        return policies.vr_in_force_on(reference)

    def assistance_policy(self, policies: PolicyBook) -> TAPolicy:
        """The cash-assistance policy version for this case: the one in force on its opening."""
        return policies.ta_in_force_on(self.opened_on)

    def termination_date(self, policy: VRPolicy) -> date | None:
        """The VR-11 date as things stand; None while a PE service is open, without outcome, or
        for a cash-assistance case (VR-11 is the VR program's; those cases never terminate)."""
        if self.terminated_on is not None:
            return self.terminated_on
        if self.program is not Program.VR:
            return None
        return termination_due(
            policy,
            self.outcome_date,
            self.status is CaseStatus.IN_PE_SERVICES,
            self.left_pe_services_on,
        )

    def open_requests(self) -> list[ServiceRequest]:
        return [r for r in self.requests.values() if r.status in OPEN_REQUEST_STATUSES]

    def open_authorizations(self) -> list[Authorization]:
        return [a for a in self.authorizations.values() if not a.is_closed]

    @property
    def encumbered_cents(self) -> int:
        return sum(a.encumbered_cents for a in self.authorizations.values())

    # Shared guards: checks raise; events apply their own changes

    def refuse_if_terminated(self) -> None:
        if self.status is CaseStatus.TERMINATED:
            raise RuleViolation(
                "VR-11",
                f"case {self.case_number} terminated on {self.terminated_on}; "
                "no command is accepted after termination",
            )

    def require_not_before_opening(self, on: date, what: str) -> None:
        if on < self.opened_on:
            raise InvalidCommand(f"{what} cannot precede the case's opening on {self.opened_on}")

    def refuse_after_termination(self, on: date, policy: VRPolicy) -> None:
        due = self.termination_date(policy)
        if due is not None and on > due:
            raise RuleViolation(
                "VR-11",
                f"case {self.case_number} terminates on {due}; nothing can take effect later",
            )

    def require_not_before_last_activity(self, on: date) -> None:
        if on < self.last_activity_on:
            raise InvalidCommand(f"the case's last recorded fact is dated {self.last_activity_on}")

    def note_activity(self, on: date) -> None:
        self.last_activity_on = max(self.last_activity_on, on)


def case_id_for(case_number: str) -> UUID:
    """Case ids derive from case numbers, so opening the same case twice is detectable."""
    return uuid5(CASE_ID_NAMESPACE, case_number)


CASE_NUMBER = re.compile(CASE_NUMBER_PATTERN)


def case_id_of(reference: str) -> UUID:
    """The id of the case a reference names: a UUID-shaped reference is the id itself (no case
    number has that shape), any other is a case number; ValueError if it is neither."""
    if UUID_SHAPE.fullmatch(reference):
        return UUID(reference)
    if len(reference) <= CASE_NUMBER_MAX_LENGTH and CASE_NUMBER.fullmatch(reference):
        return case_id_for(reference)
    raise ValueError(f"{reference!r} is neither a case id (a UUID) nor a case number")
