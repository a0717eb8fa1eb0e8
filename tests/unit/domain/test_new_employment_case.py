"""A new employment program case determination opens or verifies the case it names and records
the link on both cases (VR-08); a case it may not link refuses it before either case changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import handling
from domain.base import Aggregate
from domain.case import Case, CaseStatus, Program, case_id_for
from domain.commands import DetermineNewEmploymentCase
from domain.errors import RuleViolation
from domain.values import RequestStatus
from domain.vr.records import CaseLink
from domain.vr.requests import link_new_employment_case
from tests.builders import (
    CASEWORKER,
    OUTCOME,
    POLICIES,
    SUPERVISOR,
    SYSTEM,
    AssistanceFile,
    CaseFile,
    day,
)

DETERMINED_ON = day(35)


def determination(earlier: CaseFile, new_case_number: str) -> DetermineNewEmploymentCase:
    request = earlier.request(day(30))
    earlier.do(request)
    return earlier.new_case(request.request_id, DETERMINED_ON, new_case_number=new_case_number)


def determine(earlier: CaseFile, named: Case | None, command: DetermineNewEmploymentCase) -> Case:
    """Both decisions, as the application runs them: on the earlier case, then the named one."""
    handling.decide(earlier.case, command, CASEWORKER, POLICIES)
    return link_new_employment_case(earlier.case, named, command, CASEWORKER, POLICIES)


def rebuilt(events: list[Aggregate.Event]) -> Case:
    case: Case | None = None
    for event in events:
        case = event.mutate(case)
    assert case is not None
    return case


def test_a_determination_naming_a_new_number_opens_that_case_and_links_both_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    command = determination(earlier, "VR-NEW-7")

    new = determine(earlier, None, command)

    assert new.id == case_id_for("VR-NEW-7")
    opened, linked = new.collect_events()
    assert isinstance(opened, Case.CaseOpened)
    assert (opened.case_number, opened.program, opened.client_ref, opened.caseworker_id) == (
        "VR-NEW-7",
        Program.VR,
        earlier.case.client_ref,
        earlier.case.caseworker_id,
    )
    assert opened.effective_on == DETERMINED_ON
    assert isinstance(linked, Case.LinkedFromEarlierCase)
    assert linked.rules == ("VR-08",)
    assert new.linked_from == CaseLink(
        case_id=earlier.id,
        case_number="VR-OLD-1",
        request_id=command.request_id,
        linked_on=DETERMINED_ON,
        opened_by_determination=True,
    )
    request = earlier.case.requests[command.request_id]
    assert request.status is RequestStatus.NEW_EMPLOYMENT_CASE
    assert request.linked_case_number == "VR-NEW-7"
    assert isinstance(earlier.last_event(), Case.NewEmploymentCaseOpened)


def test_a_determination_naming_an_open_vr_case_of_the_same_client_links_it_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    existing = CaseFile(outcome=None, opened_on=day(20), case_number="VR-NEW-7")
    existing.all_events()
    command = determination(earlier, "VR-NEW-7")

    new = determine(earlier, existing.case, command)

    assert new is existing.case
    (linked,) = new.collect_events()
    assert isinstance(linked, Case.LinkedFromEarlierCase)
    assert linked.opened_by_determination is False
    assert (linked.earlier_case_id, linked.earlier_case_number, linked.request_id) == (
        earlier.id,
        "VR-OLD-1",
        command.request_id,
    )
    assert new.linked_from is not None and not new.linked_from.opened_by_determination
    assert earlier.case.requests[command.request_id].linked_case_number == "VR-NEW-7"


def test_a_case_opened_after_the_determination_is_linked_from_its_opening_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    existing = CaseFile(outcome=None, opened_on=DETERMINED_ON + timedelta(days=2))
    command = determination(earlier, existing.case.case_number)

    new = determine(earlier, existing.case, command)

    assert new.linked_from is not None
    assert new.linked_from.linked_on == DETERMINED_ON + timedelta(days=2)


def test_the_link_is_recorded_by_who_determined_it_and_both_cases_replay_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    command = determination(earlier, "VR-NEW-7")
    handling.decide(earlier.case, command, SUPERVISOR, POLICIES)
    new = link_new_employment_case(earlier.case, None, command, SUPERVISOR, POLICIES)
    new_events = new.collect_events()

    assert {e.actor for e in new_events} == {SUPERVISOR}
    again_new, again_earlier = rebuilt(new_events), rebuilt(earlier.all_events())
    assert again_new.linked_from == new.linked_from
    assert again_new.version == 2 and again_new.status is CaseStatus.OPEN
    assert again_earlier.requests[command.request_id] == earlier.case.requests[command.request_id]


def refusal(earlier: CaseFile, named: Case, command: DetermineNewEmploymentCase) -> str:
    """The refusal's message; the named case (its events collected before) recorded nothing."""
    version, linked_from = named.version, named.linked_from
    with pytest.raises(RuleViolation) as refused:
        determine(earlier, named, command)
    assert refused.value.rule_id == "VR-08"
    assert (named.version, named.linked_from, named.collect_events()) == (version, linked_from, [])
    return refused.value.message


