"""A new-employment-case determination on SQLite and PostgreSQL: the named case is opened or
verified, both cases record the link in one transaction, and a refusal or a crash records
nothing on either (VR-08)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from application.bootstrap import build_case_management
from application.cases import CaseManagement, LinkedCase
from application.settings import Settings
from domain.case import Case, CaseStatus, Program, case_id_for
from domain.commands import DetermineNewEmploymentCase, OpenCase, TerminateCase
from domain.errors import RuleViolation
from domain.termination import DEADLINE_PROCESS
from domain.values import NewCaseReason, RequestStatus
from tests.builders import CASEWORKER, SUPERVISOR, ids, open_case, record_outcome, request_services

pytestmark = pytest.mark.postgres

EARLIER = "VR-LINK-1"
DETERMINED_ON = date(2024, 6, 5)


def same_client(command: OpenCase, number: str = EARLIER) -> OpenCase:
    return command.model_copy(update={"client_ref": f"CL-{number}"})


def determination(new_case_number: str, number: str = EARLIER) -> DetermineNewEmploymentCase:
    return DetermineNewEmploymentCase(
        case_id=case_id_for(number),
        request_id=ids(number, "request"),
        determined_on=DETERMINED_ON,
        new_case_number=new_case_number,
        reasons=(NewCaseReason.JOB_SEARCH,),
    )


def with_a_request(app: CaseManagement, number: str = EARLIER) -> None:
    """The case opened for EARLIER's client, its outcome and a request awaiting determination."""
    app.open_case(same_client(open_case(number)), CASEWORKER)
    app.handle(record_outcome(number), CASEWORKER)
    app.handle(request_services(number, date(2024, 6, 3)), CASEWORKER)


def event_types(app: CaseManagement, number: str) -> list[str]:
    return [type(e).__name__ for e in app.events_of(case_id_for(number))]


