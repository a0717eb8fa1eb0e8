"""A case named in a path by its id or by its case number: both lead to the same case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Path

from domain.case import case_id_for, case_id_of
from domain.command import CASE_NUMBER_MAX_LENGTH, CASE_NUMBER_PATTERN, UUID_SHAPE
from domain.errors import CaseNotFound

CASE_REFERENCE_DESCRIPTION = (
    "The case's id (a UUID, from the Location of POST /cases) or its case number "
    "(e.g. VR-1-000004); a UUID-shaped value is taken as the id"
)

CASE_PATH = "/cases/{case_id}"
"""Where a case is read (`get_case`): the Location of a case a command opened."""

# A UUID matches the case-number pattern too, so one string schema admits both.
CaseReference = Annotated[
    str,
    Path(
        title="Case id or number",
        min_length=1,
        max_length=CASE_NUMBER_MAX_LENGTH,
        pattern=CASE_NUMBER_PATTERN,
        description=CASE_REFERENCE_DESCRIPTION,
        examples=["VR-1-000004", str(case_id_for("VR-1-000004"))],
    ),
]


@dataclass(frozen=True)
class CaseRef:
    """The case a path names: its id, and the number it was named by (None if by id)."""

    id: UUID
    number: str | None

    @classmethod
    def of(cls, reference: str) -> CaseRef:
        number = None if UUID_SHAPE.fullmatch(reference) else reference
        return cls(case_id_of(reference), number)


def case_location(base_url: str, case_id: UUID) -> str:
    """The absolute URL of the case: what `request.url_for("get_case", ...)` gives, without
    searching every route for its name (≈ 20 routes tried, each failing with an exception)."""
    return base_url.rstrip("/") + CASE_PATH.format(case_id=case_id)


@contextmanager
def looked_up(ref: CaseRef) -> Iterator[None]:
    """A case named by number and not found is the same 404 as an unknown id, naming the number."""
    try:
        yield
    except CaseNotFound as error:
        if ref.number is None:
            raise
        raise CaseNotFound(f"{error.message} (case number {ref.number})") from None
