"""The VR program's case stories: one scenario per case, chosen by weight."""

from __future__ import annotations

import random
from datetime import timedelta

from domain.commands import (
    CancelAuthorization,
    DecideReview,
    DetermineNotAppropriate,
    RecognizeGrandfathering,
    RemoveFromPEServices,
    RequestPEServices,
    RequestReview,
    TerminateCase,
    UnencumberBalance,
)
from domain.values import Override, RequestPurpose, ReviewDecision, ServiceCategory, ServiceType
from synthetic.history import BILLING_CLERKS, SUPERVISORS
from synthetic.refusals import REFUSALS
from synthetic.vr_steps import (
    EXCLUDED,
    VRPlan,
    appropriate,
    authorize,
    close,
    new_case,
    plain_window,
    refused_appropriate,
    request,
    return_to_monitoring,
)

SCENARIOS: tuple[tuple[str, float], ...] = (
    ("monitoring_only", 0.33),
    ("served", 0.30),
    ("served_with_refusal", 0.08),
    ("new_employment_case", 0.06),
    ("not_appropriate", 0.05),
    ("long_service_override", 0.05),
    ("in_services_at_anniversary", 0.06),
    ("cancelled_and_removed", 0.04),
    ("grandfathered", 0.02),
    ("outcome_refusal", 0.01),
)


def choose_scenario(rng: random.Random) -> str:
    roll = rng.random()
    for name, weight in SCENARIOS:
        roll -= weight
        if roll < 0:
            return name
    return SCENARIOS[0][0]


def _monitoring_only(plan: VRPlan) -> None:
    return


def _served(plan: VRPlan, refusal: str | None = None) -> None:
    rng = plan.rng
    latest_request = plan.anniversary - timedelta(days=150)
    requested_on = plan.outcome_date + timedelta(
        days=rng.randint(10, max(10, (latest_request - plan.outcome_date).days))
    )
    if refusal == "VR-07":
        request_id, _ = request(plan, requested_on, RequestPurpose.REGAIN)
        refused_appropriate(plan, request_id, requested_on, "VR-07")
        new_case(plan, request_id, requested_on + timedelta(days=rng.randint(1, 10)))
        return_to_monitoring(plan, requested_on + timedelta(days=12))
        return
    request_id, _ = request(plan, requested_on)
    if refusal == "VR-09":
        start = requested_on + timedelta(days=2)
        authorize(
            plan, request_id, requested_on, start, start + timedelta(days=30), refusal="VR-09"
        )
    if refusal == "VR-05":
        refused_appropriate(plan, request_id, requested_on, "VR-05")
    determined_on = appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 14)))
    authorized_on = determined_on + timedelta(days=rng.randint(0, 7))
    if refusal == "VR-02":
        late = plan.anniversary + timedelta(days=rng.randint(1, 20))
        authorize(plan, request_id, authorized_on, late, late + timedelta(days=20), refusal="VR-02")
    if refusal == "VR-06":
        excluded = rng.choice(EXCLUDED)
        start = authorized_on + timedelta(days=3)
        authorize(
            plan,
            request_id,
            authorized_on,
            start,
            start + timedelta(days=30),
            service=(excluded, ServiceCategory.COMMUNITY, "Job placement services"),
            refusal="VR-06",
        )
    if refusal == "VR-04":
        start = authorized_on + timedelta(days=3)
        end = plan.policy.longest_planned_end(start) + timedelta(days=rng.randint(1, 20))
        authorize(plan, request_id, authorized_on, start, end, refusal="VR-04")
    if refusal == "VR-11":
        plan.add(
            plan.caseworker,
            TerminateCase(case_id=plan.case_id, terminated_on=authorized_on),
            "VR-11",
        )
    last = authorized_on
    for _ in range(2 if rng.random() < 0.3 else 1):
        start = authorized_on + timedelta(days=rng.randint(0, 14))
        end = plain_window(plan, start)
        authorization_id, amount = authorize(plan, request_id, authorized_on, start, end)
        provided_on = start + timedelta(days=rng.randint(0, (end - start).days))
        last = max(
            last,
            close(
                plan,
                authorization_id,
                amount,
                provided_on,
                late_invoice=rng.random() < 0.12,
                over_invoice=refusal == "VR-10",
            ),
        )
        refusal = None if refusal == "VR-10" else refusal
    return_to_monitoring(plan, last)