def test_a_new_number_opens_the_case_and_both_cases_record_the_link_VR_08(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    before = app.recorder.max_notification_id() or 0

    recorded = app.handle(determination("VR-LINK-NEW"), SUPERVISOR)

    assert (recorded.case_number, recorded.version, recorded.events) == (EARLIER, 4, 1)
    assert recorded.linked_case == LinkedCase(
        case_id=case_id_for("VR-LINK-NEW"),
        case_number="VR-LINK-NEW",
        version=2,
        events=2,
        opened=True,
    )
    fresh = build_case_management(store_settings)
    earlier, new = fresh.get_case(case_id_for(EARLIER)), fresh.get_case(case_id_for("VR-LINK-NEW"))
    request = earlier.requests[ids(EARLIER, "request")]
    assert (request.status, request.linked_case_number) == (
        RequestStatus.NEW_EMPLOYMENT_CASE,
        "VR-LINK-NEW",
    )
    assert (new.program, new.client_ref, new.caseworker_id, new.opened_on, new.status) == (
        Program.VR,
        earlier.client_ref,
        earlier.caseworker_id,
        DETERMINED_ON,
        CaseStatus.OPEN,
    )
    assert new.linked_from is not None
    assert (new.linked_from.case_id, new.linked_from.request_id) == (
        earlier.id,
        ids(EARLIER, "request"),
    )
    assert event_types(fresh, "VR-LINK-NEW") == ["CaseOpened", "LinkedFromEarlierCase"]
    assert {e.actor for e in fresh.history(new.id)} == {SUPERVISOR}
    # One transaction: the three events took the next three positions of the one log.
    stored = fresh.recorder.select_notifications(before + 1, 10)
    assert [(n.id, n.originator_id) for n in stored] == [
        (before + 1, earlier.id),
        (before + 2, new.id),
        (before + 3, new.id),
    ]
    assert case_id_for("VR-LINK-NEW") in set(fresh.case_ids())


def test_an_open_vr_case_of_the_same_client_is_linked_and_records_it_VR_08(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    app.open_case(same_client(open_case("VR-LINK-OPEN", date(2024, 6, 1))), CASEWORKER)

    recorded = app.handle(determination("VR-LINK-OPEN"), CASEWORKER)

    assert recorded.linked_case is not None
    assert (recorded.linked_case.version, recorded.linked_case.opened) == (2, False)
    fresh = build_case_management(store_settings)
    assert event_types(fresh, "VR-LINK-OPEN") == ["CaseOpened", "LinkedFromEarlierCase"]
    (link,) = [e for e in fresh.history(case_id_for("VR-LINK-OPEN"))][1:]
    assert link.opened_by_determination is False
    assert link.earlier_case_number == EARLIER
    assert link.effective_on == DETERMINED_ON
    assert event_types(fresh, EARLIER)[-1] == "NewEmploymentCaseOpened"


def terminated_case(app: CaseManagement, number: str) -> None:
    app.open_case(same_client(open_case(number, date(2022, 1, 10))), CASEWORKER)
    app.handle(record_outcome(number, date(2022, 2, 1)), CASEWORKER)
    due = app.get_case(case_id_for(number)).termination_date(
        app.get_case(case_id_for(number)).governing_policy(app.policies)
    )
    assert due is not None
    app.handle(TerminateCase(case_id=case_id_for(number), terminated_on=due), DEADLINE_PROCESS)


def already_linked(app: CaseManagement, number: str, new_case_number: str) -> None:
    with_a_request(app, number)
    app.handle(determination(new_case_number, number), CASEWORKER)


REFUSED: dict[str, Any] = {
    "another client's case": (
        lambda app: app.open_case(open_case("VR-LINK-OTHER"), CASEWORKER),
        "VR-LINK-OTHER",
        "belongs to another client",
    ),
    "a cash-assistance case": (
        lambda app: app.open_case(
            same_client(open_case("TA-LINK-1", program=Program.CASH_ASSISTANCE)), CASEWORKER
        ),
        "TA-LINK-1",
        "must be a VR case",
    ),
    "a terminated case": (
        lambda app: terminated_case(app, "VR-LINK-DONE"),
        "VR-LINK-DONE",
        "terminated on",
    ),
    "the same case": (lambda app: None, EARLIER, "must be another case"),
    "a case already linked": (
        lambda app: already_linked(app, "VR-LINK-FIRST", "VR-LINK-TAKEN"),
        "VR-LINK-TAKEN",
        "already the new employment program case of case VR-LINK-FIRST",
    ),
}


@pytest.mark.parametrize("named", sorted(REFUSED))
def test_a_case_the_determination_may_not_link_is_refused_and_neither_case_changes_VR_08(
    store_settings: Settings, named: str
) -> None:
    prepare, number, reason = REFUSED[named]
    app = build_case_management(store_settings)
    with_a_request(app)
    prepare(app)
    before = app.recorder.max_notification_id()
    histories = {n: event_types(app, n) for n in (EARLIER, number)}

    with pytest.raises(RuleViolation) as refused:
        app.handle(determination(number), CASEWORKER)

    assert refused.value.rule_id == "VR-08"
    assert reason in refused.value.message
    assert app.recorder.max_notification_id() == before
    fresh = build_case_management(store_settings)
    assert {n: event_types(fresh, n) for n in (EARLIER, number)} == histories
    request = app.get_case(case_id_for(EARLIER)).requests[ids(EARLIER, "request")]
    assert request.status is RequestStatus.AWAITING_DETERMINATION


def test_a_crash_while_saving_leaves_neither_half_and_the_determination_can_be_retried_VR_08(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    before = app.recorder.max_notification_id()
    recorder_class: Any = type(app.recorder)
    insert_events = recorder_class._insert_events

    def written_then_crashed(self: Any, cursor: Any, stored: Sequence[Any], **kwargs: Any) -> Any:
        insert_events(self, cursor, stored, **kwargs)
        assert len(stored) == 3  # both cases' rows are in the transaction when it fails
        raise OSError("the process died before the transaction committed")

    monkeypatch.setattr(recorder_class, "_insert_events", written_then_crashed)
    with pytest.raises(OSError):
        app.handle(determination("VR-LINK-NEW"), CASEWORKER)
    monkeypatch.undo()

    fresh = build_case_management(store_settings)
    assert fresh.recorder.max_notification_id() == before
    assert event_types(fresh, "VR-LINK-NEW") == []
    assert event_types(fresh, EARLIER)[-1] == "PEServicesRequested"
    # Nothing half-done stayed in memory either: the same determination now goes through.
    assert app.handle(determination("VR-LINK-NEW"), CASEWORKER).linked_case is not None
    assert event_types(app, "VR-LINK-NEW") == ["CaseOpened", "LinkedFromEarlierCase"]


def test_the_history_of_both_cases_replays_to_the_same_states_VR_08(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    app.handle(determination("VR-LINK-NEW"), CASEWORKER)

    fresh = build_case_management(store_settings)
    for number in (EARLIER, "VR-LINK-NEW"):
        replayed: Case | None = None
        for event in fresh.history(case_id_for(number)):
            replayed = event.mutate(replayed)
        stored = app.get_case(case_id_for(number))
        assert replayed is not None
        assert (replayed.version, replayed.linked_from, replayed.requests) == (
            stored.version,
            stored.linked_from,
            stored.requests,
        )


def test_two_determinations_racing_to_open_one_number_link_it_once_VR_08(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process opens the number between this one's read and its save: the store refuses
    the second opening, and decided again, the determination finds the case already linked."""
    app, other = build_case_management(store_settings), build_case_management(store_settings)
    with_a_request(app)
    with_a_request(other, "VR-LINK-RIVAL")
    current_or_none = app._current_or_none
    reads: list[bool] = []

    def read_then_lose_the_race(case_id: Any) -> Case | None:
        found = current_or_none(case_id)
        if not reads:
            other.handle(determination("VR-LINK-NEW", "VR-LINK-RIVAL"), CASEWORKER)
        reads.append(found is None)
        return found

    monkeypatch.setattr(app, "_current_or_none", read_then_lose_the_race)
    with pytest.raises(RuleViolation) as refused:
        app.handle(determination("VR-LINK-NEW"), CASEWORKER)

    assert reads == [True, False]  # decided on "no such case", then again on the stored case
    assert refused.value.rule_id == "VR-08"
    assert "of case VR-LINK-RIVAL" in refused.value.message
    fresh = build_case_management(store_settings)
    assert event_types(fresh, "VR-LINK-NEW") == ["CaseOpened", "LinkedFromEarlierCase"]
    assert event_types(fresh, EARLIER)[-1] == "PEServicesRequested"


def test_a_refused_determination_is_kept_as_a_decision_record_of_the_earlier_case_VR_08(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    app.open_case(open_case("VR-LINK-OTHER"), CASEWORKER)

    with pytest.raises(RuleViolation):
        app.handle(determination("VR-LINK-OTHER"), CASEWORKER)

    assert app.refusals is not None
    [record] = app.refusals.refusals_of(case_id_for(EARLIER))
    assert (record.command_type, record.rule_ids, record.case_version) == (
        "DetermineNewEmploymentCase",
        ("VR-08",),
        3,
    )
    assert "VR-LINK-OTHER belongs to another client" in record.messages[0]
    assert app.refusals.refusals_of(case_id_for("VR-LINK-OTHER")) == []


def test_checking_a_determination_decides_on_both_cases_and_records_nothing_VR_08(
    store_settings: Settings,
) -> None:
    app = build_case_management(store_settings)
    with_a_request(app)
    app.open_case(open_case("VR-LINK-OTHER"), CASEWORKER)
    before = app.recorder.max_notification_id()

    app.check(determination("VR-LINK-NEW"), CASEWORKER)
    with pytest.raises(RuleViolation, match="VR-08: case VR-LINK-OTHER belongs to another client"):
        app.check(determination("VR-LINK-OTHER"), CASEWORKER)

    assert app.recorder.max_notification_id() == before
    assert event_types(app, "VR-LINK-NEW") == []
