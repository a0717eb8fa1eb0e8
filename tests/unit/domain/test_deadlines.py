"""Deadlines derived from a case's event timeline: due dates, met dates and status on a day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.assistance.records import eligibility_subject_id
from domain.assistance.values import SupportProgram
from domain.base import Aggregate
from domain.case import Case, Program
from domain.deadlines import (
    CaseTimeline,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    advance,
    deadlines,
    status_on,
    timeline_of,
)
from domain.errors import RuleViolation
from domain.handling import decide
from domain.policy import PolicyBook
from domain.termination import DEADLINE_PROCESS, termination_date
from domain.values import Override, ReviewDecision, ServiceType
from domain.vr.policy import VRPolicy
from synthetic import SyntheticCaseload
from tests.builders import (
    ANNIVERSARY,
    BILLING,
    CASEWORKER,
    POLICIES,
    POLICY,
    SUPERVISOR,
    TA_POLICY,
    CaseFile,
    Replay,
    day,
)

PENDING = DeadlineStatus.PENDING
DUE_SOON = DeadlineStatus.DUE_SOON
OVERDUE = DeadlineStatus.OVERDUE
MET = DeadlineStatus.MET


def timeline(file: CaseFile) -> CaseTimeline:
    folded = timeline_of(file.all_events())
    assert folded is not None
    return folded


def the(
    file: CaseFile,
    kind: DeadlineKind,
    subject_id: UUID | None = None,
    policies: PolicyBook = POLICIES,
) -> Deadline:
    """The one deadline of `kind` (about `subject_id`) the case has now."""
    found = [
        d
        for d in deadlines(timeline(file), policies)
        if d.kind is kind and (subject_id is None or d.subject_id == subject_id)
    ]
    assert len(found) == 1, found
    return found[0]


def kinds(file: CaseFile) -> list[DeadlineKind]:
    return [d.kind for d in deadlines(timeline(file), POLICIES)]


def assert_open_around(deadline: Deadline) -> None:
    """Pending until a week before, due soon up to and on the due date, overdue the day after."""
    due = deadline.due_on
    assert due is not None
    assert status_on(deadline, due - timedelta(days=8)) is PENDING
    assert status_on(deadline, due - timedelta(days=7)) is DUE_SOON
    assert status_on(deadline, due) is DUE_SOON
    assert status_on(deadline, due + timedelta(days=1)) is OVERDUE


def served_and_closed(file: CaseFile, request_on: date, service_on: date) -> date:
    """One request served and closed; returns the day its last authorization was closed."""
    request_id = file.open_request(request_on)
    authorization_id = file.authorized(request_id, service_on)
    return file.close_service(authorization_id, service_on + timedelta(days=5))


def policy_book(**parameters: int) -> PolicyBook:
    return PolicyBook(
        vr=(VRPolicy(version="test", effective_from=date(2018, 10, 2), **parameters),)
    )


# Initiation window (VR-02)


def test_the_initiation_window_closes_twelve_months_after_a_leap_day_outcome_clamped_VR_02() -> (
    None
):
    window = the(CaseFile(), DeadlineKind.INITIATION_WINDOW)
    assert (window.rule_id, window.subject_id) == ("VR-02", None)
    assert window.due_on == ANNIVERSARY == date(2025, 2, 28)
    assert window.met_on == date(2025, 3, 1)


def test_the_initiation_window_is_due_soon_in_its_last_week_then_met_never_overdue_VR_02() -> None:
    window = the(CaseFile(), DeadlineKind.INITIATION_WINDOW)
    assert status_on(window, ANNIVERSARY - timedelta(days=8)) is PENDING
    assert status_on(window, ANNIVERSARY - timedelta(days=7)) is DUE_SOON
    assert status_on(window, ANNIVERSARY) is DUE_SOON
    assert status_on(window, ANNIVERSARY + timedelta(days=1)) is MET
    assert status_on(window, ANNIVERSARY + timedelta(days=400)) is MET


def test_the_window_due_date_is_the_last_day_a_request_is_accepted_VR_02() -> None:
    on_the_day, day_after = CaseFile(), CaseFile()
    window = the(on_the_day, DeadlineKind.INITIATION_WINDOW)
    assert window.due_on is not None and window.met_on is not None
    on_the_day.do(on_the_day.request(window.due_on))
    with pytest.raises(RuleViolation, match="VR-02"):
        day_after.do(day_after.request(window.met_on))


def test_the_initiation_window_follows_the_policy_and_clamps_to_the_month_end_VR_02() -> None:
    policies = policy_book(initiation_window_months=3)
    file = CaseFile(outcome=date(2025, 1, 31), policies=policies)
    window = the(file, DeadlineKind.INITIATION_WINDOW, policies=policies)
    assert (window.due_on, window.met_on) == (date(2025, 4, 30), date(2025, 5, 1))
    assert window.policy_version == "test"


# Service end (VR-04)


def test_a_service_not_provided_is_overdue_the_day_after_its_planned_end_VR_04() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31), end=day(91))
    service_end = the(file, DeadlineKind.SERVICE_END, authorization_id)
    assert (service_end.rule_id, service_end.due_on, service_end.met_on) == ("VR-04", day(91), None)
    assert_open_around(service_end)


def test_providing_the_service_meets_its_end_deadline_VR_04() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31), end=day(91))
    file.do(file.provided(authorization_id, day(95)))
    service_end = the(file, DeadlineKind.SERVICE_END, authorization_id)
    assert service_end.met_on == day(95)
    assert status_on(service_end, day(94)) is OVERDUE
    assert status_on(service_end, day(95)) is MET


def test_cancelling_the_authorization_meets_its_end_deadline_VR_04() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31), end=day(91))
    file.do(file.cancel(authorization_id, day(40)))
    service_end = the(file, DeadlineKind.SERVICE_END, authorization_id)
    assert service_end.met_on == day(40)
    assert status_on(service_end, day(91)) is MET


def test_each_authorization_has_its_own_end_deadline_VR_04() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))
    first = file.authorized(request_id, day(31), end=day(60))
    second = file.authorized(request_id, day(31), end=day(80))
    ends = {
        d.subject_id: d.due_on
        for d in deadlines(timeline(file), POLICIES)
        if d.kind is DeadlineKind.SERVICE_END
    }
    assert ends == {first: day(60), second: day(80)}


def test_a_grandfathered_services_planned_end_is_tracked_under_VR_12() -> None:
    file = CaseFile(outcome=date(2013, 6, 14), opened_on=date(2012, 11, 5))
    file.do(file.grandfather(date(2013, 7, 1)))
    request_id = file.open_request(date(2013, 9, 2))
    authorization_id = file.authorized(
        request_id,
        date(2013, 9, 2),
        end=date(2014, 12, 19),
        service_type=ServiceType.SUPPORTED_EMPLOYMENT,
    )
    service_end = the(file, DeadlineKind.SERVICE_END, authorization_id)
    assert (service_end.rule_id, service_end.due_on) == ("VR-12", date(2014, 12, 19))
    assert timeline(file).grandfathered_on == date(2013, 7, 1)


# Invoice payment (agency setting)


def invoiced_case(received_on: date) -> tuple[CaseFile, UUID]:
    file = CaseFile()
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31))
    file.do(file.provided(authorization_id, day(40)))
    invoice = file.invoice(authorization_id, received_on, 20_000)
    file.do(invoice, BILLING)
    return file, invoice.invoice_id


def test_an_unpaid_invoice_is_due_thirty_days_after_receipt_and_overdue_the_day_after() -> None:
    file, invoice_id = invoiced_case(day(42))
    payment = the(file, DeadlineKind.INVOICE_PAYMENT, invoice_id)
    assert (payment.rule_id, payment.due_on, payment.met_on) == (None, day(72), None)
    assert_open_around(payment)


def test_a_payment_meets_the_invoice_deadline() -> None:
    file, invoice_id = invoiced_case(day(42))
    file.do(file.pay(invoice_id, day(60), 20_000), BILLING)
    payment = the(file, DeadlineKind.INVOICE_PAYMENT, invoice_id)
    assert payment.met_on == day(60)
    assert status_on(payment, day(59)) is PENDING
    assert status_on(payment, day(60)) is MET


def test_a_late_payment_leaves_the_invoice_overdue_until_it_is_made() -> None:
    file, invoice_id = invoiced_case(day(42))
    file.do(file.pay(invoice_id, day(80), 20_000), BILLING)
    payment = the(file, DeadlineKind.INVOICE_PAYMENT, invoice_id)
    assert status_on(payment, day(73)) is OVERDUE
    assert status_on(payment, day(79)) is OVERDUE
    assert status_on(payment, day(80)) is MET


def test_the_invoice_payment_days_are_an_agency_setting() -> None:
    policies = policy_book(invoice_payment_days=45)
    file = CaseFile(policies=policies)
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31))
    invoice = file.invoice(authorization_id, day(42), 20_000)
    file.do(invoice, BILLING)
    payment = the(file, DeadlineKind.INVOICE_PAYMENT, invoice.invoice_id, policies)
    assert payment.due_on == day(87)


# Return to monitoring (VR-10)


def test_no_return_deadline_until_every_authorization_is_closed_VR_10() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))
    authorization_id = file.authorized(request_id, day(31))
    file.do(file.provided(authorization_id, day(40)))
    invoice = file.invoice(authorization_id, day(42), 20_000)
    file.do(invoice, BILLING)
    file.do(file.pay(invoice.invoice_id, day(50), 20_000), BILLING)
    assert DeadlineKind.RETURN_TO_MONITORING not in kinds(file)
    file.do(file.unencumber(authorization_id, day(52)), BILLING)
    back = the(file, DeadlineKind.RETURN_TO_MONITORING)
    assert (back.rule_id, back.subject_id, back.due_on, back.met_on) == (
        "VR-10",
        None,
        day(66),
        None,
    )


def test_a_case_ready_to_return_is_overdue_the_day_after_the_agency_days_VR_10() -> None:
    file = CaseFile()
    closed_on = served_and_closed(file, day(30), day(31))
    back = the(file, DeadlineKind.RETURN_TO_MONITORING)
    assert back.due_on == closed_on + timedelta(days=POLICY.return_to_monitoring_days)
    assert_open_around(back)


def test_returning_to_monitoring_meets_the_return_deadline_VR_10() -> None:
    file = CaseFile()
    closed_on = served_and_closed(file, day(30), day(31))
    file.do(file.back_to_monitoring(closed_on + timedelta(days=20)))
    back = the(file, DeadlineKind.RETURN_TO_MONITORING)
    assert back.met_on == closed_on + timedelta(days=20)
    assert status_on(back, closed_on + timedelta(days=19)) is OVERDUE
    assert status_on(back, closed_on + timedelta(days=20)) is MET


def test_a_removal_from_pe_services_meets_the_return_deadline_VR_10() -> None:
    file = CaseFile()
    closed_on = served_and_closed(file, day(30), day(31))
    file.do(file.remove(closed_on + timedelta(days=3)))
    assert the(file, DeadlineKind.RETURN_TO_MONITORING).met_on == closed_on + timedelta(days=3)


def test_a_determination_without_services_starts_the_return_clock_VR_10() -> None:
    file = CaseFile()
    request = file.request(day(30))
    file.do(request)
    assert DeadlineKind.RETURN_TO_MONITORING not in kinds(file)
    file.do(file.new_case(request.request_id, day(35)))
    assert the(file, DeadlineKind.RETURN_TO_MONITORING).due_on == day(49)


def test_a_pe_appropriate_request_without_a_service_yet_holds_the_return_clock_VR_10() -> None:
    file = CaseFile()
    request_id = file.open_request(day(30))  # found PE-appropriate, nothing authorized yet
    assert DeadlineKind.RETURN_TO_MONITORING not in kinds(file)

    authorization_id = file.authorized(request_id, day(60))
    file.do(file.cancel(authorization_id, day(61)))
    file.do(file.unencumber(authorization_id, day(62)), BILLING)

    assert the(file, DeadlineKind.RETURN_TO_MONITORING).due_on == day(62) + timedelta(
        days=POLICY.return_to_monitoring_days
    )


def test_a_request_awaiting_its_determination_holds_the_return_clock_VR_10() -> None:
    file = CaseFile()
    served_and_closed(file, day(30), day(31))
    file.do(file.request(day(70)))
    assert DeadlineKind.RETURN_TO_MONITORING not in kinds(file)


def test_a_review_request_holds_the_clock_until_it_is_decided_VR_10() -> None:
    file = CaseFile()
    request = file.request(day(30))
    file.do(request)
    file.do(file.not_appropriate(request.request_id, day(32)))
    file.do(file.review(request.request_id, day(34)))
    assert DeadlineKind.RETURN_TO_MONITORING not in kinds(file)
    file.do(file.decide(request.request_id, day(40), ReviewDecision.UPHELD), SUPERVISOR)
    assert the(file, DeadlineKind.RETURN_TO_MONITORING).due_on == day(54)


def test_a_later_fact_does_not_restart_the_return_clock_VR_10() -> None:
    file = CaseFile(outcome=date(2013, 6, 14), opened_on=date(2012, 11, 5))
    closed_on = served_and_closed(file, date(2013, 6, 20), date(2013, 6, 21))
    file.do(file.grandfather(closed_on + timedelta(days=5)))
    assert the(file, DeadlineKind.RETURN_TO_MONITORING).due_on == closed_on + timedelta(days=14)


def test_entering_pe_services_again_replaces_the_met_return_deadline_VR_10() -> None:
    file = CaseFile()
    closed_on = served_and_closed(file, day(30), day(31))
    file.do(file.back_to_monitoring(closed_on))
    again = served_and_closed(file, day(120), day(121))
    back = the(file, DeadlineKind.RETURN_TO_MONITORING)
    assert (back.due_on, back.met_on) == (again + timedelta(days=14), None)


# Termination (VR-11)


def assert_agrees_with_termination_date(file: CaseFile) -> Deadline:
    termination = the(file, DeadlineKind.TERMINATION)
    assert termination.due_on == termination_date(file.all_events(), POLICY)
    return termination


def test_a_case_in_monitoring_terminates_on_the_clamped_anniversary_VR_11() -> None:
    termination = assert_agrees_with_termination_date(CaseFile())
    assert (termination.rule_id, termination.due_on) == ("VR-11", date(2025, 2, 28))
    assert_open_around(termination)


@pytest.mark.parametrize(
    ("outcome", "months", "terminates_on"),
    [
        (date(2024, 1, 31), 13, date(2025, 2, 28)),
        (date(2024, 1, 31), 12, date(2025, 1, 31)),
        (date(2023, 3, 31), 11, date(2024, 2, 29)),
    ],
)
def test_termination_follows_the_policys_months_clamped_to_the_month_end_VR_11(
    outcome: date, months: int, terminates_on: date
) -> None:
    policies = policy_book(termination_after_months=months, initiation_window_months=months)
    file = CaseFile(outcome=outcome, policies=policies)
    termination = the(file, DeadlineKind.TERMINATION, policies=policies)
    assert termination.due_on == terminates_on
    assert termination.due_on == termination_date(file.all_events(), policies.vr[0])


def test_termination_has_no_due_date_while_the_case_is_in_pe_services_VR_11() -> None:
    file = CaseFile()
    file.open_request(ANNIVERSARY - timedelta(days=10))
    termination = assert_agrees_with_termination_date(file)
    assert termination.due_on is None
    assert status_on(termination, ANNIVERSARY + timedelta(days=100)) is PENDING


def test_a_new_authorization_moves_the_termination_date_VR_11() -> None:
    file = CaseFile()
    assert assert_agrees_with_termination_date(file).due_on == ANNIVERSARY
    request_id = file.open_request(ANNIVERSARY - timedelta(days=20))
    override = Override(rule_id="VR-03", reason="the provider's next opening is late")
    command = file.authorize(
        request_id,
        ANNIVERSARY - timedelta(days=15),
        end=ANNIVERSARY + timedelta(days=30),
        overrides=(override,),
    )
    file.do(command, SUPERVISOR)
    assert assert_agrees_with_termination_date(file).due_on is None
    closed_on = file.close_service(command.authorization_id, ANNIVERSARY + timedelta(days=25))
    file.do(file.back_to_monitoring(closed_on + timedelta(days=2)))
    assert assert_agrees_with_termination_date(file).due_on == closed_on + timedelta(days=2)


def test_returning_before_the_anniversary_keeps_the_termination_on_it_VR_11() -> None:
    file = CaseFile()
    closed_on = served_and_closed(file, day(30), day(31))
    file.do(file.back_to_monitoring(closed_on))
    assert assert_agrees_with_termination_date(file).due_on == ANNIVERSARY


def test_recording_the_termination_meets_it_VR_11() -> None:
    file = CaseFile()
    file.do(file.terminate(ANNIVERSARY), DEADLINE_PROCESS)
    termination = assert_agrees_with_termination_date(file)
    assert (termination.due_on, termination.met_on) == (ANNIVERSARY, ANNIVERSARY)
    assert status_on(termination, ANNIVERSARY - timedelta(days=1)) is DUE_SOON
    assert status_on(termination, ANNIVERSARY) is MET


# Policy versions, cases without deadlines


def test_deadlines_use_the_policy_version_in_force_on_the_outcome_date() -> None:
    later = VRPolicy(
        version="2024-01-01",
        effective_from=date(2024, 1, 1),
        initiation_window_months=6,
        termination_after_months=9,
        invoice_payment_days=10,
    )
    policies = PolicyBook(vr=(POLICY, later))
    under_later = CaseFile(policies=policies)
    window = the(under_later, DeadlineKind.INITIATION_WINDOW, policies=policies)
    termination = the(under_later, DeadlineKind.TERMINATION, policies=policies)
    assert (window.policy_version, window.due_on) == ("2024-01-01", date(2024, 8, 29))
    assert termination.due_on == date(2024, 11, 29)
    under_earlier = CaseFile(outcome=date(2023, 12, 29), policies=policies)
    request_id = under_earlier.open_request(date(2024, 2, 1))
    authorization_id = under_earlier.authorized(request_id, date(2024, 2, 1))
    invoice = under_earlier.invoice(authorization_id, date(2024, 2, 10), 10_000)
    under_earlier.do(invoice, BILLING)
    payment = the(under_earlier, DeadlineKind.INVOICE_PAYMENT, policies=policies)
    assert (payment.policy_version, payment.due_on) == (POLICY.version, date(2024, 3, 11))


def test_a_case_without_an_outcome_has_no_deadlines_VR_01() -> None:
    assert deadlines(timeline(CaseFile(outcome=None)), POLICIES) == []


def test_a_cash_assistance_case_has_no_vr_deadlines() -> None:
    file = CaseFile(outcome=None, program=Program.CASH_ASSISTANCE)
    assert timeline(file).program is Program.CASH_ASSISTANCE
    assert deadlines(timeline(file), POLICIES) == []


# Folding


class Noted(Aggregate.Event):
    """An event type the timeline does not know."""

    note: str


def test_a_timeline_starts_with_the_case_opening() -> None:
    events = CaseFile().all_events()
    with pytest.raises(ValueError, match="CaseOpened"):
        advance(None, events[1])


def test_an_event_of_another_case_is_refused() -> None:
    mine, other = CaseFile(), CaseFile(case_number="VR-TEST-2")
    with pytest.raises(ValueError, match="timeline of"):
        advance(timeline(mine), other.all_events()[1])


def test_a_redelivered_event_leaves_the_timeline_unchanged() -> None:
    file = CaseFile()
    served_and_closed(file, day(30), day(31))
    events = file.all_events()
    folded = timeline(file)
    for domain_event in events:
        assert advance(folded, domain_event) is folded
    assert folded.version == len(events)


def test_an_unknown_event_type_leaves_the_timeline_unchanged() -> None:
    folded = timeline(CaseFile())
    unknown = Noted(
        originator_id=folded.case_id,
        originator_version=folded.version + 1,
        timestamp=datetime.now(UTC),
        actor=CASEWORKER,
        effective_on=day(400),
        note="a later event type",
    )
    assert advance(folded, unknown) is folded


def test_a_timeline_survives_a_json_round_trip() -> None:
    file = CaseFile()
    served_and_closed(file, day(30), day(31))
    folded = timeline(file)
    assert CaseTimeline.model_validate_json(folded.model_dump_json()) == folded
    assert CaseTimeline.model_validate(json.loads(json.dumps(folded.model_dump(mode="json")))) == (
        folded
    )


# Status on a day


def deadline(due_on: date | None, met_on: date | None = None) -> Deadline:
    return Deadline(
        kind=DeadlineKind.INVOICE_PAYMENT,
        rule_id=None,
        subject_id=uuid4(),
        due_on=due_on,
        met_on=met_on,
        policy_version="test",
    )


def test_a_deadline_met_later_is_not_met_yet() -> None:
    late = deadline(date(2025, 3, 10), met_on=date(2025, 3, 20))
    assert status_on(late, date(2025, 3, 5)) is DUE_SOON
    assert status_on(late, date(2025, 3, 19)) is OVERDUE
    assert status_on(late, date(2025, 3, 20)) is MET


def test_a_deadline_met_early_is_met_from_that_day() -> None:
    early = deadline(date(2025, 3, 10), met_on=date(2025, 1, 2))
    assert status_on(early, date(2025, 1, 1)) is PENDING
    assert status_on(early, date(2025, 1, 2)) is MET


def test_the_due_soon_window_is_a_parameter() -> None:
    due = deadline(date(2025, 3, 10))
    assert status_on(due, date(2025, 3, 9), due_soon_days=0) is PENDING
    assert status_on(due, date(2025, 3, 10), due_soon_days=0) is DUE_SOON
    assert status_on(due, date(2025, 2, 8), due_soon_days=30) is DUE_SOON
    assert status_on(due, date(2025, 2, 7), due_soon_days=30) is PENDING
    assert due.status_on(date(2025, 2, 8), due_soon_days=30) is DUE_SOON
    with pytest.raises(ValueError, match="negative"):
        status_on(due, date(2025, 3, 1), due_soon_days=-1)


def test_a_deadline_without_a_due_date_is_pending_until_met() -> None:
    undetermined = deadline(None)
    assert status_on(undetermined, date(2099, 1, 1)) is PENDING
    assert status_on(deadline(None, met_on=date(2025, 1, 1)), date(2025, 1, 1)) is MET


# Brute force over a synthetic caseload

Events = list[Aggregate.Event]
Key = tuple[UUID, DeadlineKind, UUID | None]


@pytest.fixture(scope="module")
def caseload_events() -> dict[UUID, Events]:
    """A synthetic caseload replayed in memory; the deadline process terminated every other case."""
    caseload = SyntheticCaseload(seed=29, cases=400)
    replay = Replay(caseload.commands())
    assert replay.mismatches == []
    events = replay.events
    for n, (_, command) in enumerate(caseload.termination_commands()):
        if n % 2 == 0:
            case = replay.cases[command.case_id]
            decide(case, command, DEADLINE_PROCESS, POLICIES)
            events[case.id].extend(case.collect_events())
    for history in events.values():
        # So the events effective on or before a day are a prefix of the history.
        assert [e.effective_on for e in history] == sorted(e.effective_on for e in history)
    return events


def test_every_step_round_trips_keys_deadlines_once_and_terminates_on_the_VR_11_date(
    caseload_events: dict[UUID, Events],
) -> None:
    terminated = 0
    for history in caseload_events.values():
        folded: CaseTimeline | None = None
        for n, domain_event in enumerate(history, start=1):
            folded = advance(folded, domain_event)
            stored = json.loads(json.dumps(folded.model_dump(mode="json")))
            assert CaseTimeline.model_validate(stored) == folded
            found = deadlines(folded, POLICIES)
            assert len({(d.kind, d.subject_id) for d in found}) == len(found)
            termination = [d for d in found if d.kind is DeadlineKind.TERMINATION]
            due = termination[0].due_on if termination else None
            assert due == termination_date(history[:n], POLICY), history[:n]
        if isinstance(history[-1], Case.CaseTerminated):
            assert termination[0].met_on == termination[0].due_on == history[-1].effective_on
            terminated += 1
    assert 0 < terminated < len(caseload_events)


def overdue_by_brute_force(case_id: UUID, history: Events, today: date) -> set[Key]:
    """The overdue deadlines of a case on `today`, straight from its events up to that day."""
    happened = [e for e in history if e.effective_on <= today]
    opened = history[0]
    assert isinstance(opened, Case.CaseOpened)
    if opened.program is Program.CASH_ASSISTANCE:
        return assistance_overdue_by_brute_force(case_id, happened, today)
    if not any(isinstance(e, Case.OutcomeAchieved) for e in happened):
        return set()
    overdue: set[Key] = set()
    ended = {
        e.authorization_id
        for e in happened
        if isinstance(e, Case.ServiceProvided | Case.AuthorizationCancelled)
    }
    authorized = [e for e in happened if isinstance(e, Case.ServiceAuthorized)]
    for authorization in authorized:
        if authorization.authorization_id not in ended and today > authorization.planned_end:
            overdue.add((case_id, DeadlineKind.SERVICE_END, authorization.authorization_id))
    paid = {e.invoice_id for e in happened if isinstance(e, Case.InvoicePaid)}
    for invoice in (e for e in happened if isinstance(e, Case.InvoiceReceived)):
        payment_due = invoice.effective_on + timedelta(days=POLICY.invoice_payment_days)
        if invoice.invoice_id not in paid and today > payment_due:
            overdue.add((case_id, DeadlineKind.INVOICE_PAYMENT, invoice.invoice_id))
    moves = [
        e
        for e in happened
        if isinstance(
            e,
            Case.PEServicesRequested
            | Case.ReviewRequested
            | Case.ReturnedToMonitoring
            | Case.RemovedFromPEServices,
        )
    ]
    in_pe_services = bool(moves) and isinstance(
        moves[-1], Case.PEServicesRequested | Case.ReviewRequested
    )
    last_word: dict[UUID, Aggregate.Event] = {}
    for e in happened:
        request_id = getattr(e, "request_id", None)
        if request_id is not None and not isinstance(e, Case.ServiceAuthorized):
            last_word[request_id] = e
    awaiting = [
        e
        for e in last_word.values()
        if isinstance(e, Case.PEServicesRequested | Case.ReviewRequested)
        or (isinstance(e, Case.ReviewDecided) and e.decision == "reversed")
    ]
    unencumbered = {e.authorization_id for e in happened if isinstance(e, Case.BalanceUnencumbered)}
    all_closed = all(a.authorization_id in unencumbered for a in authorized)
    if in_pe_services and not awaiting and all_closed:
        # The synthetic caseload records nothing between the case settling and its return.
        ready_on = happened[-1].effective_on
        if today > ready_on + timedelta(days=POLICY.return_to_monitoring_days):
            overdue.add((case_id, DeadlineKind.RETURN_TO_MONITORING, None))
    terminates_on = termination_date(happened, POLICY)
    terminated = any(isinstance(e, Case.CaseTerminated) for e in happened)
    if terminates_on is not None and today > terminates_on and not terminated:
        overdue.add((case_id, DeadlineKind.TERMINATION, None))
    return overdue


def assistance_overdue_by_brute_force(case_id: UUID, happened: Events, today: date) -> set[Key]:
    """A cash-assistance case's overdue deadlines (TA-01, TA-05, TA-06, invoices)."""
    overdue: set[Key] = set()
    closed = {
        e.goal_id
        for e in happened
        if isinstance(e, Case.GoalStatusChanged) and e.status in ("achieved", "discontinued")
    }
    for goal in (e for e in happened if isinstance(e, Case.PlanGoalSet)):
        if goal.goal_id not in closed and today > goal.target_date:
            overdue.add((case_id, DeadlineKind.GOAL_TARGET, goal.goal_id))
    reviews = [
        e
        for e in happened
        if isinstance(e, Case.SelfSufficiencyPlanEstablished | Case.PlanReassessed)
    ]
    if reviews and today > reviews[-1].next_reassessment_on:
        overdue.add((case_id, DeadlineKind.PLAN_REASSESSMENT, None))
    made = {e.contact_id for e in happened if isinstance(e, Case.ContactMade)}
    for contact in (e for e in happened if isinstance(e, Case.ContactPlanned)):
        if contact.contact_id not in made and today > contact.planned_for:
            overdue.add((case_id, DeadlineKind.PLANNED_CONTACT, contact.contact_id))
    latest: dict[SupportProgram, Case.EligibilityRecorded] = {}
    for e in happened:
        if isinstance(e, Case.EligibilityRecorded):
            latest[e.program] = e
    for program, record in latest.items():
        if record.renewal_on is not None and today > record.renewal_on:
            overdue.add(
                (case_id, DeadlineKind.BENEFIT_RENEWAL, eligibility_subject_id(case_id, program))
            )
    paid = {e.invoice_id for e in happened if isinstance(e, Case.InvoicePaid)}
    for invoice in (e for e in happened if isinstance(e, Case.InvoiceReceived)):
        payment_due = invoice.effective_on + timedelta(days=TA_POLICY.invoice_payment_days)
        if invoice.invoice_id not in paid and today > payment_due:
            overdue.add((case_id, DeadlineKind.INVOICE_PAYMENT, invoice.invoice_id))
    return overdue


