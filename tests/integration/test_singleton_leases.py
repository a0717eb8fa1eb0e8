"""One replica of each singleton holds its lease; a standby takes it when the holder lets go."""

from __future__ import annotations

import threading

import pytest

from adapters.lease import LeaseLost, replica_id
from application.bootstrap import build_lease
from application.settings import Settings
from tests.topic_reader import wait_for


def test_a_second_replica_stands_by_until_the_active_one_releases_the_lease(
    store_settings: Settings,
) -> None:
    active = build_lease(store_settings, "pes-relay:test")
    standby = build_lease(store_settings, "pes-relay:test")
    stop = threading.Event()
    assert active.acquire(stop)
    took_over = threading.Event()
    waiting = threading.Thread(target=lambda: standby.acquire(stop) and took_over.set())
    waiting.start()
    try:
        assert active.held()
        assert active.holder() == replica_id()
        assert not standby.held()
        assert not took_over.wait(timeout=1.0)  # a deadline, not a sleep: it must not take it

        active.release()
        assert not active.held()
        with pytest.raises(LeaseLost):
            active.check()
        wait_for(took_over.is_set, timeout=30, what="the standby to take the lease")
        assert standby.held()
        assert standby.holder() == replica_id()
    finally:
        stop.set()
        waiting.join(timeout=30)
        standby.release()
        active.release()


def test_leases_of_different_singletons_are_held_independently(store_settings: Settings) -> None:
    relay = build_lease(store_settings, "pes-relay:a")
    deadlines = build_lease(store_settings, "pes-deadlines")
    stop = threading.Event()
    try:
        assert relay.acquire(stop)
        assert deadlines.acquire(stop)
        assert relay.held() and deadlines.held()
    finally:
        relay.release()
        deadlines.release()
    assert relay.holder() is None and deadlines.holder() is None


def test_a_replica_asked_to_stop_while_standing_by_returns_without_the_lease(
    store_settings: Settings,
) -> None:
    active = build_lease(store_settings, "pes-deadlines")
    standby = build_lease(store_settings, "pes-deadlines")
    stop = threading.Event()
    try:
        assert active.acquire(stop)
        stop.set()
        assert not standby.acquire(stop)
        assert not standby.held()
    finally:
        active.release()
