"""Keeping refused commands as decision records, in a table of their own beside the case events.

Recording a refusal must never change what the user is told: the refusal is the answer. So a
record that cannot be stored is logged and counted, and the refusal goes out as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, IntegrityError
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory

from adapters.avro import AvroCodec, published_schemas
from adapters.group_commit import SQLiteRecorderInBatches
from adapters.postgres_tables import PostgresRecorderInTurn
from adapters.refusal_records import RefusalMapper
from domain.base import Actor
from domain.case import Case, case_id_of
from domain.command import CaseCommand, Command, OpenCase
from domain.errors import CaseNotFound, ConcurrencyConflict, DomainError
from domain.refusals import CommandRefused, RefusalLog

if TYPE_CHECKING:
    from application.cases import CaseManagement

log = logging.getLogger(__name__)

REFUSALS_TABLE = "refusals_events"
RECORD_ATTEMPTS = 10
"""How many times a record is placed at the end of its case's log while others get there first."""
NOT_DECISIONS = (ConcurrencyConflict, CaseNotFound)
"""Refusals that are no decision about a case: a lost race, or no case to attach it to."""


class RefusalRecords(Application[UUID]):
    """Every case's refusal log, in the event store's database but in a table of its own
    (`refusals_events`), so a case's history holds facts only."""

    name = "refusals"

    def construct_mapper(self) -> RefusalMapper:
        return RefusalMapper(AvroCodec(published_schemas()), cipher=self.factory.cipher())

    def construct_recorder(self) -> ApplicationRecorder:
        # The library names SQLite's table stored_events whatever the application: the case
        # events' table. Plain recorders, too: refusals keep no idempotency keys.
        factory = cast(Any, self.factory)
        recorder: ApplicationRecorder
        if isinstance(factory, SQLiteFactory):
            # Grouped and batched as the case events are: a refusal in the API's batch is
            # recorded in that batch's transaction, not behind its write lock.
            recorder = SQLiteRecorderInBatches(factory.datastore, events_table_name=REFUSALS_TABLE)
        elif isinstance(factory, PostgresFactory):
            recorder = PostgresRecorderInTurn(factory.datastore, events_table_name=REFUSALS_TABLE)
        else:
            return self.factory.application_recorder()
        if factory.env_create_table():
            factory_recorder = cast(Any, recorder)
            factory_recorder.create_table()
        return recorder

    @property
    def refusal_mapper(self) -> RefusalMapper:
        return cast(RefusalMapper, self.mapper)

    def log_of(self, case_id: UUID) -> RefusalLog:
        """Where the case's refusal log stands now."""
        last = self.recorder.select_events(case_id, desc=True, limit=1)
        if not last:
            return RefusalLog(case_id)
        record = cast(CommandRefused, self.mapper.to_domain_event(last[0]))
        return RefusalLog(case_id, record.originator_version, record.content_hash)

    def append(
        self, case_id: UUID, record: Callable[[RefusalLog], CommandRefused]
    ) -> CommandRefused:
        """Records `record(log)` at the end of the case's log; when another writer got there
        first, again on the log as it now stands."""
        for _ in range(RECORD_ATTEMPTS):
            refusal = record(self.log_of(case_id))
            try:
                self.recorder.insert_events([self.mapper.to_stored_event(refusal)])
            except IntegrityError:
                continue
            return refusal
        raise ConcurrencyConflict(
            f"the refusal log of case {case_id} was appended to by others {RECORD_ATTEMPTS} "
            "times while this refusal was recorded"
        )

    def refusals_of(self, case_id: UUID) -> list[CommandRefused]:
        """The case's refusal records, in the order they were recorded."""
        return [
            cast(CommandRefused, self.mapper.to_domain_event(stored))
            for stored in self.recorder.select_events(case_id)
        ]


def refused_case_id(command: Command) -> UUID:
    """The case a command named."""
    if isinstance(command, CaseCommand):
        return command.case_id
    return case_id_of(cast(OpenCase, command).case_number)


class RefusalKeeper:
    """Records each refused command of the application, never letting a failure to record it
    reach the user (`on_failure` counts it)."""

    def __init__(
        self,
        records: RefusalRecords,
        on_failure: Callable[[Command, Exception], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.records = records
        self.on_failure = on_failure
        self.now = now

    def keep(self, app: CaseManagement, command: Command, actor: Actor, error: DomainError) -> None:
        """Records `command`'s refusal with `error`; never raises."""
        if isinstance(error, NOT_DECISIONS):
            return
        try:
            self._keep(app, command, actor, error)
        except Exception as failure:
            log.error(
                "refusal of %s (%s) was not recorded: %s",
                type(command).__name__,
                error.rule_id or "no rule",
                failure,
                exc_info=failure,
            )
            if self.on_failure is not None:
                self.on_failure(command, failure)

    def _keep(
        self, app: CaseManagement, command: Command, actor: Actor, error: DomainError
    ) -> None:
        case_id = refused_case_id(command)
        case: Case | None
        try:
            case = app.get_case(case_id)
        except CaseNotFound:
            if isinstance(command, CaseCommand):
                return  # no case to attach it to (refused ahead of its date, say)
            case = None
        today = app.clock()
        recorded_at = self.now()
        self.records.append(
            case_id,
            lambda log: log.refused(command, error, actor, case, app.policies, today, recorded_at),
        )

    def refusals_of(self, case_id: UUID) -> list[CommandRefused]:
        return self.records.refusals_of(case_id)
