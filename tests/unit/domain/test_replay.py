"""Policy replay with hand-checked expectations (VR-02, VR-04, VR-06, VR-11, VR-12).

Every case has its outcome on 2024-02-29 (support.OUTCOME): under the policy in force the
initiation window closes and the case terminates on 2025-02-28 (12 months, clamped).
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.replay import (
    Consequence,
    Difference,
    PolicyReplay,
    candidate_from_changes,
    fact_of,
)
from domain.values import Override, ServiceType
from domain.vr.policy import EXCLUDED_SERVICE_TYPES_2018
from tests.builders import BILLING, POLICIES, AssistanceFile, CaseFile

WIDER_WINDOW = {"initiation_window_months": 18, "termination_after_months": 18}
SHORTER_SERVICES = {"max_service_duration_months": 2}
NO_JOB_RETENTION = {
    "excluded_service_types": sorted(
        EXCLUDED_SERVICE_TYPES_2018 | {ServiceType.EMPLOYMENT_JOB_RETENTION}
    )
}


def replay(changes: dict, *files: CaseFile) -> PolicyReplay:
    replay = PolicyReplay(POLICIES, candidate_from_changes(changes))
    # Interleave the cases' facts, as partitions of a topic would.
    histories = [[fact_of(e) for e in f.all_events()] for f in files]
    for index in range(max(len(h) for h in histories)):
        for history in histories:
            if index < len(history):
                replay.observe(history[index])
    replay.finish()
    return replay


def monitoring_only(number: str) -> CaseFile:
    return CaseFile(case_number=number)


def served_until(number: str, returned_on: date) -> CaseFile:
    """In PE services from 2025-02-01, over the anniversary, back to monitoring on `returned_on`."""
    file = CaseFile(case_number=number)
    request = file.open_request(date(2025, 2, 1))
    authorization = file.authorized(request, date(2025, 2, 1), end=date(2025, 2, 28))
    closed = file.close_service(authorization, date(2025, 2, 20))  # paid, released 2025-03-13
    assert closed <= returned_on
    file.do(file.back_to_monitoring(returned_on))
    return file


def test_widening_the_window_to_18_months_moves_terminations_to_the_new_anniversary() -> None:
    quiet = monitoring_only("VR-A")
    served = served_until("VR-B", returned_on=date(2025, 3, 20))

    result = replay(WIDER_WINDOW, quiet, served)

    # VR-A: 2024-02-29 + 18 months = 2025-08-29, 182 days after 2025-02-28.
    # VR-B: in force max(2025-02-28, left 2025-03-20) = 2025-03-20; candidate max(2025-08-29,
    # 2025-03-20) = 2025-08-29: 162 days later. No authorization is judged differently.
    assert result.differences == [
        Difference(
            "VR-A",
            str(quiet.id),
            Consequence.TERMINATION_MOVED,
            "termination",
            ("VR-11",),
            days_moved=182,
            detail="2025-02-28 -> 2025-08-29",
        ),
        Difference(
            "VR-B",
            str(served.id),
            Consequence.TERMINATION_MOVED,
            "termination",
            ("VR-11",),
            days_moved=162,
            detail="2025-03-20 -> 2025-08-29",
        ),
    ]
    totals = result.totals
    assert (totals.cases, totals.cases_affected, totals.terminations_later) == (2, 2, 2)
    assert totals.termination_days_moved == 344
    assert totals.authorized_cents_affected == 0


def test_a_window_longer_than_the_case_is_refused_naming_both_rules() -> None:
    with pytest.raises(ValueError, match=r"initiation window \(VR-02\) cannot outlast the case"):
        candidate_from_changes({"initiation_window_months": 18})


def test_narrowing_the_window_refuses_the_requests_made_after_it_would_close() -> None:
    late = served_until("VR-C", returned_on=date(2025, 3, 20))  # requested 2025-02-01

    result = replay({"initiation_window_months": 9}, late)

    # 2024-02-29 + 9 months = 2024-11-29 < 2025-02-01: the request and its authorization
    # (planned start 2025-02-01, after 2024-11-29) would have been refused by VR-02.
    assert [(d.consequence, d.rule_ids) for d in result.differences] == [
        (Consequence.AUTHORIZATION_REFUSED, ("VR-02",)),
        (Consequence.REQUEST_REFUSED, ("VR-02",)),
    ]
    refused = result.differences[0]
    assert (refused.authorized_cents, refused.paid_cents) == (50_000, 30_000)
    assert "the window would close 2024-11-29" in result.differences[1].detail


def test_a_two_month_duration_cap_requires_a_vr04_override_on_longer_services_only() -> None:
    file = CaseFile(case_number="VR-D")
    request = file.open_request(date(2024, 3, 10))
    # 2024-03-11 .. 2024-05-31: under 3 months (limit 2024-06-11), over 2 (limit 2024-05-11).
    longer = file.authorized(
        request,
        date(2024, 3, 10),
        start=date(2024, 3, 11),
        end=date(2024, 5, 31),
        amount_cents=80_000,
    )
    # 2024-03-10 .. 2024-05-09 (60 days): inside the 2-month limit of 2024-05-10.
    file.authorized(request, date(2024, 3, 10))
    # Already over 3 months, carrying its VR-04 override: needs it under both policies.
    file.authorized(
        request,
        date(2024, 3, 10),
        end=date(2024, 7, 10),
        overrides=(Override(rule_id="VR-04", reason="course runs four months"),),
    )
    invoice = file.invoice(longer, date(2024, 4, 2), 12_500)
    file.do(invoice, BILLING)
    file.do(file.pay(invoice.invoice_id, date(2024, 4, 20), 12_500), BILLING)

    result = replay(SHORTER_SERVICES, file)

    assert result.differences == [
        Difference(
            "VR-D",
            str(file.id),
            Consequence.OVERRIDE_REQUIRED,
            f"authorization {longer}",
            ("VR-04",),
            authorized_cents=80_000,
            paid_cents=12_500,
            detail="transportation from 2024-03-11 to 2024-05-31",
        )
    ]
    assert result.totals.by_rule == {"override_required VR-04": 1}
    assert (result.totals.authorized_cents_affected, result.totals.paid_cents_affected) == (
        80_000,
        12_500,
    )


def test_excluding_job_retention_refuses_those_authorizations_under_vr06() -> None:
    file = CaseFile(case_number="VR-E")
    request = file.open_request(date(2024, 3, 10))
    coaching = file.authorized(
        request,
        date(2024, 3, 10),
        service_type=ServiceType.EMPLOYMENT_JOB_RETENTION,
        amount_cents=120_000,
    )
    file.authorized(request, date(2024, 3, 10))  # transportation: still a PE service
    file.close_service(coaching, date(2024, 4, 1), paid_cents=90_000)

    result = replay(NO_JOB_RETENTION, file)

    [refused] = result.differences
    assert (refused.consequence, refused.subject, refused.rule_ids) == (
        Consequence.AUTHORIZATION_REFUSED,
        f"authorization {coaching}",
        ("VR-06",),
    )
    assert (refused.authorized_cents, refused.paid_cents) == (120_000, 90_000)


def test_grandfathered_authorizations_are_exempt_as_the_aggregate_exempts_them() -> None:
    file = CaseFile(case_number="VR-F", opened_on=date(2013, 1, 7))
    file.do(
        file.grandfather(date(2024, 3, 1), planned_services=(ServiceType.EMPLOYMENT_JOB_RETENTION,))
    )
    request = file.open_request(date(2024, 3, 10))
    file.authorized(request, date(2024, 3, 10), service_type=ServiceType.EMPLOYMENT_JOB_RETENTION)

    assert replay(NO_JOB_RETENTION, file).differences == []


def test_the_policy_in_force_replayed_against_itself_changes_nothing() -> None:
    files = [monitoring_only("VR-G"), served_until("VR-H", date(2025, 3, 20))]

    result = replay({}, *files)

    assert result.differences == [] and result.totals.cases == 2
    assert result.totals.events == sum(len(f.all_events()) for f in files)


def test_a_cash_assistance_case_is_never_judged_under_the_vr_policy() -> None:
    file = AssistanceFile()
    file.planned(date(2024, 3, 4))
    goal_id = file.goal_set(date(2024, 3, 4))
    # Job placement for six months: VR-06 excludes it and VR-04 caps a service at three.
    file.do(
        file.purchase(
            goal_id,
            date(2024, 3, 4),
            service_type=ServiceType.EMPLOYMENT_JOB_PLACEMENT,
            planned_end=date(2024, 9, 4),
        )
    )

    result = replay(NO_JOB_RETENTION | SHORTER_SERVICES | WIDER_WINDOW, file)  # type: ignore[arg-type]

    assert result.differences == []
    assert result.totals.cases == 1
