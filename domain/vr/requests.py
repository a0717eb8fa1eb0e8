"""A client's requests for PE services (VR-01, VR-02, VR-07), their determinations (VR-05,
VR-07, VR-08) and the Review of Decisions of a not-appropriate determination (VR-08)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.base import Actor
from domain.case import CASE_NUMBER, Case
from domain.command import CASE_NUMBER_MAX_LENGTH, UUID_SHAPE
from domain.errors import InvalidCommand, RuleViolation
from domain.events import Program
from domain.policy import PolicyBook
from domain.values import RequestPurpose, RequestStatus, ReviewDecision
from domain.vr.commands import (
    DecideReview,
    DetermineNewEmploymentCase,
    DetermineNotAppropriate,
    DeterminePEAppropriate,
    RequestPEServices,
    RequestReview,
)
from domain.vr.events import (
    LinkedFromEarlierCase,
    NewEmploymentCaseOpened,
    PEServicesFoundAppropriate,
    PEServicesFoundNotAppropriate,
    PEServicesRequested,
    ReviewDecided,
    ReviewRequested,
)
from domain.vr.policy import VRPolicy
from domain.vr.records import ServiceRequest
from domain.vr.rules import check_assessment, exempt_from_the_window, within_initiation_window


def request_services(
    case: Case, command: RequestPEServices, actor: Actor, policies: PolicyBook
) -> None:
    request_id, requested_on = command.request_id, command.requested_on
    purpose, maintain, advance = command.purpose, command.maintain, command.advance
    existing = case.requests.get(request_id)
    if existing is not None:
        if (existing.requested_on, existing.purpose, existing.maintain, existing.advance) == (
            requested_on,
            purpose,
            maintain,
            advance,
        ):
            return
        raise InvalidCommand(f"request {request_id} was already recorded with other details")
    outcome_date = require_outcome(case, requested_on)
    policy = case.governing_policy(policies)
    # Checked before the generic VR-11 date so a late request hears why: the window closed.
    if not within_initiation_window(
        policy, outcome_date, requested_on
    ) and not exempt_from_the_window(case.grandfathering):
        raise RuleViolation(
            "VR-02",
            f"PE services can only be initiated until "
            f"{policy.initiation_window_closes(outcome_date)}; "
            "later needs go to a new employment program case",
        )
    check_assessment(purpose, maintain, advance)
    case.refuse_after_termination(requested_on, policy)
    case.record(
        PEServicesRequested,
        effective_on=requested_on,
        request_id=request_id,
        purpose=purpose,
        maintain=maintain,
        advance=advance,
        policy_version=policy.version,
        actor=actor,
    )


def determine_pe_appropriate(
    case: Case, command: DeterminePEAppropriate, actor: Actor, policies: PolicyBook
) -> None:
    determined_on, expected_provided_by = command.determined_on, command.expected_provided_by
    request, policy = _request_to_determine(case, command.request_id, determined_on, policies)
    if request.purpose is RequestPurpose.REGAIN:
        raise RuleViolation(
            "VR-07",
            "regaining employment is a job search: the client re-applies through a new "
            "employment program case, never PE",
        )
    unmet = command.criteria.unmet()
    if unmet:
        raise RuleViolation(
            "VR-05",
            f"a PE service must meet every scope criterion; not affirmed: {', '.join(unmet)}",
        )
    if expected_provided_by < determined_on:
        raise InvalidCommand("the service cannot be expected before it is determined")
    scope_deadline = policy.scope_deadline(determined_on)
    if expected_provided_by > scope_deadline:
        raise RuleViolation(
            "VR-05",
            f"a PE service must be providable within {policy.scope_days} days, by {scope_deadline}",
        )
    case.refuse_after_termination(determined_on, policy)
    case.record(
        PEServicesFoundAppropriate,
        effective_on=determined_on,
        request_id=command.request_id,
        criteria=command.criteria,
        expected_provided_by=expected_provided_by,
        policy_version=policy.version,
        actor=actor,
    )


def determine_new_employment_case(
    case: Case, command: DetermineNewEmploymentCase, actor: Actor, policies: PolicyBook
) -> None:
    determined_on, new_case_number = command.determined_on, command.new_case_number
    _, policy = _request_to_determine(case, command.request_id, determined_on, policies)
    if not _is_case_number(new_case_number):
        raise RuleViolation(
            "VR-08",
            f"the new employment program case is opened and linked under a case number "
            f"(letters, digits, '.', '_' and '-'; not shaped like a case id); "
            f"got {new_case_number!r}",
        )
    if new_case_number == case.case_number:
        raise RuleViolation(
            "VR-08",
            f"the new employment program case must be another case than {case.case_number}",
        )
    if not command.reasons:
        raise RuleViolation("VR-08", "say why the need belongs in a new employment program case")
    case.refuse_after_termination(determined_on, policy)
    case.record(
        NewEmploymentCaseOpened,
        effective_on=determined_on,
        request_id=command.request_id,
        new_case_number=new_case_number,
        reasons=tuple(command.reasons),
        policy_version=policy.version,
        actor=actor,
    )


def link_new_employment_case(
    earlier: Case,
    named: Case | None,
    command: DetermineNewEmploymentCase,
    actor: Actor,
    policies: PolicyBook,
) -> Case:
    """The new employment program case a determination on `earlier` names, with the link
    recorded on it (VR-08): opened for the same client and caseworker when no case has that
    number (`named` is None), else checked to be one the determination may link.

    Decided after the determination on `earlier`; the caller saves both cases together."""
    determined_on = command.determined_on
    policy = earlier.governing_policy(policies)
    if named is None:
        named = Case(
            case_number=command.new_case_number,
            program=Program.VR,
            client_ref=earlier.client_ref,
            caseworker_id=earlier.caseworker_id,
            effective_on=determined_on,
            actor=actor,
        )
        opened = True
    else:
        _check_linkable(earlier, named, determined_on, policies)
        opened = False
    named.record(
        LinkedFromEarlierCase,
        # A case opened after the determination (then recorded with its own date) is linked
        # from its opening: nothing of a case takes effect before it was opened.
        effective_on=max(determined_on, named.opened_on),
        earlier_case_id=earlier.id,
        earlier_case_number=earlier.case_number,
        request_id=command.request_id,
        opened_by_determination=opened,
        policy_version=policy.version,
        actor=actor,
    )
    return named


def _check_linkable(earlier: Case, named: Case, determined_on: date, policies: PolicyBook) -> None:
    """Refuses to link a case that cannot be `earlier`'s new employment program case (VR-08)."""
    number = named.case_number
    if named.id == earlier.id:
        raise RuleViolation("VR-08", f"case {number} cannot be its own new employment program case")
    if named.program is not Program.VR:
        raise RuleViolation(
            "VR-08",
            f"case {number} is a {named.program.value} case; "
            "the new employment program case must be a VR case",
        )
    if named.client_ref != earlier.client_ref:
        raise RuleViolation(
            "VR-08",
            f"case {number} belongs to another client than case {earlier.case_number}",
        )
    if named.terminated_on is not None:
        raise RuleViolation(
            "VR-08",
            f"case {number} terminated on {named.terminated_on}; "
            "the new employment program case must be open",
        )
    termination = named.termination_date(named.governing_policy(policies))
    if termination is not None and termination < determined_on:
        raise RuleViolation(
            "VR-08",
            f"case {number} terminates on {termination}, before the determination of "
            f"{determined_on}; the new employment program case must be open",
        )
    if named.linked_from is not None:
        raise RuleViolation(
            "VR-08",
            f"case {number} is already the new employment program case of case "
            f"{named.linked_from.case_number}'s request {named.linked_from.request_id}",
        )
    if any(r.linked_case_number is not None for r in named.requests.values()):
        # A case that opened a new case of its own is an earlier case: linking it as newer
        # could close a loop of cases each opened from the next.
        raise RuleViolation(
            "VR-08",
            f"case {number} has a new employment program case of its own, so it cannot be "
            f"case {earlier.case_number}'s",
        )


