"""Policy replay with hand-checked expectations (VR-02, VR-04, VR-06, VR-11, VR-12, TA-02, TA-09).

Every VR case has its outcome on 2024-02-29 (builders.OUTCOME): under the policy in force the
initiation window closes and the case terminates on 2025-02-28 (12 months, clamped).
Refusals are real: the command is decided against the case, refused, and kept as the decision
record the shared contract describes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from domain import handling
from domain.assistance.values import ContingencyArea
from domain.errors import DomainError
from domain.policy import PolicyBook
from domain.replay import REFUSAL, Fact
from domain.replay.candidates import Candidate, CandidateError, candidate_from_document
from domain.replay.engine import PolicyReplay
from domain.replay.facts import Consequence, Difference, Judged, fact_of
from domain.values import Override, ServiceType
from domain.vr.policy import EXCLUDED_SERVICE_TYPES_2018
from tests.builders import BILLING, CASEWORKER, POLICIES, AssistanceFile, CaseFile

WIDER_WINDOW = {"initiation_window_months": 18, "termination_after_months": 18}
SHORTER_SERVICES = {"max_service_duration_months": 2}
NO_JOB_RETENTION = {
    "excluded_service_types": sorted(
        EXCLUDED_SERVICE_TYPES_2018 | {ServiceType.EMPLOYMENT_JOB_RETENTION}
    )
}


TODAY = date(2025, 9, 1)
"""The business day the tests' commands are refused on."""


def vr(changes: dict[str, Any], name: str = "candidate") -> Candidate:
    return candidate_from_document(name, {"vr": changes})


def ta(changes: dict[str, Any], name: str = "candidate") -> Candidate:
    return candidate_from_document(name, {"cash_assistance": changes})


def refused(file: CaseFile | AssistanceFile, command: Any) -> Fact:
    """The decision record of `command`, which the case refuses."""
    file.all_events()  # what the case recorded before the refusal
    with pytest.raises(DomainError) as refusal:
        handling.decide(file.case, command, CASEWORKER, file.policies)
    case = file.case
    return Fact(
        event_type=REFUSAL,
        case_id=str(case.id),
        case_version=case.version,
        effective_on=TODAY,
        fields={
            "case_number": case.case_number,
            "case_version": case.version,
            "program": case.program.value,
            "command_type": type(command).__name__,
            "command": json.dumps(
                command.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
            ),
            "rule_ids": [refusal.value.rule_id] if refusal.value.rule_id else [],
            "messages": [refusal.value.message],
            "policy_version": "2018-10-02",
            "actor": {"id": CASEWORKER.id, "role": CASEWORKER.role.value},
            "record_hash": "ignored by the replay",
        },
    )


def run(
    candidates: list[Candidate],
    *files: CaseFile | AssistanceFile,
    refusals: Sequence[Fact] = (),
    policies: PolicyBook = POLICIES,
) -> PolicyReplay:
    replay = PolicyReplay(policies, candidates, refusals)
    # Interleave the cases' facts, as partitions of a topic would.
    histories = [[fact_of(e) for e in f.all_events()] for f in files]
    for index in range(max((len(h) for h in histories), default=0)):
        for history in histories:
            if index < len(history):
                replay.observe(history[index])
    replay.finish()
    return replay


def findings(
    changes: dict[str, Any], *files: CaseFile, refusals: Sequence[Fact] = ()
) -> list[Difference]:
    return run([vr(changes)], *files, refusals=refusals).findings["candidate"]


PAST_THE_YEAR = (Override(rule_id="VR-03", reason="the course ends after the outcome's year"),)


