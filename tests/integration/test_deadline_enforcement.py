"""The deadline process terminates each case on its VR-11 date, once, and alerts on the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.avro import AvroCodec, published_schemas
from application.clock import utc_today
from application.settings import Settings, as_environment
from domain.case import CaseStatus, case_id_for
from domain.commands import TerminateCase
from domain.deadlines import DeadlineKind, DeadlineStatus
from domain.termination import DEADLINE_PROCESS
from domain.values import Override
from projections.deadline_enforcement import TickAheadOfClock
from scripts.exit_codes import ExitCode
from tests.builders import BILLING, CASEWORKER, SUPERVISOR, CaseFile, open_case
from tests.conftest import unique
from tests.pipeline import SteppedClock, SteppedSystem
from tests.topic_reader import read_topic

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> SteppedClock:
    """The system's today: after every day these tests record or judge, unless a test moves it."""
    return SteppedClock(date(2025, 12, 31))


@pytest.fixture(params=["sqlite", "postgres"])
def system(
    request: pytest.FixtureRequest, tmp_path: Path, kafka_bootstrap: str, clock: SteppedClock
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
    stepped = SteppedSystem(settings, clock=clock)
    yield stepped
    stepped.close()


def open_with_outcome(system: SteppedSystem, number: str, outcome: date) -> CaseFile:
    file = CaseFile(outcome=outcome, case_number=number)
    system.app.open_case(
        open_case(number, opened_on=outcome - timedelta(days=200), caseworker=CASEWORKER.id),
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


# Never ahead of the clock (issue 14: a sweep run "as of" a later day terminated live cases early).


def recorded_events(system: SteppedSystem) -> list[tuple[UUID, int, str, date]]:
    """Every event in the event store: case id, version, type and effective date."""
    notifications = system.app.recorder.select_notifications(start=1, limit=10**6)
    events = [system.app.mapper.to_domain_event(n) for n in notifications]
    return [
        (e.originator_id, e.originator_version, type(e).__name__, e.effective_on) for e in events
    ]


def published_alerts(system: SteppedSystem) -> list[tuple[str, str, date, str]]:
    """Every alert on the alerts topic: case number, kind, due date and status."""
    codec = AvroCodec(published_schemas())
    messages = read_topic(
        system.settings.kafka_bootstrap_servers or "", system.settings.deadline_alerts_topic
    )
    records = [codec.decode(m.value).record for m in messages]
    return [(r["case_number"], r["kind"], r["due_on"], r["status"]) for r in records]


def with_unpaid_invoice(system: SteppedSystem, number: str) -> None:
    """A case whose invoice (received 2024-06-03) is due 2024-07-03 and left unpaid."""
    file = open_with_outcome(system, number, date(2024, 3, 1))
    request = file.request(date(2024, 5, 1))
    system.app.handle(request, CASEWORKER)
    system.app.handle(file.appropriate(request.request_id, date(2024, 5, 1)), CASEWORKER)
    authorize = file.authorize(request.request_id, date(2024, 5, 2), end=date(2024, 6, 30))
    system.app.handle(authorize, CASEWORKER)
    system.app.handle(file.provided(authorize.authorization_id, date(2024, 6, 1)), CASEWORKER)
    system.app.handle(file.invoice(authorize.authorization_id, date(2024, 6, 3), 10_000), BILLING)


def test_the_deadline_process_refuses_a_day_after_its_clocks_today_and_records_nothing(
    system: SteppedSystem, clock: SteppedClock
) -> None:
    open_with_outcome(system, "VR-F-1", date(2024, 3, 1))  # terminates 2025-03-01
    clock.today = date(2025, 2, 28)
    before = recorded_events(system)

    with pytest.raises(TickAheadOfClock, match="2025-03-01 is after today \\(2025-02-28\\)"):
        system.tick(date(2025, 3, 1))

    assert recorded_events(system) == before
    assert system.tick(clock.today).terminated == []
    clock.today = date(2025, 3, 1)
    assert system.enforcer.tick().terminated == ["VR-F-1"]  # no day given: the clock's today
    assert terminations(system, "VR-F-1") == [date(2025, 3, 1)]


def test_a_dry_run_records_and_publishes_nothing_and_the_sweep_then_records_just_what_it_said(
    system: SteppedSystem,
) -> None:
    day = date(2024, 7, 10)
    open_with_outcome(system, "VR-R-1", date(2023, 7, 1))  # terminates 2024-07-01
    open_with_outcome(system, "VR-R-2", date(2023, 7, 5))  # terminates 2024-07-05
    open_with_outcome(system, "VR-R-3", date(2023, 7, 2))  # terminated below, unseen by the view
    with_unpaid_invoice(system, "VR-R-4")  # overdue since 2024-07-03
    system.sync()
    system.app.handle(
        TerminateCase(case_id=case_id_for("VR-R-3"), terminated_on=date(2024, 7, 2)),
        DEADLINE_PROCESS,
    )
    before = recorded_events(system), published_alerts(system)

    dry = system.enforcer.tick(day, dry_run=True)  # the view stays as it was: no sync

    assert (recorded_events(system), published_alerts(system)) == before
    assert dry.dry_run and dry.today == day
    assert dry.terminated_on == {"VR-R-1": date(2024, 7, 1), "VR-R-2": date(2024, 7, 5)}
    assert [d.split(":")[0] for d in dry.deferred] == ["VR-R-3"]
    alerted = {(d.case_number, d.kind.value, d.due_on, d.status.value) for d in dry.alerted}
    assert ("VR-R-4", "invoice_payment", date(2024, 7, 3), "overdue") in alerted
    assert dry.alerts == len(dry.alerted)

    sweep = system.enforcer.tick(day)

    assert sweep == replace(dry, dry_run=False)
    events, alerts = before
    added = [e for e in recorded_events(system) if e not in events]
    assert {(case_id, on) for case_id, _, _, on in added} == {
        (case_id_for(number), on) for number, on in dry.terminated_on.items()
    }
    assert {kind for _, _, kind, _ in added} == {"CaseTerminated"}
    assert set(published_alerts(system)) - set(alerts) == alerted
    assert len(published_alerts(system)) - len(alerts) == dry.alerts


def pes_deadlines(system: SteppedSystem, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "deadlines", *args],
        cwd=REPOSITORY,
        env={**os.environ, **as_environment(system.settings)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pes_deadlines_refuses_a_future_day_in_one_line_and_its_dry_run_is_what_it_then_records(
    system: SteppedSystem,
) -> None:
    open_with_outcome(system, "VR-C-1", date(2024, 3, 1))  # terminates 2025-03-01
    open_with_outcome(system, "VR-C-2", date(2024, 3, 5))  # terminates 2025-03-05
    system.sync()
    before = recorded_events(system), published_alerts(system)
    tomorrow = utc_today() + timedelta(days=1)

    ahead = pes_deadlines(system, "--today", tomorrow.isoformat())

    assert ahead.returncode == ExitCode.BAD_INPUT, ahead.stderr
    assert ahead.stderr.strip().splitlines() == [
        f"pes deadlines: --today {tomorrow} is after today ({utc_today()}): the deadline "
        "process never runs ahead of the clock, so no termination is recorded before its day"
    ]
    assert ahead.stdout == ""

    dry = pes_deadlines(system, "--dry-run", "--today", "2025-03-04")

    assert dry.returncode == ExitCode.OK, dry.stderr
    assert (recorded_events(system), published_alerts(system)) == before
    lines = dry.stdout.splitlines()
    assert lines[0] == "dry run for 2025-03-04: nothing is recorded or published"
    assert [line for line in lines if line.startswith("would terminate")] == [
        "would terminate VR-C-1 effective 2025-03-01 (VR-11)"
    ]
    assert lines[-1].startswith("would have: 2025-03-04: terminated 1 case(s), deferred 0")

    sweep = pes_deadlines(system, "--today", "2025-03-04")

    assert sweep.returncode == ExitCode.OK, sweep.stderr
    assert sweep.stdout.strip() == lines[-1].removeprefix("would have: ")
    added = [e for e in recorded_events(system) if e not in before[0]]
    assert [(case_id, kind, on) for case_id, _, kind, on in added] == [
        (case_id_for("VR-C-1"), "CaseTerminated", date(2025, 3, 1))
    ]
