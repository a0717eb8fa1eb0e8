"""The synthetic caseload: deterministic, in date order, and exactly as accepting as it says."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

import pytest

from domain.assistance.training import training_referral_window_closes
from domain.base import Role
from domain.case import Case, CaseStatus, Program, case_id_for
from domain.catalog import RULES_BY_EVENT, STATUS_AFTER_EVENT
from domain.commands import (
    AuthorizeService,
    CaseCommand,
    OpenCase,
    RecordJobSiteVisit,
    ReferToTraining,
    TerminateCase,
)
from domain.handling import decide
from domain.measures import outcome_measures
from domain.termination import DEADLINE_PROCESS, termination_date
from synthetic import (
    TA_REFUSALS,
    SyntheticCaseload,
    SyntheticCommand,
    generate_caseload,
)
from synthetic import caseload as synthetic_caseload
from tests.builders import POLICIES, POLICY, Replay


@pytest.fixture(scope="module")
def caseload() -> SyntheticCaseload:
    return SyntheticCaseload(seed=7, cases=600)


@pytest.fixture(scope="module")
def replay(caseload: SyntheticCaseload) -> Replay:
    return Replay(caseload.commands())


def test_the_same_seed_gives_the_same_caseload() -> None:
    first = list(generate_caseload(seed=3, cases=50))
    second = list(generate_caseload(seed=3, cases=50))
    assert first == second
    assert first != list(generate_caseload(seed=4, cases=50))


def test_commands_come_in_business_date_order_across_cases(caseload: SyntheticCaseload) -> None:
    dates = [item.command.effective_on for item in caseload.commands()]
    assert dates == sorted(dates)


def test_every_command_is_accepted_or_refused_by_exactly_the_rule_it_names(replay: Replay) -> None:
    assert replay.mismatches == []


def test_the_caseload_holds_refusals_of_many_rules(replay: Replay) -> None:
    assert {"VR-01", "VR-02", "VR-04", "VR-05", "VR-06", "VR-07", "VR-09", "VR-10", "VR-11"} <= set(
        replay.refused
    )
    assert set(TA_REFUSALS) <= set(replay.refused)


def test_the_caseload_holds_overrides_grandfathering_and_late_services(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    authorizations = [
        item.command for item in caseload.commands() if isinstance(item.command, AuthorizeService)
    ]
    overridden = Counter(o.rule_id for a in authorizations for o in a.overrides)
    assert overridden["VR-03"] > 0 and overridden["VR-04"] > 0
    assert all(
        item.actor.role is Role.SUPERVISOR
        for item in caseload.commands()
        if isinstance(item.command, AuthorizeService) and item.command.overrides
    )
    cases = replay.cases.values()
    assert any(c.grandfathering is not None for c in cases)
    assert any(
        c.left_pe_services_on is not None
        and c.outcome_date is not None
        and c.left_pe_services_on > POLICY.initiation_window_closes(c.outcome_date)
        for c in cases
    )
    paid_late = [
        i
        for c in cases
        for i in c.invoices.values()
        if i.paid_on and (i.paid_on - i.received_on).days > POLICY.invoice_payment_days
    ]
    assert paid_late


def opened_by_determinations(replay: Replay) -> dict[UUID, Case]:
    """The new employment program cases the caseload's determinations opened (VR-08): open,
    without an outcome, outside the caseload's own plans."""
    return {
        case_id: case
        for case_id, case in replay.cases.items()
        if case.linked_from is not None and case.linked_from.opened_by_determination
    }


