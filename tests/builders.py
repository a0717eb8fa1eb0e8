"""Commands and actors that tests use to drive the application."""

from __future__ import annotations

from datetime import date, timedelta

from domain.base import Actor, Role
from domain.case import Program, case_id_for
from domain.commands import CorrectOutcomeDate, OpenCase, RecordOutcome

CASEWORKER = Actor(id="cw-ada", role=Role.CASEWORKER)


def open_case(
    number: str, caseworker: str = "cw-ada", opened_on: date = date(2024, 1, 15)
) -> OpenCase:
    return OpenCase(
        case_number=number,
        program=Program.VR,
        client_ref=f"CL-{number}",
        caseworker_id=caseworker,
        opened_on=opened_on,
    )


def record_outcome(number: str, outcome_date: date = date(2024, 3, 1)) -> RecordOutcome:
    return RecordOutcome(
        case_id=case_id_for(number),
        outcome_date=outcome_date,
        employer="Riverside Bakery",
        job_title="Baker",
        hourly_wage_cents=1850,
        weekly_hours=32.5,
    )


def correct_outcome_date(number: str, evidence_ref: str) -> CorrectOutcomeDate:
    return CorrectOutcomeDate(
        case_id=case_id_for(number),
        corrected_outcome_date=date(2024, 3, 4),
        corrected_on=date(2024, 3, 10),
        reason="the employer's letter gives the 4th",
        evidence_ref=evidence_ref,
    )


def case_numbers(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i:05d}" for i in range(count)]


def day(offset: int) -> date:
    return date(2024, 1, 1) + timedelta(days=offset)