def determine_not_appropriate(
    case: Case, command: DetermineNotAppropriate, actor: Actor, policies: PolicyBook
) -> None:
    determined_on = command.determined_on
    request, policy = _request_to_determine(case, command.request_id, determined_on, policies)
    if request.purpose is RequestPurpose.REGAIN:
        raise RuleViolation(
            "VR-07", "a request to regain employment is determined as a new employment case"
        )
    if not command.written_explanation.strip():
        raise RuleViolation("VR-08", "the client must be given a written explanation")
    if not command.review_notice_given:
        raise RuleViolation("VR-08", "the client must be told about the Review of Decisions")
    case.refuse_after_termination(determined_on, policy)
    case.record(
        PEServicesFoundNotAppropriate,
        effective_on=determined_on,
        request_id=command.request_id,
        written_explanation=command.written_explanation,
        review_notice_given=command.review_notice_given,
        policy_version=policy.version,
        actor=actor,
    )


def request_review(case: Case, command: RequestReview, actor: Actor, policies: PolicyBook) -> None:
    request_id, requested_on = command.request_id, command.requested_on
    request = _request(case, request_id)
    policy = case.governing_policy(policies)
    if request.status is not RequestStatus.NOT_APPROPRIATE:
        raise RuleViolation(
            "VR-08", "only a determination that neither PE nor a new case fits is reviewed"
        )
    if request.review_decision is not None:
        raise RuleViolation("VR-08", f"request {request_id} was already reviewed")
    if request.determined_on is not None and requested_on < request.determined_on:
        raise InvalidCommand("a review cannot be requested before the determination")
    case.refuse_after_termination(requested_on, policy)
    case.record(
        ReviewRequested,
        effective_on=requested_on,
        request_id=request_id,
        grounds=command.grounds,
        policy_version=policy.version,
        actor=actor,
    )


