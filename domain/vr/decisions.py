"""Which decision handles each VR command (read by `domain.handling`)."""

from __future__ import annotations

from domain.command import CaseCommand, Decision
from domain.vr import outcome
from domain.vr.commands import CorrectOutcomeDate, RecognizeGrandfathering, RecordOutcome

DECISIONS: dict[type[CaseCommand], Decision] = {
    RecordOutcome: outcome.record_outcome,
    CorrectOutcomeDate: outcome.correct_outcome_date,
    RecognizeGrandfathering: outcome.recognize_grandfathering,
}
