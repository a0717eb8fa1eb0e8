"""A cash-assistance case through the whole path: every new event type reaches Kafka through
the relay, decodable with its published schema; the billing ledger reads its purchased services
unchanged; the deadline process alerts on its deadlines and never terminates it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import Enum
from pathlib import Path

import pytest

from adapters.avro import AvroCodec, published_schemas
from adapters.contract import contract_record
from application.bootstrap import build_case_management, build_projection, build_relay
from application.cases import CaseManagement
from application.settings import Settings
from consumers.billing.ledger import BillingLedger
from consumers.billing.reconciliation import reconcile
from domain.assistance import events as assistance_events
from domain.case import CaseStatus, case_id_for
from domain.catalog import EVENT_CLASSES
from domain.commands import OpenCase, TerminateCase
from domain.deadlines import DeadlineKind, DeadlineStatus
from domain.errors import InvalidCommand
from domain.termination import DEADLINE_PROCESS
from tests.builders import CASEWORKER, CaseFile, open_case
from tests.conftest import unique
from tests.integration.api_support import assisted_case
from tests.pipeline import SteppedSystem
from tests.topic_reader import read_topic, wait_for

pytestmark = pytest.mark.kafka

LAST_TICK = date(2030, 1, 1)

CASH_ASSISTANCE_EVENTS = {
    name
    for name, cls in EVENT_CLASSES.items()
    if any(base.__module__ == assistance_events.__name__ for base in cls.__mro__)
}
"""The events the cash-assistance program defines (domain/assistance/events.py)."""


def as_avro_returns_it(value: object) -> object:
    if isinstance(value, dict):
        return {k: as_avro_returns_it(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [as_avro_returns_it(v) for v in value]
    return value.value if isinstance(value, Enum) else value


def record_assisted_case(app: CaseManagement, number: str) -> None:
    for actor, command in assisted_case(number):
        if isinstance(command, OpenCase):
            app.open_case(command, actor)
        else:
            app.handle(command, actor)  # type: ignore[arg-type]


def test_the_cash_assistance_event_types_follow_the_vr_catalog() -> None:
    assert len(CASH_ASSISTANCE_EVENTS) == 21
    assert "SelfSufficiencyPlanEstablished" in CASH_ASSISTANCE_EVENTS
    assert "ServiceAuthorized" not in CASH_ASSISTANCE_EVENTS


@pytest.mark.postgres
def test_every_cash_assistance_event_reaches_kafka_decodable_with_its_schema(
    settings: Settings,
) -> None:
    app = build_case_management(settings)
    record_assisted_case(app, "TA-K-1")
    relay = build_relay(settings, app)
    published = relay.drain()
    relay.close()

    messages = read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic)
    assert published == len(messages) == len(assisted_case("TA-K-1"))
    codec = AvroCodec(published_schemas())
    stored = {e.originator_version: contract_record(e) for e in app.history(case_id_for("TA-K-1"))}
    decoded = [codec.decode(m.value) for m in messages]
    assert {d.event_type for d in decoded} >= CASH_ASSISTANCE_EVENTS
    for message, event in zip(messages, decoded, strict=True):
        headers = {k: v.decode() for k, v in message.headers}
        assert headers["event_type"] == event.event_type
        assert message.key.decode() == str(case_id_for("TA-K-1"))
        assert event.record == as_avro_returns_it(stored[event.record["case_version"]])
    assert [d.record["case_version"] for d in decoded] == list(range(1, len(decoded) + 1))


def test_the_billing_ledger_reads_purchased_services_unchanged_TA_10(settings: Settings) -> None:
    app = build_case_management(settings)
    record_assisted_case(app, "TA-B-1")
    relay = build_relay(settings, app)
    published = relay.drain()
    relay.close()
    projection = build_projection(settings, "billing", group_id=f"{settings.case_events_topic}-b")
    try:
        ledger = projection.store
        assert isinstance(ledger, BillingLedger)
        wait_for(
            lambda: (
                projection.poll_once(timeout_ms=100) >= 0
                and ledger.positions_total(settings.case_events_topic) >= published
            ),
            what="the ledger to apply the cash-assistance case",
        )
        (purchase,) = ledger.authorizations(case_id=str(case_id_for("TA-B-1")))
        assert (purchase.amount_cents, purchase.invoiced_cents, purchase.paid_cents) == (
            50_000,
            40_000,
            40_000,
        )
        assert purchase.provider == "Workforce Partners Inc."
        assert reconcile(ledger, app).differences == []
    finally:
        projection.close()


@pytest.fixture
def system(tmp_path: Path, kafka_bootstrap: str) -> Iterator[SteppedSystem]:
    stepped = SteppedSystem(
        Settings(
            data_dir=tmp_path,
            kafka_bootstrap_servers=kafka_bootstrap,
            case_events_topic=unique("test.case-events"),
            deadline_alerts_topic=unique("test.alerts"),
            case_events_partitions=3,
        ),
        clock=lambda: LAST_TICK,  # the system's today: the test's last tick, not the real one
    )
    yield stepped
    stepped.close()


def test_the_deadline_process_alerts_on_a_cash_assistance_case_and_never_terminates_it(
    system: SteppedSystem,
) -> None:
    record_assisted_case(system.app, "TA-D-1")
    vr = CaseFile(outcome=date(2024, 3, 1), case_number="VR-D-1")
    system.app.open_case(
        open_case("VR-D-1", opened_on=date(2024, 1, 2), caseworker=CASEWORKER.id),
        CASEWORKER,
    )
    system.app.handle(vr.record_outcome(date(2024, 3, 1)), CASEWORKER)

    # The food assistance renewal (2024-08-01) is due soon from 30 days before (TA-06's lead
    # time, not the 7 days of the other deadlines), overdue after.
    system.tick(date(2024, 7, 1))
    system.tick(date(2024, 7, 5))
    report = system.tick(LAST_TICK)

    assert report.terminated == ["VR-D-1"]
    ta_case = system.app.get_case(case_id_for("TA-D-1"))
    assert ta_case.status is CaseStatus.MONITORING
    assert not [
        e for e in system.app.history(case_id_for("TA-D-1")) if type(e).__name__ == "CaseTerminated"
    ]
    deadlines = system.view.deadlines_of(str(case_id_for("TA-D-1")), LAST_TICK)
    kinds = {d.kind for d in deadlines}
    assert DeadlineKind.TERMINATION not in kinds
    assert {
        DeadlineKind.PLAN_REASSESSMENT,
        DeadlineKind.GOAL_TARGET,
        DeadlineKind.PLANNED_CONTACT,
        DeadlineKind.BENEFIT_RENEWAL,
        DeadlineKind.TRAINING_REFERRAL_WINDOW,
        DeadlineKind.INVOICE_PAYMENT,
    } <= kinds
    overdue = {d.kind for d in deadlines if d.status is DeadlineStatus.OVERDUE}
    assert overdue == {DeadlineKind.PLAN_REASSESSMENT, DeadlineKind.BENEFIT_RENEWAL}

    alerts = [
        AvroCodec(published_schemas()).decode(m.value).record
        for m in read_topic(
            system.settings.kafka_bootstrap_servers or "", system.settings.deadline_alerts_topic
        )
    ]
    renewal = [(a["status"], a["rule_id"]) for a in alerts if a["kind"] == "benefit_renewal"]
    assert renewal == [("due_soon", "TA-06"), ("overdue", "TA-06")]
    due_soon_alert = next(a for a in alerts if a["kind"] == "benefit_renewal")
    assert due_soon_alert["raised_on"] == date(2024, 7, 5)
    assert not [a for a in alerts if a["kind"] == DeadlineKind.TRAINING_REFERRAL_WINDOW.value]

    with pytest.raises(InvalidCommand, match="not a VR case"):
        system.app.handle(
            TerminateCase(case_id=case_id_for("TA-D-1"), terminated_on=date(2025, 5, 31)),
            DEADLINE_PROCESS,
        )
