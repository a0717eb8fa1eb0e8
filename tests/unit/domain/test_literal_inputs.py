"""Commands take their inputs literally: no coercion of numbers, dates or booleans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, get_args, get_origin
from uuid import uuid4

import pytest
from pydantic import BaseModel, BeforeValidator, Strict, TypeAdapter, ValidationError

from domain.commands import CASE_COMMANDS, OpenCase, ReceiveInvoice, RecordOutcome
from domain.inputs import CaseVersion, Day, Flag, Number, Whole
from domain.policy import PolicyBook
from domain.replay.candidates import CandidateError, candidate_from_document
from domain.values import Answers, ScopeCriteria

COERCIBLE = (date, int, float, bool)


def coercible_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        yield from coercible(info.annotation, list(info.metadata), model, f"{prefix}{name}")


def coercible(annotation: Any, metadata: list[Any], owner: type, where: str) -> Iterator[str]:
    if get_origin(annotation) is Annotated:
        base, *more = get_args(annotation)
        yield from coercible(base, [*metadata, *more], owner, where)
    elif annotation in COERCIBLE:
        literal = any(isinstance(m, Strict | BeforeValidator) for m in metadata)
        if not literal and not (annotation is bool and issubclass(owner, Answers)):
            yield f"{where}: {annotation.__name__}"
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from coercible_fields(annotation, f"{where}.")
    else:
        for argument in get_args(annotation):
            yield from coercible(argument, [], owner, where)


@pytest.mark.parametrize("command", [OpenCase, *CASE_COMMANDS], ids=lambda c: c.__name__)
def test_every_command_field_of_a_date_number_or_flag_takes_it_literally(
    command: type[BaseModel],
) -> None:
    assert list(coercible_fields(command)) == []


@pytest.mark.parametrize(
    "value",
    [
        0,
        1735689600,
        "1735689600",
        "20250101",
        "2025-W01-1",
        "2025-001",
        "2025-01-01T00:00:00",
        datetime(2025, 1, 1),
        "2025-1-1",
        " 2025-01-01",
        True,
    ],
    ids=repr,
)
def test_a_day_is_a_date_or_a_yyyy_mm_dd_string_and_nothing_else(value: Any) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        TypeAdapter(Day).validate_python(value)


@pytest.mark.parametrize("value", [date(2025, 1, 1), "2025-01-01"], ids=repr)
def test_a_day_from_python_or_from_json_is_read_as_that_day(value: Any) -> None:
    assert TypeAdapter(Day).validate_python(value) == date(2025, 1, 1)


def test_an_impossible_day_in_the_right_shape_is_still_refused() -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Day).validate_python("2025-02-30")


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        (Whole, True),
        (Whole, "100"),
        (Whole, 100.0),
        (Number, True),
        (Number, "32.5"),
        (Flag, 1),
        (Flag, "true"),
        (CaseVersion, "1.0"),
        (CaseVersion, "1e3"),
        (CaseVersion, "true"),
        (CaseVersion, True),
        (CaseVersion, " 1"),
        (CaseVersion, "0"),
        (CaseVersion, str(2**63)),
    ],
    ids=repr,
)
def test_literal_types_refuse_what_lax_mode_would_coerce(field_type: Any, value: Any) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(field_type).validate_python(value)


def test_a_number_may_be_written_as_an_integer_and_a_case_version_as_digits() -> None:
    assert TypeAdapter(Number).validate_python(40) == 40.0
    assert TypeAdapter(CaseVersion).validate_python("42") == 42


def test_an_invoice_for_true_cents_is_refused_VR_10() -> None:
    with pytest.raises(ValidationError, match="amount_cents"):
        ReceiveInvoice(
            case_id=uuid4(),
            invoice_id=uuid4(),
            authorization_id=uuid4(),
            received_on=date(2025, 1, 2),
            invoice_number="INV-1",
            amount_cents=True,
        )


def test_an_outcome_dated_with_a_datetime_is_refused_VR_01() -> None:
    with pytest.raises(ValidationError, match="outcome_date"):
        RecordOutcome(
            case_id=uuid4(),
            outcome_date=datetime(2025, 6, 2),
            employer="Riverside Grocers",
            job_title="stock associate",
            hourly_wage_cents=1850,
            weekly_hours=32,
        )


def test_a_scope_criterion_answered_with_one_is_refused_VR_05() -> None:
    with pytest.raises(ValidationError, match="readily_available"):
        ScopeCriteria.model_validate(
            {
                "readily_available": 1,
                "easy_to_arrange": True,
                "routine": True,
                "providable_within_scope_days": True,
            }
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_service_duration_months": "12"}, "max_service_duration_months"),
        ({"scope_days": True}, "scope_days"),
        ({"initiation_window_months": 2.0}, "initiation_window_months"),
        ({"termination_after_months": 10**20}, "termination_after_months"),
        ({"grandfathering_date": "2013-08-01T00:00:00"}, "grandfathering_date"),
    ],
    ids=repr,
)
def test_a_candidate_policy_value_of_another_kind_or_beyond_a_century_is_refused_naming_it(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(CandidateError, match=field):
        candidate_from_document("candidate", changes)


def test_a_candidate_policy_of_literal_values_is_taken_VR_04() -> None:
    candidate = candidate_from_document("candidate", {"max_service_duration_months": 2})

    assert candidate.vr(PolicyBook.default().vr[0]).max_service_duration_months == 2
