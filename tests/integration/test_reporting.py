"""The reporting store fed the events the real application records, and its reports by hand.

Five cases whose dates were chosen so every figure below can be checked on paper:

| case | caseworker | history |
|---|---|---|
| A | cw-ada | opened 2024-01-15; outcome 2024-02-29 ($18.50, 32.5 h); request R1 (maintain) 2024-03-04, PE appropriate 03-08, authorized 03-11 (start 03-11, end 05-31), provided 05-20, invoiced, paid, released 06-03; returned 06-05; terminated 2025-02-28 |
| B | cw-ada | opened 2024-02-01; outcome 2024-03-15 ($22.00, 40 h); R2 (advance) 2024-04-01, new employment case 04-11, returned 04-12; R3 (maintain) 2024-05-02, not appropriate 05-09, review 05-13 reversed 05-20, PE appropriate 05-21, authorized 05-24 (start 06-01, end 09-15, VR-04 overridden), cancelled 06-10, released 06-10; removed 06-14; terminated 2025-03-15 |
| C | cw-bob | opened 2024-03-10; nothing else |
| D | cw-bob | opened 2024-01-20; outcome 2024-01-31 ($16.00, 20 h); R4 (maintain) 2025-01-10, PE appropriate 01-13, authorized 01-15 (start 2025-01-31 = the last day of the window, end 02-20, VR-03 overridden), provided and released 02-20; returned 02-21; terminated 2025-02-21 |
| E | cw-bob | opened 2012-09-03; outcome 2013-06-28 ($15.00, 27.5 h); grandfathered 2013-08-01 (supported employment); R5 2013-08-05, PE appropriate 08-06, authorized 08-07 (start 2014-07-15, after the window closed on 2014-06-28: VR-12), provided and released 2014-12-31; returned 2015-01-05; terminated 2015-01-05 |
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.case_ordered_store import StaleLayout
from adapters.consumer import Delivery
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management
from application.cases import CaseManagement
from application.settings import Settings
from consumers.reporting.export import columns, to_csv, to_json, write_report
from consumers.reporting.reports import (
    CaseloadCount,
    ExitQuarterRow,
    OutcomeRow,
    OutcomeTotals,
    OverrideCount,
    ParticipantOutcomeRow,
    ParticipantOutcomeTotals,
    Period,
    Summary,
    TimelinessRow,
    caseload_over_time,
    exits,
    exits_by_quarter,
    month_ends,
    monthly_periods,
    outcome_totals,
    outcomes,
    overrides,
    overrides_by_rule,
    participant_outcome_totals,
    participant_outcomes,
    timeliness,
)
from consumers.reporting.store import ReportingStore
from domain.assignment.commands import ReassignCase
from domain.assistance.values import JobLossReason
from domain.base import Actor, Role, numbered_id
from domain.case import Case, Program, case_id_for
from domain.catalog import STATUS_AFTER_EVENT
from domain.commands import (
    AuthorizeService,
    CancelAuthorization,
    CaseCommand,
    ChangeWage,
    CorrectOutcomeDate,
    DecideReview,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    DeterminePEAppropriate,
    EndCashAssistance,
    IdentifySkill,
    PayInvoice,
    ReceiveInvoice,
    RecognizeGrandfathering,
    RecordJobLoss,
    RecordOutcome,
    RecordServiceProvided,
    RemoveFromPEServices,
    RequestPEServices,
    RequestReview,
    ReturnToMonitoring,
    StartJob,
    TerminateCase,
    UnencumberBalance,
)
from domain.measures import outcome_measures
from domain.termination import DEADLINE_PROCESS
from domain.values import (
    AdvanceAssessment,
    AdvancementResult,
    MaintainAssessment,
    NewCaseReason,
    Override,
    RequestPurpose,
    ReviewDecision,
    ScopeCriteria,
    ServiceCategory,
    ServiceType,
)
from scripts.local_postgres import conninfo
from synthetic import SyntheticCaseload, drive
from tests.builders import new_employment_case_numbers, open_case
from tests.conftest import unique

TOPIC = "pes.case-events"
ADA = Actor(id="cw-ada", role=Role.CASEWORKER)
BOB = Actor(id="cw-bob", role=Role.CASEWORKER)
SUPERVISOR = Actor(id="sup-eve", role=Role.SUPERVISOR)
BILLING = Actor(id="billing-01", role=Role.BILLING)
MAINTAIN = MaintainAssessment(
    concern="the new shift starts before the first bus",
    raised_with_employer=True,
    what_client_thinks_will_help="a monthly pass",
    services_needed="transportation",
)
ADVANCE = AdvanceAssessment(
    same_employer=True,
    client_needs="a forklift certificate",
    employer_assistance="paid time for the course",
    barriers_to_arranging_alone="cannot pay the fee up front",
    expected_results=(AdvancementResult.PROMOTION,),
)
ALL_CRITERIA = ScopeCriteria(
    readily_available=True, easy_to_arrange=True, routine=True, providable_within_scope_days=True
)

P2013 = Period(date(2013, 7, 1), date(2013, 12, 31))
P2024 = Period(date(2024, 1, 1), date(2024, 12, 31))
P2025Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))


class Desk:
    """Issues one case's commands through the application, as its caseworker."""

    def __init__(self, app: CaseManagement, number: str, caseworker: Actor, opened_on: date):
        self.app = app
        self.case_id = case_id_for(number)
        self.number = number
        self.caseworker = caseworker
        self.counters: Counter[str] = Counter()
        app.open_case(
            open_case(number, opened_on=opened_on, caseworker=caseworker.id),
            caseworker,
        )

    def do(self, command: CaseCommand, actor: Actor | None = None) -> None:
        self.app.handle(command, actor or self.caseworker)

    def next_id(self, kind: str) -> UUID:
        self.counters[kind] += 1
        return numbered_id(self.case_id, kind, self.counters[kind])

    def outcome(self, on: date, wage_cents: int, hours: float) -> None:
        self.do(
            RecordOutcome(
                case_id=self.case_id,
                outcome_date=on,
                employer="Riverside Bakery",
                job_title="baker",
                hourly_wage_cents=wage_cents,
                weekly_hours=hours,
            )
        )

    def request(self, on: date, purpose: RequestPurpose = RequestPurpose.MAINTAIN) -> UUID:
        request_id = self.next_id("request")
        self.do(
            RequestPEServices(
                case_id=self.case_id,
                request_id=request_id,
                requested_on=on,
                purpose=purpose,
                maintain=MAINTAIN if purpose is RequestPurpose.MAINTAIN else None,
                advance=ADVANCE if purpose is RequestPurpose.ADVANCE else None,
            )
        )
        return request_id

    def appropriate(self, request_id: UUID, on: date) -> None:
        self.do(
            DeterminePEAppropriate(
                case_id=self.case_id,
                request_id=request_id,
                determined_on=on,
                criteria=ALL_CRITERIA,
                expected_provided_by=on,
            )
        )

    def authorize(
        self,
        request_id: UUID,
        on: date,
        start: date,
        end: date,
        service_type: ServiceType = ServiceType.TRANSPORTATION,
        overrides: tuple[Override, ...] = (),
        amount_cents: int = 0,
    ) -> UUID:
        authorization_id = self.next_id("authorization")
        self.do(
            AuthorizeService(
                case_id=self.case_id,
                authorization_id=authorization_id,
                request_id=request_id,
                authorized_on=on,
                service_type=service_type,
                category=ServiceCategory.SUPPORT,
                provider="PRV-0042",
                planned_start=start,
                planned_end=end,
                amount_cents=amount_cents,
                ipe_entry=f"{service_type} for the client",
                overrides=overrides,
            ),
            SUPERVISOR if overrides else None,
        )
        return authorization_id

    def provided_and_released(self, authorization_id: UUID, on: date) -> None:
        self.do(
            RecordServiceProvided(
                case_id=self.case_id, authorization_id=authorization_id, provided_on=on
            )
        )
        self.release(authorization_id, on)

    def release(self, authorization_id: UUID, on: date) -> None:
        self.do(
            UnencumberBalance(
                case_id=self.case_id, authorization_id=authorization_id, unencumbered_on=on
            ),
            BILLING,
        )

    def returned(self, on: date) -> None:
        self.do(ReturnToMonitoring(case_id=self.case_id, returned_on=on))

    def terminated(self, on: date) -> None:
        self.do(TerminateCase(case_id=self.case_id, terminated_on=on), DEADLINE_PROCESS)


