"""What a VR caseworker, supervisor or the system asks of a VR case: plain data, validated on
construction. Field names are the HTTP bodies' (docs/api.md)."""

from __future__ import annotations

from pydantic import Field

from domain.command import CaseCommand
from domain.inputs import Day, Number, Whole
from domain.values import (
    ServiceType,
)


class RecordOutcome(CaseCommand):
    """Record the successful employment outcome (VR-01)."""

    outcome_date: Day
    employer: str = Field(min_length=1, max_length=200)
    job_title: str = Field(min_length=1, max_length=200)
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)
    occupation_code: str | None = Field(None, pattern=r"^\d{2}-\d{4}$")

    effective_field = "outcome_date"


class CorrectOutcomeDate(CaseCommand):
    """Correct a wrongly recorded outcome date, citing the reason and the evidence (VR-01)."""

    corrected_outcome_date: Day
    corrected_on: Day
    reason: str = Field(min_length=1, max_length=2000)
    evidence_ref: str = Field(min_length=1, max_length=500)

    effective_field = "corrected_on"


class RecognizeGrandfathering(CaseCommand):
    """Record that the case was receiving EW services on the grandfathering date (VR-12)."""

    recognized_on: Day
    evidence: str = Field(min_length=1, max_length=2000)
    services_started_on: Day
    planned_services: tuple[ServiceType, ...] = Field(min_length=1)

    effective_field = "recognized_on"