def late_start(file: CaseFile, request: Any, **kw: Any) -> Any:
    """Starts 2025-04-01: after the window closing 2025-02-28, before 2025-08-29 (18 months);
    ends 2025-05-15, past the year, with its VR-03 override."""
    kw.setdefault("amount_cents", 42_000)
    return file.authorize(
        request,
        date(2025, 1, 10),
        start=date(2025, 4, 1),
        end=date(2025, 5, 15),
        overrides=PAST_THE_YEAR,
        **kw,
    )


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

    result = run([vr(WIDER_WINDOW)], quiet, served)

    # VR-A: 2024-02-29 + 18 months = 2025-08-29, 182 days after 2025-02-28.
    # VR-B: in force max(2025-02-28, left 2025-03-20) = 2025-03-20; candidate max(2025-08-29,
    # 2025-03-20) = 2025-08-29: 162 days later. No authorization is judged differently.
    common: dict[str, Any] = {"program": "vr", "caseworker": "cw-1", "rule_ids": ("VR-11",)}
    assert result.findings["candidate"] == [
        Difference(
            "VR-A",
            str(quiet.id),
            Consequence.TERMINATION_MOVED,
            "termination",
            days_moved=182,
            detail="2025-02-28 -> 2025-08-29",
            **common,
        ),
        Difference(
            "VR-B",
            str(served.id),
            Consequence.TERMINATION_MOVED,
            "termination",
            days_moved=162,
            detail="2025-03-20 -> 2025-08-29",
            **common,
        ),
    ]
    totals = result.totals["candidate"]
    assert (result.cases, totals.cases_affected, totals.terminations_later) == (2, 2, 2)
    assert totals.termination_days_moved == 344
    assert totals.amount_cents_affected == 0
    assert totals.by["rule"] == {"VR-11": {"termination_moved": 2}}
    assert totals.by["caseworker"] == {"cw-1": {"termination_moved": 2}}


def test_narrowing_the_window_refuses_the_requests_made_after_it_would_close_VR_02() -> None:
    late = served_until("VR-C", returned_on=date(2025, 3, 20))  # requested 2025-02-01

    result = findings({"initiation_window_months": 9}, late)

    # 2024-02-29 + 9 months = 2024-11-29 < 2025-02-01: the request and its authorization
    # (planned start 2025-02-01, after 2024-11-29) would have been refused by VR-02.
    assert [(d.consequence, d.subject.split()[0], d.rule_ids) for d in result] == [
        (Consequence.WOULD_BE_REFUSED, "authorization", ("VR-02",)),
        (Consequence.WOULD_BE_REFUSED, "request", ("VR-02",)),
    ]
    authorization = result[0]
    assert (authorization.amount_cents, authorization.paid_cents) == (50_000, 30_000)
    assert (authorization.service_type, authorization.provider) == ("transportation", "PRV-0042")
    assert "the window would close 2024-11-29" in result[1].detail


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

    result = run([vr(SHORTER_SERVICES)], file)

    assert result.findings["candidate"] == [
        Difference(
            "VR-D",
            str(file.id),
            Consequence.OVERRIDE_REQUIRED,
            f"authorization {longer}",
            ("VR-04",),
            program="vr",
            caseworker="cw-1",
            service_type="transportation",
            provider="PRV-0042",
            amount_cents=80_000,
            paid_cents=12_500,
            detail="transportation from 2024-03-11 to 2024-05-31",
        )
    ]
    totals = result.totals["candidate"]
    assert totals.by["rule"] == {"VR-04": {"override_required": 1}}
    assert totals.by["provider"] == {"PRV-0042": {"override_required": 1}}
    assert (totals.amount_cents_affected, totals.paid_cents_affected) == (80_000, 12_500)


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

    [finding] = findings(NO_JOB_RETENTION, file)

    assert (finding.consequence, finding.subject, finding.rule_ids) == (
        Consequence.WOULD_BE_REFUSED,
        f"authorization {coaching}",
        ("VR-06",),
    )
    assert (finding.amount_cents, finding.paid_cents) == (120_000, 90_000)


def test_grandfathered_authorizations_are_exempt_as_the_aggregate_exempts_them_VR_12() -> None:
    file = CaseFile(case_number="VR-F", opened_on=date(2013, 1, 7))
    file.do(
        file.grandfather(date(2024, 3, 1), planned_services=(ServiceType.EMPLOYMENT_JOB_RETENTION,))
    )
    request = file.open_request(date(2024, 3, 10))
    file.authorized(request, date(2024, 3, 10), service_type=ServiceType.EMPLOYMENT_JOB_RETENTION)

    assert findings(NO_JOB_RETENTION, file) == []


def test_the_policy_in_force_replayed_against_itself_changes_nothing() -> None:
    files = [monitoring_only("VR-G"), served_until("VR-H", date(2025, 3, 20))]

    result = run([vr({})], *files)

    assert result.findings["candidate"] == [] and result.cases == 2
    assert result.events == sum(len(f.all_events()) for f in files)


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

    result = run([vr(NO_JOB_RETENTION | SHORTER_SERVICES | WIDER_WINDOW)], file)

    assert result.findings["candidate"] == []
    assert result.cases == 1


