"""Prometheus metrics of the system's processes, in a registry of their own (not the global one).

The application, the relay and the consumers know nothing of Prometheus: they report to small
observers (`CommandObserver`, a relay progress callback, `ConsumerObserver`) that the wiring point
(`application/bootstrap.py`) connects to a `Metrics`. Labels carry only bounded, non-personal
values (command class names, rule IDs, topics, partitions), never case ids or actors.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    start_http_server,
)

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from adapters.consumer import ConsumerHealth
    from adapters.relay import RelayProgress
    from application.cases import Recorded
    from domain.commands import Command
    from domain.errors import DomainError
    from projections.deadline_enforcement import TickReport

NO_RULE = "none"
EXPOSITION_CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Every metric of the system, registered in `registry` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "pes_commands",
            "Commands handled by the application, by command and outcome (recorded|refused).",
            ["command", "outcome"],
            registry=r,
        )
        self.refusals = Counter(
            "pes_refusals",
            "Refused commands by the policy rule that refused them ('none' without a rule).",
            ["rule_id"],
            registry=r,
        )
        self.refusal_records_failed = Counter(
            "pes_refusal_records_failed",
            "Refused commands whose decision record could not be stored (the user was still "
            "told of the refusal; the log says why).",
            registry=r,
        )
        self.events_recorded = Counter(
            "pes_events_recorded", "Events appended to the event store.", registry=r
        )
        # One series per relay, by the topic it publishes to: `pes run` runs the case events'
        # relay and the refusal relay in one process.
        relay_labels = ["topic"]
        self.relay_position = Gauge(
            "pes_relay_position",
            "The last notification id the broker acknowledged to the relay.",
            relay_labels,
            registry=r,
        )
        self.relay_lag = Gauge(
            "pes_relay_lag_events",
            "Notifications recorded in the event store but not yet published by the relay.",
            relay_labels,
            registry=r,
        )
        self.relay_published = Counter(
            "pes_relay_published",
            "Events the relay published (acknowledged).",
            relay_labels,
            registry=r,
        )
        self.relay_broker_reachable = Gauge(
            "pes_relay_broker_reachable",
            "1 while the broker acknowledges the relay's sends; 0 from a failed send until the "
            "next acknowledgement.",
            relay_labels,
            registry=r,
        )
        self.relay_seconds_since_acknowledgement = Gauge(
            "pes_relay_seconds_since_acknowledgement",
            "Seconds since the broker last acknowledged a relay batch or the relay was last "
            "caught up: grows while recorded events wait for the broker.",
            relay_labels,
            registry=r,
        )
        partition_labels = ["view", "topic", "partition"]
        self.consumer_position = Gauge(
            "pes_consumer_position",
            "The next offset a view will read (its stored position), per partition.",
            partition_labels,
            registry=r,
        )
        self.consumer_lag = Gauge(
            "pes_consumer_lag_messages",
            "Messages on the partition the view has not applied yet (end offset - position).",
            partition_labels,
            registry=r,
        )
        view_labels = ["view"]
        self.consumer_reachable = Gauge(
            "pes_consumer_broker_reachable",
            "1 while the view's consumer reaches the broker and is a member of its group, else 0.",
            view_labels,
            registry=r,
        )
        self.consumer_since_poll = Gauge(
            "pes_consumer_seconds_since_last_good_poll",
            "Seconds since the view's consumer last polled as a member of its group.",
            view_labels,
            registry=r,
        )
        self.consumer_stalled = Gauge(
            "pes_consumer_stalled",
            "1 when the view's consumer has applied nothing for a while although it is behind "
            "(or out of touch with the broker): a view that has silently stopped.",
            view_labels,
            registry=r,
        )
        self.consumer_rejoins = Counter(
            "pes_consumer_rejoins",
            "Times the view's consumer joined its group again after losing its membership.",
            view_labels,
            registry=r,
        )
        self.consumer_restarts = Counter(
            "pes_consumer_client_restarts",
            "Times the view's consumer closed its Kafka client and built a new one (it stayed out "
            "of its group, or a call into it hung).",
            view_labels,
            registry=r,
        )
        self.dead_letters = Counter(
            "pes_dead_letters",
            "Messages sent to the dead-letter topic, by kind of reason (decode|apply).",
            ["view", "reason_kind"],
            registry=r,
        )
        self.deadline_terminations = Counter(
            "pes_deadline_terminations",
            "Cases the deadline process terminated on their VR-11 date.",
            registry=r,
        )
        self.deadline_alerts = Counter(
            "pes_deadline_alerts", "Deadline alerts the deadline process raised.", registry=r
        )
        self.deadline_broker_reachable = Gauge(
            "pes_deadline_broker_reachable",
            "1 if the deadline process's last tick sent its alerts (or had none), 0 if the broker "
            "did not acknowledge them.",
            registry=r,
        )
        self.deadline_alerts_unsent = Gauge(
            "pes_deadline_alerts_unsent",
            "Alerts due at the last tick that the broker did not acknowledge; a later tick "
            "sends them again.",
            registry=r,
        )
        self.singleton_active = Gauge(
            "pes_singleton_active",
            "1 while this replica of the singleton holds its lease (is the active one), 0 while "
            "it stands by.",
            ["singleton"],
            registry=r,
        )
        self.restarts = Counter(
            "pes_run_restarts",
            "What `pes run` restarted after it failed: the local broker or a worker thread.",
            ["component"],
            registry=r,
        )

    # --- observers, connected at the wiring point ---

    def commands_observer(self) -> CommandMetrics:
        return CommandMetrics(self)

    def relay_observer(self, topic: str) -> RelayMetrics:
        return RelayMetrics(self, topic)

    def singleton_observer(self, singleton: str) -> Callable[[bool], None]:
        """Reports whether this replica of `singleton` (its lease's name) is the active one."""
        gauge = self.singleton_active.labels(singleton)
        return lambda active: gauge.set(1 if active else 0)

    def consumer_observer(self, view: str) -> ConsumerMetrics:
        return ConsumerMetrics(self, view)

    def deadline_tick(self, report: TickReport) -> None:
        self.deadline_terminations.inc(len(report.terminated))
        self.deadline_alerts.inc(report.alerts)
        self.deadline_broker_reachable.set(0 if report.broker_error else 1)
        self.deadline_alerts_unsent.set(report.alerts_unsent)

    # --- exposition ---

    def view_lag(self, view: str) -> int | None:
        """The messages a view has not applied, over its partitions; None if none reported here."""
        lags = [
            sample.value
            for metric in self.consumer_lag.collect()
            for sample in metric.samples
            if sample.labels.get("view") == view
        ]
        return int(sum(lags)) if lags else None

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (content type `EXPOSITION_CONTENT_TYPE`)."""
        return generate_latest(self.registry)

    def serve(self, port: int, host: str = "127.0.0.1") -> MetricsServer:
        """Serves `/metrics` on a daemon thread until `MetricsServer.close()`."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        return MetricsServer(server, thread)


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class CommandMetrics:
    """A `CommandObserver` counting commands, refusals and recorded events."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def recorded(self, command: Command, recorded: Recorded) -> None:
        self.metrics.commands.labels(type(command).__name__, "recorded").inc()
        self.metrics.events_recorded.inc(recorded.events)

    def refused(self, command: Command, error: DomainError) -> None:
        self.metrics.commands.labels(type(command).__name__, "refused").inc()
        self.metrics.refusals.labels(error.rule_id or NO_RULE).inc()


class RelayMetrics:
    """A relay's progress callback: its position, lag, publications and whether the broker
    acknowledges it, as series labelled with the topic it publishes to."""

    def __init__(self, metrics: Metrics, topic: str) -> None:
        self.metrics = metrics
        self.topic = topic
        self._progress_at = time.monotonic()
        metrics.relay_seconds_since_acknowledgement.labels(topic).set_function(
            lambda: time.monotonic() - self._progress_at
        )
        metrics.relay_published.labels(topic)  # shown as 0 before the first publication

    def __call__(self, progress: RelayProgress) -> None:
        m, topic = self.metrics, self.topic
        m.relay_broker_reachable.labels(topic).set(1 if progress.reachable else 0)
        if progress.reachable:
            self._progress_at = time.monotonic()
        m.relay_position.labels(topic).set(progress.position)
        m.relay_lag.labels(topic).set(progress.lag)
        if progress.published:
            m.relay_published.labels(topic).inc(progress.published)


class ConsumerMetrics:
    """A `ConsumerObserver` for one view: positions, lag and dead letters per partition, and
    whether it is in touch, rejoining or stalled."""

    def __init__(self, metrics: Metrics, view: str) -> None:
        self.metrics = metrics
        self.view = view

    def position(self, topic: str, partition: int, position: int, end: int | None) -> None:
        labels = (self.view, topic, str(partition))
        self.metrics.consumer_position.labels(*labels).set(position)
        if end is not None:
            self.metrics.consumer_lag.labels(*labels).set(max(end - position, 0))

    def revoked(self, topic: str, partition: int) -> None:
        # Another member reports the partition now; a stale series here would double its lag.
        labels = (self.view, topic, str(partition))
        for gauge in (self.metrics.consumer_position, self.metrics.consumer_lag):
            with contextlib.suppress(KeyError):
                gauge.remove(*labels)

    def dead_lettered(self, reason_kind: str, count: int) -> None:
        self.metrics.dead_letters.labels(self.view, reason_kind).inc(count)

    def watch(self, health: ConsumerHealth) -> None:
        # Read at scrape time: a consumer stuck in a call still shows how long it has been.
        m = self.metrics
        m.consumer_reachable.labels(self.view).set_function(lambda: float(health.reachable))
        m.consumer_since_poll.labels(self.view).set_function(health.seconds_since_last_good_poll)
        m.consumer_stalled.labels(self.view).set_function(lambda: float(health.stalled()))
        m.consumer_rejoins.labels(self.view)
        m.consumer_restarts.labels(self.view)

    def rejoined(self) -> None:
        self.metrics.consumer_rejoins.labels(self.view).inc()

    def restarted(self) -> None:
        self.metrics.consumer_restarts.labels(self.view).inc()
