"""Which decision handles each VR command (read by `domain.handling`)."""

from __future__ import annotations

from domain.command import CaseCommand, Decision
from domain.vr import authorizing, leaving, outcome, requests
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

DECISIONS: dict[type[CaseCommand], Decision] = {
    RecordOutcome: outcome.record_outcome,
    CorrectOutcomeDate: outcome.correct_outcome_date,
    RecognizeGrandfathering: outcome.recognize_grandfathering,
    RequestPEServices: requests.request_services,
    DeterminePEAppropriate: requests.determine_pe_appropriate,
    DetermineNewEmploymentCase: requests.determine_new_employment_case,
    DetermineNotAppropriate: requests.determine_not_appropriate,
    RequestReview: requests.request_review,
    DecideReview: requests.decide_review,
    AuthorizeService: authorizing.authorize_service,
    ReturnToMonitoring: leaving.return_to_monitoring,
    RemoveFromPEServices: leaving.remove_from_pe_services,
    TerminateCase: leaving.terminate,
}
