"""What every synthetic case story is written with: the command record, the case history being
written, and the people and workplaces both programs draw on."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple
from uuid import UUID

from domain.base import Actor, Role, numbered_id
from domain.commands import Command

CASEWORKERS = tuple(Actor(id=f"cw-{n:03d}", role=Role.CASEWORKER) for n in range(1, 41))

SUPERVISORS = tuple(Actor(id=f"sup-{n:02d}", role=Role.SUPERVISOR) for n in range(1, 6))

BILLING_CLERKS = tuple(Actor(id=f"billing-{n:02d}", role=Role.BILLING) for n in range(1, 4))

EMPLOYERS = (
    "Riverside Grocers",
    "Northgate Logistics",
    "County Health System",
    "Pinecrest Hotel",
    "Metro Transit",
    "Summit Manufacturing",
    "Lakeside School District",
    "Harbor Call Center",
)

JOBS = (
    "stock associate",
    "warehouse associate",
    "patient transporter",
    "housekeeper",
    "bus cleaner",
    "assembler",
    "cafeteria aide",
    "customer service representative",
)


class SyntheticCommand(NamedTuple):
    """A command, who issues it, and the rule that must refuse it (None: it must be accepted)."""

    actor: Actor
    command: Command
    expect_refusal_rule: str | None = None


class History:
    """A case's commands as they are being written, with the ids they chose."""

    rng: random.Random
    case_id: UUID
    steps: list[tuple[date, int, SyntheticCommand]]
    counters: dict[str, int]

    def add(self, actor: Actor, command: Command, refusal: str | None = None) -> None:
        self.steps.append(
            (command.effective_on, len(self.steps), SyntheticCommand(actor, command, refusal))
        )

    def next_id(self, kind: str) -> UUID:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return numbered_id(self.case_id, kind, self.counters[kind])

    def days_after(self, day: date, low: int, high: int) -> date:
        return day + timedelta(days=self.rng.randint(low, high))