def record_the_five_cases(app: CaseManagement) -> list[UUID]:
    a = Desk(app, "RPT-A", ADA, date(2024, 1, 15))
    a.outcome(date(2024, 2, 29), 1850, 32.5)
    r1 = a.request(date(2024, 3, 4))
    a.appropriate(r1, date(2024, 3, 8))
    au1 = a.authorize(
        r1, date(2024, 3, 11), date(2024, 3, 11), date(2024, 5, 31), amount_cents=20_000
    )
    a.do(
        RecordServiceProvided(
            case_id=a.case_id, authorization_id=au1, provided_on=date(2024, 5, 20)
        )
    )
    invoice_id = a.next_id("invoice")
    a.do(
        ReceiveInvoice(
            case_id=a.case_id,
            invoice_id=invoice_id,
            authorization_id=au1,
            received_on=date(2024, 5, 22),
            invoice_number="INV-1",
            amount_cents=15_000,
        ),
        BILLING,
    )
    a.do(
        PayInvoice(
            case_id=a.case_id, invoice_id=invoice_id, paid_on=date(2024, 5, 30), amount_cents=15_000
        ),
        BILLING,
    )
    a.release(au1, date(2024, 6, 3))
    a.returned(date(2024, 6, 5))

    b = Desk(app, "RPT-B", ADA, date(2024, 2, 1))
    b.outcome(date(2024, 3, 15), 2200, 40)
    r2 = b.request(date(2024, 4, 1), RequestPurpose.ADVANCE)
    b.do(
        DetermineNewEmploymentCase(
            case_id=b.case_id,
            request_id=r2,
            determined_on=date(2024, 4, 11),
            new_case_number="RPT-B-N1",
            reasons=(NewCaseReason.SIGNIFICANT_STAFF_TIME,),
        )
    )
    b.returned(date(2024, 4, 12))
    r3 = b.request(date(2024, 5, 2))
    b.do(
        DetermineNotAppropriate(
            case_id=b.case_id,
            request_id=r3,
            determined_on=date(2024, 5, 9),
            written_explanation="The employer provides this already.",
            review_notice_given=True,
        )
    )
    b.do(
        RequestReview(
            case_id=b.case_id,
            request_id=r3,
            requested_on=date(2024, 5, 13),
            grounds="The employer withdrew it.",
        )
    )
    b.do(
        DecideReview(
            case_id=b.case_id,
            request_id=r3,
            decided_on=date(2024, 5, 20),
            decision=ReviewDecision.REVERSED,
            reason="The employer's letter confirms the withdrawal.",
        ),
        SUPERVISOR,
    )
    b.appropriate(r3, date(2024, 5, 21))
    au2 = b.authorize(
        r3,
        date(2024, 5, 24),
        date(2024, 6, 1),
        date(2024, 9, 15),
        overrides=(Override(rule_id="VR-04", reason="The course runs three and a half months."),),
    )
    b.do(
        CancelAuthorization(
            case_id=b.case_id,
            authorization_id=au2,
            cancelled_on=date(2024, 6, 10),
            reason="The client found a course elsewhere.",
        )
    )
    b.release(au2, date(2024, 6, 10))
    b.do(
        RemoveFromPEServices(
            case_id=b.case_id, removed_on=date(2024, 6, 14), reason="The client declined."
        )
    )

    c = Desk(app, "RPT-C", BOB, date(2024, 3, 10))

    d = Desk(app, "RPT-D", BOB, date(2024, 1, 20))
    d.outcome(date(2024, 1, 31), 1600, 20)
    r4 = d.request(date(2025, 1, 10))
    d.appropriate(r4, date(2025, 1, 13))
    au3 = d.authorize(
        r4,
        date(2025, 1, 15),
        date(2025, 1, 31),
        date(2025, 2, 20),
        overrides=(Override(rule_id="VR-03", reason="The provider's only course ends then."),),
    )
    d.provided_and_released(au3, date(2025, 2, 20))
    d.returned(date(2025, 2, 21))

    e = Desk(app, "RPT-E", BOB, date(2012, 9, 3))
    e.outcome(date(2013, 6, 28), 1500, 27.5)
    e.do(
        RecognizeGrandfathering(
            case_id=e.case_id,
            recognized_on=date(2013, 8, 1),
            evidence="QE2 shows EW services active on 2013-08-01.",
            services_started_on=date(2013, 5, 1),
            planned_services=(ServiceType.SUPPORTED_EMPLOYMENT,),
        )
    )
    r5 = e.request(date(2013, 8, 5))
    e.appropriate(r5, date(2013, 8, 6))
    au4 = e.authorize(
        r5,
        date(2013, 8, 7),
        date(2014, 7, 15),
        date(2014, 12, 31),
        service_type=ServiceType.SUPPORTED_EMPLOYMENT,
    )
    e.provided_and_released(au4, date(2014, 12, 31))
    e.returned(date(2015, 1, 5))

    # VR-11: the later of outcome + 12 months and the day the case left PE services.
    e.terminated(date(2015, 1, 5))  # max(2014-06-28, 2015-01-05)
    d.terminated(date(2025, 2, 21))  # max(2025-01-31, 2025-02-21)
    a.terminated(date(2025, 2, 28))  # max(2025-02-28 (clamped), 2024-06-05)
    b.terminated(date(2025, 3, 15))  # max(2025-03-15, 2024-06-14)
    return [desk.case_id for desk in (a, b, c, d, e)]


