"""The deadline process: at each tick of its clock, records the automatic terminations that have
come due (VR-11) through the application, and alerts on the other deadlines.

It never runs ahead of its clock: a tick judges today or a day before it, never a later one, so
no termination is recorded before its day. A dry run shows what a tick would record and raise,
and records and publishes nothing.

Idempotent: the domain refuses a second termination, and an alert's id derives from what it is
about, so a repeated or late tick changes nothing and a late one records the VR-11 date itself,
not the day it ran. It reads due dates from the caseload view (built from Kafka); the domain
re-checks each termination date against the event store, so a view that lags cannot terminate
a case early.

A broker outage fails only the alerts: terminations are recorded in the event store, which does
not need the broker. Alerts the broker did not acknowledge are not marked raised, so a later
tick sends them again (same alert ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from kafka import KafkaProducer
from kafka.errors import KafkaError

from adapters.avro import AvroCodec
from adapters.kafka import ReplaceableProducer
from adapters.lease import Lease
from application.cases import CaseManagement
from application.clock import Clock, utc_today
from domain.commands import TerminateCase
from domain.deadlines import DeadlineKind
from domain.errors import DomainError
from domain.termination import DEADLINE_PROCESS
from projections.caseload import CaseloadView, DeadlineEntry

log = logging.getLogger(__name__)

ALERT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:pes:deadline-alert")
NOT_ALERTED = frozenset(
    {
        DeadlineKind.TERMINATION,
        DeadlineKind.INITIATION_WINDOW,
        DeadlineKind.TRAINING_REFERRAL_WINDOW,
    }
)

ALERTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS deadline_alerts_raised (
    alert_id TEXT PRIMARY KEY,
    raised_on TEXT NOT NULL
)
"""


__all__ = ["Clock", "DeadlineEnforcer", "TickAheadOfClock", "TickReport", "utc_today"]


class TickAheadOfClock(ValueError):
    """A tick was asked for a day after the clock's today."""


@dataclass
class TickReport:
    """What one tick did (in a dry run: what it would have done)."""

    today: date
    terminated: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    alerts: int = 0
    dry_run: bool = False
    terminated_on: dict[str, date] = field(default_factory=dict)
    alerted: list[DeadlineEntry] = field(default_factory=list)
    alerts_unsent: int = 0
    """Alerts due that the broker did not acknowledge: sent again on a later tick."""
    broker_error: str | None = None


