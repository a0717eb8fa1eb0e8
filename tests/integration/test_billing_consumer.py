"""The billing ledger fed from the real broker reconciles with the event store, on both stores."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adapters.consumer import TrackedConsumer
from application.bootstrap import (
    build_case_management,
    build_projection,
    build_relay,
    open_billing_ledger,
)
from application.settings import Settings, as_environment
from consumers.billing.ledger import BillingLedger
from consumers.billing.reconciliation import reconcile
from synthetic import SyntheticCaseload, drive
from tests.builders import new_employment_case_numbers
from tests.conftest import unique
from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


def consume_everything(projection: TrackedConsumer, published: int, topic: str) -> None:
    ledger = projection.store
    assert isinstance(ledger, BillingLedger)
    wait_for(
        lambda: (
            projection.poll_once(timeout_ms=100) >= 0 and ledger.positions_total(topic) >= published
        ),
        timeout=120,
        what="the ledger to apply every published event",
    )


def test_the_ledger_of_the_synthetic_caseload_reconciles_and_a_corrupted_row_is_reported(
    settings: Settings,
) -> None:
    app = build_case_management(settings)
    caseload = SyntheticCaseload(seed=11, cases=120)
    assert drive(app, caseload.commands()).unexpected == []
    # The planned cases and the new employment program cases their determinations opened.
    cases = 120 + len(new_employment_case_numbers(caseload))
    relay = build_relay(settings, app)
    published = relay.drain()
    relay.close()
    projection = build_projection(settings, "billing", group_id=f"{settings.case_events_topic}-b")
    try:
        consume_everything(projection, published, settings.case_events_topic)
        ledger = projection.store
        assert isinstance(ledger, BillingLedger)

        report = reconcile(ledger, app)
        assert report.differences == []
        assert (report.cases_checked, report.cases_behind) == (cases, 0)
        authorizations = ledger.authorizations()
        assert len(authorizations) > 50 and any(a.paid_cents for a in authorizations)
        assert ledger.period_totals()

        paid = next(a for a in authorizations if a.paid_cents)
        ledger.db.execute(
            "UPDATE billing_authorizations SET invoiced_cents = invoiced_cents + 100 "
            "WHERE authorization_id = ?",
            (paid.authorization_id,),
        )
        report = reconcile(ledger, app)
        assert [(d.case_id, d.field) for d in report.differences] == [
            (paid.case_id, "invoiced_cents"),
        ] + ([(paid.case_id, "remaining_cents")] if paid.unencumbered_on is None else [])

        command = subprocess.run(
            [sys.executable, "-m", "scripts.cli", "billing", "reconcile"],
            cwd=REPOSITORY,
            env={**os.environ, **as_environment(settings)},
            capture_output=True,
            text=True,
        )
        assert command.returncode == 1, command.stderr
        assert (
            f"case {paid.case_number} ({paid.case_id}) authorization {paid.authorization_id}: "
            "invoiced_cents"
        ) in command.stdout
        assert f"{cases} case(s) checked, 0 not yet fully applied by the ledger, " in command.stdout
    finally:
        projection.close()


@pytest.fixture
def sqlite_settings(tmp_path: Path, kafka_bootstrap: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        case_events_partitions=3,
    )


def test_two_ledger_consumers_in_one_group_split_the_partitions_and_still_reconcile(
    sqlite_settings: Settings,
) -> None:
    settings = sqlite_settings
    group = f"{settings.case_events_topic}-scaled"
    members = [build_projection(settings, "billing", group_id=group) for _ in range(2)]
    ledger = open_billing_ledger(settings)  # the test's own connection: members write on theirs
    applied = [0, 0]
    assignments: list[frozenset[int]] = [frozenset(), frozenset()]
    failures: list[Exception] = []
    stop = threading.Event()

    def run(index: int) -> None:
        # Each member polls on its own thread, as in its own process: one member's join never
        # waits for the other's poll, so neither misses its heartbeat or rebalance deadline.
        # Only this thread touches the member's client (kafka-python's is not thread-safe).
        member = members[index]
        try:
            while not stop.is_set():
                applied[index] += member.poll_once(timeout_ms=100)
                assignments[index] = frozenset(tp.partition for tp in member.consumer.assignment())
        except Exception as error:  # reported by the waits below, not lost with the thread
            failures.append(error)

    def members_alive() -> None:
        if failures:
            raise AssertionError(f"a group member's thread failed: {failures[0]!r}")

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    try:

        def settled() -> bool:
            # Each member reports its own view of the group; during a rebalance they overlap.
            members_alive()
            first, second = assignments
            whole = len(first | second) == settings.case_events_partitions
            return bool(first and second and not first & second and whole)

        loads = [SyntheticCaseload(seed=12 + batch, cases=60) for batch in range(3)]
        # The system's today is the caseloads' last day: their facts are dated up to then.
        last_day = max(load.last_day() for load in loads)
        app = build_case_management(settings, clock=lambda: last_day)
        published = cases = 0
        # A loaded machine can rebalance the group after it settled (a member rebuilt by its
        # watchdog rejoins), and the other member then applies a whole batch alone: publish
        # another batch once the group has settled again, at most three.
        for caseload in loads:
            wait_for(settled, timeout=120, what="the two members to split the partitions")
            assert drive(app, caseload.commands()).unexpected == []
            cases += 60 + len(new_employment_case_numbers(caseload))
            relay = build_relay(settings, app)
            published += relay.drain()
            relay.close()

            def all_applied(expected: int = published) -> bool:
                members_alive()
                return ledger.positions_total(settings.case_events_topic) >= expected

            wait_for(all_applied, timeout=120, what="the members to apply every published event")
            if all(applied):  # each member did part of the work
                break
        assert all(applied), f"one member applied every event of three batches: {applied}"

        report = reconcile(ledger, app)
        assert report.differences == []
        assert (report.cases_checked, report.cases_behind) == (cases, 0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        for member in members:
            member.close()
        ledger.close()
    assert stuck == [], "a group member did not return from its poll within 30 s"
    assert failures == []