def _served_with_refusal(plan: VRPlan) -> None:
    _served(plan, plan.rng.choice(REFUSALS))


def _new_employment_case(plan: VRPlan) -> None:
    requested_on = plan.outcome_date + timedelta(days=plan.rng.randint(20, 300))
    purpose = RequestPurpose.REGAIN if plan.rng.random() < 0.6 else None
    request_id, _ = request(plan, requested_on, purpose)
    determined_on = requested_on + timedelta(days=plan.rng.randint(1, 20))
    new_case(plan, request_id, determined_on)
    return_to_monitoring(plan, determined_on)


def _not_appropriate(plan: VRPlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(20, 200))
    request_id, _ = request(plan, requested_on)
    determined_on = requested_on + timedelta(days=rng.randint(1, 20))
    plan.add(
        plan.caseworker,
        DetermineNotAppropriate(
            case_id=plan.case_id,
            request_id=request_id,
            determined_on=determined_on,
            written_explanation="The employer already provides this accommodation.",
            review_notice_given=True,
        ),
    )
    if rng.random() >= 0.4:
        return_to_monitoring(plan, determined_on)
        return
    review_on = determined_on + timedelta(days=rng.randint(3, 20))
    plan.add(
        plan.caseworker,
        RequestReview(
            case_id=plan.case_id,
            request_id=request_id,
            requested_on=review_on,
            grounds="The client says the accommodation was withdrawn.",
        ),
    )
    decided_on = review_on + timedelta(days=rng.randint(7, 30))
    decision = ReviewDecision.UPHELD if rng.random() < 0.6 else ReviewDecision.REVERSED
    plan.add(
        rng.choice(SUPERVISORS),
        DecideReview(
            case_id=plan.case_id,
            request_id=request_id,
            decided_on=decided_on,
            decision=decision,
            reason="Reviewed the employer's statement.",
        ),
    )
    if decision is ReviewDecision.UPHELD:
        return_to_monitoring(plan, decided_on)
        return
    determined_again = appropriate(plan, request_id, decided_on + timedelta(days=rng.randint(0, 5)))
    start = determined_again + timedelta(days=rng.randint(0, 10))
    authorization_id, amount = authorize(
        plan, request_id, determined_again, start, plain_window(plan, start)
    )
    return_to_monitoring(
        plan, close(plan, authorization_id, amount, start + timedelta(days=rng.randint(0, 20)))
    )


def _long_service_override(plan: VRPlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(15, 150))
    request_id, _ = request(plan, requested_on, RequestPurpose.ADVANCE)
    determined_on = appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 10)))
    start = determined_on + timedelta(days=rng.randint(0, 10))
    end = min(
        plan.policy.longest_planned_end(start) + timedelta(days=rng.randint(10, 60)),
        plan.anniversary,
    )
    override = Override(rule_id="VR-04", reason="The certificate course runs four months.")
    authorization_id, amount = authorize(
        plan,
        request_id,
        determined_on,
        start,
        end,
        overrides=(override,),
        service=(ServiceType.OCCUPATIONAL_LICENSE, ServiceCategory.SUPPORT, "Certificate course"),
    )
    return_to_monitoring(plan, close(plan, authorization_id, amount, end))


def _in_services_at_anniversary(plan: VRPlan) -> None:
    rng = plan.rng
    requested_on = plan.anniversary - timedelta(days=rng.randint(20, 60))
    request_id, _ = request(plan, requested_on)
    determined_on = appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 7)))
    start = min(determined_on + timedelta(days=rng.randint(0, 7)), plan.anniversary)
    overrides: tuple[Override, ...] = ()
    if rng.random() < 0.6:
        end = min(
            plan.anniversary + timedelta(days=rng.randint(5, 45)),
            plan.policy.longest_planned_end(start),
        )
        overrides = (Override(rule_id="VR-03", reason="The provider's next opening is late."),)
    else:
        end = plain_window(plan, start)
    authorization_id, amount = authorize(
        plan, request_id, determined_on, start, end, overrides=overrides
    )
    closed_on = close(plan, authorization_id, amount, end, late_invoice=rng.random() < 0.3)
    return_to_monitoring(plan, closed_on)


