"""What a supervisor asks of a case's assignment: plain data, validated on construction."""

from __future__ import annotations

from pydantic import Field

from domain.command import CaseCommand, Text
from domain.inputs import Day


class ReassignCase(CaseCommand):
    """Move the case to another caseworker, saying why."""

    caseworker_id: str = Field(min_length=1, max_length=100)
    reassigned_on: Day
    reason: Text

    effective_field = "reassigned_on"
