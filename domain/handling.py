"""The one registry of decisions: which decision handles each command, for which programs.

The program and the case's lifecycle are checked here, once, before a decision runs: a
command of one program is refused on the other's cases, and nothing is accepted after a case
terminated (VR-11). Each program lists its own decisions (`<program>.DECISIONS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.assignment import decisions as assignment
from domain.assistance import decisions as assistance
from domain.authorizations import decisions as authorizations
from domain.base import Actor
from domain.case import Case
from domain.command import CaseCommand, Decision, OpenCase
from domain.errors import InvalidCommand
from domain.events import Program
from domain.policy import PolicyBook
from domain.vr import decisions as vr


@dataclass(frozen=True)
class Handler:
    """The decision a command goes to, and the programs whose cases accept it."""

    decide: Decision
    programs: frozenset[Program]


PROGRAM_NAMES = {Program.VR: "VR", Program.CASH_ASSISTANCE: "cash-assistance"}


def _for(
    programs: frozenset[Program], decisions: Mapping[type[CaseCommand], Decision]
) -> dict[type[CaseCommand], Handler]:
    return {command: Handler(decide, programs) for command, decide in decisions.items()}


HANDLERS: dict[type[CaseCommand], Handler] = {
    **_for(frozenset({Program.VR}), vr.DECISIONS),
    **_for(frozenset({Program.VR, Program.CASH_ASSISTANCE}), authorizations.DECISIONS),
    **_for(frozenset({Program.CASH_ASSISTANCE}), assistance.DECISIONS),
    **_for(frozenset(Program), assignment.DECISIONS),
}
"""Command type → its handler; every case command has exactly one."""


def open_case(command: OpenCase, actor: Actor) -> Case:
    """A new case, recorded as opened by `actor`."""
    return Case(
        case_number=command.case_number,
        program=command.program,
        client_ref=command.client_ref,
        caseworker_id=command.caseworker_id,
        effective_on=command.opened_on,
        actor=actor,
    )


def decide(case: Case, command: CaseCommand, actor: Actor, policies: PolicyBook) -> None:
    """Lets the command's decision check it against the case; it records events or raises a
    DomainError, and the case is changed only when it records."""
    handler = HANDLERS[type(command)]
    case.refuse_if_terminated()
    if case.program not in handler.programs:
        raise InvalidCommand(
            f"case {case.case_number} is not a "
            f"{' or '.join(PROGRAM_NAMES[p] for p in sorted(handler.programs))} case"
        )
    handler.decide(case, command, actor, policies)
