"""Read models fed the same events in one big batch (as a rebuild feeds them) or in many small
ones (as a live projection does) hold the same rows: the batch-wide shortcuts (one timeline
draft per case, deadline rows written only when changed, what a store remembers within a
batch, no savepoint per event) change nothing."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.avro import AvroCodec, published_schemas
from adapters.case_ordered_store import CaseOrderedStore
from adapters.consumer import Delivery
from adapters.event_store import AvroMapper, PassedOver
from adapters.view_database import ViewDatabase
from application.bootstrap import build_case_management
from application.settings import Settings
from consumers.billing import ledger as billing_ledger
from consumers.billing.ledger import BillingLedger
from consumers.reporting import store as reporting_store
from consumers.reporting.store import ReportingStore
from domain import timeline
from domain.deadlines import deadlines, timeline_of
from domain.measures import employment_fact
from projections.caseload import CaseloadView, _opened, _own_fields_changed
from synthetic import SyntheticCaseload, drive
from tests.builders import SYSTEM, CaseFile

TOPIC = "case-events"
MAPPER = AvroMapper(AvroCodec(published_schemas()))

STORES: dict[str, Callable[[ViewDatabase], CaseOrderedStore]] = {
    "caseload": CaseloadView,
    "billing": BillingLedger,
    "reporting": ReportingStore,
}


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """A small synthetic caseload as the topic carries it, then a case reassigned twice, its
    outcome date corrected, removed from PE services and terminated."""
    load = SyntheticCaseload(seed=5, cases=40)
    last_day = load.last_day()
    settings = Settings(data_dir=tmp_path_factory.mktemp("store"))
    app = build_case_management(settings, clock=lambda: last_day)
    drive(app, load.commands())
    stored = app.recorder.select_notifications(start=1, limit=100_000)
    file = CaseFile(case_number="VR-REASSIGNED")
    outcome = file.all_events()[-1].effective_on
    file.do(file.reassign(outcome + timedelta(days=1), to="cw-7"))
    request = file.request(outcome + timedelta(days=2))
    file.do(request)
    file.do(file.reassign(outcome + timedelta(days=3), to="cw-8"))
    file.do(file.not_appropriate(request.request_id, outcome + timedelta(days=4)))
    file.do(file.correct_outcome(outcome - timedelta(days=1), outcome + timedelta(days=5)))
    file.do(file.remove(outcome + timedelta(days=6)))
    file.do(file.terminate(date(2025, 2, 28)), SYSTEM)
    return [n.state for n in stored] + [MAPPER.to_stored_event(e).state for e in file.all_events()]


@pytest.fixture(scope="module")
def events(messages: list[bytes]) -> list[Any]:
    return [MAPPER.event_from_message(m) for m in messages]


def feed(store: CaseOrderedStore, events: list[Any], batch: int) -> list[str]:
    """Applies the events in batches of `batch`; returns the reasons of those rejected."""
    rejected: list[str] = []
    for start in range(0, len(events), batch):
        part = events[start : start + batch]
        store.apply(
            TOPIC,
            0,
            [Delivery(TOPIC, 0, start + i, e) for i, e in enumerate(part)],
            start + len(part),
            lambda refused: rejected.extend(reason for _, reason in refused),
        )
    return rejected


@pytest.mark.parametrize("name", list(STORES))
def test_a_store_fed_in_one_batch_holds_what_small_batches_and_single_events_build(
    name: str, events: list[Any], tmp_path: Path
) -> None:
    stores = {
        size: STORES[name](ViewDatabase.sqlite(tmp_path / f"{size}.sqlite"))
        for size in (len(events), 7, 1)
    }

    rejected = {size: feed(store, events, size) for size, store in stores.items()}

    whole, small, single = (store.snapshot() for store in stores.values())
    assert rejected == {size: [] for size in stores}
    assert whole == small == single
    assert whole["applied_versions"]
    for store in stores.values():
        store.close()


def test_the_deadline_rows_after_many_batches_are_those_of_each_whole_timeline(
    events: list[Any], tmp_path: Path
) -> None:
    view = CaseloadView(ViewDatabase.sqlite(tmp_path / "caseload.sqlite"))
    feed(view, events, 5)
    by_case: dict[str, list[Any]] = {}
    for event in events:
        by_case.setdefault(str(event.originator_id), []).append(event)

    for case_id, history in by_case.items():
        timeline = timeline_of(history)
        assert timeline is not None
        stored = {
            (d.kind.value, d.rule_id, d.subject, d.due_on, d.met_on)
            for d in view.deadlines_of(case_id, date(2030, 1, 1))
        }
        computed = {
            (d.kind.value, d.rule_id, str(d.subject_id or ""), d.due_on, d.met_on)
            for d in deadlines(timeline, view.policies)
        }
        assert stored == computed, case_id
    view.close()


@pytest.mark.parametrize("name", list(STORES))
def test_a_store_fed_only_the_event_types_it_reads_holds_what_every_event_rebuilt_builds(
    name: str, messages: list[bytes], events: list[Any], tmp_path: Path
) -> None:
    typed = STORES[name](ViewDatabase.sqlite(tmp_path / "typed.sqlite"))
    passing = STORES[name](ViewDatabase.sqlite(tmp_path / "passing.sqlite"))
    assert passing.reads is not None
    light = [MAPPER.event_or_passed_over(m, passing.reads) for m in messages]

    assert feed(typed, events, 50) == feed(passing, light, 50) == []

    assert any(isinstance(e, PassedOver) for e in light)
    assert typed.snapshot() == passing.snapshot()
    typed.close()
    passing.close()


# What looks at events: functions, or a whole module (the timeline's fold, one function per type).
READERS: dict[str, list[Any]] = {
    "caseload": [_opened, _own_fields_changed, timeline],
    "billing": [billing_ledger],
    "reporting": [reporting_store, employment_fact],
}


@pytest.mark.parametrize("name", list(STORES))
def test_every_event_type_a_store_looks_at_is_among_those_it_reads(name: str) -> None:
    reads = STORES[name].reads  # type: ignore[attr-defined]
    looked_at = {
        match
        for reader in READERS[name]
        for match in re.findall(r"\bCase\.([A-Z]\w+)\b", inspect.getsource(reader))
    }

    assert looked_at
    assert looked_at <= reads, sorted(looked_at - reads)


def test_an_event_of_a_type_not_read_is_passed_over_with_its_case_version_and_date(
    messages: list[bytes], events: list[Any]
) -> None:
    reads = frozenset({"CaseOpened"})

    rebuilt = [MAPPER.event_or_passed_over(m, reads) for m in messages[:40]]

    for light, full in zip(rebuilt, events[:40], strict=True):
        assert type(light).__name__ == type(full).__name__
        if type(full).__name__ in reads:
            assert light == full
        else:
            assert isinstance(light, PassedOver)
            assert (light.originator_id, light.originator_version, light.effective_on) == (
                full.originator_id,
                full.originator_version,
                full.effective_on,
            )


def test_a_case_whose_first_event_is_not_its_opening_is_refused_with_the_timelines_reason(
    events: list[Any], tmp_path: Path
) -> None:
    view = CaseloadView(ViewDatabase.sqlite(tmp_path / "caseload.sqlite"))
    opened, second = [e for e in events if e.originator_id == events[0].originator_id][:2]
    first_not_opened = second.model_copy(update={"originator_version": 1})
    passed_over = PassedOver(opened.originator_id, 1, opened.effective_on)

    rejected = feed(view, [first_not_opened, passed_over, opened, second], 4)

    assert rejected == [
        f"a case's timeline starts with CaseOpened, not {type(second).__name__}",
        "a case's timeline starts with CaseOpened, not PassedOver",
    ]
    case = view.case(str(opened.originator_id))
    assert case is not None
    assert case.version == 2
    view.close()
