"""Decision records of refused commands: kept beside a case, never in its history.

A case's history holds facts, and a refused command changed nothing; yet an auditor (who tried
what, refused by which rule) and a policy analyst (what would a candidate policy have allowed)
need it. So each case has a refusal log of its own, a sequence of `CommandRefused` records
chained exactly as the case's events are (`previous_hash`, `content_hash`): a changed, removed
or reordered record breaks the chain (`domain.integrity.ChainVerifier` checks both).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from domain.base import Actor, DomainEvent, content_digest, numbered_id
from domain.case import Case
from domain.command import Command
from domain.errors import DomainError
from domain.events import Program
from domain.policy import PolicyBook


class CommandRefused(DomainEvent):
    """A command the domain refused: what was asked, by whom, when, and which rule refused it.

    `originator_id` is the case id and `originator_version` the record's place in the case's
    refusal log (1, 2, 3... without gaps), which is kept apart from the case's events.
    """

    case_number: str | None = Field(description="The case's number; none if it did not exist")
    case_version: int = Field(
        ge=0, description="The case's version when the command was refused (0: no case)"
    )
    program: Program | None = Field(description="The case's program; none if it did not exist")
    command_type: str = Field(description="The refused command's type, e.g. AuthorizeService")
    command: str = Field(description="The command as submitted, as canonical JSON")
    rule_ids: tuple[str, ...] = Field(description="The rule IDs of the refusal (none: no rule)")
    messages: tuple[str, ...] = Field(description="Why the command was refused")
    policy_version: str | None = Field(
        description="The version of the policy governing the case when refused"
    )
    actor: Actor
    effective_on: date = Field(description="The business day the command was refused on")
    previous_hash: str | None = Field(
        None,
        description="content_hash of the case's previous refusal record: the hash chain (none on "
        "the first)",
    )
    content_hash: str | None = Field(
        None,
        description="SHA-256 (hex) of this record's content: every other field as canonical JSON "
        "(docs/audit.md)",
    )

    @property
    def case_id(self) -> UUID:
        return self.originator_id

    @property
    def refusal_id(self) -> UUID:
        """The record's identity: the same on every redelivery."""
        return refusal_id(self.originator_id, self.originator_version)


def refusal_id(case_id: UUID, number: int) -> UUID:
    """The id of the `number`th refusal recorded for a case."""
    return numbered_id(case_id, "refusal", number)


def submitted(command: Command) -> str:
    """The command as submitted, as canonical JSON (the shared refusal record contract)."""
    return json.dumps(command.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def governing_policy_version(case: Case, policies: PolicyBook) -> str:
    """The version of the policy that governs `case`'s decisions, for its program."""
    if case.program is Program.CASH_ASSISTANCE:
        return case.assistance_policy(policies).version
    return case.governing_policy(policies).version


@dataclass(frozen=True)
class RefusalLog:
    """Where a case's refusal log stands: its last record's number and seal."""

    case_id: UUID
    version: int = 0
    head: str | None = None

    def refused(
        self,
        command: Command,
        error: DomainError,
        actor: Actor,
        case: Case | None,
        policies: PolicyBook,
        today: date,
        recorded_at: datetime,
    ) -> CommandRefused:
        """The log's next record, for `command` refused with `error` on `case` (None: no case
        existed), sealed into the log's chain."""
        record = CommandRefused(
            originator_id=self.case_id,
            originator_version=self.version + 1,
            timestamp=recorded_at,
            case_number=case.case_number if case else None,
            case_version=case.version if case else 0,
            program=case.program if case else None,
            command_type=type(command).__name__,
            command=submitted(command),
            rule_ids=(error.rule_id,) if error.rule_id else (),
            messages=(error.message,),
            policy_version=governing_policy_version(case, policies) if case else None,
            actor=actor,
            effective_on=today,
            previous_hash=self.head,
        )
        return record.model_copy(update={"content_hash": content_digest(record)})

    def after(self, record: CommandRefused) -> RefusalLog:
        return RefusalLog(self.case_id, record.originator_version, record.content_hash)


def refusals_as_of(refusals: list[CommandRefused], day: date) -> list[CommandRefused]:
    """The refusals recorded on business days up to `day`."""
    return [r for r in refusals if r.effective_on <= day]