def test_every_case_ends_in_monitoring_a_vr_case_with_its_termination_date_VR_11(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    expected = caseload.expected_terminations()
    cash_assistance = caseload.cash_assistance_case_ids()
    new_cases = opened_by_determinations(replay)
    assert not set(expected) & cash_assistance
    assert set(expected) | cash_assistance == set(replay.cases) - set(new_cases)
    for case_id, case in replay.cases.items():
        if case_id in new_cases:
            continue
        assert case.status is CaseStatus.MONITORING
        assert termination_date(replay.events[case_id], POLICY) == expected.get(case_id)


def test_each_new_employment_case_determination_opened_its_case_linked_both_ways_VR_08(
    replay: Replay,
) -> None:
    new_cases = opened_by_determinations(replay)
    assert new_cases
    for case in new_cases.values():
        assert case.linked_from is not None
        earlier = replay.cases[case.linked_from.case_id]
        request = earlier.requests[case.linked_from.request_id]
        assert request.linked_case_number == case.case_number
        assert (case.program, case.client_ref, case.status) == (
            Program.VR,
            earlier.client_ref,
            CaseStatus.OPEN,
        )


def test_the_deadline_process_terminations_are_accepted_VR_11(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    for _, command in caseload.termination_commands():
        decide(replay.cases[command.case_id], command, DEADLINE_PROCESS, POLICIES)
    new_cases = opened_by_determinations(replay)
    planned = [c for c in replay.cases.values() if c.id not in new_cases]
    statuses = {
        case.program: {c.status for c in planned if c.program is case.program} for case in planned
    }
    assert statuses == {
        Program.VR: {CaseStatus.TERMINATED},
        Program.CASH_ASSISTANCE: {CaseStatus.MONITORING},
    }


def test_no_command_is_dated_after_its_cases_termination_VR_11(caseload: SyntheticCaseload) -> None:
    expected = caseload.expected_terminations()
    for item in caseload.commands():
        if isinstance(item.command, CaseCommand) and item.command.case_id in expected:
            assert item.command.effective_on <= expected[item.command.case_id]


# The cash-assistance cases


def test_a_fifth_of_the_cases_are_cash_assistance_cases(caseload: SyntheticCaseload) -> None:
    share = len(caseload.cash_assistance_case_ids()) / caseload.cases
    assert 0.15 < share < 0.25


def test_the_cash_assistance_cases_do_not_change_the_vr_cases_histories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_both = SyntheticCaseload(seed=3, cases=80)
    vr_ids = set(with_both.expected_terminations())
    monkeypatch.setattr(synthetic_caseload, "TA_SHARE", 0.0)
    vr_only = [i for i in SyntheticCaseload(seed=3, cases=80).commands() if case_of(i) in vr_ids]
    assert [i for i in with_both.commands() if case_of(i) in vr_ids] == vr_only


def case_of(item: SyntheticCommand) -> UUID:
    command = item.command
    if isinstance(command, OpenCase):
        return case_id_for(command.case_number)
    assert isinstance(command, CaseCommand)
    return command.case_id


def test_every_cash_assistance_event_type_is_in_the_caseload(replay: Replay) -> None:
    recorded = {type(e).__name__ for events in replay.events.values() for e in events}
    cash_assistance = {
        name for name, rules in RULES_BY_EVENT.items() if any(r.startswith("TA-") for r in rules)
    }
    assert len(cash_assistance) == 21 + 6  # its own events and the money events it shares
    assert cash_assistance <= recorded


def test_cash_assistance_cases_lose_jobs_and_find_new_ones_TA_07(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    as_of = date(2027, 1, 1)
    spells = [
        spell
        for case_id in caseload.cash_assistance_case_ids()
        for spell in outcome_measures(replay.events[case_id], as_of).reemployment
    ]
    assert any(s.days is not None for s in spells)
    assert any(s.days is None for s in spells)


def test_site_visits_come_with_permission_given_and_revoked_TA_08(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    jobs = [
        job
        for case_id in caseload.cash_assistance_case_ids()
        for job in replay.cases[case_id].assistance.jobs.values()
    ]
    consented = [j for j in jobs if j.consent_changes]
    assert consented and all(
        [c.given for c in j.consent_changes] == [True, False] for j in consented
    )
    assert any(j.visit_dates[0] == j.consent_changes[0].on for j in consented)
    refused = [
        i
        for i in caseload.commands()
        if isinstance(i.command, RecordJobSiteVisit) and i.expect_refusal_rule == "TA-08"
    ]
    assert refused


def test_training_referrals_reach_the_last_day_of_the_window_and_the_day_after_is_refused_TA_09(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    on_the_last_day = 0
    for case_id in caseload.cash_assistance_case_ids():
        case = replay.cases[case_id]
        closes = training_referral_window_closes(case, POLICIES)
        referred = [r.referred_on for r in case.assistance.training_referrals.values()]
        assert closes is None or all(day <= closes for day in referred)
        on_the_last_day += closes in referred
    assert on_the_last_day > 0
    late = [
        i
        for i in caseload.commands()
        if isinstance(i.command, ReferToTraining) and i.expect_refusal_rule == "TA-09"
    ]
    assert late


def test_purchased_services_are_billed_and_closed_TA_10(
    caseload: SyntheticCaseload, replay: Replay
) -> None:
    purchases = [
        a
        for case_id in caseload.cash_assistance_case_ids()
        for a in replay.cases[case_id].authorizations.values()
    ]
    assert purchases and all(a.is_closed for a in purchases)
    assert any(a.paid_cents > 0 for a in purchases)


def test_client_refs_are_opaque(caseload: SyntheticCaseload) -> None:
    refs = [i.command.client_ref for i in caseload.commands() if isinstance(i.command, OpenCase)]
    assert all(ref.startswith("CL-") and ref[3:].isdigit() for ref in refs)


def test_the_published_status_mapping_agrees_with_the_aggregate_after_every_event(
    caseload: SyntheticCaseload,
) -> None:
    replay = Replay()  # its own: other tests here terminate the shared replay's cases
    for item in caseload.commands():
        replay.apply(item)
    terminated = 0
    for case_id, case in replay.cases.items():
        events = list(replay.events[case_id])
        on = case.termination_date(POLICY)
        if on is not None:
            decide(
                case, TerminateCase(case_id=case_id, terminated_on=on), DEADLINE_PROCESS, POLICIES
            )
            events.extend(case.collect_events())
            terminated += 1
        status = None
        for event in events:
            status = STATUS_AFTER_EVENT.get(type(event).__name__, status)
        assert status is case.status, (
            f"{case.case_number}: mapping says {status}, case is {case.status}"
        )
    assert terminated > len(replay.cases) // 2
    assert {type(e).__name__ for events in replay.events.values() for e in events} >= (
        set(STATUS_AFTER_EVENT) - {"CaseTerminated"}
    )
