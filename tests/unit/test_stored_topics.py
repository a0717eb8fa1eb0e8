"""Stored topics: every event type of the Case aggregate keeps the topic it is stored under.

A recorded event names its class by topic (`module:qualname`) in the event store; a class that
moves without keeping its topic leaves every event recorded before the move unreadable. The list
below is written out on purpose: it is what stores hold today, not what the code says now.
"""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from adapters.avro import published_schemas
from adapters.schema_generation import domain_event_classes

STORED_TOPICS = (
    "domain.case:Case.CaseOpened",
    "domain.case:Case.OutcomeAchieved",
    "domain.case:Case.OutcomeDateCorrected",
    "domain.case:Case.GrandfatheringRecognized",
    "domain.case:Case.PEServicesRequested",
    "domain.case:Case.PEServicesFoundAppropriate",
    "domain.case:Case.NewEmploymentCaseOpened",
    "domain.case:Case.PEServicesFoundNotAppropriate",
    "domain.case:Case.ReviewRequested",
    "domain.case:Case.ReviewDecided",
    "domain.case:Case.ServiceAuthorized",
    "domain.case:Case.AuthorizationCancelled",
    "domain.case:Case.ServiceProvided",
    "domain.case:Case.InvoiceReceived",
    "domain.case:Case.InvoicePaid",
    "domain.case:Case.BalanceUnencumbered",
    "domain.case:Case.ReturnedToMonitoring",
    "domain.case:Case.RemovedFromPEServices",
    "domain.case:Case.CaseTerminated",
    "domain.case:Case.SelfSufficiencyPlanEstablished",
    "domain.case:Case.PlanGoalSet",
    "domain.case:Case.GoalStatusChanged",
    "domain.case:Case.PlanReassessed",
    "domain.case:Case.ContingencyPlanRecorded",
    "domain.case:Case.InterventionLogged",
    "domain.case:Case.CommunityReferralMade",
    "domain.case:Case.CommunityReferralResultRecorded",
    "domain.case:Case.ReachabilityRecorded",
    "domain.case:Case.ContactPlanned",
    "domain.case:Case.ContactMade",
    "domain.case:Case.EligibilityRecorded",
    "domain.case:Case.JobStarted",
    "domain.case:Case.WageChanged",
    "domain.case:Case.JobLost",
    "domain.case:Case.SiteVisitConsentGiven",
    "domain.case:Case.SiteVisitConsentRevoked",
    "domain.case:Case.JobSiteVisited",
    "domain.case:Case.CashAssistanceEnded",
    "domain.case:Case.TrainingReferralMade",
    "domain.case:Case.SkillIdentified",
    "domain.case:Case.CaseReassigned",
    "domain.case:Case.LinkedFromEarlierCase",
)
# Published, but not stored as case events: the deadline process's alerts, and the refused
# commands' decision records (kept in a table of their own, application/refusals.py).
PUBLISHED_NOT_STORED = {"DeadlineAlert", "CommandRefused"}


def test_every_event_type_the_domain_records_is_stored_under_its_pinned_topic() -> None:
    assert sorted(get_topic(cls) for cls in domain_event_classes()) == sorted(STORED_TOPICS)


@pytest.mark.parametrize("topic", STORED_TOPICS)
def test_every_pinned_topic_resolves_to_the_event_class_the_domain_records(topic: str) -> None:
    event_class = resolve_topic(topic)

    assert event_class in domain_event_classes()
    assert get_topic(event_class) == topic


def test_every_published_case_event_schema_resolves_from_its_stored_topic() -> None:
    names = set(published_schemas().event_types) - PUBLISHED_NOT_STORED

    resolved = {name: resolve_topic(f"domain.case:Case.{name}") for name in names}

    assert {name: cls.__name__ for name, cls in resolved.items()} == {n: n for n in names}
    assert {f"domain.case:Case.{name}" for name in names} == set(STORED_TOPICS)
