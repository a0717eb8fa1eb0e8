"""Every command, as the API, the command line and the tests import them.

Each is defined beside its program (`domain/<program>/commands.py`) as plain data; the tuples
below derive from the one registry of decisions (`domain.handling.HANDLERS`).
"""

from __future__ import annotations

from domain.assignment.commands import ReassignCase as ReassignCase
from domain.assistance.commands import (
    AuthorizePurchasedService as AuthorizePurchasedService,
)
from domain.assistance.commands import (
    ChangeGoalStatus as ChangeGoalStatus,
)
from domain.assistance.commands import (
    ChangeWage as ChangeWage,
)
from domain.assistance.commands import (
    EndCashAssistance as EndCashAssistance,
)
from domain.assistance.commands import (
    EstablishSelfSufficiencyPlan as EstablishSelfSufficiencyPlan,
)
from domain.assistance.commands import (
    GiveSiteVisitConsent as GiveSiteVisitConsent,
)
from domain.assistance.commands import (
    IdentifySkill as IdentifySkill,
)
from domain.assistance.commands import (
    LogIntervention as LogIntervention,
)
from domain.assistance.commands import (
    PlanContact as PlanContact,
)
from domain.assistance.commands import (
    ReassessPlan as ReassessPlan,
)
from domain.assistance.commands import (
    RecordContact as RecordContact,
)
from domain.assistance.commands import (
    RecordContingencyPlan as RecordContingencyPlan,
)
from domain.assistance.commands import (
    RecordEligibility as RecordEligibility,
)
from domain.assistance.commands import (
    RecordJobLoss as RecordJobLoss,
)
from domain.assistance.commands import (
    RecordJobSiteVisit as RecordJobSiteVisit,
)
from domain.assistance.commands import (
    RecordReachability as RecordReachability,
)
from domain.assistance.commands import (
    RecordReferralResult as RecordReferralResult,
)
from domain.assistance.commands import (
    ReferToCommunityResource as ReferToCommunityResource,
)
from domain.assistance.commands import (
    ReferToTraining as ReferToTraining,
)
from domain.assistance.commands import (
    RevokeSiteVisitConsent as RevokeSiteVisitConsent,
)
from domain.assistance.commands import (
    SetPlanGoal as SetPlanGoal,
)
from domain.assistance.commands import (
    StartJob as StartJob,
)
from domain.authorizations.commands import (
    CancelAuthorization as CancelAuthorization,
)
from domain.authorizations.commands import (
    PayInvoice as PayInvoice,
)
from domain.authorizations.commands import (
    ReceiveInvoice as ReceiveInvoice,
)
from domain.authorizations.commands import (
    RecordServiceProvided as RecordServiceProvided,
)
from domain.authorizations.commands import (
    UnencumberBalance as UnencumberBalance,
)
from domain.command import CaseCommand as CaseCommand
from domain.command import Command as Command
from domain.command import OpenCase as OpenCase
from domain.events import Program
from domain.handling import HANDLERS
from domain.vr.commands import (
    AuthorizeService as AuthorizeService,
)
from domain.vr.commands import (
    CorrectOutcomeDate as CorrectOutcomeDate,
)
from domain.vr.commands import (
    DecideReview as DecideReview,
)
from domain.vr.commands import (
    DetermineNewEmploymentCase as DetermineNewEmploymentCase,
)
from domain.vr.commands import (
    DetermineNotAppropriate as DetermineNotAppropriate,
)
from domain.vr.commands import (
    DeterminePEAppropriate as DeterminePEAppropriate,
)
from domain.vr.commands import (
    RecognizeGrandfathering as RecognizeGrandfathering,
)
from domain.vr.commands import (
    RecordOutcome as RecordOutcome,
)
from domain.vr.commands import (
    RemoveFromPEServices as RemoveFromPEServices,
)
from domain.vr.commands import (
    RequestPEServices as RequestPEServices,
)
from domain.vr.commands import (
    RequestReview as RequestReview,
)
from domain.vr.commands import (
    ReturnToMonitoring as ReturnToMonitoring,
)
from domain.vr.commands import (
    TerminateCase as TerminateCase,
)

CASE_COMMANDS: tuple[type[CaseCommand], ...] = tuple(HANDLERS)
"""Every command on an existing case, each handled by one decision (`domain.handling`)."""

CASH_ASSISTANCE_COMMANDS: tuple[type[CaseCommand], ...] = tuple(
    command
    for command, handler in HANDLERS.items()
    if handler.programs == frozenset({Program.CASH_ASSISTANCE})
)
"""The commands only a cash-assistance case accepts."""

COMMANDS_WITH_OVERRIDES: tuple[type[CaseCommand], ...] = tuple(
    command for command in HANDLERS if "overrides" in command.model_fields
)
"""The commands that may ask for soft-rule overrides (only supervisors may, in the API)."""
