"""Reassigning a case to another caseworker: a recorded fact with its actor and reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.audit import audit_entry
from domain.case import Case
from domain.errors import InvalidCommand
from tests.builders import OUTCOME, SUPERVISOR, AssistanceFile, CaseFile


def test_a_reassignment_records_who_carried_the_case_who_carries_it_now_and_why() -> None:
    file = CaseFile()
    file.do(file.reassign(date(2024, 5, 2), to="cw-7", reason="cw-1 moved to intake"), SUPERVISOR)

    event = file.all_events()[-1]
    assert isinstance(event, Case.CaseReassigned)
    assert (event.previous_caseworker_id, event.caseworker_id) == ("cw-1", "cw-7")
    assert (event.reason, event.effective_on, event.actor) == (
        "cw-1 moved to intake",
        date(2024, 5, 2),
        SUPERVISOR,
    )
    assert file.case.caseworker_id == "cw-7"


def test_the_audit_trail_shows_the_reassignment_with_its_actor_and_reason() -> None:
    file = CaseFile()
    file.do(file.reassign(date(2024, 5, 2), reason="caseload balancing"), SUPERVISOR)

    entry = audit_entry(file.all_events()[-1])

    assert (entry.event_type, entry.actor_role, entry.reason) == (
        "CaseReassigned",
        "supervisor",
        "caseload balancing",
    )
    assert entry.facts["previous_caseworker_id"] == "cw-1"


def test_a_cash_assistance_case_is_reassigned_the_same_way() -> None:
    file = AssistanceFile()
    file.do(file.reassign(date(2024, 3, 4), to="cw-9"), SUPERVISOR)

    assert file.case.caseworker_id == "cw-9"
    assert isinstance(file.last_event(), Case.CaseReassigned)


@pytest.mark.parametrize(
    ("to", "on", "reason", "refusal"),
    [
        ("cw-1", date(2024, 5, 2), "balancing", "already cw-1's"),
        ("cw-7", date(2024, 5, 2), "   ", "needs a reason"),
        ("cw-7", date(2023, 1, 2), "balancing", "cannot precede the case's opening"),
    ],
)
def test_a_reassignment_to_the_same_caseworker_without_reason_or_before_opening_is_refused(
    to: str, on: date, reason: str, refusal: str
) -> None:
    file = CaseFile()
    version = file.case.version

    with pytest.raises(InvalidCommand, match=refusal):
        file.do(file.reassign(on, to=to, reason=reason), SUPERVISOR)

    assert (file.case.version, file.case.caseworker_id) == (version, "cw-1")


def test_a_reassignment_dated_before_the_case_s_last_fact_is_refused() -> None:
    file = CaseFile()  # its last fact is the outcome

    with pytest.raises(InvalidCommand, match="last recorded fact is dated 2024-02-29"):
        file.do(file.reassign(OUTCOME - timedelta(days=1)), SUPERVISOR)

    assert file.case.caseworker_id == "cw-1"
