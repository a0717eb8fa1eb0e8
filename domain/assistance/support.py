"""Support while employed: problem solving and crisis intervention (TA-03), community
resources (TA-04), reachability and the contact scheduling matrix (TA-05)."""

from __future__ import annotations

from domain.assistance.commands import (
    LogIntervention,
    PlanContact,
    RecordContact,
    RecordReachability,
    RecordReferralResult,
    ReferToCommunityResource,
)
from domain.assistance.events import (
    CommunityReferralMade,
    CommunityReferralResultRecorded,
    ContactMade,
    ContactPlanned,
    InterventionLogged,
    ReachabilityRecorded,
)
from domain.assistance.policy import TAPolicy
from domain.assistance.records import Intervention, Reachability, blank
from domain.assistance.values import ContactChannel
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook


def log_intervention(
    case: Case, command: LogIntervention, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    intervention_id, logged_on = command.intervention_id, command.logged_on
    intervention = Intervention(
        logged_on, command.kind, command.category, command.situation, command.action_taken
    )
    existing = case.assistance.interventions.get(intervention_id)
    if existing is not None:
        if existing == intervention:
            return
        raise InvalidCommand(f"intervention {intervention_id} was already logged otherwise")
    case.require_not_before_opening(logged_on, "an intervention")
    if command.category not in policy.intervention_categories:
        raise RuleViolation("TA-03", f"{command.category} is not a category the policy lists")
    if blank(command.situation, command.action_taken):
        raise RuleViolation("TA-03", "an intervention records the situation and the action")
    case.record(
        InterventionLogged,
        effective_on=logged_on,
        intervention_id=intervention_id,
        kind=command.kind,
        category=command.category,
        situation=command.situation,
        action_taken=command.action_taken,
        policy_version=policy.version,
        actor=actor,
    )


def refer_to_community_resource(
    case: Case, command: ReferToCommunityResource, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    referral_id, referred_on = command.referral_id, command.referred_on
    existing = case.assistance.community_referrals.get(referral_id)
    if existing is not None:
        if (existing.referred_on, existing.need, existing.resource) == (
            referred_on,
            command.need,
            command.resource,
        ):
            return
        raise InvalidCommand(f"referral {referral_id} was already recorded with other details")
    case.require_not_before_opening(referred_on, "a referral")
    if blank(command.need, command.resource):
        raise RuleViolation("TA-04", "a community referral records the need and the resource")
    case.record(
        CommunityReferralMade,
        effective_on=referred_on,
        referral_id=referral_id,
        need=command.need,
        resource=command.resource,
        policy_version=policy.version,
        actor=actor,
    )


def record_referral_result(
    case: Case, command: RecordReferralResult, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    referral_id, recorded_on = command.referral_id, command.recorded_on
    referral = case.assistance.community_referrals.get(referral_id)
    if referral is None:
        raise InvalidCommand(f"no community referral {referral_id} on case {case.case_number}")
    if referral.result is not None:
        if (referral.result_on, referral.result, referral.result_note) == (
            recorded_on,
            command.result,
            command.note,
        ):
            return
        raise InvalidCommand(
            f"the result of referral {referral_id} was recorded on {referral.result_on}",
            rule_id="TA-04",
        )
    if recorded_on < referral.referred_on:
        raise InvalidCommand("a referral's result cannot precede the referral")
    case.record(
        CommunityReferralResultRecorded,
        effective_on=recorded_on,
        referral_id=referral_id,
        result=command.result,
        note=command.note,
        policy_version=policy.version,
        actor=actor,
    )


def record_reachability(
    case: Case, command: RecordReachability, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    recorded_on, channels = command.recorded_on, tuple(command.channels)
    available_in_daytime, best_times = command.available_in_daytime, command.best_times
    reachability = Reachability(recorded_on, available_in_daytime, best_times, channels)
    current = case.assistance.reachability
    if current == reachability:
        return
    case.require_not_before_opening(recorded_on, "reachability")
    if current is not None and recorded_on < current.recorded_on:
        raise InvalidCommand(f"reachability was last recorded on {current.recorded_on}")
    if not channels:
        raise RuleViolation("TA-05", "name at least one channel the participant answers")
    _require_channels(policy, channels)
    if not available_in_daytime and blank(best_times):
        raise RuleViolation(
            "TA-05", "a participant unavailable in the daytime says when they can be reached"
        )
    case.record(
        ReachabilityRecorded,
        effective_on=recorded_on,
        available_in_daytime=available_in_daytime,
        best_times=best_times,
        channels=channels,
        policy_version=policy.version,
        actor=actor,
    )


def plan_contact(case: Case, command: PlanContact, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    contact_id, scheduled_on, planned_for = (
        command.contact_id,
        command.scheduled_on,
        command.planned_for,
    )
    existing = case.assistance.contacts.get(contact_id)
    if existing is not None:
        if (
            existing.scheduled_on,
            existing.planned_for,
            existing.planned_channel,
            existing.purpose,
        ) == (scheduled_on, planned_for, command.channel, command.purpose):
            return
        raise InvalidCommand(f"contact {contact_id} was already recorded with other details")
    case.require_not_before_opening(scheduled_on, "a contact")
    _require_channels(policy, (command.channel,))
    if planned_for < scheduled_on:
        raise InvalidCommand("a contact is planned for the day it is scheduled or later")
    case.record(
        ContactPlanned,
        effective_on=scheduled_on,
        contact_id=contact_id,
        planned_for=planned_for,
        channel=command.channel,
        purpose=command.purpose,
        policy_version=policy.version,
        actor=actor,
    )


def record_contact(case: Case, command: RecordContact, actor: Actor, policies: PolicyBook) -> None:
    """Logs a contact made: the planned contact `contact_id` names, or an unplanned one."""
    policy = case.assistance_policy(policies)
    contact_id, made_on, channel, summary = (
        command.contact_id,
        command.made_on,
        command.channel,
        command.summary,
    )
    contact = case.assistance.contacts.get(contact_id)
    if contact is not None and contact.made_on is not None:
        if (contact.made_on, contact.channel, contact.summary) == (made_on, channel, summary):
            return
        raise InvalidCommand(f"contact {contact_id} was made on {contact.made_on}")
    case.require_not_before_opening(made_on, "a contact")
    _require_channels(policy, (channel,))
    if blank(summary):
        raise RuleViolation("TA-05", "the contact log records what the contact was about")
    if contact is not None and contact.scheduled_on is not None and made_on < contact.scheduled_on:
        raise InvalidCommand(f"contact {contact_id} was only scheduled on {contact.scheduled_on}")
    case.record(
        ContactMade,
        effective_on=made_on,
        contact_id=contact_id,
        channel=channel,
        summary=summary,
        planned_for=contact.planned_for if contact is not None else None,
        policy_version=policy.version,
        actor=actor,
    )


def _require_channels(policy: TAPolicy, channels: tuple[ContactChannel, ...]) -> None:
    unlisted = [str(c) for c in channels if c not in policy.contact_channels]
    if unlisted:
        raise RuleViolation(
            "TA-05", f"not a contact channel the policy lists: {', '.join(unlisted)}"
        )
