"""The event catalog: every event is nested in Case, documented, and uses contract-safe types."""

from __future__ import annotations

import inspect
import types
import typing
from datetime import date, datetime
from enum import StrEnum
from typing import Any, get_args, get_origin
from uuid import UUID

import pytest

import domain.case
from domain.base import Aggregate, ValueObject
from domain.case import Case
from domain.events import CaseEvent

SCALARS = (str, int, bool, float, date, datetime, UUID)
BASE_FIELDS = set(Aggregate.Event.model_fields) | {"originator_topic"}
# Facts no policy decides: the opening, the outcome, who carries the case.
FACT_EVENTS = {"CaseOpened", "OutcomeAchieved", "CaseReassigned"}


def event_classes() -> list[type[Aggregate.Event]]:
    return [
        value
        for name, value in vars(Case).items()
        if inspect.isclass(value)
        and issubclass(value, Aggregate.Event)
        and name not in ("Event", "Created")
    ]


def all_domain_event_classes() -> set[type]:
    found: set[type] = set()
    pending = [Aggregate.Event]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("domain.") and sub not in found:
                found.add(sub)
                pending.append(sub)
    return found


def problems_with(annotation: Any, where: str) -> list[str]:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = get_args(annotation)
        if len(args) != 2 or type(None) not in args:
            return [f"{where}: only `X | None` unions are allowed, not {annotation}"]
        return problems_with(next(a for a in args if a is not type(None)), where)
    if origin in (tuple, list):
        args = get_args(annotation)
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            return [f"{where}: tuples are homogeneous `tuple[X, ...]`, not {annotation}"]
        return problems_with(args[0], where)
    if annotation in SCALARS:
        return []
    if inspect.isclass(annotation) and issubclass(annotation, StrEnum):
        return []
    if inspect.isclass(annotation) and issubclass(annotation, ValueObject):
        if not annotation.model_config.get("frozen"):
            return [f"{where}: {annotation.__name__} is not frozen"]
        return [
            problem
            for name, info in annotation.model_fields.items()
            for problem in problems_with(info.annotation, f"{where}.{name}")
        ]
    return [f"{where}: {annotation!r} is not an allowed event field type"]


EVENTS = event_classes()


def test_the_catalog_holds_the_vr_lifecycle_then_the_cash_assistance_events() -> None:
    assert [e.__name__ for e in EVENTS] == [
        "CaseOpened",
        "OutcomeAchieved",
        "OutcomeDateCorrected",
        "GrandfatheringRecognized",
        "PEServicesRequested",
        "PEServicesFoundAppropriate",
        "NewEmploymentCaseOpened",
        "LinkedFromEarlierCase",
        "PEServicesFoundNotAppropriate",
        "ReviewRequested",
        "ReviewDecided",
        "ServiceAuthorized",
        "AuthorizationCancelled",
        "ServiceProvided",
        "InvoiceReceived",
        "InvoicePaid",
        "BalanceUnencumbered",
        "ReturnedToMonitoring",
        "RemovedFromPEServices",
        "CaseTerminated",
        "SelfSufficiencyPlanEstablished",
        "PlanGoalSet",
        "GoalStatusChanged",
        "PlanReassessed",
        "ContingencyPlanRecorded",
        "InterventionLogged",
        "CommunityReferralMade",
        "CommunityReferralResultRecorded",
        "ReachabilityRecorded",
        "ContactPlanned",
        "ContactMade",
        "EligibilityRecorded",
        "JobStarted",
        "WageChanged",
        "JobLost",
        "SiteVisitConsentGiven",
        "SiteVisitConsentRevoked",
        "JobSiteVisited",
        "CashAssistanceEnded",
        "TrainingReferralMade",
        "SkillIdentified",
        "CaseReassigned",
    ]


def test_every_domain_event_class_is_registered_on_case() -> None:
    """An event may be defined beside its program, but only the class listed in Case's body
    (stored as `domain.case:Case.<name>`) is ever recorded; nothing else derives from Event."""
    for cls in all_domain_event_classes():
        if cls.__name__ in ("Event", "Created") or cls is CaseEvent:
            continue
        registered = getattr(Case, cls.__name__)
        assert registered in EVENTS, cls
        assert registered.__qualname__ == f"Case.{cls.__name__}"
        assert issubclass(registered, cls)


def test_event_class_names_are_unique_across_the_domain() -> None:
    names = [e.__name__ for e in EVENTS]
    assert len(names) == len(set(names))
    module_names = {n for n, v in vars(domain.case).items() if inspect.isclass(v)}
    assert not module_names & set(names)


@pytest.mark.parametrize("event_class", EVENTS, ids=lambda c: c.__name__)
def test_every_event_has_a_one_line_docstring_of_its_own(event_class: type) -> None:
    doc = event_class.__dict__.get("__doc__")
    assert doc and doc.strip(), f"{event_class.__name__} has no docstring"
    assert len(doc.strip().splitlines()) == 1


@pytest.mark.parametrize("event_class", EVENTS, ids=lambda c: c.__name__)
def test_every_event_uses_only_contract_field_types(event_class: type[Aggregate.Event]) -> None:
    problems = [
        problem
        for name, info in event_class.model_fields.items()
        for problem in problems_with(info.annotation, f"{event_class.__name__}.{name}")
    ]
    assert problems == []


@pytest.mark.parametrize("event_class", EVENTS, ids=lambda c: c.__name__)
def test_every_event_records_its_actor_and_business_date(event_class: type) -> None:
    assert issubclass(event_class, Aggregate.Event)
    assert {"actor", "effective_on"} <= set(event_class.model_fields)


@pytest.mark.parametrize(
    "event_class", [e for e in EVENTS if e.__name__ not in FACT_EVENTS], ids=lambda c: c.__name__
)
def test_every_decision_event_records_its_policy_version(
    event_class: type[Aggregate.Event],
) -> None:
    assert event_class.model_fields["policy_version"].annotation is str


def test_the_type_check_refuses_what_the_contract_cannot_carry() -> None:
    from decimal import Decimal

    assert problems_with(Decimal, "x")
    assert problems_with(dict[str, int], "x")
    assert problems_with(int | str, "x")
    assert problems_with(tuple[int, str], "x")
    assert not problems_with(tuple[UUID, ...] | None, "x")
