"""A data folder the pages are tried on: a synthetic caseload, a case with a service planned
beyond its VR-04 cap, a case whose stored history was tampered with, and the caseload view
folded from all of it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from adapters.consumer import Delivery
from adapters.event_store import AvroMapper
from application.bootstrap import build_case_management, open_caseload_view
from application.cases import CaseManagement
from application.settings import Settings
from domain.case import Program, case_id_for
from domain.commands import OpenCase
from domain.errors import DomainError
from domain.values import Override, ServiceType
from synthetic import SyntheticCaseload, drive
from tests.builders import CASEWORKER, SUPERVISOR, ids
from tests.builders import CaseFile as CaseCommands

CAP_CASE = "VR-PAGES-CAP"
TAMPERED_CASE = "VR-PAGES-TAMPERED"
OUTCOME = date(2025, 1, 15)
PLANNED_START = date(2025, 2, 3)
PLANNED_END = date(2025, 6, 30)  # the cap (VR-04, 3 months) is 2025-05-03
ATTEMPTED_ON = date(2025, 2, 10)


@dataclass(frozen=True)
class PagesData:
    data_dir: Path
    synthetic_case_numbers: tuple[str, ...]
    caseworkers: tuple[str, ...]


def fill_pages_data(data_dir: Path, synthetic_cases: int = 24) -> PagesData:
    settings = Settings(data_dir=data_dir)
    load = SyntheticCaseload(seed=11, cases=synthetic_cases)
    last_day = max(load.last_day(), date(2025, 12, 31))
    app = build_case_management(settings, clock=lambda: last_day)
    drive(app, load.commands())
    _record_case_beyond_its_cap(app, CAP_CASE)
    _attempt_an_excluded_service(app, CAP_CASE)
    _record_case_beyond_its_cap(app, TAMPERED_CASE)
    _tamper(settings, app, TAMPERED_CASE, version=3)
    _fold_caseload_view(settings, app)
    numbers = tuple(sorted(app.get_case(case_id).case_number for case_id in app.case_ids()))
    caseworkers = tuple(sorted({app.get_case(case_id).caseworker_id for case_id in app.case_ids()}))
    app.close()
    synthetic = tuple(n for n in numbers if n not in (CAP_CASE, TAMPERED_CASE))
    return PagesData(data_dir, synthetic, caseworkers)


def _record_case_beyond_its_cap(app: CaseManagement, number: str) -> None:
    case = CaseCommands(outcome=None, case_number=number)
    app.open_case(
        OpenCase(
            case_number=number,
            program=Program.VR,
            client_ref="CL-PAGES-1",
            caseworker_id=CASEWORKER.id,
            opened_on=OUTCOME - timedelta(days=120),
        ),
        CASEWORKER,
    )
    app.handle(case.record_outcome(OUTCOME), CASEWORKER)
    request = case.request(OUTCOME + timedelta(days=10))
    app.handle(request, CASEWORKER)
    app.handle(case.appropriate(request.request_id, OUTCOME + timedelta(days=12)), CASEWORKER)
    app.handle(
        case.authorize(
            request.request_id,
            OUTCOME + timedelta(days=14),
            start=PLANNED_START,
            end=PLANNED_END,
            amount_cents=123_456,
            overrides=(Override(rule_id="VR-04", reason="the course runs five months"),),
        ),
        SUPERVISOR,
    )


def _attempt_an_excluded_service(app: CaseManagement, number: str) -> None:
    """A caseworker tries to authorize a service VR-06 excludes: refused, kept beside the case."""
    case = CaseCommands(outcome=None, case_number=number)
    refused = case.authorize(
        _first_request(app, number),
        ATTEMPTED_ON,
        service_type=ServiceType.EMPLOYMENT_JOB_PLACEMENT,
        amount_cents=50_000,
        authorization_id=ids(number, "authorization", 99),
    )
    try:
        app.handle(refused, CASEWORKER)
    except DomainError as error:
        assert error.rule_id == "VR-06", error
    else:
        raise AssertionError("an excluded service was authorized")


def _first_request(app: CaseManagement, number: str) -> Any:
    return next(iter(app.get_case(case_id_for(number)).requests))


def _tamper(settings: Settings, app: CaseManagement, number: str, version: int) -> None:
    """Moves one stored event's date by a day without resealing it, as an edit in place would."""
    case_id = case_id_for(number)
    mapper = cast(AvroMapper, app.mapper)
    event = app.history(case_id)[version - 1]
    changed = event.model_copy(update={"effective_on": event.effective_on + timedelta(days=1)})
    with sqlite3.connect(settings.data_dir / "events.sqlite") as db:
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (mapper.to_stored_event(changed).state, case_id.hex, version),
        )


def _fold_caseload_view(settings: Settings, app: CaseManagement) -> None:
    """The caseload view as the projection would fold it from the topic, without a broker."""
    view = open_caseload_view(settings, app.policies)
    events = [
        app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1_000_000)
    ]
    deliveries = [Delivery("pes.case-events", 0, offset, e) for offset, e in enumerate(events)]
    for start in range(0, len(deliveries), 500):
        batch = deliveries[start : start + 500]
        view.apply("pes.case-events", 0, batch, start + len(batch), lambda rejected: None)
    view.close()