class DeadlineEnforcer:
    """Terminates cases on their VR-11 date and raises alerts, once each, as its clock moves."""

    def __init__(
        self,
        *,
        app: CaseManagement,
        view: CaseloadView,
        producer: KafkaProducer,
        codec: AvroCodec,
        alerts_topic: str,
        clock: Clock | None = None,
        new_producer: Callable[[], KafkaProducer] | None = None,
        ack_timeout: float | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.app = app
        self.lease = lease
        self.view = view
        self.producers = ReplaceableProducer(new_producer or _cannot_make_a_producer, producer)
        self.ack_timeout = ack_timeout
        self.codec = codec
        self.alerts_topic = alerts_topic
        self.clock = clock or app.clock
        view.db.create(ALERTS_SCHEMA)

    def close(self) -> None:
        self.producers.close()
        self.view.close()
        if self.lease is not None:
            self.lease.release()

    def tick(self, day: date | None = None, *, dry_run: bool = False) -> TickReport:
        """Judges `day` (default: today, never later); a dry run records and publishes nothing."""
        today = self.clock()
        if day is not None and day > today:
            raise TickAheadOfClock(
                f"{day} is after today ({today}): the deadline process never runs ahead of "
                "the clock, so no termination is recorded before its day"
            )
        report = TickReport(today=day or today, dry_run=dry_run)
        self._check_lease(dry_run)
        for due in self.view.unmet_due_by(report.today, kind=DeadlineKind.TERMINATION):
            if due.due_on is not None:
                self._terminate(due, due.due_on, report)
        self._raise_alerts(report)
        return report

    def _terminate(self, due: DeadlineEntry, on: date, report: TickReport) -> None:
        command = TerminateCase(case_id=UUID(due.case_id), terminated_on=on)
        self._check_lease(report.dry_run)
        try:
            if report.dry_run:
                self.app.check(command, DEADLINE_PROCESS)
            else:
                self.app.handle(command, DEADLINE_PROCESS)
        except DomainError as refusal:
            # The view lags the event store: the case was terminated already, or a later event
            # moved its date. The domain knows; the next tick sees the view caught up.
            report.deferred.append(f"{due.case_number}: {refusal}")
            if not report.dry_run:
                log.info("termination of %s deferred: %s", due.case_number, refusal)
            return
        report.terminated.append(due.case_number)
        report.terminated_on[due.case_number] = on

    def _raise_alerts(self, report: TickReport) -> None:
        today = report.today
        candidates = [
            d
            for d in self.view.due_soon_or_overdue(today)
            if d.kind not in NOT_ALERTED and d.due_on is not None
        ]
        identified = [(alert_id(d), d) for d in candidates]
        raised = self._already_raised([str(a) for a, _ in identified])
        fresh = [(a, d) for a, d in identified if str(a) not in raised]
        report.alerted = [d for _, d in fresh]
        if report.dry_run:
            report.alerts = len(fresh)
            return
        if not fresh:
            return
        try:
            self._send_alerts(fresh, today)
        except KafkaError as error:
            # The producer may hold idempotence state the broker no longer accepts after a
            # delivery timeout: the next tick makes a fresh one.
            report.alerts_unsent = len(fresh)
            report.broker_error = f"{type(error).__name__}: {error}"
            self.producers.replace()
            return
        self.producers.close_retired()
        # Recorded only after the broker acknowledged: a crash in between repeats an alert
        # (same alert_id) but never loses one.
        self._check_lease()
        self.view.db.execute_many(
            "INSERT INTO deadline_alerts_raised VALUES (?, ?) ON CONFLICT (alert_id) DO NOTHING",
            [(str(a), today.isoformat()) for a, _ in fresh],
        )
        report.alerts = len(fresh)

    def _check_lease(self, dry_run: bool = False) -> None:
        """A replica that lost its lease records and sends nothing more (`LeaseLost`)."""
        if self.lease is not None and not dry_run:
            self.lease.check()

    def _send_alerts(self, fresh: list[tuple[UUID, DeadlineEntry]], today: date) -> None:
        producer = self.producers.get()
        futures = []
        for a, d in fresh:
            self._check_lease()
            futures.append(
                producer.send(
                    self.alerts_topic,
                    key=d.case_id.encode(),
                    value=self.codec.encode("DeadlineAlert", 1, _alert_record(a, d, today)),
                    headers=[("event_type", b"DeadlineAlert"), ("schema_version", b"1")],
                )
            )
        producer.flush(timeout=self.ack_timeout)
        for future in futures:
            future.get(timeout=self.ack_timeout)

    def _already_raised(self, ids: list[str]) -> set[str]:
        raised: set[str] = set()
        for chunk in _chunks(ids):
            placeholders = ", ".join("?" * len(chunk))
            rows = self.view.db.execute(
                f"SELECT alert_id FROM deadline_alerts_raised WHERE alert_id IN ({placeholders})",
                chunk,
            )
            raised.update(row[0] for row in rows)
        return raised


def _cannot_make_a_producer() -> KafkaProducer:
    raise RuntimeError("the deadline process's producer was closed and it has no way to make one")


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def alert_id(deadline: DeadlineEntry) -> UUID:
    return uuid5(
        ALERT_NAMESPACE,
        f"{deadline.case_id}:{deadline.kind.value}:{deadline.subject}:{deadline.due_on}:{deadline.status.value}",
    )


def _alert_record(alert: UUID, d: DeadlineEntry, today: date) -> dict[str, object]:
    return {
        "alert_id": alert,
        "case_id": UUID(d.case_id),
        "case_number": d.case_number,
        "caseworker_id": d.caseworker_id,
        "kind": d.kind.value,
        "rule_id": d.rule_id,
        "subject_id": d.subject or None,
        "due_on": d.due_on,
        "status": d.status.value,
        "raised_on": today,
    }