def interleaved(histories: Iterable[Sequence[Any]]) -> list[Any]:
    """The cases' events taken in turn, as partitions mix cases; each case keeps its order."""
    queues = [list(history) for history in histories]
    merged = []
    while any(queues):
        for queue in queues:
            if queue:
                merged.append(queue.pop(0))
    return merged


def deliveries(events: Sequence[Any], first_offset: int = 0) -> list[Delivery]:
    return [Delivery(TOPIC, 0, first_offset + i, e) for i, e in enumerate(events)]


def feed(store: ReportingStore, batch: Sequence[Delivery], next_offset: int) -> list[str]:
    """Applies one partition batch; returns the reasons of what the store rejected."""
    rejected: list[str] = []
    store.apply(TOPIC, 0, batch, next_offset, lambda r: rejected.extend(why for _, why in r))
    return rejected


def feed_in_batches(store: ReportingStore, all_deliveries: list[Delivery], size: int) -> None:
    for start in range(0, len(all_deliveries), size):
        batch = all_deliveries[start : start + size]
        assert feed(store, batch, batch[-1].offset + 1) == []


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The five cases' events, read back from the event store in each case's order."""
    app = build_case_management(Settings(data_dir=tmp_path_factory.mktemp("events")))
    case_ids = record_the_five_cases(app)
    return interleaved(app.history(case_id) for case_id in case_ids)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def view_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ViewDatabase]:
    if request.param == "sqlite":
        db = ViewDatabase.sqlite(tmp_path / "reporting.sqlite")
    else:
        server = request.getfixturevalue("postgres_server")
        name = unique("reporting")
        server.create_database(name)
        db = ViewDatabase.postgres(conninfo(server.connection, dbname=name))
    yield db
    db.close()


@pytest.fixture
def store(view_db: ViewDatabase, recorded: list[Any]) -> ReportingStore:
    store = ReportingStore(view_db)
    feed_in_batches(store, deliveries(recorded), size=7)
    return store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[ReportingStore]:
    store = ReportingStore(ViewDatabase.sqlite(tmp_path / "reporting.sqlite"))
    yield store
    store.close()


def test_caseload_counts_each_case_with_the_status_it_had_on_each_month_end(
    store: ReportingStore,
) -> None:
    dates = month_ends(date(2024, 1, 1), date(2024, 6, 30))
    assert dates == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    counts = caseload_over_time(store, [*dates, date(2025, 2, 28)])

    def on(day: date) -> dict[tuple[str, str], int]:
        return {(c.caseworker_id, c.status): c.cases for c in counts if c.on == day}

    # 01-31: A open (outcome 02-29 later); D's outcome is on 01-31 itself; E terminated in 2015;
    # B (02-01) and C (03-10) not opened yet.
    assert on(date(2024, 1, 31)) == {
        ("cw-ada", "open"): 1,
        ("cw-bob", "monitoring"): 1,
        ("cw-bob", "terminated"): 1,
    }
    # 02-29: A's outcome is that day; B opened 02-01.
    assert on(date(2024, 2, 29)) == {
        ("cw-ada", "open"): 1,
        ("cw-ada", "monitoring"): 1,
        ("cw-bob", "monitoring"): 1,
        ("cw-bob", "terminated"): 1,
    }
    # 03-31: A requested 03-04; B's outcome 03-15; C opened 03-10.
    march = {
        ("cw-ada", "monitoring"): 1,
        ("cw-ada", "in_pe_services"): 1,
        ("cw-bob", "open"): 1,
        ("cw-bob", "monitoring"): 1,
        ("cw-bob", "terminated"): 1,
    }
    assert on(date(2024, 3, 31)) == march
    # 04-30: B went in (04-01) and back out (04-12) within April: same as March.
    assert on(date(2024, 4, 30)) == march
    # 05-31: B in PE services again since 05-02 (its review request changes nothing more).
    assert on(date(2024, 5, 31)) == {
        ("cw-ada", "in_pe_services"): 2,
        ("cw-bob", "open"): 1,
        ("cw-bob", "monitoring"): 1,
        ("cw-bob", "terminated"): 1,
    }
    # 06-30: A returned 06-05, B removed 06-14.
    assert on(date(2024, 6, 30)) == {
        ("cw-ada", "monitoring"): 2,
        ("cw-bob", "open"): 1,
        ("cw-bob", "monitoring"): 1,
        ("cw-bob", "terminated"): 1,
    }
    # 2025-02-28: A terminates that day; B on 03-15; D returned and terminated on 02-21.
    assert on(date(2025, 2, 28)) == {
        ("cw-ada", "monitoring"): 1,
        ("cw-ada", "terminated"): 1,
        ("cw-bob", "open"): 1,
        ("cw-bob", "terminated"): 2,
    }
    # Rows come by date, caseworker, then the lifecycle order of statuses.
    assert counts[:3] == [
        CaseloadCount(date(2024, 1, 31), "cw-ada", "open", 1),
        CaseloadCount(date(2024, 1, 31), "cw-bob", "monitoring", 1),
        CaseloadCount(date(2024, 1, 31), "cw-bob", "terminated", 1),
    ]
    assert caseload_over_time(store, [date(2012, 9, 2)]) == []
    assert caseload_over_time(store, [date(2024, 3, 31)], program="cash_assistance") == []
    assert caseload_over_time(store, dates, program="vr") == counts[: -len(on(date(2025, 2, 28)))]


def test_timeliness_counts_requests_determinations_days_and_the_initiation_window(
    store: ReportingStore,
) -> None:
    rows = timeliness(store, [P2025Q1, P2013, P2024])

    assert [r.period_start for r in rows] == [P2013.start, P2024.start, P2025Q1.start]
    # 2013: E's request 08-05, PE appropriate 08-06 (1 day), authorized 08-07 (2 days); its
    # start 2014-07-15 is after the window closed on 2013-06-28 + 12 months = 2014-06-28,
    # allowed only because the service is grandfathered (VR-12).
    assert rows[0] == TimelinessRow(
        period_start=P2013.start,
        period_end=P2013.end,
        requests_received=1,
        determinations_made=1,
        found_pe_appropriate=1,
        new_employment_cases=0,
        found_not_appropriate=0,
        days_to_determination=Summary(count=1, mean=1.0, median=1.0, max=1),
        days_to_first_authorization=Summary(count=1, mean=2.0, median=2.0, max=2),
        authorizations=1,
        inside_initiation_window=0,
        outside_initiation_window=1,
        outside_window_grandfathered=1,
        overrides=0,
    )
    # 2024: requests R1 03-04, R2 04-01, R3 05-02. Determinations: R1 appropriate 03-08 (4 days),
    # R2 new case 04-11 (10 days), R3 not appropriate 05-09 (7 days), then R3 appropriate 05-21
    # after the reversed review: 4 made, days over the 3 first ones: mean (4+10+7)/3 = 7,
    # median 7, max 10. First authorizations: R1 03-11 (7 days), R3 05-24 (22 days): mean 14.5.
    # Both starts are inside their windows: A 03-11 in [2024-02-29, 2025-02-28], B 06-01 in
    # [2024-03-15, 2025-03-15]. B's authorization overrode VR-04.
    assert rows[1] == TimelinessRow(
        period_start=P2024.start,
        period_end=P2024.end,
        requests_received=3,
        determinations_made=4,
        found_pe_appropriate=2,
        new_employment_cases=1,
        found_not_appropriate=1,
        days_to_determination=Summary(count=3, mean=7.0, median=7.0, max=10),
        days_to_first_authorization=Summary(count=2, mean=14.5, median=14.5, max=22),
        authorizations=2,
        inside_initiation_window=2,
        outside_initiation_window=0,
        outside_window_grandfathered=0,
        overrides=1,
    )
    # 2025 Q1: D's R4 01-10, appropriate 01-13 (3 days), authorized 01-15 (5 days) to start on
    # 2025-01-31 = 2024-01-31 + 12 months, the window's last day (inclusive); VR-03 overridden.
    assert rows[2] == TimelinessRow(
        period_start=P2025Q1.start,
        period_end=P2025Q1.end,
        requests_received=1,
        determinations_made=1,
        found_pe_appropriate=1,
        new_employment_cases=0,
        found_not_appropriate=0,
        days_to_determination=Summary(count=1, mean=3.0, median=3.0, max=3),
        days_to_first_authorization=Summary(count=1, mean=5.0, median=5.0, max=5),
        authorizations=1,
        inside_initiation_window=1,
        outside_initiation_window=0,
        outside_window_grandfathered=0,
        overrides=1,
    )


def test_timeliness_by_month_puts_each_fact_in_the_month_of_its_business_date(
    store: ReportingStore,
) -> None:
    march, april, may = timeliness(store, monthly_periods(date(2024, 3, 20), date(2024, 5, 2)))

    assert (march.period_start, march.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert (may.period_start, may.period_end) == (date(2024, 5, 1), date(2024, 5, 31))
    assert (march.requests_received, march.determinations_made, march.authorizations) == (1, 1, 1)
    assert (april.requests_received, april.new_employment_cases, april.authorizations) == (1, 1, 0)
    # May: R3's first determination (05-09, 7 days) and its second (05-21), not in the days.
    assert may.determinations_made == 2
    assert may.days_to_determination == Summary(count=1, mean=7.0, median=7.0, max=7)
    assert may.days_to_first_authorization == Summary(count=1, mean=22.0, median=22.0, max=22)
    # Both ends of a period are in it: R1's determination on 2024-03-08.
    [on_the_day] = timeliness(store, [Period(date(2024, 3, 8), date(2024, 3, 8))])
    [day_after] = timeliness(store, [Period(date(2024, 3, 9), date(2024, 3, 10))])
    assert (on_the_day.determinations_made, day_after.determinations_made) == (1, 0)


def test_overrides_are_counted_by_rule_and_listed_with_their_actor_and_reason(
    store: ReportingStore,
) -> None:
    everything = Period(date(2010, 1, 1), date(2030, 12, 31))
    assert overrides_by_rule(store, [P2024, P2025Q1, everything]) == [
        OverrideCount(everything.start, everything.end, "VR-03", 1),
        OverrideCount(everything.start, everything.end, "VR-04", 1),
        OverrideCount(P2024.start, P2024.end, "VR-04", 1),
        OverrideCount(P2025Q1.start, P2025Q1.end, "VR-03", 1),
    ]
    assert overrides_by_rule(store, [P2013]) == []
    listed = overrides(store, everything)
    assert [(o.authorized_on, o.case_number, o.rule_id, o.actor_id) for o in listed] == [
        (date(2024, 5, 24), "RPT-B", "VR-04", "sup-eve"),
        (date(2025, 1, 15), "RPT-D", "VR-03", "sup-eve"),
    ]
    assert listed[0].reason == "The course runs three and a half months."


def test_outcomes_follow_each_case_until_its_termination_or_the_as_of_date(
    store: ReportingStore,
) -> None:
    rows = outcomes(store, date(2025, 3, 1))

    # Retention: A 2024-02-29 -> terminated 2025-02-28 = 365 days (no Feb 29 in 2025);
    # B 2024-03-15 -> as of 2025-03-01 (terminates 03-15, later) = 365 - 14 = 351;
    # D 2024-01-31 -> 2025-02-21 = 366 (2024 is a leap year) + 21 = 387;
    # E 2013-06-28 -> 2015-01-05 = 365 + 2 (to 06-30) + 184 (Jul..Dec) + 5 = 556. C has no outcome.
    assert [(r.case_number, r.terminated, r.terminated_on, r.retention_days) for r in rows] == [
        ("RPT-A", True, date(2025, 2, 28), 365),
        ("RPT-B", False, None, 351),
        ("RPT-D", True, date(2025, 2, 21), 387),
        ("RPT-E", True, date(2015, 1, 5), 556),
    ]
    assert rows[0] == OutcomeRow(
        as_of=date(2025, 3, 1),
        case_number="RPT-A",
        case_id=str(case_id_for("RPT-A")),
        caseworker_id="cw-ada",
        program="vr",
        outcome_date=date(2024, 2, 29),
        hourly_wage_cents=1850,
        weekly_hours=32.5,
        terminated=True,
        terminated_on=date(2025, 2, 28),
        retention_days=365,
    )
    # Wages 1850, 2200, 1600, 1500: mean 7150 / 4 = 1787.5, median (1600 + 1850) / 2 = 1725.
    # Hours 32.5, 40, 20, 27.5: mean 120 / 4 = 30, median (27.5 + 32.5) / 2 = 30.
    # Retention 365, 351, 387, 556: mean 1659 / 4 = 414.75, median (365 + 387) / 2 = 376.
    assert outcome_totals(store, date(2025, 3, 1)) == OutcomeTotals(
        as_of=date(2025, 3, 1),
        outcomes=4,
        terminated=3,
        hourly_wage_cents=Summary(count=4, mean=1787.5, median=1725.0, max=2200),
        weekly_hours=Summary(count=4, mean=30.0, median=30.0, max=40.0),
        retention_days=Summary(count=4, mean=414.75, median=376.0, max=556),
    )
    # As of 2024-03-01: B's outcome (03-15) is still to come; A and D are not terminated yet.
    early = outcomes(store, date(2024, 3, 1))
    assert [(r.case_number, r.terminated, r.retention_days) for r in early] == [
        ("RPT-A", False, 1),  # 2024-02-29 -> 2024-03-01
        ("RPT-D", False, 30),  # 2024-01-31 -> 2024-03-01
        ("RPT-E", True, 556),
    ]


def test_reports_export_as_csv_and_json_with_stable_columns_and_iso_dates(
    store: ReportingStore, tmp_path: Path
) -> None:
    counts = caseload_over_time(store, [date(2024, 1, 31)])
    assert to_csv(counts, CaseloadCount) == (
        "on,caseworker_id,status,cases\n"
        "2024-01-31,cw-ada,open,1\n"
        "2024-01-31,cw-bob,monitoring,1\n"
        "2024-01-31,cw-bob,terminated,1\n"
    )
    assert json.loads(to_json(counts, CaseloadCount))[0] == {
        "on": "2024-01-31",
        "caseworker_id": "cw-ada",
        "status": "open",
        "cases": 1,
    }
    totals = [outcome_totals(store, date(2025, 3, 1))]
    assert columns(OutcomeTotals)[:7] == (
        "as_of",
        "outcomes",
        "terminated",
        "hourly_wage_cents_count",
        "hourly_wage_cents_mean",
        "hourly_wage_cents_median",
        "hourly_wage_cents_max",
    )
    assert to_csv(totals, OutcomeTotals).splitlines()[1] == (
        "2025-03-01,4,3,4,1787.5,1725.0,2200,4,30.0,30.0,40.0,4,414.75,376.0,556"
    )
    rows = outcomes(store, date(2025, 3, 1))
    assert to_csv(rows, OutcomeRow).splitlines()[1:3] == [
        f"2025-03-01,RPT-A,{case_id_for('RPT-A')},cw-ada,vr,2024-02-29,1850,32.5,true,2025-02-28,365",
        f"2025-03-01,RPT-B,{case_id_for('RPT-B')},cw-ada,vr,2024-03-15,2200,40.0,false,,351",
    ]
    assert json.loads(to_json(rows, OutcomeRow))[1]["terminated_on"] is None

    # The same rows give the same bytes, to a file or to a stream, and an empty report keeps
    # its header.
    for report_format in ("csv", "json"):
        first, second = tmp_path / f"1.{report_format}", tmp_path / f"2.{report_format}"
        write_report(rows, OutcomeRow, first, report_format)
        write_report(outcomes(store, date(2025, 3, 1)), OutcomeRow, second, report_format)
        stream = io.StringIO()
        write_report(rows, OutcomeRow, stream, report_format)
        assert first.read_bytes() == second.read_bytes() == stream.getvalue().encode()
    assert to_csv([], TimelinessRow).startswith("period_start,period_end,requests_received,")
    assert to_json([], TimelinessRow) == "[]\n"
    with pytest.raises(TypeError):
        to_csv(rows, CaseloadCount)


def test_a_corrected_outcome_date_moves_the_outcome_and_the_initiation_window(
    tmp_path: Path, sqlite_store: ReportingStore
) -> None:
    app = build_case_management(Settings(data_dir=tmp_path / "events"))
    f = Desk(app, "RPT-F", ADA, date(2024, 1, 10))
    f.outcome(date(2024, 3, 1), 2000, 35)
    f.do(
        CorrectOutcomeDate(
            case_id=f.case_id,
            corrected_outcome_date=date(2024, 2, 15),
            corrected_on=date(2024, 3, 5),
            reason="The employer's letter gives the real start date.",
            evidence_ref="DOC-17",
        ),
        SUPERVISOR,
    )
    request_id = f.request(date(2024, 3, 6))
    f.appropriate(request_id, date(2024, 3, 7))
    # Starts before the recorded outcome (03-01) but after the corrected one (02-15).
    f.authorize(request_id, date(2024, 3, 7), date(2024, 2, 20), date(2024, 4, 30))
    feed_in_batches(sqlite_store, deliveries(app.history(f.case_id)), size=3)

    [row] = timeliness(sqlite_store, [P2024])
    assert (row.inside_initiation_window, row.outside_initiation_window) == (1, 0)
    [outcome] = outcomes(sqlite_store, date(2024, 3, 15))
    # 2024-02-15 -> 2024-03-15: 14 days to the end of February + 15 = 29.
    assert (outcome.outcome_date, outcome.retention_days) == (date(2024, 2, 15), 29)


def test_a_reassigned_case_counts_in_its_new_caseworkers_caseload_from_that_day(
    tmp_path: Path, sqlite_store: ReportingStore
) -> None:
    app = build_case_management(Settings(data_dir=tmp_path / "events"))
    f = Desk(app, "RPT-R", ADA, date(2024, 1, 10))
    f.outcome(date(2024, 3, 1), 2000, 35)
    f.do(
        ReassignCase(
            case_id=f.case_id,
            caseworker_id="cw-bo",
            reassigned_on=date(2024, 4, 10),
            reason="caseload balancing",
        ),
        SUPERVISOR,
    )
    feed_in_batches(sqlite_store, deliveries(app.history(f.case_id)), size=2)

    assert caseload_over_time(sqlite_store, [date(2024, 3, 31), date(2024, 4, 30)]) == [
        CaseloadCount(date(2024, 3, 31), "cw-ada", "monitoring", 1),
        CaseloadCount(date(2024, 4, 30), "cw-bo", "monitoring", 1),
    ]


def test_applying_the_same_deliveries_again_changes_nothing(
    sqlite_store: ReportingStore, recorded: list[Any]
) -> None:
    all_deliveries = deliveries(recorded)
    feed_in_batches(sqlite_store, all_deliveries, size=10)
    before = sqlite_store.snapshot()

    # A redelivery of everything (a consumer restarted before its position was committed),
    # then of an overlapping tail.
    assert feed(sqlite_store, all_deliveries, len(all_deliveries)) == []
    assert feed(sqlite_store, all_deliveries[-15:], len(all_deliveries)) == []

    assert sqlite_store.snapshot() == before
    assert sqlite_store.next_offsets(TOPIC) == {0: len(all_deliveries)}


def test_an_event_out_of_order_or_of_a_case_never_opened_is_rejected_with_a_reason(
    sqlite_store: ReportingStore, recorded: list[Any]
) -> None:
    case_a = case_id_for("RPT-A")
    history = [e for e in recorded if e.originator_id == case_a]

    rejected = feed(sqlite_store, deliveries([history[0], history[2]]), 2)

    assert rejected == [f"out of order: case {case_a} version 3 arrived after version 1"]
    assert sqlite_store.applied_versions() == {str(case_a): 1}
    assert caseload_over_time(sqlite_store, [date(2024, 3, 31)]) == [
        CaseloadCount(date(2024, 3, 31), "cw-ada", "open", 1)
    ]

    stray = next(e for e in recorded if isinstance(e, Case.OutcomeAchieved))
    unknown_case = stray.model_copy(
        update={"originator_id": case_id_for("NEVER-OPENED"), "originator_version": 1}
    )
    rejected = feed(sqlite_store, deliveries([unknown_case], first_offset=2), 3)
    assert rejected == [
        f"case {case_id_for('NEVER-OPENED')} was never opened in the reporting store"
    ]
    # Nothing of it was applied (the base class records version 0 for it).
    assert sqlite_store.applied_versions().get(str(case_id_for("NEVER-OPENED")), 0) == 0
    assert len(outcomes(sqlite_store, date(2030, 1, 1))) == 0


def test_the_synthetic_caseload_counts_every_case_and_every_authorization_once(
    tmp_path: Path, sqlite_store: ReportingStore
) -> None:
    app = build_case_management(Settings(data_dir=tmp_path / "events"))
    load = SyntheticCaseload(seed=7, cases=200)
    assert drive(app, load.commands()).unexpected == []
    for _, command in load.termination_commands():
        app.handle(command, DEADLINE_PROCESS)
    histories = [app.history(case_id) for case_id in app.case_ids()]
    events = interleaved(histories)
    feed_in_batches(sqlite_store, deliveries(events), size=500)

    opened_on = [e.effective_on for e in events if isinstance(e, Case.CaseOpened)]
    dates = month_ends(min(opened_on), date(2027, 12, 31))
    counts = caseload_over_time(sqlite_store, dates)
    per_date = Counter[date]()
    for count in counts:
        per_date[count.on] += count.cases
    for day in dates:
        assert per_date[day] == sum(1 for opened in opened_on if opened <= day), day
    assert per_date[dates[-1]] == 200 + len(new_employment_case_numbers(load))
    # The status of each case on a date, folded here from its events, gives the same counts.
    for day in dates[::7]:
        expected = Counter[tuple[str, str]]()
        for history in histories:
            status = None
            for event in history:
                if event.effective_on <= day and type(event).__name__ in STATUS_AFTER_EVENT:
                    status = STATUS_AFTER_EVENT[type(event).__name__].value
            if status is not None:
                expected[(history[0].caseworker_id, status)] += 1
        assert {(c.caseworker_id, c.status): c.cases for c in counts if c.on == day} == expected

    # The timeliness reports are the VR program's; cash-assistance purchases (TA-10) are not PE.
    cash_assistance = load.cash_assistance_case_ids()
    authorized = [
        e
        for e in events
        if isinstance(e, Case.ServiceAuthorized) and e.originator_id not in cash_assistance
    ]
    years = [Period(date(y, 1, 1), date(y, 12, 31)) for y in range(min(opened_on).year, 2028)]
    rows = timeliness(sqlite_store, years)
    assert sum(r.authorizations for r in rows) == len(authorized) > 50
    assert sum(r.inside_initiation_window + r.outside_initiation_window for r in rows) == len(
        authorized
    )
    # Outside the window only when grandfathered (VR-12).
    assert [r.outside_initiation_window for r in rows] == [
        r.outside_window_grandfathered for r in rows
    ]
    assert sum(r.outside_initiation_window for r in rows) <= sum(
        1 for e in authorized if e.grandfathered
    )
    assert sum(r.determinations_made for r in rows) == sum(
        1
        for e in events
        if isinstance(
            e,
            Case.PEServicesFoundAppropriate
            | Case.NewEmploymentCaseOpened
            | Case.PEServicesFoundNotAppropriate,
        )
    )
    assert sum(r.requests_received for r in rows) == sum(
        1 for e in events if isinstance(e, Case.PEServicesRequested)
    )
    assert sum(r.overrides for r in rows) == sum(len(e.overrides) for e in authorized)
    by_rule = Counter[str]()
    for override_count in overrides_by_rule(sqlite_store, years):
        by_rule[override_count.rule_id] += override_count.overrides
    assert by_rule == Counter(o.rule_id for e in authorized for o in e.overrides)
    assert set(by_rule) == {"VR-03", "VR-04"}

    totals = outcome_totals(sqlite_store, date(2030, 1, 1))
    vr_cases = 200 - len(cash_assistance)  # a cash-assistance case has no VR outcome
    assert (totals.outcomes, totals.terminated) == (vr_cases, vr_cases)

    # Every participant's outcomes are the domain's measures of the case's own events (TA-11).
    as_of = date(2027, 12, 31)
    rows = {row.case_number: row for row in participant_outcomes(sqlite_store, as_of)}
    assert len(rows) == len(cash_assistance) > 0
    for history in histories:
        if history[0].originator_id in cash_assistance:
            measures = outcome_measures(history, as_of)
            row = rows[history[0].case_number]
            assert (row.jobs, row.days_employed, row.weekly_earnings_change_cents) == (
                len(measures.jobs),
                measures.days_employed,
                measures.weekly_earnings_change_cents,
            )
    assert (
        sum(r.jobs for r in rows.values())
        == sum(1 for e in events if isinstance(e, Case.JobStarted))
        > 0
    )
    ended = [e for e in events if isinstance(e, Case.CashAssistanceEnded)]
    assert sum(r.exits for r in exits_by_quarter(sqlite_store, as_of)) == len(ended) > 0


# Cash-assistance participants (TA-07, TA-11) and the measures after exit


def record_two_participants(app: CaseManagement) -> list[UUID]:
    """P1 (cw-ada): opened 2024-01-31, assistance ended 2024-02-10; job A 2024-02-05 ($15.00,
    30 h), raise 05-01 ($16.50, 32 h), laid off 06-14; job B 07-08 ($17.25, 35 h), held; job C
    08-01 ($14.00, 10 h), left 09-01; skills "forklift operation" 06-01, "budgeting" 09-15.
    P2 (cw-bob): opened 2024-03-01, assistance ended 2024-03-20; one job 2024-03-04 ($16.00,
    20 h), lost 04-15."""
    ids: dict[str, UUID] = {}

    def do(actor: Actor, command: Any) -> None:
        app.handle(command, actor)

    def job(number: str, actor: Actor, key: str, on: date, wage: int, hours: float) -> UUID:
        ids[key] = numbered_id(case_id_for(number), "job", len(ids) + 1)
        do(
            actor,
            StartJob(
                case_id=case_id_for(number),
                job_id=ids[key],
                started_on=on,
                employer=f"Employer {key}",
                job_title="clerk",
                hourly_wage_cents=wage,
                weekly_hours=hours,
            ),
        )
        return ids[key]

    for number, actor, opened_on in (
        ("RPT-P1", ADA, date(2024, 1, 31)),
        ("RPT-P2", BOB, date(2024, 3, 1)),
    ):
        app.open_case(
            open_case(
                number, opened_on=opened_on, program=Program.CASH_ASSISTANCE, caseworker=actor.id
            ),
            actor,
        )
    p1, p2 = case_id_for("RPT-P1"), case_id_for("RPT-P2")

    def skill(on: date, name: str) -> None:
        do(
            ADA,
            IdentifySkill(
                case_id=p1,
                skill_id=numbered_id(p1, "skill", on.toordinal()),
                identified_on=on,
                skill=name,
                how_identified="re-assessment",
            ),
        )

    do(ADA, EndCashAssistance(case_id=p1, ended_on=date(2024, 2, 10), reason="earnings"))
    a = job("RPT-P1", ADA, "A", date(2024, 2, 5), 1_500, 30.0)
    do(
        ADA,
        ChangeWage(
            case_id=p1,
            job_id=a,
            changed_on=date(2024, 5, 1),
            hourly_wage_cents=1_650,
            weekly_hours=32.0,
        ),
    )
    skill(date(2024, 6, 1), "forklift operation")
    do(
        ADA,
        RecordJobLoss(
            case_id=p1, job_id=a, lost_on=date(2024, 6, 14), reason=JobLossReason.LAID_OFF
        ),
    )
    job("RPT-P1", ADA, "B", date(2024, 7, 8), 1_725, 35.0)
    c = job("RPT-P1", ADA, "C", date(2024, 8, 1), 1_400, 10.0)
    do(
        ADA,
        RecordJobLoss(case_id=p1, job_id=c, lost_on=date(2024, 9, 1), reason=JobLossReason.QUIT),
    )
    skill(date(2024, 9, 15), "budgeting")

    do(BOB, EndCashAssistance(case_id=p2, ended_on=date(2024, 3, 20), reason="earnings"))
    only = job("RPT-P2", BOB, "D", date(2024, 3, 4), 1_600, 20.0)
    do(
        BOB,
        RecordJobLoss(
            case_id=p2, job_id=only, lost_on=date(2024, 4, 15), reason=JobLossReason.LAID_OFF
        ),
    )
    return [p1, p2]


@pytest.fixture
def participants(
    tmp_path: Path, view_db: ViewDatabase
) -> tuple[ReportingStore, dict[UUID, list[Any]]]:
    """The reporting store fed the two participants' events, and each case's history."""
    app = build_case_management(Settings(data_dir=tmp_path / "events"))
    histories = {case_id: app.history(case_id) for case_id in record_two_participants(app)}
    store = ReportingStore(view_db)
    feed_in_batches(store, deliveries(interleaved(histories.values())), size=4)
    return store, histories


AS_OF = date(2025, 4, 1)


def test_participant_outcomes_are_the_domains_measures_of_each_case_TA_07_TA_11(
    participants: tuple[ReportingStore, dict[UUID, list[Any]]],
) -> None:
    store, histories = participants
    p1, p2 = participant_outcomes(store, AS_OF)

    # P1: A 130 days (02-05 to 06-14) + B 267 days (07-08 to 2025-04-01); C lies inside B.
    # First wage 1,500 (A), now 1,725 (B): +225; weekly 45,000 then, 1,725 x 35 = 60,375 now.
    # Losses: A (B started 24 days later) and C (no job started since; B is still held).
    assert p1 == ParticipantOutcomeRow(
        as_of=AS_OF,
        case_number="RPT-P1",
        case_id=str(case_id_for("RPT-P1")),
        caseworker_id="cw-ada",
        jobs=3,
        jobs_held=1,
        days_employed=397,
        longest_retention_days=267,
        first_hourly_wage_cents=1_500,
        current_hourly_wage_cents=1_725,
        hourly_wage_change_cents=225,
        first_weekly_earnings_cents=45_000,
        current_weekly_earnings_cents=60_375,
        weekly_earnings_change_cents=15_375,
        job_losses=2,
        reemployed=1,
        days_to_reemployment_median=24.0,
        days_looking=None,
        new_skills=2,
        skills="forklift operation; budgeting",
    )
    # P2: one job 03-04 to 04-15 = 42 days; looking since 04-15: 351 days on 2025-04-01.
    assert (p2.jobs, p2.jobs_held, p2.days_employed, p2.current_hourly_wage_cents) == (
        1,
        0,
        42,
        None,
    )
    assert (p2.job_losses, p2.reemployed, p2.days_looking, p2.skills) == (1, 0, 351, "")
    # The same figures as the case's own events give, on any date.
    for day in (date(2024, 3, 1), date(2024, 6, 14), date(2024, 8, 15), AS_OF):
        for row, history in zip(participant_outcomes(store, day), histories.values(), strict=True):
            measures = outcome_measures(history, day)
            assert (row.days_employed, row.hourly_wage_change_cents, row.new_skills) == (
                measures.days_employed,
                measures.hourly_wage_change_cents,
                len(measures.new_skills),
            )


def test_participant_totals_sum_retention_per_job_and_changes_per_participant(
    participants: tuple[ReportingStore, dict[UUID, list[Any]]],
) -> None:
    store, _ = participants
    # Retention per job: A 130, B 267, C 31, D 42 -> mean 470 / 4 = 117.5, median (42+130)/2 = 86.
    assert participant_outcome_totals(store, AS_OF) == ParticipantOutcomeTotals(
        as_of=AS_OF,
        participants=2,
        ever_employed=2,
        employed_on_date=1,
        retention_days=Summary(count=4, mean=117.5, median=86.0, max=267),
        days_employed=Summary(count=2, mean=219.5, median=219.5, max=397),
        hourly_wage_change_cents=Summary(count=1, mean=225.0, median=225.0, max=225),
        weekly_earnings_change_cents=Summary(count=1, mean=15_375.0, median=15_375.0, max=15_375),
        job_losses=3,
        reemployed=1,
        days_to_reemployment=Summary(count=1, mean=24.0, median=24.0, max=24),
        still_looking=1,
        new_skills=2,
    )


def test_exits_are_measured_in_the_second_and_fourth_quarter_after_the_exit_quarter(
    participants: tuple[ReportingStore, dict[UUID, list[Any]]],
) -> None:
    store, _ = participants
    # Both exits fall in 2024-Q1: measured in 2024-Q3 and 2025-Q1. P1's 2024-Q3 earnings: B for
    # 85 days at 60,375 a week (733,125) and C for 31 days at 14,000 a week (62,000).
    assert [
        (r.case_number, r.exit_quarter, r.employed_second_quarter, r.second_quarter_earnings_cents)
        for r in exits(store, AS_OF)
    ] == [("RPT-P1", "2024-Q1", True, 795_125), ("RPT-P2", "2024-Q1", False, 0)]
    assert exits_by_quarter(store, AS_OF) == [
        ExitQuarterRow(
            as_of=AS_OF,
            exit_quarter="2024-Q1",
            exits=2,
            second_quarter="2024-Q3",
            measured_second_quarter=2,
            employed_second_quarter=1,
            second_quarter_employment_rate=0.5,
            median_second_quarter_earnings_cents=795_125.0,
            fourth_quarter="2025-Q1",
            measured_fourth_quarter=2,
            employed_fourth_quarter=1,
            fourth_quarter_employment_rate=0.5,
        )
    ]
    # Before 2025-Q1 ends, its column is not measurable yet.
    (early,) = exits_by_quarter(store, date(2025, 3, 30))
    assert (early.measured_fourth_quarter, early.fourth_quarter_employment_rate) == (0, None)
    assert exits(store, date(2024, 2, 9)) == []


def test_the_participants_reports_export_with_empty_cells_for_what_is_unknown(
    participants: tuple[ReportingStore, dict[UUID, list[Any]]],
) -> None:
    store, _ = participants
    lines = to_csv(participant_outcomes(store, AS_OF), ParticipantOutcomeRow).splitlines()
    assert lines[0].split(",")[:5] == ["as_of", "case_number", "case_id", "caseworker_id", "jobs"]
    assert lines[2].startswith(
        f"2025-04-01,RPT-P2,{case_id_for('RPT-P2')},cw-bob,1,0,42,42,1600,,,32000,,,1,0,,351,0,"
    )


def test_a_store_filled_by_an_older_layout_refuses_events_until_rebuilt(
    tmp_path: Path, recorded: list[Any]
) -> None:
    path = tmp_path / "reporting.sqlite"
    store = ReportingStore(ViewDatabase.sqlite(path))
    batch = deliveries(recorded)
    feed(store, batch[:10], 10)
    # As a store fed before its tables had layouts: no stamp, but positions.
    store.db.execute("DELETE FROM view_layouts")
    store.close()

    store = ReportingStore(ViewDatabase.sqlite(path))
    assert store.stored_layout() == 1
    with pytest.raises(
        StaleLayout, match=r"layout 1 .* writes layout 2: rebuild it with `pes rebuild reporting`"
    ):
        feed(store, batch[10:20], 20)
    assert store.next_offsets(TOPIC) == {0: 10}

    store.reset()
    assert store.stored_layout() == ReportingStore.layout == 2
    assert feed(store, batch, len(batch)) == []
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_view_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Makes fresh, empty view databases of one engine."""
    opened: list[ViewDatabase] = []

    def new(name: str) -> ViewDatabase:
        if request.param == "sqlite":
            db = ViewDatabase.sqlite(tmp_path / f"{name}.sqlite")
        else:
            server = request.getfixturevalue("postgres_server")
            database = unique(name)
            server.create_database(database)
            db = ViewDatabase.postgres(conninfo(server.connection, dbname=database))
        opened.append(db)
        return db

    yield new
    for db in opened:
        db.close()


