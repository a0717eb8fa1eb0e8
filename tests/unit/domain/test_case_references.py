"""A case reference is its id (UUID-shaped) or its case number; ids derive from numbers."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from domain.case import case_id_for, case_id_of
from tests.builders import open_case


def test_a_case_number_names_the_case_whose_id_derives_from_it() -> None:
    assert case_id_of("VR-1-000004") == case_id_for("VR-1-000004")


def test_a_uuid_shaped_reference_is_the_id_itself() -> None:
    case_id = case_id_for("TA-7")

    assert case_id_of(str(case_id)) == case_id
    assert case_id_of(str(case_id).upper()) == case_id


@pytest.mark.parametrize("reference", ["", "-VR-1", "VR 1", "VR/1", "x" * 41])
def test_a_reference_that_is_neither_is_refused(reference: str) -> None:
    with pytest.raises(ValueError, match="neither a case id"):
        case_id_of(reference)


def test_thirty_two_hex_digits_without_hyphens_are_a_case_number() -> None:
    reference = "0" * 32

    assert case_id_of(reference) == case_id_for(reference) != UUID(reference)


def test_a_case_cannot_be_opened_under_a_number_shaped_like_an_id() -> None:
    shaped = str(case_id_for("VR-1"))

    with pytest.raises(ValidationError, match="cannot have the shape of a case id"):
        open_case(shaped)