def test_a_case_of_another_client_is_refused_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    other = CaseFile(outcome=None, case_number="VR-NEW-7", client_ref="CL-000099")
    other.all_events()
    command = determination(earlier, "VR-NEW-7")

    message = refusal(earlier, other.case, command)

    assert "another client" in message and "CL-0000" not in message
    assert other.case.linked_from is None and other.case.collect_events() == []


def test_a_cash_assistance_case_is_refused_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    assistance = AssistanceFile(case_number="TA-NEW-7", client_ref=earlier.case.client_ref)
    assistance.all_events()
    command = determination(earlier, "TA-NEW-7")

    assert "must be a VR case" in refusal(earlier, assistance.case, command)


def test_a_terminated_case_is_refused_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    old = CaseFile(outcome=OUTCOME - timedelta(days=800), case_number="VR-NEW-7")
    due = old.case.termination_date(old.case.governing_policy(POLICIES))
    assert due is not None and due < DETERMINED_ON
    old.do(old.terminate(due), SYSTEM)
    old.all_events()
    command = determination(earlier, "VR-NEW-7")

    assert f"terminated on {due}" in refusal(earlier, old.case, command)


def test_a_case_past_its_termination_date_not_yet_recorded_is_refused_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    old = CaseFile(outcome=OUTCOME - timedelta(days=800), case_number="VR-NEW-7")
    old.all_events()
    command = determination(earlier, "VR-NEW-7")

    assert "before the determination" in refusal(earlier, old.case, command)


def test_the_same_case_is_refused_before_anything_is_recorded_VR_08() -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    command = determination(earlier, "VR-OLD-1")
    version = earlier.case.version

    with pytest.raises(RuleViolation, match="VR-08: the new employment program case must be"):
        handling.decide(earlier.case, command, CASEWORKER, POLICIES)
    with pytest.raises(RuleViolation, match="VR-08: case VR-OLD-1 cannot be its own"):
        link_new_employment_case(earlier.case, earlier.case, command, CASEWORKER, POLICIES)
    assert earlier.case.version == version


def test_a_case_already_linked_from_a_determination_is_refused_VR_08() -> None:
    first = CaseFile(case_number="VR-OLD-1")
    new = determine(first, None, determination(first, "VR-NEW-7"))
    new.collect_events()
    second = CaseFile(case_number="VR-OLD-2")

    message = refusal(second, new, determination(second, "VR-NEW-7"))

    assert "already the new employment program case of case VR-OLD-1" in message
    assert new.linked_from is not None and new.linked_from.case_number == "VR-OLD-1"


def test_a_case_with_a_new_case_of_its_own_cannot_be_linked_as_newer_VR_08() -> None:
    first = CaseFile(case_number="VR-OLD-1")
    determine(first, None, determination(first, "VR-NEW-7")).collect_events()
    first.all_events()
    third = CaseFile(case_number="VR-OLD-3")

    # Linking a case that opened one of its own could close a loop of cases.
    message = refusal(third, first.case, determination(third, "VR-OLD-1"))

    assert "case VR-OLD-1 has a new employment program case of its own" in message


@pytest.mark.parametrize("number", ["VR NEW", "12345678-1234-5678-1234-567812345678", "-VR"])
def test_a_new_case_number_that_is_not_a_case_number_is_refused_VR_08(number: str) -> None:
    earlier = CaseFile(case_number="VR-OLD-1")
    command = determination(earlier, number)

    with pytest.raises(RuleViolation, match="VR-08: the new employment program case is opened"):
        handling.decide(earlier.case, command, CASEWORKER, POLICIES)


def test_the_refused_determination_left_the_earlier_request_awaiting_VR_08() -> None:
    """The application decides on copies it discards on refusal; the domain's own guarantee is
    that the named case's refusal comes from checks made before it records."""
    earlier = CaseFile(case_number="VR-OLD-1")
    other = CaseFile(outcome=None, case_number="VR-NEW-7", client_ref="CL-000099")
    other.all_events()
    command = determination(earlier, "VR-NEW-7")
    handling.decide(earlier.case, command, CASEWORKER, POLICIES)

    with pytest.raises(RuleViolation):
        link_new_employment_case(earlier.case, other.case, command, CASEWORKER, POLICIES)

    assert other.case.collect_events() == []
    assert other.case.version == 1


def test_the_opened_case_has_the_earlier_case_caseworker_when_a_supervisor_determines_VR_08() -> (
    None
):
    earlier = CaseFile(case_number="VR-OLD-1")
    command = determination(earlier, "VR-NEW-7")
    handling.decide(earlier.case, command, SUPERVISOR, POLICIES)

    new = link_new_employment_case(earlier.case, None, command, SUPERVISOR, POLICIES)

    assert new.caseworker_id == CASEWORKER.id == earlier.case.caseworker_id
    assert new.opened_on == DETERMINED_ON
