"""Corrections, not edits: a wrong outcome date is corrected by a new event (VR-01, VR-02, VR-11)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.case import Case
from domain.deadlines import DeadlineKind, deadlines, timeline_of
from domain.errors import InvalidCommand, RuleViolation
from domain.termination import scheduled_termination
from domain.values import Override
from tests.builders import ANNIVERSARY, OUTCOME, POLICIES, POLICY, SUPERVISOR, CaseFile

CORRECTED = date(2024, 3, 15)


def test_a_correction_keeps_the_original_and_moves_every_date_derived_from_the_outcome() -> None:
    file = CaseFile()

    file.do(file.correct_outcome(CORRECTED, on=date(2024, 4, 2)), SUPERVISOR)

    events = file.all_events()
    original, correction = events[1], events[2]
    assert isinstance(original, Case.OutcomeAchieved) and original.effective_on == OUTCOME
    assert isinstance(correction, Case.OutcomeDateCorrected)
    assert (correction.original_outcome_date, correction.corrected_outcome_date) == (
        OUTCOME,
        CORRECTED,
    )
    assert correction.effective_on == date(2024, 4, 2)
    assert correction.evidence_ref == "DOC-2024-0117 payroll record"
    assert correction.actor == SUPERVISOR
    assert file.case.outcome_date == CORRECTED
    # VR-11: 2024-03-15 + 12 months, instead of 2025-02-28 for the original date.
    assert file.case.termination_date(POLICY) == date(2025, 3, 15) != ANNIVERSARY
    assert scheduled_termination(events, POLICIES) == date(2025, 3, 15)
    timeline = timeline_of(events)
    assert timeline is not None and timeline.outcome_on == CORRECTED
    window = next(
        d for d in deadlines(timeline, POLICIES) if d.kind is DeadlineKind.INITIATION_WINDOW
    )
    assert window.due_on == date(2025, 3, 15)  # VR-02


def test_a_correction_that_would_put_an_authorization_outside_the_window_is_refused_VR_02() -> None:
    file = CaseFile()
    request = file.open_request(date(2024, 3, 4))
    authorization = file.authorized(request, date(2024, 3, 4))  # starts 2024-03-04

    with pytest.raises(RuleViolation) as refusal:
        file.do(file.correct_outcome(date(2024, 3, 6), on=date(2024, 3, 10)), SUPERVISOR)

    assert refusal.value.rule_id == "VR-02"
    assert f"request {request}" in str(refusal.value)
    assert file.case.outcome_date == OUTCOME and file.case.version == 5
    assert authorization in file.case.authorizations


def test_a_correction_that_would_make_a_planned_end_need_an_override_is_refused_VR_03() -> None:
    file = CaseFile()
    request = file.open_request(date(2024, 3, 4))
    # Ends 2025-02-20: inside outcome + 12 months (2025-02-28); with an outcome of 2024-02-10
    # the limit would be 2025-02-10, so VR-03 would need an override it does not carry.
    # VR-04 (3 months) is overridden, so only VR-03 speaks.
    file.authorized(
        request,
        date(2024, 3, 4),
        start=date(2024, 10, 1),
        end=date(2025, 2, 20),
        overrides=(Override(rule_id="VR-04", reason="the course runs longer"),),
    )

    with pytest.raises(RuleViolation) as refusal:
        file.do(file.correct_outcome(date(2024, 2, 10), on=date(2024, 3, 10)), SUPERVISOR)

    assert refusal.value.rule_id == "VR-03"


@pytest.mark.parametrize(
    ("corrected", "on", "expected_error", "rule_id", "message"),
    [
        (OUTCOME, date(2024, 4, 2), InvalidCommand, None, "already 2024-02-29"),
        (date(2023, 8, 1), date(2024, 4, 2), RuleViolation, "VR-01", "cannot precede"),
        (date(2024, 4, 3), date(2024, 4, 2), InvalidCommand, None, "after the day it is corrected"),
        (date(2024, 2, 1), date(2024, 2, 20), InvalidCommand, None, "last recorded fact"),
    ],
)
def test_a_correction_that_cannot_be_right_is_refused(
    corrected: date, on: date, expected_error: type[Exception], rule_id: str | None, message: str
) -> None:
    file = CaseFile()

    with pytest.raises(expected_error, match=message) as refusal:
        file.do(file.correct_outcome(corrected, on=on), SUPERVISOR)

    assert getattr(refusal.value, "rule_id", None) == rule_id
    assert file.case.outcome_date == OUTCOME


def test_there_is_nothing_to_correct_before_an_outcome_VR_01() -> None:
    file = CaseFile(outcome=None, opened_on=date(2024, 1, 2))

    with pytest.raises(RuleViolation) as refusal:
        file.do(file.correct_outcome(CORRECTED, on=date(2024, 4, 2)), SUPERVISOR)

    assert refusal.value.rule_id == "VR-01"


def test_a_correction_names_its_reason_and_evidence() -> None:
    file = CaseFile()
    with pytest.raises(ValidationError, match="evidence_ref"):
        file.correct_outcome(CORRECTED, on=date(2024, 4, 2), evidence_ref="")
    with pytest.raises(InvalidCommand, match="needs a reason and a reference to its evidence"):
        file.do(file.correct_outcome(CORRECTED, on=date(2024, 4, 2), reason="  "), SUPERVISOR)