CHECK_DATES = (
    *(date(2013, 6, 1) + timedelta(days=45 * n) for n in range(12)),
    *(date(2024, 2, 1) + timedelta(days=15 * n) for n in range(80)),
)


def test_the_overdue_deadlines_agree_with_a_brute_force_from_the_events(
    caseload_events: dict[UUID, Events],
) -> None:
    steps: dict[UUID, list[tuple[date, CaseTimeline]]] = {}
    for case_id, history in caseload_events.items():
        folded: CaseTimeline | None = None
        for domain_event in history:
            folded = advance(folded, domain_event)
            steps.setdefault(case_id, []).append((domain_event.effective_on, folded))
    kinds_seen: set[DeadlineKind] = set()
    for today in CHECK_DATES:
        from_timelines: set[Key] = set()
        from_events: set[Key] = set()
        for case_id, history in caseload_events.items():
            as_of = [t for on, t in steps[case_id] if on <= today]
            if as_of:
                from_timelines |= {
                    (case_id, d.kind, d.subject_id)
                    for d in deadlines(as_of[-1], POLICIES)
                    if status_on(d, today) is OVERDUE
                }
            from_events |= overdue_by_brute_force(case_id, history, today)
        assert from_timelines == from_events, today
        kinds_seen |= {kind for _, kind, _ in from_events}
    assert kinds_seen >= {
        DeadlineKind.INVOICE_PAYMENT,
        DeadlineKind.RETURN_TO_MONITORING,
        DeadlineKind.TERMINATION,
        DeadlineKind.GOAL_TARGET,
        DeadlineKind.PLAN_REASSESSMENT,
        DeadlineKind.PLANNED_CONTACT,
        DeadlineKind.BENEFIT_RENEWAL,
    }
