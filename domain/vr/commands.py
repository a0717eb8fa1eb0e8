"""What a VR caseworker, supervisor or the system asks of a VR case: plain data, validated on
construction. Field names are the HTTP bodies' (docs/api.md)."""

from __future__ import annotations

from pydantic import Field

from domain.command import CaseCommand
from domain.inputs import Day, Number, Whole


class RecordOutcome(CaseCommand):
    """Record the successful employment outcome (VR-01)."""

    outcome_date: Day
    employer: str = Field(min_length=1, max_length=200)
    job_title: str = Field(min_length=1, max_length=200)
    hourly_wage_cents: Whole = Field(gt=0, le=100_000_00)
    weekly_hours: Number = Field(gt=0, le=168)
    occupation_code: str | None = Field(None, pattern=r"^\d{2}-\d{4}$")

    effective_field = "outcome_date"