def decide_review(case: Case, command: DecideReview, actor: Actor, policies: PolicyBook) -> None:
    request_id, decided_on = command.request_id, command.decided_on
    decision: ReviewDecision = command.decision
    request = _request(case, request_id)
    policy = case.governing_policy(policies)
    if request.status is not RequestStatus.UNDER_REVIEW:
        raise RuleViolation("VR-08", f"request {request_id} is not under review")
    if request.review_requested_on is not None and decided_on < request.review_requested_on:
        raise InvalidCommand("a review cannot be decided before it was requested")
    if not command.reason.strip():
        raise RuleViolation("VR-08", "a review decision records its reason")
    case.refuse_after_termination(decided_on, policy)
    case.record(
        ReviewDecided,
        effective_on=decided_on,
        request_id=request_id,
        decision=decision,
        reason=command.reason,
        policy_version=policy.version,
        actor=actor,
    )


def require_outcome(case: Case, on: date) -> date:
    """The outcome date PE services follow; refused without an outcome or before it (VR-01)."""
    if case.outcome_date is None:
        raise RuleViolation(
            "VR-01", "PE services need a successful employment outcome; none is recorded"
        )
    if on < case.outcome_date:
        raise RuleViolation(
            "VR-01", f"PE services start after the employment outcome of {case.outcome_date}"
        )
    return case.outcome_date


def _is_case_number(number: str) -> bool:
    return (
        len(number) <= CASE_NUMBER_MAX_LENGTH
        and CASE_NUMBER.fullmatch(number) is not None
        and UUID_SHAPE.fullmatch(number) is None
    )


def _request(case: Case, request_id: UUID) -> ServiceRequest:
    request = case.requests.get(request_id)
    if request is None:
        raise InvalidCommand(f"no request {request_id} on case {case.case_number}")
    return request


def _request_to_determine(
    case: Case, request_id: UUID, determined_on: date, policies: PolicyBook
) -> tuple[ServiceRequest, VRPolicy]:
    request = _request(case, request_id)
    if request.status is not RequestStatus.AWAITING_DETERMINATION:
        raise RuleViolation(
            "VR-08", f"request {request_id} is not awaiting a determination ({request.status})"
        )
    if determined_on < request.requested_on:
        raise InvalidCommand("a determination cannot precede its request")
    return request, case.governing_policy(policies)
