"""Benchmark: a case with 1,000 events reconstructed as of a business date, beside the
library's own full rebuild of the same case.

The case is recorded through the application: one PE request, then authorizations that are each
provided, invoiced, paid and released (5 events each) until the case holds the events asked for.
The first read as of its last date keeps the case's snapshots (every `PES_SNAPSHOT_INTERVAL`
versions); it is timed on its own, and the sample after it reads from them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from application.audit import state_as_of
from application.bootstrap import build_case_management, freeze_startup_objects
from application.cases import CaseManagement
from application.settings import Settings
from domain.base import Actor, Role, numbered_id
from domain.case import Program, case_id_for
from domain.commands import (
    AuthorizeService,
    CorrectOutcomeDate,
    DeterminePEAppropriate,
    OpenCase,
    PayInvoice,
    ReceiveInvoice,
    RecordOutcome,
    RecordServiceProvided,
    RequestPEServices,
    UnencumberBalance,
)
from domain.values import MaintainAssessment, ScopeCriteria, ServiceCategory, ServiceType

CASEWORKER = Actor(id="bench-cw", role=Role.CASEWORKER)
SUPERVISOR = Actor(id="bench-supervisor", role=Role.SUPERVISOR)
BILLING = Actor(id="bench-billing", role=Role.BILLING)
OUTCOME = date(2024, 1, 2)


def record_long_case(
    settings: Settings, events: int, corrections_every: int = 0
) -> tuple[CaseManagement, int]:
    """The case, of about `events` events; with `corrections_every` N, every Nth round of
    authorizations is followed by a request entered late with an earlier date, and every
    other such round also by a correction of the outcome date (back and forth a day)."""
    app = build_case_management(settings)
    number = "VR-BENCH-LONG"
    case_id = case_id_for(number)
    app.open_case(
        OpenCase(
            case_number=number,
            program=Program.VR,
            client_ref="CL-BENCH",
            caseworker_id=CASEWORKER.id,
            opened_on=OUTCOME - timedelta(days=90),
        ),
        CASEWORKER,
    )
    app.handle(
        RecordOutcome(
            case_id=case_id,
            outcome_date=OUTCOME,
            employer="Bench Works",
            job_title="tester",
            hourly_wage_cents=2000,
            weekly_hours=40,
        ),
        CASEWORKER,
    )
    request_id = numbered_id(case_id, "request", 1)
    app.handle(
        RequestPEServices(
            case_id=case_id,
            request_id=request_id,
            requested_on=OUTCOME + timedelta(days=1),
            purpose="maintain",
            maintain=MaintainAssessment(
                concern="shift changes",
                raised_with_employer=True,
                what_client_thinks_will_help="a bus pass",
                services_needed="transportation",
                others_fulfilled_responsibilities=None,
            ),
        ),
        CASEWORKER,
    )
    app.handle(
        DeterminePEAppropriate(
            case_id=case_id,
            request_id=request_id,
            determined_on=OUTCOME + timedelta(days=1),
            criteria=ScopeCriteria(
                readily_available=True,
                easy_to_arrange=True,
                routine=True,
                providable_within_scope_days=True,
            ),
            expected_provided_by=OUTCOME + timedelta(days=60),
        ),
        CASEWORKER,
    )
    recorded, n = 4, 0
    while recorded + 5 <= events:
        n += 1
        on = OUTCOME + timedelta(days=1 + (n if corrections_every else n // 2))
        if corrections_every and n % corrections_every == 0 and recorded + 7 <= events:
            recorded += _record_backdated(app, case_id, n, on, corrections_every)
        authorization_id = numbered_id(case_id, "authorization", n)
        invoice_id = numbered_id(case_id, "invoice", n)
        for actor, command in (
            (
                CASEWORKER,
                AuthorizeService(
                    case_id=case_id,
                    authorization_id=authorization_id,
                    request_id=request_id,
                    authorized_on=on,
                    service_type=ServiceType.TRANSPORTATION,
                    category=ServiceCategory.SUPPORT,
                    provider=f"PRV-{n % 40:04d}",
                    planned_start=on,
                    planned_end=on + timedelta(days=30),
                    amount_cents=10_000,
                    ipe_entry="bus pass",
                ),
            ),
            (
                CASEWORKER,
                RecordServiceProvided(
                    case_id=case_id, authorization_id=authorization_id, provided_on=on
                ),
            ),
            (
                BILLING,
                ReceiveInvoice(
                    case_id=case_id,
                    invoice_id=invoice_id,
                    authorization_id=authorization_id,
                    received_on=on,
                    invoice_number=f"INV-{n}",
                    amount_cents=9_000,
                ),
            ),
            (
                BILLING,
                PayInvoice(case_id=case_id, invoice_id=invoice_id, paid_on=on, amount_cents=9_000),
            ),
            (
                BILLING,
                UnencumberBalance(
                    case_id=case_id, authorization_id=authorization_id, unencumbered_on=on
                ),
            ),
        ):
            app.handle(command, actor)
        recorded += 5
    return app, recorded


def _record_backdated(app: CaseManagement, case_id: UUID, n: int, on: date, every: int) -> int:
    app.handle(
        RequestPEServices(
            case_id=case_id,
            request_id=numbered_id(case_id, "request", 1 + n),
            requested_on=OUTCOME + timedelta(days=1 + n // 3),  # before the last fact
            purpose="maintain",
            maintain=MaintainAssessment(
                concern="a new shift",
                raised_with_employer=False,
                what_client_thinks_will_help="a car pool",
                services_needed="transportation",
                others_fulfilled_responsibilities=None,
            ),
        ),
        CASEWORKER,
    )
    if n // every % 2:
        return 1
    app.handle(
        CorrectOutcomeDate(
            case_id=case_id,
            corrected_outcome_date=OUTCOME - timedelta(days=n // every // 2 % 2),
            corrected_on=on,
            reason="the start date was keyed from the offer letter",
            evidence_ref=f"DOC-{n}",
        ),
        SUPERVISOR,
    )
    return 2


def bench_as_of(events: int, samples: int = 50) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory))
        app, recorded = record_long_case(settings, events)
        case_id = case_id_for("VR-BENCH-LONG")
        history = app.history(case_id)
        # Dates where the case has events, so the sample spreads over its whole history.
        picks = random.Random(1)
        days = [history[picks.randrange(len(history))].effective_on for _ in range(samples)]
        days.append(history[-1].effective_on)  # the whole history: the slowest date

        def timed(action: object) -> list[float]:
            times = []
            for day in days:
                start = time.perf_counter()
                action(day)  # type: ignore[operator]
                times.append(time.perf_counter() - start)
            return sorted(times)

        start = time.perf_counter()
        state_as_of(app, case_id, days[-1])
        first = time.perf_counter() - start
        as_of = timed(lambda day: state_as_of(app, case_id, day))
        # At a version, the library rebuilds the case from its events (the cache serves only
        # the latest state, which an as-of reconstruction cannot use).
        last = history[-1].originator_version
        full = timed(lambda _day: app.repository.get(case_id, version=last))
        p50, p95 = statistics.median(as_of), as_of[int(len(as_of) * 0.95)]
        interval = settings.snapshot_interval
        print(
            f"{'case as of a date (audit)':<34} p50 {p50 * 1000:6.2f} ms   "
            f"p95 {p95 * 1000:6.2f} ms   max {as_of[-1] * 1000:6.2f} ms   "
            f"(a case of {recorded} events, a snapshot every {interval}; "
            f"p95 / p50 {p95 / p50:4.2f}, target <= 2)"
        )
        print(
            f"{'':<34} raw repository.get rebuilding the whole case: p50 "
            f"{statistics.median(full) * 1000:6.1f} ms; ratio of medians "
            f"{statistics.median(full) / p50:5.2f} (target >= 10)"
        )
        print(
            f"{'':<34} the first read as of the last date, keeping the snapshots: "
            f"{first * 1000:6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    events = parser.parse_args().events
    freeze_startup_objects()  # as every long-running `pes` process does once started
    bench_as_of(events)


if __name__ == "__main__":
    main()