# Refused commands, judged under the candidate


def test_an_authorization_refused_by_the_12_month_window_would_be_accepted_under_18_VR_02() -> None:
    file = CaseFile(case_number="VR-R1")
    request = file.open_request(date(2025, 1, 10))
    late = late_start(file, request)
    refusal = refused(file, late)
    assert refusal.fields["rule_ids"] == ["VR-02"]

    [finding] = findings(WIDER_WINDOW, file, refusals=[refusal])

    assert finding == Difference(
        "VR-R1",
        str(file.id),
        Consequence.WOULD_BE_ACCEPTED,
        f"refused authorization {late.authorization_id}",
        ("VR-02",),
        judged=Judged.REFUSED,
        program="vr",
        caseworker="cw-1",
        service_type="transportation",
        provider="PRV-0042",
        amount_cents=42_000,
        detail="transportation from 2025-04-01 to 2025-05-15",
    )


def test_an_authorization_refused_by_vr06_would_be_accepted_once_its_service_type_is_allowed() -> (
    None
):
    file = CaseFile(case_number="VR-R2")
    request = file.open_request(date(2024, 3, 10))
    placement = file.authorize(
        request, date(2024, 3, 10), service_type=ServiceType.EMPLOYMENT_JOB_PLACEMENT
    )
    refusal = refused(file, placement)
    allowed = sorted(EXCLUDED_SERVICE_TYPES_2018 - {ServiceType.EMPLOYMENT_JOB_PLACEMENT})

    result = run(
        [vr({"excluded_service_types": allowed}, "allowed"), vr({}, "in-force")],
        file,
        refusals=[refusal],
    )

    [accepted] = result.findings["allowed"]
    assert (accepted.consequence, accepted.rule_ids, accepted.service_type) == (
        Consequence.WOULD_BE_ACCEPTED,
        ("VR-06",),
        "employment_job_placement",
    )
    [still] = result.findings["in-force"]
    assert (still.consequence, still.rule_ids) == (Consequence.STILL_REFUSED, ("VR-06",))
    assert result.totals["allowed"].amount_cents_would_be_accepted == 50_000
    assert result.totals["in-force"].cases_affected == 0
    assert result.refusals.rejudged == 1


def test_a_refused_authorization_now_accepted_that_runs_past_the_termination_says_so_VR_11() -> (
    None
):
    file = CaseFile(case_number="VR-R3")
    request = file.open_request(date(2025, 2, 1))
    # Starts inside the 12-month window, but runs four months to 2025-06-01: VR-03 and VR-04
    # need overrides it does not carry.
    long = file.authorize(request, date(2025, 2, 1), end=date(2025, 6, 1))
    refusal = refused(file, long)
    file.do(file.remove(date(2025, 2, 10)))

    [finding] = findings(
        {"planned_end_limit_months": 24, "max_service_duration_months": 6}, file, refusals=[refusal]
    )

    # Termination under the candidate: max(2025-02-28, left 2025-02-10) = 2025-02-28; the
    # accepted service would run to 2025-06-01, 93 days later.
    assert finding.consequence is Consequence.WOULD_BE_ACCEPTED
    assert finding.days_moved == 93
    assert "would move the termination 2025-02-28 -> 2025-06-01" in finding.detail


def test_a_request_refused_by_the_window_is_judged_as_the_request_it_was_VR_02() -> None:
    file = CaseFile(case_number="VR-R4")
    refusal = refused(file, file.request(date(2025, 4, 1)))

    [finding] = [
        d for d in findings(WIDER_WINDOW, file, refusals=[refusal]) if d.judged is Judged.REFUSED
    ]

    assert (finding.consequence, finding.rule_ids) == (Consequence.WOULD_BE_ACCEPTED, ("VR-02",))
    assert "the window would close 2025-08-29" in finding.detail


def test_a_refusal_no_parameter_decides_is_counted_by_rule_not_judged() -> None:
    file = CaseFile(case_number="VR-R5")
    request = file.open_request(date(2024, 3, 10))
    no_ipe = file.authorize(request, date(2024, 3, 10), ipe_entry=" ")
    refusal = refused(file, no_ipe)

    result = run([vr(WIDER_WINDOW)], file, refusals=[refusal])

    assert result.refusals.read == 1 and result.refusals.rejudged == 0
    assert result.refusals.not_rejudged == {"VR-09": {"AuthorizeService": 1}}
    assert all(d.judged is Judged.RECORDED for d in result.findings["candidate"])


