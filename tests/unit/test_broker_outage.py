"""The relay, the deadline process and `pes run`'s workers wait out an outage instead of dying."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from kafka.errors import KafkaTimeoutError

from adapters.avro import AvroCodec, SchemaSet
from adapters.consumer import Delivery
from adapters.kafka import ReplaceableProducer
from adapters.metrics import Metrics
from adapters.relay import OutboxRelay, RelayProgress
from adapters.retry import Backoff
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management, build_tracking_recorder
from application.settings import Settings
from projections.caseload import CaseloadView
from projections.deadline_enforcement import DeadlineEnforcer
from scripts.cli import keep_broker_running
from scripts.local_kafka import KafkaLauncherError
from scripts.supervisor import Supervisor, Task
from tests.builders import BILLING, CASEWORKER, CaseFile, case_numbers, open_case, record_outcome
from tests.topic_reader import wait_for

CODEC = AvroCodec(SchemaSet())


@dataclass
class FakeBroker:
    """Acknowledges sends while `up`; otherwise every send times out, as after a delivery timeout."""

    up: bool = True
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    producers: list[FakeProducer] = field(default_factory=list)

    def producer(self) -> FakeProducer:
        made = FakeProducer(self)
        self.producers.append(made)
        return made


@dataclass
class FakeProducer:
    broker: FakeBroker
    closed: bool = False

    def send(self, topic: str, **message: Any) -> FakeFuture:
        assert not self.closed, "a closed producer was used"
        return FakeFuture(self.broker, {"topic": topic, **message})

    def flush(self, timeout: float | None = None) -> None:
        pass

    def begin_transaction(self) -> None:
        pass

    def commit_transaction(self, timeout: float | None = None) -> None:
        if not self.broker.up:
            raise KafkaTimeoutError("the transaction did not commit")

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


@dataclass
class FakeFuture:
    broker: FakeBroker
    message: dict[str, Any]

    def get(self, timeout: float | None = None) -> None:
        if not self.broker.up:
            raise KafkaTimeoutError("Batch expired: delivery timeout")
        self.broker.acknowledged.append(self.message)


def relay_over(broker: FakeBroker, settings: Settings, reports: list[RelayProgress]) -> OutboxRelay:
    return OutboxRelay(
        source=build_case_management(settings),
        tracking=build_tracking_recorder(settings, "relay"),
        producer=cast(Any, broker.producer()),
        new_producer=lambda: cast(Any, broker.producer()),
        topic="pes.case-events",
        batch_size=2,
        on_progress=reports.append,
        backoff=Backoff(initial=0.01, cap=0.05),
    )


def test_the_relay_waits_out_an_outage_without_moving_its_position_and_resends_with_a_new_producer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path)
    app = build_case_management(settings)
    for number in case_numbers("VR-O", 3):
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)
    broker = FakeBroker(up=False)
    reports: list[RelayProgress] = []
    relay = relay_over(broker, settings, reports)
    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="adapters.relay")
    running = threading.Thread(target=relay.run, args=(stop, 0.01))
    running.start()
    try:
        wait_for(lambda: len(broker.producers) >= 4, what="several attempts during the outage")
        assert relay.position == 0
        assert build_tracking_recorder(settings, "relay").max_tracking_id(relay.name) is None
        assert any(not report.reachable for report in reports)
        assert all(producer.closed for producer in broker.producers[:-1])

        broker.up = True
        wait_for(lambda: relay.position == 6, what="the relay to resume on its own")
    finally:
        stop.set()
        running.join(timeout=30)
    assert not running.is_alive()
    published = {
        (record["case_id"], record["case_version"])
        for record in (CODEC.decode(m["value"]).record for m in broker.acknowledged)
    }
    assert len(published) == 6  # every event, once in effect, whatever the attempts before
    assert reports[-1].reachable
    messages = [r.getMessage() for r in caplog.records]
    assert sum("broker unavailable" in m for m in messages) == 1
    assert sum("broker available again" in m for m in messages) == 1


def test_a_relay_whose_new_producer_cannot_connect_keeps_retrying(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    build_case_management(settings).open_case(open_case("VR-O-NEW"), CASEWORKER)
    broker = FakeBroker(up=False)
    attempts: list[int] = []

    def new_producer() -> Any:
        attempts.append(1)
        if not broker.up:
            raise KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:1")
        return broker.producer()

    relay = relay_over(broker, settings, [])
    relay.producers.make = new_producer
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop, 0.01))
    running.start()
    try:
        wait_for(lambda: len(attempts) >= 3, what="the relay to try making a producer again")
        broker.up = True
        wait_for(lambda: relay.position == 1, what="the relay to publish once it connects")
    finally:
        stop.set()
        running.join(timeout=30)
    assert not running.is_alive()


def deadline_enforcer(tmp_path: Path, broker: FakeBroker) -> DeadlineEnforcer:
    file = CaseFile(case_number="VR-O-ALERT")
    request = file.open_request(date(2024, 5, 1))
    authorization = file.authorized(request, date(2024, 5, 2))
    file.do(file.provided(authorization, date(2024, 6, 1)))
    file.do(file.invoice(authorization, date(2024, 6, 3), 10_000), BILLING)  # due 2024-07-03
    view = CaseloadView(ViewDatabase.sqlite(tmp_path / "views.sqlite"))
    events = file.all_events()
    view.apply(
        "t",
        0,
        [Delivery("t", 0, offset, event) for offset, event in enumerate(events)],
        len(events),
        lambda rejected: None,
    )
    return DeadlineEnforcer(
        app=cast(Any, None),  # no termination is due: only alerts
        view=view,
        producer=cast(Any, broker.producer()),
        new_producer=lambda: cast(Any, broker.producer()),
        codec=CODEC,
        alerts_topic="pes.deadline-alerts",
        clock=lambda: date(2024, 7, 3) - timedelta(days=7),
    )


def test_alerts_the_broker_did_not_take_are_sent_on_a_later_tick_and_only_then_marked_raised(
    tmp_path: Path,
) -> None:
    broker = FakeBroker(up=False)
    enforcer = deadline_enforcer(tmp_path, broker)
    try:
        failed = enforcer.tick()
        assert failed.alerts == 0
        assert failed.alerts_unsent >= 1
        assert failed.broker_error is not None and "KafkaTimeoutError" in failed.broker_error
        assert broker.producers[0].closed  # its idempotence state is not trusted again

        broker.up = True
        sent = enforcer.tick()
        assert (sent.alerts, sent.alerts_unsent, sent.broker_error) == (
            failed.alerts_unsent,
            0,
            None,
        )
        assert len(broker.acknowledged) == failed.alerts_unsent

        again = enforcer.tick()
        assert (again.alerts, again.alerts_unsent) == (0, 0)
        assert len(broker.acknowledged) == failed.alerts_unsent
    finally:
        enforcer.close()


def test_a_failing_worker_is_restarted_with_backoff_while_the_others_keep_running() -> None:
    stop = threading.Event()
    built = {"flaky": 0, "steady": 0}

    def flaky() -> Task:
        built["flaky"] += 1
        if built["flaky"] <= 2:
            return Task(run=lambda: (_ for _ in ()).throw(ConnectionError("broker gone")))
        return Task(run=stop.wait)

    def steady() -> Task:
        built["steady"] += 1
        return Task(run=stop.wait)

    restarted: list[str] = []
    supervisor = Supervisor(stop, on_restart=restarted.append, backoff_cap=0.05)
    supervisor.start("flaky", flaky)
    supervisor.start("steady", steady)
    wait_for(lambda: built["flaky"] == 3, what="the flaky worker to be built a third time")

    stop.set()
    assert supervisor.join(timeout=10) == []
    assert restarted == ["flaky", "flaky"]
    assert built == {"flaky": 3, "steady": 1}


def test_a_worker_returning_early_is_restarted_and_one_that_hangs_is_reported() -> None:
    stop = threading.Event()
    runs: list[int] = []
    hang = threading.Event()

    def returns_early() -> Task:
        runs.append(1)
        return Task(run=lambda: None if len(runs) < 2 else stop.wait())

    supervisor = Supervisor(stop, backoff_cap=0.05)
    supervisor.start("early", returns_early)
    supervisor.start("stuck", lambda: Task(run=lambda: hang.wait(30)))
    wait_for(lambda: len(runs) == 2, what="the early worker to run again")

    stop.set()
    assert supervisor.join(timeout=0.5) == ["stuck"]
    hang.set()
    assert supervisor.restarts == {"early": 1}


def test_backoff_grows_to_its_cap_with_jitter_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(initial=1.0, cap=8.0)
    delays = [backoff.next_delay() for _ in range(8)]
    assert all(0.5 <= d <= 1.0 for d in delays[:1])
    assert all(4.0 <= d <= 8.0 for d in delays[4:])
    assert len(set(delays[4:])) > 1  # jittered: processes failing together spread out
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_relay_metrics_show_the_broker_unreachable_and_the_time_since_the_last_acknowledgement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr("adapters.metrics.time.monotonic", lambda: now[0])
    metrics = Metrics()
    topic = "pes.case-events"
    observe = metrics.relay_observer(topic)

    def sample(name: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"topic": topic})

    observe(RelayProgress(published=25, position=25, lag=10))
    now[0] += 40
    observe(RelayProgress(published=0, position=25, lag=12, reachable=False))
    assert sample("pes_relay_broker_reachable") == 0
    assert sample("pes_relay_seconds_since_acknowledgement") == 40
    assert sample("pes_relay_position") == 25

    now[0] += 5
    observe(RelayProgress(published=12, position=37, lag=0))
    assert sample("pes_relay_broker_reachable") == 1
    assert sample("pes_relay_seconds_since_acknowledgement") == 0
    assert sample("pes_relay_published_total") == 37


@dataclass
class StuckProducer:
    """A producer with a batch kafka-python keeps retrying: it cannot flush, so not close."""

    pending: bool = True
    closed: bool = False

    def close(self, timeout: float | None = None) -> None:
        if self.pending:
            raise KafkaTimeoutError("Timeout waiting for future")
        self.closed = True


def test_a_producer_that_cannot_close_yet_is_kept_aside_and_closed_once_its_sends_complete(
    caplog: pytest.LogCaptureFixture,
) -> None:
    made: list[StuckProducer] = []

    def make() -> Any:
        made.append(StuckProducer())
        return made[-1]

    producers = ReplaceableProducer(make)
    first = producers.get()
    with caplog.at_level(logging.INFO, logger="adapters.kafka"):
        producers.replace()
        assert producers.get() is not first
        assert (producers.retired, made[0].closed) == (1, False)

        for _ in range(5):  # the relay tries once per batch
            producers.close_retired()
        assert producers.retired == 1
        made[0].pending = False
        producers.close_retired()
    assert (producers.retired, made[0].closed) == (0, True)
    # One line when it is set aside, one when it closes: not one per batch in between.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        "a producer with sends still pending is kept aside until they complete",
        "1 producer(s) kept aside closed, their sends complete",
    ]


@dataclass
class FlakyBroker:
    """A local broker that has exited and fails its first restart."""

    failures: int = 1
    running: bool = False
    starts: int = 0
    bootstrap_servers: str = "127.0.0.1:9092"
    data_dir: Path = Path("kafka")

    def exit_code(self) -> int | None:
        return None if self.starts else -9

    def start(self) -> str:
        self.starts += 1
        if self.starts <= self.failures:
            raise KafkaLauncherError("the broker exited with code 1 while starting")
        self.running = True
        return self.bootstrap_servers


def test_pes_run_keeps_restarting_its_broker_until_one_start_succeeds() -> None:
    broker = FlakyBroker()
    stop = threading.Event()
    watching = threading.Thread(
        target=keep_broker_running, args=(cast(Any, broker), stop, None, 0.01)
    )
    watching.start()
    try:
        wait_for(lambda: broker.running, what="the broker to be restarted")
    finally:
        stop.set()
        watching.join(timeout=30)
    assert broker.starts == 2
