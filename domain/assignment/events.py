"""The facts of who carries a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.events import CaseEvent

if TYPE_CHECKING:
    from domain.case import Case


class CaseReassigned(CaseEvent):
    """The case moved to another caseworker on `effective_on`, for a stated reason."""

    judged_by_replay = True  # findings name the case's current caseworker

    previous_caseworker_id: str
    caseworker_id: str
    reason: str

    def apply(self, case: Case) -> None:
        case.caseworker_id = self.caseworker_id
