"""The end of cash assistance and the education and training window it opens (TA-09), and the
new skills the participant gains (TA-11)."""

from __future__ import annotations

from datetime import date

from domain.assistance.commands import EndCashAssistance, IdentifySkill, ReferToTraining
from domain.assistance.events import CashAssistanceEnded, SkillIdentified, TrainingReferralMade
from domain.assistance.records import IdentifiedSkill, TrainingReferral, blank
from domain.base import Actor
from domain.case import Case
from domain.errors import InvalidCommand, RuleViolation
from domain.policy import PolicyBook


def end_cash_assistance(
    case: Case, command: EndCashAssistance, actor: Actor, policies: PolicyBook
) -> None:
    """Records the end of cash assistance, which may precede the case's opening."""
    policy = case.assistance_policy(policies)
    ended_on, reason = command.ended_on, command.reason
    ended = case.assistance.cash_assistance_ended_on
    if ended is not None:
        if (ended, case.assistance.cash_assistance_end_reason) == (ended_on, reason):
            return
        raise InvalidCommand(f"cash assistance ended on {ended}", rule_id="TA-09")
    if blank(reason):
        raise InvalidCommand("the end of cash assistance records its reason")
    window_closes = policy.training_referral_window_closes(ended_on)
    late = [
        r
        for r in case.assistance.training_referrals.values()
        if not policy.allows_training_referral_on(r.referred_on, ended_on)
    ]
    if late:
        raise RuleViolation(
            "TA-09",
            f"referral {late[0].referral_id} of {late[0].referred_on} would fall after the "
            f"window closing on {window_closes}",
        )
    case.record(
        CashAssistanceEnded,
        effective_on=ended_on,
        reason=reason,
        training_window_closes_on=window_closes,
        policy_version=policy.version,
        actor=actor,
    )


def training_referral_window_closes(case: Case, policies: PolicyBook) -> date | None:
    """The last day of the TA-09 window; None while cash assistance continues."""
    ended = case.assistance.cash_assistance_ended_on
    if ended is None:
        return None
    return case.assistance_policy(policies).training_referral_window_closes(ended)


def refer_to_training(
    case: Case, command: ReferToTraining, actor: Actor, policies: PolicyBook
) -> None:
    policy = case.assistance_policy(policies)
    referral_id, referred_on = command.referral_id, command.referred_on
    referral = TrainingReferral(referral_id, referred_on, command.resource, command.purpose)
    existing = case.assistance.training_referrals.get(referral_id)
    if existing is not None:
        if existing == referral:
            return
        raise InvalidCommand(f"referral {referral_id} was already recorded with other details")
    case.require_not_before_opening(referred_on, "a training referral")
    if blank(command.resource):
        raise InvalidCommand("a training referral names the education or training resource")
    ended = case.assistance.cash_assistance_ended_on
    window_closes = training_referral_window_closes(case, policies)
    if not policy.allows_training_referral_on(referred_on, ended):
        raise RuleViolation(
            "TA-09",
            f"education and training referrals end {policy.training_referral_months} months "
            f"after cash assistance ended on {ended}: the last day was {window_closes}",
        )
    case.record(
        TrainingReferralMade,
        effective_on=referred_on,
        referral_id=referral_id,
        resource=command.resource,
        purpose=command.purpose,
        window_closes_on=window_closes,
        policy_version=policy.version,
        actor=actor,
    )


def identify_skill(case: Case, command: IdentifySkill, actor: Actor, policies: PolicyBook) -> None:
    policy = case.assistance_policy(policies)
    skill_id, identified_on = command.skill_id, command.identified_on
    identified = IdentifiedSkill(identified_on, command.skill, command.how_identified)
    existing = case.assistance.skills.get(skill_id)
    if existing is not None:
        if existing == identified:
            return
        raise InvalidCommand(f"skill {skill_id} was already recorded with other details")
    case.require_not_before_opening(identified_on, "a skill")
    if blank(command.skill, command.how_identified):
        raise RuleViolation("TA-11", "a new skill is named, with how it was identified")
    case.record(
        SkillIdentified,
        effective_on=identified_on,
        skill_id=skill_id,
        skill=command.skill,
        how_identified=command.how_identified,
        policy_version=policy.version,
        actor=actor,
    )
