"""The event store on SQLite and PostgreSQL: commands record events, refusals record nothing."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest
from pydantic import ValidationError

from application.bootstrap import build_case_management, event_store_env
from application.cases import CaseManagement
from application.settings import Settings
from domain.base import Actor
from domain.case import Case, CaseStatus, case_id_for
from domain.commands import RecordOutcome
from domain.errors import CaseAlreadyExists, CaseNotFound, ConcurrencyConflict, RuleViolation
from domain.handling import HANDLERS
from domain.policy import PolicyBook
from domain.vr.outcome import record_outcome as record_outcome_decision
from tests.builders import CASEWORKER, correct_outcome_date, open_case, record_outcome

pytestmark = pytest.mark.postgres


def test_a_case_opened_and_its_outcome_recorded_reload_from_the_store(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    app.open_case(open_case("VR-100"), CASEWORKER)
    recorded = app.handle(record_outcome("VR-100", date(2024, 3, 1)), CASEWORKER)

    fresh = build_case_management(store_settings)
    case = fresh.get_case(case_id_for("VR-100"))
    assert recorded.version == 2
    assert case.version == 2
    assert case.status is CaseStatus.MONITORING
    assert case.outcome_date == date(2024, 3, 1)
    assert [type(e).__name__ for e in fresh.history(case.id)] == ["CaseOpened", "OutcomeAchieved"]
    assert all(e.actor == CASEWORKER for e in fresh.history(case.id))


def test_a_refused_command_records_nothing_VR_01(store_settings: Settings) -> None:
    app = build_case_management(store_settings)
    app.open_case(open_case("VR-101"), CASEWORKER)
    app.handle(record_outcome("VR-101"), CASEWORKER)
    before = app.recorder.max_notification_id()

    with pytest.raises(RuleViolation) as refusal:
        app.handle(record_outcome("VR-101", date(2024, 6, 1)), CASEWORKER)

    assert refusal.value.rule_id == "VR-01"
    assert "already has an employment outcome" in str(refusal.value)
    assert app.recorder.max_notification_id() == before


def test_malformed_input_is_refused_before_it_reaches_the_case(store_settings: Settings) -> None:
    app = build_case_management(store_settings)
    app.open_case(open_case("VR-102"), CASEWORKER)
    before = app.recorder.max_notification_id()

    with pytest.raises(ValidationError, match="hourly_wage_cents"):
        RecordOutcome.model_validate(
            {**record_outcome("VR-102").model_dump(), "hourly_wage_cents": -5}
        )
    with pytest.raises(CaseNotFound, match="no case with id"):
        app.handle(record_outcome("VR-404"), CASEWORKER)

    assert app.recorder.max_notification_id() == before


def test_opening_a_case_number_twice_is_refused(store_settings: Settings) -> None:
    app = build_case_management(store_settings)
    app.open_case(open_case("VR-103"), CASEWORKER)

    with pytest.raises(CaseAlreadyExists, match="VR-103"):
        app.open_case(open_case("VR-103"), CASEWORKER)
    assert len(app.history(case_id_for("VR-103"))) == 1


class WritersMeetAfterLoading(CaseManagement):
    """Both writers load the case before either saves: the race the event store must settle.
    They meet on their first load only; the loser's later loads are its own."""

    name = CaseManagement.name  # the library names tables after the application

    def __init__(self, settings: Settings, barrier: threading.Barrier) -> None:
        super().__init__(env=event_store_env(settings))
        self.barrier = barrier
        self.loads = 0

    def _load(self, case_id: UUID, version: int | None = None) -> Case:
        case = super()._load(case_id, version)
        self.loads += 1
        if self.loads == 1:
            self.barrier.wait(timeout=30)
        return case


