"""What a replay finds (differences), and the fact a rebuilt event records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.replay import Fact


class Judged(StrEnum):
    """What a finding judges: a recorded fact of a case, or a command that was refused."""

    RECORDED = "recorded"
    REFUSED = "refused"


class Consequence(StrEnum):
    # A recorded fact, under the candidate:
    WOULD_BE_REFUSED = "would_be_refused"
    OVERRIDE_REQUIRED = "override_required"
    OVERRIDE_NOT_NEEDED = "override_not_needed"
    TERMINATION_MOVED = "termination_moved"
    # A refused command, under the candidate (OVERRIDE_REQUIRED too):
    WOULD_BE_ACCEPTED = "would_be_accepted"
    STILL_REFUSED = "still_refused"


@dataclass(frozen=True, slots=True)
class Difference:
    """One finding: what would have gone otherwise (or, for a refusal, how it would go) under a
    candidate policy."""

    case_number: str
    case_id: str
    consequence: Consequence
    subject: str
    rule_ids: tuple[str, ...] = ()
    judged: Judged = Judged.RECORDED
    program: str = ""
    caseworker: str = ""
    service_type: str = ""
    provider: str = ""
    amount_cents: int = 0
    paid_cents: int = 0
    days_moved: int = 0
    detail: str = ""


def fact_of(event: Any) -> Fact:
    """The fact a rebuilt domain event records (a replay over events already in memory)."""
    return Fact(
        event_type=type(event).__name__,
        case_id=str(event.originator_id),
        case_version=event.originator_version,
        effective_on=event.effective_on,
        fields=event.model_dump(),
    )
