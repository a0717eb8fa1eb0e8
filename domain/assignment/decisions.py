"""Which decision handles each assignment command (read by `domain.handling`)."""

from __future__ import annotations

from domain.assignment import reassignment
from domain.assignment.commands import ReassignCase
from domain.command import CaseCommand, Decision

DECISIONS: dict[type[CaseCommand], Decision] = {
    ReassignCase: reassignment.reassign_case,
}
