"""The VR program's facts. Each says which rules its decision enforces and how it moves the
case (`domain.events.CaseEvent`), and applies its own change to the case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from domain.base import Aggregate
from domain.events import CaseEvent, CaseStatus

if TYPE_CHECKING:
    from domain.case import Case


class OutcomeAchieved(CaseEvent):
    """The client achieved a successful employment outcome on `effective_on` (VR-01)."""

    rules = ("VR-01",)
    status_after = CaseStatus.MONITORING
    judged_by_replay = True

    class_version: ClassVar[int] = 3

    employer: str
    job_title: str
    hourly_wage_cents: int
    weekly_hours: float
    occupation_code: str | None = Field(
        None, description="Standard Occupational Classification code (e.g. 51-3011), if known"
    )

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 2 added the occupation code; outcomes recorded before it have none."""
        state["occupation_code"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 3 chained the events (as version 2 of the other event types did)."""
        Aggregate.Event.upcast_v1_v2(state)

    def apply(self, case: Case) -> None:
        case.outcome_date = self.effective_on
        case.employer = self.employer
        case.job_title = self.job_title
        case.hourly_wage_cents = self.hourly_wage_cents
        case.weekly_hours = self.weekly_hours
        case.occupation_code = self.occupation_code