def test_a_refusal_is_judged_on_the_case_as_it_stood_when_refused_whatever_came_after() -> None:
    file = CaseFile(case_number="VR-R6")
    request = file.open_request(date(2025, 1, 10))
    refusal = refused(file, late_start(file, request))
    file.do(file.correct_outcome(date(2024, 6, 28), date(2025, 1, 12)))  # the window moves on

    [finding] = [
        d for d in findings(WIDER_WINDOW, file, refusals=[refusal]) if d.judged is Judged.REFUSED
    ]

    # Against the outcome of 2024-02-29 it was refused on: 18 months closes 2025-08-29.
    assert finding.consequence is Consequence.WOULD_BE_ACCEPTED


# Cash assistance (TA-09, TA-02)


def assisted(number: str, ended_on: date) -> AssistanceFile:
    file = AssistanceFile(case_number=number)
    file.do(file.end_assistance(ended_on))
    return file


def test_a_training_referral_refused_by_ta09_would_be_accepted_under_a_longer_window() -> None:
    file = assisted("TA-R1", date(2024, 2, 29))  # window closes 2025-02-28 under 12 months
    late = file.training(date(2025, 6, 2))
    refusal = refused(file, late)
    assert refusal.fields["rule_ids"] == ["TA-09"]

    result = run([ta({"training_referral_months": 18})], file, refusals=[refusal])

    [finding] = result.findings["candidate"]
    assert finding == Difference(
        "TA-R1",
        str(file.id),
        Consequence.WOULD_BE_ACCEPTED,
        f"refused training referral {late.referral_id}",
        ("TA-09",),
        judged=Judged.REFUSED,
        program="cash_assistance",
        caseworker="cw-1",
        provider="Community college forklift course",
        detail="referred 2025-06-02; cash assistance ended 2024-02-29, the window would close "
        "2025-08-29",
    )
    assert result.totals["candidate"].by["program"] == {"cash_assistance": {"would_be_accepted": 1}}


def test_a_recorded_training_referral_would_be_refused_under_a_shorter_window_TA_09() -> None:
    file = assisted("TA-R2", date(2024, 2, 29))
    made = file.training(date(2024, 10, 1))
    file.do(made)
    file.do(file.training(date(2024, 5, 1)))  # inside six months too

    [finding] = run([ta({"training_referral_months": 6})], file).findings["candidate"]

    # 2024-02-29 + 6 months = 2024-08-29 < 2024-10-01.
    assert (finding.consequence, finding.subject, finding.rule_ids) == (
        Consequence.WOULD_BE_REFUSED,
        f"training referral {made.referral_id}",
        ("TA-09",),
    )
    assert finding.detail.endswith("the window would close 2024-08-29")


def test_a_reassessment_refused_as_incomplete_would_be_accepted_asking_fewer_areas_TA_02() -> None:
    file = AssistanceFile(case_number="TA-R3")
    file.planned(date(2024, 3, 4))
    file.do(file.contingency(ContingencyArea.TRANSPORTATION, date(2024, 3, 5)))
    file.do(file.contingency(ContingencyArea.CHILD_CARE, date(2024, 3, 5)))
    refusal = refused(file, file.reassess(date(2024, 6, 1)))  # preventable crises missing
    fewer = sorted({ContingencyArea.TRANSPORTATION, ContingencyArea.CHILD_CARE})

    result = run([ta({"contingency_areas": fewer})], file, refusals=[refusal])

    # Recording a preventable-crises contingency would not be asked either: none was recorded.
    [finding] = result.findings["candidate"]
    assert (finding.consequence, finding.rule_ids, finding.judged) == (
        Consequence.WOULD_BE_ACCEPTED,
        ("TA-02",),
        Judged.REFUSED,
    )


def test_a_contingency_for_an_area_the_candidate_drops_would_be_refused_TA_02() -> None:
    file = AssistanceFile(case_number="TA-R4")
    file.planned(date(2024, 3, 4))
    file.covered(date(2024, 3, 5))
    file.do(file.reassess(date(2024, 6, 1)))
    fewer = sorted({ContingencyArea.TRANSPORTATION, ContingencyArea.PREVENTABLE_CRISES})

    [finding] = run([ta({"contingency_areas": fewer})], file).findings["candidate"]

    assert (finding.consequence, finding.subject) == (
        Consequence.WOULD_BE_REFUSED,
        "child_care contingency of 2024-03-05",
    )


