"""What every command is: plain data a user submits, validated on construction, dated.

A command carries no behaviour of its own: `domain.handling` sends it to the decision of its
program, which checks the rules against the case and records the events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AfterValidator, Field

from domain.base import Actor, ValueObject
from domain.errors import EffectiveDateInFuture
from domain.events import Program
from domain.inputs import Day
from domain.values import Override

if TYPE_CHECKING:
    from domain.case import Case
    from domain.policy import PolicyBook

Text = Annotated[str, Field(max_length=2000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Entries = Annotated[tuple[Annotated[str, Field(max_length=500)], ...], Field(max_length=50)]
MAX_CENTS = 100_000_000_00
CASE_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CASE_NUMBER_MAX_LENGTH = 40
UUID_SHAPE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
"""A case id as a reference gives it: where a case is named, this shape is an id, never a number."""


def not_id_shaped(number: str) -> str:
    if UUID_SHAPE.fullmatch(number):
        raise ValueError("a case number cannot have the shape of a case id (a UUID)")
    return number


class Command(ValueObject):
    """An instruction to change the case records."""

    effective_field: ClassVar[str]
    """The field holding the business date the command takes effect on."""

    @property
    def effective_on(self) -> date:
        """The business date the command takes effect on."""
        value: date = getattr(self, self.effective_field)
        return value

    def refuse_if_ahead_of(self, today: date) -> None:
        """Refuses a command that takes effect after `today`: nothing is recorded ahead of its day."""
        if self.effective_on > today:
            raise EffectiveDateInFuture(self.effective_field, self.effective_on, today)

    def requested_overrides(self) -> tuple[Override, ...]:
        """The soft-rule overrides the command asks for (only supervisors may, in the API)."""
        return ()


class OpenCase(Command):
    """Open a post-employment case for a client."""

    case_number: Annotated[
        str,
        Field(min_length=1, max_length=CASE_NUMBER_MAX_LENGTH, pattern=CASE_NUMBER_PATTERN),
        AfterValidator(not_id_shaped),
    ]
    program: Program
    client_ref: str = Field(min_length=1, max_length=64)
    caseworker_id: str = Field(min_length=1, max_length=100)
    opened_on: Day

    effective_field = "opened_on"


class CaseCommand(Command):
    """A command on an existing case."""

    case_id: UUID


Decision = Callable[["Case", Any, Actor, "PolicyBook"], None]
"""Checks a command against a case and the policy in force, then records the command's events
on the case or raises a DomainError (leaving the case unchanged). Each program maps its
commands to their decisions (`<program>.decisions.DECISIONS`)."""