def race(
    store_settings: Settings, number: str, expected_version: int | None
) -> tuple[list[object], list[WritersMeetAfterLoading]]:
    """Two writers record an outcome on the case at once; what each got, and the writers."""
    build_case_management(store_settings).open_case(open_case(number), CASEWORKER)
    barrier = threading.Barrier(2)
    writers = [WritersMeetAfterLoading(store_settings, barrier) for _ in range(2)]
    outcomes: list[object] = []

    def write(app: CaseManagement, outcome_date: date) -> None:
        try:
            command = record_outcome(number, outcome_date)
            outcomes.append(app.handle(command, CASEWORKER, expected_version))
        except (ConcurrencyConflict, RuleViolation) as refusal:
            outcomes.append(refusal)

    threads = [
        threading.Thread(target=write, args=(app, date(2024, 3, d)))
        for app, d in zip(writers, (1, 2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, writers


def test_two_writers_on_one_case_with_an_expected_version_one_wins_the_other_gets_a_conflict(
    store_settings: Settings,
) -> None:
    outcomes, _ = race(store_settings, "VR-104", expected_version=1)

    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(outcomes) == 2 and len(conflicts) == 1
    assert str(case_id_for("VR-104")) in str(conflicts[0])
    history = build_case_management(store_settings).history(case_id_for("VR-104"))
    assert [type(e).__name__ for e in history] == ["CaseOpened", "OutcomeAchieved"]


def test_the_loser_of_a_race_without_an_expected_version_is_decided_again_by_the_rules_VR_01(
    store_settings: Settings,
) -> None:
    outcomes, writers = race(store_settings, "VR-112", expected_version=None)

    refusals = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(outcomes) == 2 and len(refusals) == 1
    assert refusals[0].rule_id == "VR-01"  # one outcome per case; not a version conflict
    assert sorted(writer.loads for writer in writers) == [1, 2]
    history = build_case_management(store_settings).history(case_id_for("VR-112"))
    assert [type(e).__name__ for e in history] == ["CaseOpened", "OutcomeAchieved"]


def test_a_command_on_a_stale_version_is_a_conflict_naming_the_case(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    app.open_case(open_case("VR-105"), CASEWORKER)

    with pytest.raises(ConcurrencyConflict, match=str(case_id_for("VR-105"))):
        app.handle(record_outcome("VR-105"), CASEWORKER, expected_version=7)
    assert len(app.history(case_id_for("VR-105"))) == 1


def test_a_case_kept_in_memory_cannot_record_past_another_writers_events_VR_01(
    store_settings: Settings,
) -> None:
    first, second = build_case_management(store_settings), build_case_management(store_settings)
    assert first.idle_cases is not None  # PES_AGGREGATE_CACHE_SIZE's default
    first.open_case(open_case("VR-106"), CASEWORKER)  # now in the first writer's memory, version 1
    assert len(first.idle_cases) == 1

    second.handle(record_outcome("VR-106", date(2024, 3, 2)), CASEWORKER)

    # The first writer's copy knows no outcome and accepts a second one; the store refuses that
    # version 2, and decided again on the case as stored, the command is refused by the rule.
    with pytest.raises(RuleViolation) as refusal:
        first.handle(record_outcome("VR-106", date(2024, 3, 9)), CASEWORKER)
    assert refusal.value.rule_id == "VR-01"
    case = first.get_case(case_id_for("VR-106"))
    assert (case.version, case.outcome_date) == (2, date(2024, 3, 2))


def test_a_case_kept_in_memory_does_not_refuse_what_another_writers_events_allow_VR_01(
    store_settings: Settings,
) -> None:
    first, second = build_case_management(store_settings), build_case_management(store_settings)
    case_id = first.open_case(open_case("VR-110"), CASEWORKER).case_id
    second.handle(record_outcome("VR-110", date(2024, 3, 2)), CASEWORKER)

    # The first writer's copy has no outcome to correct; the case as stored has.
    correction = correct_outcome_date("VR-110", evidence_ref="DOC-17")
    assert first.handle(correction, CASEWORKER).version == 3
    assert first.get_case(case_id).outcome_date == date(2024, 3, 4)


def test_the_expected_version_is_checked_against_the_case_as_stored(
    store_settings: Settings,
) -> None:
    first, second = build_case_management(store_settings), build_case_management(store_settings)
    first.open_case(open_case("VR-111"), CASEWORKER)
    second.handle(record_outcome("VR-111"), CASEWORKER)

    with pytest.raises(ConcurrencyConflict, match="at version 2, not the expected version 1"):
        first.handle(record_outcome("VR-111"), CASEWORKER, expected_version=1)
    correction = correct_outcome_date("VR-111", evidence_ref="DOC-18")
    assert first.handle(correction, CASEWORKER, expected_version=2).version == 3


def test_without_a_cache_every_load_reads_the_whole_history(store_settings: Settings) -> None:
    app = build_case_management(store_settings.model_copy(update={"aggregate_cache_size": 0}))
    assert app.idle_cases is None
    app.open_case(open_case("VR-107"), CASEWORKER)
    assert app.handle(record_outcome("VR-107"), CASEWORKER).version == 2


def outcome_then_refusal(
    case: Case, command: RecordOutcome, actor: Actor, policies: PolicyBook
) -> None:
    """Records the outcome on the case, then refuses: a decision refused half-way."""
    record_outcome_decision(case, command, actor, policies)
    raise RuleViolation("VR-02", "refused after the case had changed")


def test_a_case_refused_half_way_is_not_kept_in_memory_VR_01(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_case_management(store_settings)
    case_id = app.open_case(open_case("VR-108"), CASEWORKER).case_id
    honest = HANDLERS[RecordOutcome]
    monkeypatch.setitem(HANDLERS, RecordOutcome, replace(honest, decide=outcome_then_refusal))

    with pytest.raises(RuleViolation, match="VR-02"):
        app.handle(record_outcome("VR-108"), CASEWORKER)
    monkeypatch.setitem(HANDLERS, RecordOutcome, honest)

    # Had the half-changed case gone back to memory, it would claim an outcome the store never
    # recorded, and refuse the real one (VR-01).
    assert app.get_case(case_id).outcome_date is None
    assert app.handle(record_outcome("VR-108", date(2024, 4, 1)), CASEWORKER).version == 2
    assert app.get_case(case_id).outcome_date == date(2024, 4, 1)


def test_a_case_read_is_a_copy_that_commands_do_not_share(store_settings: Settings) -> None:
    app = build_case_management(store_settings)
    case_id = app.open_case(open_case("VR-109"), CASEWORKER).case_id
    read = app.get_case(case_id)

    app.handle(record_outcome("VR-109"), CASEWORKER)

    assert (read.version, read.outcome_date) == (1, None)
    assert app.get_case(case_id).version == 2
    assert app.get_case(case_id) is not app.get_case(case_id)