def with_forgeries(
    recorded: list[Any], forgeries: list[tuple[Any, Any, str]]
) -> tuple[list[Any], list[str]]:
    """The recorded events with each forged event placed after its anchor, as the next version
    of its case there; and the reasons they are refused for, in the order they come."""
    events: list[Any] = []
    reasons: list[str] = []
    versions = Counter[UUID]()
    for event in recorded:
        events.append(event)
        versions[event.originator_id] += 1
        for anchor, forged, reason in forgeries:
            if anchor is event:
                version = versions[forged.originator_id] + 1
                events.append(forged.model_copy(update={"originator_version": version}))
                reasons.append(reason)
    return events, reasons


def test_refused_events_take_no_effect_and_give_the_same_reasons_in_one_batch_or_many(
    new_view_db: Any, recorded: list[Any]
) -> None:
    a, b = case_id_for("RPT-A"), case_id_for("RPT-B")

    def first(case_id: UUID, event_type: Any) -> Any:
        return next(e for e in recorded if e.originator_id == case_id and isinstance(e, event_type))

    opened = first(a, Case.CaseOpened)
    outcome = first(a, Case.OutcomeAchieved)
    request = first(a, Case.PEServicesRequested)
    determined = first(a, Case.PEServicesFoundAppropriate)
    authorized = first(a, Case.ServiceAuthorized)
    provided = first(a, Case.ServiceProvided)
    terminated = first(a, Case.CaseTerminated)
    overrides = first(b, Case.ServiceAuthorized).overrides
    unknown_request = numbered_id(a, "request", 99)
    r1, a1 = request.request_id, authorized.authorization_id
    assert overrides
    events, reasons = with_forgeries(
        recorded,
        [
            (opened, opened, f"case {a} was already opened"),
            (outcome, outcome, f"case {a} already has an outcome"),
            # A request the store never held, one of another case, one recorded twice.
            (
                request,
                determined.model_copy(update={"request_id": unknown_request}),
                f"request {unknown_request} is not a request of case {a}",
            ),
            (
                request,
                determined.model_copy(update={"originator_id": b}),
                f"request {r1} is not a request of case {b}",
            ),
            (
                request,
                request.model_copy(update={"originator_id": b}),
                f"request {r1} was already recorded",
            ),
            # Recorded twice comes before overriding a rule twice, as the rows are written.
            (
                authorized,
                authorized.model_copy(update={"overrides": overrides * 2}),
                f"authorization {a1} was already recorded",
            ),
            (
                authorized,
                provided.model_copy(update={"originator_id": b}),
                f"authorization {a1} is not open on case {b}",
            ),
            (provided, provided, f"authorization {a1} is not open on case {a}"),
            (terminated, terminated, f"case {a} was already terminated"),
        ],
    )
    expected = ReportingStore(new_view_db("recorded"))
    feed_in_batches(expected, deliveries(recorded), size=7)

    for size in (len(events), 5, 1):
        store = ReportingStore(new_view_db(f"batches-of-{size}"))
        batch = deliveries(events)
        rejected = []
        for start in range(0, len(batch), size):
            part = batch[start : start + size]
            rejected += feed(store, part, part[-1].offset + 1)

        assert rejected == reasons, size
        assert store.snapshot() == expected.snapshot(), size