def test_a_site_visit_refused_without_permission_is_not_re_judged_TA_08() -> None:
    file = AssistanceFile(case_number="TA-R5")
    job = file.job_started(date(2024, 3, 4))
    refusal = refused(file, file.visit(job, date(2024, 3, 10)))

    result = run([ta({"training_referral_months": 18})], file, refusals=[refusal])

    assert result.refusals.not_rejudged == {"TA-08": {"RecordJobSiteVisit": 1}}
    assert result.findings["candidate"] == []


# Several candidates, the coupling of VR-02 and VR-11, the candidate file


def test_two_candidates_in_one_run_find_what_two_single_runs_find() -> None:
    def files() -> tuple[list[CaseFile], list[Fact]]:
        late = served_until("VR-M1", returned_on=date(2025, 3, 20))
        refusing = CaseFile(case_number="VR-M2")
        request = refusing.open_request(date(2025, 1, 10))
        refusal = refused(refusing, late_start(refusing, request))
        return [late, refusing, monitoring_only("VR-M3")], [refusal]

    narrow, wide = vr({"initiation_window_months": 9}, "narrow"), vr(WIDER_WINDOW, "wide")
    cases, refusals = files()
    together = run([narrow, wide], *cases, refusals=refusals)
    alone = {c.name: run([c], *cases, refusals=refusals) for c in (narrow, wide)}

    for name in ("narrow", "wide"):
        assert together.findings[name] == alone[name].findings[name]
        assert together.totals[name] == alone[name].totals[name]
    assert together.findings["narrow"] != together.findings["wide"]


def test_a_window_only_candidate_is_evaluated_on_the_window_alone_and_explains_the_coupling() -> (
    None
):
    window_only = vr({"initiation_window_months": 18})
    file = CaseFile(case_number="VR-W1")
    request = file.open_request(date(2025, 1, 10))
    refusal = refused(file, late_start(file, request))
    file.do(file.remove(date(2025, 1, 20)))

    result = run([window_only], file, refusals=[refusal])

    # Termination stays at 2025-02-28 (VR-11 unchanged): the service starting 2025-04-01 would
    # be accepted by VR-02 under 18 months, but the case would have ended before it.
    [finding] = result.findings["candidate"]
    assert finding.consequence is Consequence.WOULD_BE_ACCEPTED
    assert "starts after the case's termination on 2025-02-28" in finding.detail
    [note] = window_only.couplings(POLICIES)
    assert "initiation_window_months 18 (VR-02) would outlast termination_after_months 12" in note
    assert "evaluated on the window alone, termination unchanged" in note
    assert '{"vr": {"initiation_window_months": 18, "termination_after_months": 18}}' in note
    assert vr(WIDER_WINDOW).couplings(POLICIES) == []


def test_the_policy_in_force_still_keeps_the_window_inside_the_case_VR_02_VR_11() -> None:
    from domain.vr.policy import VRPolicy

    with pytest.raises(ValueError, match=r"initiation window \(VR-02\) cannot outlast the case"):
        VRPolicy(version="x", effective_from=date(2020, 1, 1), initiation_window_months=18)


def test_a_flat_candidate_is_the_vr_section_and_sections_name_their_program() -> None:
    flat = candidate_from_document("flat", {"max_service_duration_months": 2})
    both = candidate_from_document(
        "both",
        {
            "vr": {"initiation_window_months": 18},
            "cash_assistance": {"training_referral_months": 18},
        },
    )

    assert flat.changes() == {"cash_assistance": {}, "vr": {"max_service_duration_months": 2}}
    assert both.ta(POLICIES.ta[0]).training_referral_months == 18
    assert both.vr(POLICIES.vr[0]).initiation_window_months == 18
    assert both.vr(POLICIES.vr[0]).termination_after_months == 12


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"vr": {"window": 18}}, "vr: unknown parameter(s) window"),
        (
            {"cash_assistance": {"training_referral_months": "18"}},
            "cash_assistance.training_referral_months",
        ),
        ({"vr": {}, "scope_days": 3}, "scope_days: not a program section"),
        ({"vr": 18}, "vr: a section is a JSON object"),
        ({"initiation_window_months": 18.0}, "vr.initiation_window_months"),
        (
            {"termination_after_months": -1, "initiation_window_months": True},
            "vr.termination_after_months",
        ),
    ],
    ids=repr,
)
def test_a_candidate_value_of_another_kind_or_unknown_is_refused_naming_it(
    document: dict[str, Any], named: str
) -> None:
    with pytest.raises(CandidateError, match=named.replace("(", r"\(").replace(")", r"\)")):
        candidate_from_document("bad", document)


