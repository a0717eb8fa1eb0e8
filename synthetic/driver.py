"""Feeds a synthetic caseload to the application as users would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.commands import CaseCommand, OpenCase
from domain.errors import DomainError
from synthetic.history import SyntheticCommand

if TYPE_CHECKING:
    from application.cases import CaseManagement


@dataclass
class DriveResult:
    """What feeding a synthetic caseload to the application recorded and refused."""

    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)


def drive(app: CaseManagement, items: Iterable[SyntheticCommand]) -> DriveResult:
    """Feeds commands to the application as users would; checks each outcome is the expected one."""
    result = DriveResult()
    for actor, command, expected_rule in items:
        try:
            if isinstance(command, OpenCase):
                app.open_case(command, actor)
            elif isinstance(command, CaseCommand):
                app.handle(command, actor)
            else:
                raise TypeError(f"not a command the application handles: {command!r}")
        except DomainError as refusal:
            rule = refusal.rule_id or type(refusal).__name__
            result.refused[rule] = result.refused.get(rule, 0) + 1
            if rule != expected_rule:
                result.unexpected.append(f"{type(command).__name__} refused by {refusal}")
            continue
        result.accepted += 1
        if expected_rule is not None:
            result.unexpected.append(f"{type(command).__name__} accepted; {expected_rule} expected")
    return result
