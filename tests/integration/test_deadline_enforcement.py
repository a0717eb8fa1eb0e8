"""The deadline process terminates each case on its VR-11 date, once, and alerts on the rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.avro import AvroCodec, published_schemas
from application.settings import Settings
from domain.case import CaseStatus, Program, case_id_for
from domain.commands import OpenCase
from domain.deadlines import DeadlineKind, DeadlineStatus
from domain.values import Override
from tests.conftest import unique
from tests.pipeline import SteppedSystem
from tests.topic_reader import read_topic
from tests.unit.domain.support import BILLING, CASEWORKER, SUPERVISOR, CaseFile

pytestmark = pytest.mark.kafka


@pytest.fixture(params=["sqlite", "postgres"])
def system(
    request: pytest.FixtureRequest, tmp_path: Path, kafka_bootstrap: str
) -> Iterator[SteppedSystem]:
    """The stepped system with its views in SQLite and, again, in PostgreSQL."""
    views: dict[str, object] = {"view_store": request.param}
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        dbname = unique("views")
        server.create_database(dbname)
        connection = server.connection
        views.update(
            POSTGRES_HOST=connection["host"],
            POSTGRES_PORT=int(connection["port"]),
            POSTGRES_USER=connection["user"],
            POSTGRES_PASSWORD=connection["password"],
            POSTGRES_DBNAME=dbname,
        )
    settings = Settings(
        **views,
        data_dir=tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap,
        case_events_topic=unique("test.case-events"),
        deadline_alerts_topic=unique("test.alerts"),
        case_events_partitions=3,
    )
    stepped = SteppedSystem(settings)
    yield stepped
    stepped.close()


def open_with_outcome(system: SteppedSystem, number: str, outcome: date) -> CaseFile:
    file = CaseFile(outcome=outcome, case_number=number)
    system.app.open_case(
        OpenCase(
            case_number=number,
            program=Program.VR,
            client_ref=f"CL-{number}",
            caseworker_id=CASEWORKER.id,
            opened_on=outcome - timedelta(days=200),
        ),
        CASEWORKER,
    )
    system.app.handle(file.record_outcome(outcome), CASEWORKER)
    return file


def terminations(system: SteppedSystem, number: str) -> list[date]:
    return [
        e.effective_on
        for e in system.app.history(case_id_for(number))
        if type(e).__name__ == "CaseTerminated"
    ]


def test_each_case_terminates_on_its_VR_11_date_never_early_and_only_once(
    system: SteppedSystem,
) -> None:
    open_with_outcome(system, "VR-T-1", date(2024, 3, 1))  # terminates 2025-03-01
    open_with_outcome(system, "VR-T-2", date(2024, 2, 29))  # clamps to 2025-02-28

    terminated_by_day = {}
    for offset in range(6):
        today = date(2025, 2, 26) + timedelta(days=offset)
        first = system.tick(today)
        again = system.tick(today)
        terminated_by_day[today] = first.terminated
        assert again.terminated == []

    assert terminated_by_day[date(2025, 2, 28)] == ["VR-T-2"]
    assert terminated_by_day[date(2025, 3, 1)] == ["VR-T-1"]
    assert sum(len(v) for v in terminated_by_day.values()) == 2
    assert terminations(system, "VR-T-1") == [date(2025, 3, 1)]
    assert terminations(system, "VR-T-2") == [date(2025, 2, 28)]
    assert system.app.get_case(case_id_for("VR-T-1")).status is CaseStatus.TERMINATED


def test_a_late_run_records_the_VR_11_date_not_the_day_it_ran(system: SteppedSystem) -> None:
    open_with_outcome(system, "VR-L-1", date(2024, 3, 10))

    report = system.tick(date(2025, 6, 1))

    assert report.terminated == ["VR-L-1"]
    assert terminations(system, "VR-L-1") == [date(2025, 3, 10)]


def test_termination_waits_while_a_service_is_open_and_follows_the_return_VR_11(
    system: SteppedSystem,
) -> None:
    file = open_with_outcome(system, "VR-W-1", date(2024, 3, 1))
    request = file.request(date(2025, 1, 10))
    system.app.handle(request, CASEWORKER)
    system.app.handle(file.appropriate(request.request_id, date(2025, 1, 10)), CASEWORKER)
    authorize = file.authorize(
        request.request_id,
        date(2025, 1, 12),
        end=date(2025, 3, 20),
        overrides=(Override(rule_id="VR-03", reason="the coaching must span the busy season"),),
    )
    system.app.handle(authorize, SUPERVISOR)

    assert system.tick(date(2025, 3, 1)).terminated == []
    assert system.tick(date(2025, 3, 25)).terminated == []

    authorization = authorize.authorization_id
    system.app.handle(file.provided(authorization, date(2025, 3, 26)), CASEWORKER)
    invoice = file.invoice(authorization, date(2025, 3, 27), 20_000)
    system.app.handle(invoice, BILLING)
    system.app.handle(file.pay(invoice.invoice_id, date(2025, 4, 2), 20_000), BILLING)
    system.app.handle(file.unencumber(authorization, date(2025, 4, 3)), BILLING)
    system.app.handle(file.back_to_monitoring(date(2025, 4, 4)), CASEWORKER)

    assert system.tick(date(2025, 4, 3)).terminated == []
    assert system.tick(date(2025, 4, 4)).terminated == ["VR-W-1"]
    assert terminations(system, "VR-W-1") == [date(2025, 4, 4)]


def test_an_unpaid_invoice_raises_one_alert_when_due_soon_and_one_when_overdue(
    system: SteppedSystem,
) -> None:
    file = open_with_outcome(system, "VR-A-1", date(2024, 3, 1))
    request = file.request(date(2024, 5, 1))
    system.app.handle(request, CASEWORKER)
    system.app.handle(file.appropriate(request.request_id, date(2024, 5, 1)), CASEWORKER)
    authorize = file.authorize(request.request_id, date(2024, 5, 2), end=date(2024, 6, 30))
    system.app.handle(authorize, CASEWORKER)
    system.app.handle(file.provided(authorize.authorization_id, date(2024, 6, 1)), CASEWORKER)
    invoice = file.invoice(authorize.authorization_id, date(2024, 6, 3), 10_000)
    system.app.handle(invoice, BILLING)  # due 30 days after receipt: 2024-07-03

    raised = [system.tick(date(2024, 6, 3) + timedelta(days=d)).alerts for d in range(0, 40)]

    alerts = read_topic(
        system.settings.kafka_bootstrap_servers or "", system.settings.deadline_alerts_topic
    )
    codec = AvroCodec(published_schemas())
    records = [codec.decode(m.value).record for m in alerts]
    invoice_alerts = [r for r in records if r["kind"] == DeadlineKind.INVOICE_PAYMENT.value]
    assert [(r["status"], r["due_on"]) for r in invoice_alerts] == [
        (DeadlineStatus.DUE_SOON.value, date(2024, 7, 3)),
        (DeadlineStatus.OVERDUE.value, date(2024, 7, 3)),
    ]
    assert invoice_alerts[0]["raised_on"] == date(2024, 7, 3) - timedelta(days=7)
    assert invoice_alerts[1]["raised_on"] == date(2024, 7, 4)
    assert all(r["case_number"] == "VR-A-1" for r in records)
    assert sum(raised) == len(records)
    overdue = system.view.overdue(date(2024, 7, 12))
    assert DeadlineKind.INVOICE_PAYMENT in {d.kind for d in overdue}
