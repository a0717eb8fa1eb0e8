"""Domain errors: each refusal says what was wrong and, where a policy rule applies, its ID."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

Predicate = TypeVar("Predicate", bound=Callable[..., Any])


class DomainError(Exception):
    """A command was refused; nothing was recorded."""

    rule_id: str | None = None

    def __init__(self, message: str, *, rule_id: str | None = None) -> None:
        self.rule_id = rule_id if rule_id is not None else self.rule_id
        self.message = message
        super().__init__(f"{self.rule_id}: {message}" if self.rule_id else message)


class RuleViolation(DomainError):
    """A hard policy rule refuses the command."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(message, rule_id=rule_id)


class OverrideRequired(DomainError):
    """A soft policy rule refuses the command unless it carries an override justification."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(f"{message} (an override with a reason is required)", rule_id=rule_id)


class InvalidCommand(DomainError):
    """The command contradicts the case's own facts (not a policy rule)."""


class CaseNotFound(DomainError):
    """No case has the given id."""


class CaseAlreadyExists(DomainError):
    """A case with this number was opened before."""


class ConcurrencyConflict(DomainError):
    """Another writer changed the case first; reload and retry."""


class EffectiveDateInFuture(DomainError):
    """The command takes effect after today: a fact is recorded on or after its day, never ahead."""

    def __init__(self, field: str, effective_on: date, today: date) -> None:
        self.field = field
        self.effective_on = effective_on
        self.today = today
        super().__init__(
            f"{field} {effective_on} is after today ({today}): a fact can only be recorded "
            "on or after the day it takes effect"
        )


def exemption(rule_id: str) -> Callable[[Predicate], Predicate]:
    """Marks a predicate through which a rule exempts from other rules (VR-12). It refuses
    nothing, yet a decision that consults it applies the rule, and the audit trail names it."""

    def mark(predicate: Predicate) -> Predicate:
        predicate.exempting_rule = rule_id  # type: ignore[attr-defined]
        return predicate

    return mark
