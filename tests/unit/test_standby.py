"""A relay or deadline process with a lease acts only while it holds it, and steps down at once
when it lapses: nothing more handed to its producer, no position or alert recorded."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from kafka.errors import ProducerFencedError

from adapters.lease import LeaseLost, lock_key
from adapters.relay import OutboxRelay
from application.bootstrap import build_case_management, build_tracking_recorder
from application.settings import Settings
from tests.builders import CASEWORKER, case_numbers, open_case, record_outcome
from tests.topic_reader import wait_for
from tests.unit.test_broker_outage import FakeBroker, deadline_enforcer


@dataclass
class FakeLease:
    """Held from `acquire`; the first time, lapses after `lapse_after_checks` checks."""

    name: str = "pes-relay:pes.case-events"
    is_held: bool = False
    acquisitions: int = 0
    lapse_after_checks: int | None = None
    checks: int = 0

    def acquire(self, stop: threading.Event) -> bool:
        if stop.is_set():
            return False
        if self.acquisitions:
            self.lapse_after_checks = None
        self.is_held = True
        self.acquisitions += 1
        return True

    def held(self) -> bool:
        return self.is_held

    def check(self) -> None:
        self.checks += 1
        if self.lapse_after_checks is not None and self.checks > self.lapse_after_checks:
            self.is_held = False
        if not self.is_held:
            raise LeaseLost(f"lease {self.name} lapsed")

    def holder(self) -> str | None:
        return "here" if self.is_held else None

    def release(self) -> None:
        self.is_held = False


@dataclass
class CountingProducer:
    """A fake producer that notes every message handed to it."""

    inner: Any
    handed: list[Any]

    def send(self, topic: str, **message: Any) -> Any:
        self.handed.append(message)
        return self.inner.send(topic, **message)

    def flush(self, timeout: float | None = None) -> None:
        self.inner.flush(timeout)

    def begin_transaction(self) -> None:
        self.inner.begin_transaction()

    def commit_transaction(self, timeout: float | None = None) -> None:
        self.inner.commit_transaction(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.inner.close(timeout)


def relay_with(
    lease: FakeLease, broker: FakeBroker, settings: Settings, handed: list[Any] | None = None
) -> OutboxRelay:
    handed = [] if handed is None else handed

    def producer() -> Any:
        return CountingProducer(broker.producer(), handed)

    return OutboxRelay(
        source=build_case_management(settings),
        tracking=build_tracking_recorder(settings, "relay"),
        producer=producer(),
        new_producer=producer,
        topic="pes.case-events",
        batch_size=2,
        lease=cast(Any, lease),
    )


def recorded(settings: Settings, count: int) -> None:
    app = build_case_management(settings)
    for number in case_numbers("VR-S", count):
        app.open_case(open_case(number), CASEWORKER)
        app.handle(record_outcome(number), CASEWORKER)


def test_a_relay_whose_lease_lapses_mid_batch_hands_nothing_more_over_and_records_nothing(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    recorded(settings, 3)  # six events: batches of two
    broker = FakeBroker()
    handed: list[Any] = []
    # One check per batch and one per message: it lapses at the first message of batch two,
    # sent in batch one's transaction, before it commits.
    lease = FakeLease(lapse_after_checks=4)
    relay = relay_with(lease, broker, settings, handed)
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop, 0.01))
    running.start()
    try:
        wait_for(lambda: relay.position == 6, what="the relay, active again, to publish all")
    finally:
        stop.set()
        running.join(timeout=30)
    assert not running.is_alive()
    assert lease.acquisitions == 2
    assert broker.producers[0].closed  # dropped as it stepped down
    first_term = handed[:2]
    assert len(handed) == 2 + 6  # two before the lapse; all six again from position 0
    assert handed[2:4] == first_term  # no position was recorded for the uncommitted batch


class FencedProducer(CountingProducer):
    """A producer another replica's producer fenced: its commit fails."""

    def commit_transaction(self, timeout: float | None = None) -> None:
        raise ProducerFencedError()


def test_a_relay_whose_producer_another_replica_fenced_records_nothing_and_steps_down(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    recorded(settings, 2)
    broker = FakeBroker()
    lease = FakeLease()
    relay = relay_with(lease, broker, settings)
    relay.producers.replace()
    made: list[Any] = []

    def fenced_first() -> Any:
        made.append((FencedProducer if not made else CountingProducer)(broker.producer(), []))
        return made[-1]

    relay.producers.make = fenced_first
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop, 0.01))
    running.start()
    try:
        wait_for(lambda: relay.position == 4, what="the relay, active again, to publish all")
    finally:
        stop.set()
        running.join(timeout=30)
    assert not running.is_alive()
    assert lease.acquisitions == 2  # it stepped down and stood by, as after a lapsed lease
    assert broker.producers[1].closed  # the fenced producer, dropped
    tracking = build_tracking_recorder(settings, "relay")
    assert tracking.max_tracking_id(relay.name) == 4


def test_a_relay_that_takes_over_starts_from_the_position_the_previous_replica_recorded(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    recorded(settings, 2)
    first_broker, second_broker = FakeBroker(), FakeBroker()
    second = relay_with(FakeLease(), second_broker, settings)  # built while the first is active
    first_lease = FakeLease()
    assert first_lease.acquire(threading.Event())
    first = relay_with(first_lease, first_broker, settings)
    assert first.drain() == 4
    stop = threading.Event()
    running = threading.Thread(target=second.run, args=(stop, 0.01))
    running.start()
    try:
        wait_for(lambda: second.position == 4, what="the standby to take the stored position")
    finally:
        stop.set()
        running.join(timeout=30)
    assert second_broker.acknowledged == []  # nothing published twice


def test_a_deadline_process_whose_lease_lapses_sends_and_records_no_alert(
    tmp_path: Path,
) -> None:
    broker = FakeBroker()
    enforcer = deadline_enforcer(tmp_path, broker)
    lease = FakeLease(name="pes-deadlines", lapse_after_checks=1)  # lapses after the first
    enforcer.lease = cast(Any, lease)
    try:
        assert lease.acquire(threading.Event())
        assert enforcer.tick(dry_run=True).alerts >= 1  # a dry run needs no lease
        with pytest.raises(LeaseLost):
            enforcer.tick()
        assert broker.acknowledged == []
        assert enforcer.tick(dry_run=True).alerts >= 1  # none was marked raised
        with pytest.raises(LeaseLost):
            enforcer.tick()
    finally:
        enforcer.close()


def test_every_singleton_has_a_lock_of_its_own() -> None:
    names = ["pes-relay:pes.case-events", "pes-relay:pes.command-refusals", "pes-deadlines"]
    assert len({lock_key(name) for name in names}) == 3
    assert lock_key("pes-deadlines") == lock_key("pes-deadlines")
    assert all(-(2**63) <= lock_key(name) < 2**63 for name in names)