def test_a_refusal_for_want_of_an_override_stays_refused_while_the_override_is_still_needed() -> (
    None
):
    file = CaseFile(case_number="VR-R7")
    request = file.open_request(date(2024, 3, 10))
    # 2024-03-10 .. 2024-07-10: over the three months of VR-04, with no override.
    refusal = refused(file, file.authorize(request, date(2024, 3, 10), end=date(2024, 7, 10)))
    assert refusal.fields["rule_ids"] == ["VR-04"]

    result = run(
        [vr(WIDER_WINDOW, "wider"), vr({"max_service_duration_months": 5}, "five-months")],
        file,
        refusals=[refusal],
    )

    [still] = [d for d in result.findings["wider"] if d.judged is Judged.REFUSED]
    assert (still.consequence, still.rule_ids) == (Consequence.STILL_REFUSED, ("VR-04",))
    assert still.detail.endswith("an override is still required")
    [accepted] = result.findings["five-months"]
    assert accepted.consequence is Consequence.WOULD_BE_ACCEPTED


def test_a_contingency_refused_for_an_area_not_asked_would_be_accepted_once_asked_TA_02() -> None:
    two_areas = frozenset({ContingencyArea.TRANSPORTATION, ContingencyArea.CHILD_CARE})
    policies = PolicyBook(
        vr=POLICIES.vr, ta=(POLICIES.ta[0].model_copy(update={"contingency_areas": two_areas}),)
    )
    file = AssistanceFile(case_number="TA-R6", policies=policies)
    file.planned(date(2024, 3, 4))
    crises = file.contingency(ContingencyArea.PREVENTABLE_CRISES, date(2024, 3, 5))
    refusal = refused(file, crises)
    all_three = sorted(ContingencyArea)

    result = run(
        [ta({"contingency_areas": all_three})], file, refusals=[refusal], policies=policies
    )

    [finding] = result.findings["candidate"]
    assert (finding.consequence, finding.subject, finding.rule_ids) == (
        Consequence.WOULD_BE_ACCEPTED,
        "refused RecordContingencyPlan of 2025-09-01",
        ("TA-02",),
    )


def test_a_refusal_of_a_case_the_history_does_not_hold_is_counted_not_judged() -> None:
    orphan = Fact(
        event_type=REFUSAL,
        case_id="4a1f0f4e-0000-5000-8000-000000000000",
        case_version=0,
        effective_on=TODAY,
        fields={
            "case_number": None,
            "case_version": 0,
            "program": None,
            "command_type": "AuthorizeService",
            "command": "{}",
            "rule_ids": [],
            "messages": ["no case 4a1f0f4e"],
            "policy_version": None,
            "actor": {"id": "cw-1", "role": "caseworker"},
        },
    )

    result = run([vr(WIDER_WINDOW)], monitoring_only("VR-O1"), refusals=[orphan])

    assert (result.refusals.read, result.refusals.rejudged, result.cases) == (1, 0, 1)
    assert result.refusals.not_rejudged == {"no rule": {"AuthorizeService": 1}}


def test_a_request_the_window_only_candidate_allows_after_the_termination_says_so_VR_11() -> None:
    file = CaseFile(case_number="VR-W2")  # monitoring only: terminates 2025-02-28
    refusal = refused(file, file.request(date(2025, 4, 1)))

    [finding] = findings({"initiation_window_months": 18}, file, refusals=[refusal])

    assert (finding.consequence, finding.judged) == (Consequence.WOULD_BE_ACCEPTED, Judged.REFUSED)
    assert finding.detail == (
        "requested 2025-04-01; the window would close 2025-08-29; it starts after the case's "
        "termination on 2025-02-28 (VR-11, as the candidate leaves it)"
    )
