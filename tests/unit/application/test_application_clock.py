"""No fact is recorded ahead of its day: the application's clock bounds every command's
effective date, whoever sends it; planned dates in the future stay allowed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from application.cases import CaseManagement, Recorded
from domain.case import case_id_for
from domain.commands import Command, CorrectOutcomeDate
from domain.errors import CaseNotFound, DomainError, EffectiveDateInFuture
from domain.termination import DEADLINE_PROCESS
from tests.builders import CASEWORKER, CaseFile, open_case, record_outcome

TODAY = date(2024, 3, 1)
TOMORROW = TODAY + timedelta(days=1)


class Outcomes:
    """A hand-written observer: what the application reported, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Command]] = []

    def recorded(self, command: Command, recorded: Recorded) -> None:
        self.seen.append(("recorded", command))

    def refused(self, command: Command, error: DomainError) -> None:
        self.seen.append((type(error).__name__, command))


def application(today: date = TODAY, observers: tuple[Outcomes, ...] = ()) -> CaseManagement:
    """The application over an in-memory event store, on a clock that reads `today`."""
    return CaseManagement(observers=observers, clock=lambda: today)


def recorded_events(app: CaseManagement) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_case_opened_tomorrow_is_refused_naming_opened_on_and_nothing_is_recorded() -> None:
    app = application()

    with pytest.raises(EffectiveDateInFuture) as refusal:
        app.open_case(open_case("VR-900", opened_on=TOMORROW), CASEWORKER)

    assert refusal.value.field == "opened_on"
    assert (refusal.value.effective_on, refusal.value.today) == (TOMORROW, TODAY)
    assert f"opened_on {TOMORROW} is after today ({TODAY})" in str(refusal.value)
    assert refusal.value.rule_id is None
    assert recorded_events(app) == 0


def test_a_case_opened_today_is_accepted() -> None:
    app = application()

    recorded = app.open_case(open_case("VR-901", opened_on=TODAY), CASEWORKER)

    assert recorded.version == 1
    assert recorded_events(app) == 1


def test_a_case_command_effective_tomorrow_is_refused_and_the_case_is_unchanged() -> None:
    app = application()
    app.open_case(open_case("VR-902", opened_on=date(2024, 1, 15)), CASEWORKER)

    with pytest.raises(EffectiveDateInFuture) as refusal:
        app.handle(record_outcome("VR-902", outcome_date=TOMORROW), CASEWORKER)

    assert refusal.value.field == "outcome_date"
    assert app.get_case(case_id_for("VR-902")).version == 1
    assert recorded_events(app) == 1


def test_a_case_command_effective_today_is_accepted() -> None:
    app = application()
    app.open_case(open_case("VR-903", opened_on=date(2024, 1, 15)), CASEWORKER)

    recorded = app.handle(record_outcome("VR-903", outcome_date=TODAY), CASEWORKER)

    assert recorded.version == 2


def test_a_future_command_is_refused_before_the_case_is_even_looked_up() -> None:
    app = application()

    with pytest.raises(EffectiveDateInFuture):
        app.handle(record_outcome("VR-904", outcome_date=TOMORROW), CASEWORKER)
    with pytest.raises(CaseNotFound):
        app.handle(record_outcome("VR-904", outcome_date=TODAY), CASEWORKER)


def test_the_refusal_is_reported_to_the_observers_like_any_other() -> None:
    outcomes = Outcomes()
    app = application(observers=(outcomes,))
    early = open_case("VR-905", opened_on=TOMORROW)

    with pytest.raises(EffectiveDateInFuture):
        app.open_case(early, CASEWORKER)

    assert outcomes.seen == [("EffectiveDateInFuture", early)]


def test_a_later_clock_accepts_what_an_earlier_one_refused() -> None:
    command = open_case("VR-906", opened_on=TOMORROW)
    with pytest.raises(EffectiveDateInFuture):
        application(TODAY).open_case(command, CASEWORKER)

    assert application(TOMORROW).open_case(command, CASEWORKER).version == 1


def test_planned_dates_after_today_stay_allowed_only_the_effective_date_is_bounded() -> None:
    file = CaseFile(outcome=date(2024, 2, 29), case_number="VR-907")
    authorized_on = date(2024, 5, 2)
    app = application(today=authorized_on)
    app.open_case(open_case("VR-907", opened_on=date(2024, 1, 15)), CASEWORKER)
    app.handle(file.record_outcome(date(2024, 2, 29)), CASEWORKER)
    request = file.request(date(2024, 5, 1))
    app.handle(request, CASEWORKER)
    app.handle(file.appropriate(request.request_id, date(2024, 5, 1)), CASEWORKER)

    authorize = file.authorize(
        request.request_id, authorized_on, start=date(2024, 5, 6), end=date(2024, 6, 30)
    )
    recorded = app.handle(authorize, CASEWORKER)

    assert authorize.planned_start > authorized_on and authorize.planned_end > authorized_on
    assert recorded.version == 5


def test_a_check_decides_without_recording_and_refuses_a_future_date() -> None:
    app = application(today=date(2025, 2, 28))
    file = CaseFile(outcome=date(2024, 2, 29), case_number="VR-908")
    app.open_case(open_case("VR-908", opened_on=date(2024, 1, 15)), CASEWORKER)
    app.handle(file.record_outcome(date(2024, 2, 29)), CASEWORKER)

    app.check(file.terminate(date(2025, 2, 28)), DEADLINE_PROCESS)  # accepted, not recorded
    assert app.get_case(file.id).version == 2
    with pytest.raises(EffectiveDateInFuture):
        application(date(2025, 2, 27)).check(file.terminate(date(2025, 2, 28)), DEADLINE_PROCESS)


def test_the_effective_field_is_the_one_a_refusal_names_even_when_another_date_is_equal() -> None:
    same_day = date(2024, 4, 2)
    correction = CorrectOutcomeDate(
        case_id=case_id_for("VR-909"),
        corrected_outcome_date=same_day,
        corrected_on=same_day,
        reason="the employer's letter gives the start date",
        evidence_ref="DOC-1",
    )

    assert correction.effective_field == "corrected_on"
    with pytest.raises(EffectiveDateInFuture, match="corrected_on"):
        correction.refuse_if_ahead_of(same_day - timedelta(days=1))
    correction.refuse_if_ahead_of(same_day)


def test_every_kind_of_command_names_a_date_field_of_its_own_as_its_effective_date() -> None:
    def concrete(cls: type[Command]) -> list[type[Command]]:
        found = [] if cls.__subclasses__() else [cls]
        for sub in cls.__subclasses__():
            found += concrete(sub)
        return found

    kinds = concrete(Command)
    assert len(kinds) > 30
    for kind in kinds:
        field = kind.model_fields.get(kind.effective_field)
        assert field is not None, kind.__name__
        assert field.annotation is date, kind.__name__
