"""Commands: what a user asks the system to do to a case. Validated on construction.

Each case command hands its fields to one public method of the Case aggregate, which checks the
rules and records the event; the application only loads, applies and saves.
"""

from __future__ import annotations

from pydantic import Field

from domain.assistance.commands import (
    AuthorizePurchasedService,
    ChangeGoalStatus,
    ChangeWage,
    EndCashAssistance,
    EstablishSelfSufficiencyPlan,
    GiveSiteVisitConsent,
    IdentifySkill,
    LogIntervention,
    PlanContact,
    ReassessPlan,
    RecordContact,
    RecordContingencyPlan,
    RecordEligibility,
    RecordJobLoss,
    RecordJobSiteVisit,
    RecordReachability,
    RecordReferralResult,
    ReferToCommunityResource,
    ReferToTraining,
    RevokeSiteVisitConsent,
    SetPlanGoal,
    StartJob,
)
from domain.authorizations.commands import (
    CancelAuthorization,
    PayInvoice,
    ReceiveInvoice,
    RecordServiceProvided,
    UnencumberBalance,
)
from domain.case import Program
from domain.command import CaseCommand, Command
from domain.inputs import Day
from domain.vr.commands import (
    AuthorizeService,
    CorrectOutcomeDate,
    DecideReview,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    DeterminePEAppropriate,
    RecognizeGrandfathering,
    RecordOutcome,
    RemoveFromPEServices,
    RequestPEServices,
    RequestReview,
    ReturnToMonitoring,
    TerminateCase,
)


class OpenCase(Command):
    """Open a post-employment case for a client."""

    case_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    program: Program
    client_ref: str = Field(min_length=1, max_length=64)
    caseworker_id: str = Field(min_length=1, max_length=100)
    opened_on: Day

    effective_field = "opened_on"


# Cash-assistance program (TA-01..TA-11)

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
)
COMMANDS_WITH_OVERRIDES: tuple[type[CaseCommand], ...] = (AuthorizeService,)
