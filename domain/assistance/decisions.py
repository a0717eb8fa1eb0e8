"""Which decision handles each cash-assistance command (read by `domain.handling`)."""

from __future__ import annotations

from domain.assistance import eligibility_and_jobs, plan, purchases, support, training
from domain.assistance.commands import (
    AuthorizePurchasedService,
    ChangeGoalStatus,
    ChangeWage,
    EndCashAssistance,
    EstablishSelfSufficiencyPlan,
    GiveSiteVisitConsent,
    IdentifySkill,
    LogIntervention,
    PlanContact,
    ReassessPlan,
    RecordContact,
    RecordContingencyPlan,
    RecordEligibility,
    RecordJobLoss,
    RecordJobSiteVisit,
    RecordReachability,
    RecordReferralResult,
    ReferToCommunityResource,
    ReferToTraining,
    RevokeSiteVisitConsent,
    SetPlanGoal,
    StartJob,
)
from domain.command import CaseCommand, Decision

DECISIONS: dict[type[CaseCommand], Decision] = {
    EstablishSelfSufficiencyPlan: plan.establish_plan,
    SetPlanGoal: plan.set_goal,
    ChangeGoalStatus: plan.change_goal_status,
    ReassessPlan: plan.reassess_plan,
    RecordContingencyPlan: plan.record_contingency,
    LogIntervention: support.log_intervention,
    ReferToCommunityResource: support.refer_to_community_resource,
    RecordReferralResult: support.record_referral_result,
    RecordReachability: support.record_reachability,
    PlanContact: support.plan_contact,
    RecordContact: support.record_contact,
    RecordEligibility: eligibility_and_jobs.record_eligibility,
    StartJob: eligibility_and_jobs.start_job,
    ChangeWage: eligibility_and_jobs.change_wage,
    RecordJobLoss: eligibility_and_jobs.lose_job,
    GiveSiteVisitConsent: eligibility_and_jobs.give_site_visit_consent,
    RevokeSiteVisitConsent: eligibility_and_jobs.revoke_site_visit_consent,
    RecordJobSiteVisit: eligibility_and_jobs.visit_job_site,
    EndCashAssistance: training.end_cash_assistance,
    ReferToTraining: training.refer_to_training,
    IdentifySkill: training.identify_skill,
    AuthorizePurchasedService: purchases.authorize_purchased_service,
}