def _cancelled_and_removed(plan: VRPlan) -> None:
    rng = plan.rng
    requested_on = plan.outcome_date + timedelta(days=rng.randint(10, 200))
    request_id, _ = request(plan, requested_on)
    determined_on = appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 7)))
    start = determined_on + timedelta(days=rng.randint(3, 10))
    authorization_id, _ = authorize(
        plan, request_id, determined_on, start, plain_window(plan, start)
    )
    cancelled_on = determined_on + timedelta(days=rng.randint(1, 3))
    plan.add(
        plan.caseworker,
        CancelAuthorization(
            case_id=plan.case_id,
            authorization_id=authorization_id,
            cancelled_on=cancelled_on,
            reason="The client found the help elsewhere.",
        ),
    )
    unencumbered_on = cancelled_on + timedelta(days=rng.randint(0, 5))
    plan.add(
        rng.choice(BILLING_CLERKS),
        UnencumberBalance(
            case_id=plan.case_id, authorization_id=authorization_id, unencumbered_on=unencumbered_on
        ),
    )
    if rng.random() < 0.5:
        removed_on = unencumbered_on + timedelta(days=rng.randint(0, 10))
        plan.add(
            plan.caseworker,
            RemoveFromPEServices(
                case_id=plan.case_id, removed_on=removed_on, reason="The client declined services."
            ),
        )
        plan.left_pe_services_on = removed_on
    else:
        return_to_monitoring(plan, unencumbered_on)


def _grandfathered(plan: VRPlan) -> None:
    """A 2013 case receiving EW services on 2013-08-01, finishing them past the window (VR-12)."""
    rng = plan.rng
    grandfathering_date = plan.policy.grandfathering_date
    planned = rng.choice((ServiceType.SUPPORTED_EMPLOYMENT, ServiceType.POST_SECONDARY_TRAINING))
    plan.add(
        plan.caseworker,
        RecognizeGrandfathering(
            case_id=plan.case_id,
            recognized_on=grandfathering_date,
            evidence="QE2 service record shows EW services active on 2013-08-01.",
            services_started_on=grandfathering_date - timedelta(days=rng.randint(1, 150)),
            planned_services=(planned,),
        ),
    )
    requested_on = grandfathering_date + timedelta(days=rng.randint(1, 30))
    request_id, _ = request(plan, requested_on)
    determined_on = appropriate(plan, request_id, requested_on + timedelta(days=rng.randint(0, 5)))
    start = determined_on + timedelta(days=rng.randint(0, 10))
    end = max(plan.anniversary + timedelta(days=rng.randint(30, 200)), start + timedelta(days=200))
    authorization_id, amount = authorize(
        plan,
        request_id,
        determined_on,
        start,
        end,
        service=(planned, ServiceCategory.COMMUNITY, "Finish the planned EW services"),
    )
    return_to_monitoring(plan, close(plan, authorization_id, amount, end))


def _outcome_refusal(plan: VRPlan) -> None:
    """A request entered before the outcome it depends on (VR-01), then ordinary services."""
    early = plan.outcome_date - timedelta(days=plan.rng.randint(1, 20))
    request_id = plan.next_id("request")
    plan.add(
        plan.caseworker,
        RequestPEServices(
            case_id=plan.case_id,
            request_id=request_id,
            requested_on=early,
            purpose=RequestPurpose.REGAIN,
        ),
        "VR-01",
    )
    _served(plan)


SCENARIO_WRITERS = {
    "monitoring_only": _monitoring_only,
    "served": _served,
    "served_with_refusal": _served_with_refusal,
    "new_employment_case": _new_employment_case,
    "not_appropriate": _not_appropriate,
    "long_service_override": _long_service_override,
    "in_services_at_anniversary": _in_services_at_anniversary,
    "cancelled_and_removed": _cancelled_and_removed,
    "grandfathered": _grandfathered,
    "outcome_refusal": _outcome_refusal,
}
