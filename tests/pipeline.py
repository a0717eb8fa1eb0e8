"""The running system in one process, stepped by a test: application, relay, view, deadlines."""

from __future__ import annotations

from datetime import date

from kafka import KafkaConsumer, TopicPartition

from application.bootstrap import (
    build_case_management,
    build_caseload_projection,
    build_deadline_enforcer,
    build_relay,
)
from application.clock import Clock, utc_today
from application.settings import Settings
from projections.deadline_enforcement import TickReport
from tests.topic_reader import decided_end_offsets, wait_for


class SteppedClock:
    """A test's today, moved by the test (the real day plays no part)."""

    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


class SteppedSystem:
    """Each `sync()` publishes what was recorded and waits until the view has applied all of it."""

    def __init__(
        self, settings: Settings, group_id: str = "test-stepped", clock: Clock = utc_today
    ) -> None:
        self.settings = settings
        self.app = build_case_management(settings, clock=clock)
        self.relay = build_relay(settings, self.app)
        self.projection = build_caseload_projection(settings, group_id=group_id)
        self.enforcer = build_deadline_enforcer(settings, app=self.app)
        self.view = self.enforcer.view
        self._offsets = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, isolation_level="read_committed"
        )
        self._written = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, isolation_level="read_uncommitted"
        )
        self._partitions = [
            TopicPartition(settings.case_events_topic, p)
            for p in self._offsets.partitions_for_topic(settings.case_events_topic) or ()
        ]

    def sync(self) -> None:
        if not self.relay.drain():
            return
        ends = decided_end_offsets(self._offsets, self._written, self._partitions)
        wanted = {tp.partition: end for tp, end in ends.items() if end}
        wait_for(
            lambda: (
                self.projection.poll_once(timeout_ms=50) >= 0
                and all(
                    self.view.next_offsets(self.settings.case_events_topic).get(p, 0) >= end
                    for p, end in wanted.items()
                )
            ),
            what="the view to apply everything published",
        )

    def tick(self, day: date, *, dry_run: bool = False) -> TickReport:
        """The deadline process judging `day` (on or before the clock's today)."""
        self.sync()
        return self.enforcer.tick(day, dry_run=dry_run)

    def close(self) -> None:
        self.relay.close()
        self.projection.close()
        self.enforcer.close()
        self._offsets.close()
        self._written.close()
