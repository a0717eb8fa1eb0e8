"""The vocabulary of cash-assistance (TANF-style) post-employment services (TA-01..TA-11)."""

from __future__ import annotations

from enum import StrEnum


class GoalStatus(StrEnum):
    """Where a goal of the self-sufficiency plan stands (TA-01)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    DISCONTINUED = "discontinued"


CLOSED_GOAL_STATUSES = frozenset({GoalStatus.ACHIEVED, GoalStatus.DISCONTINUED})


class ResponsibleParty(StrEnum):
    """Who is responsible for reaching a goal of the plan (TA-01)."""

    PARTICIPANT = "participant"
    CAREER_NAVIGATOR = "career_navigator"
    CONTRACTED_PROVIDER = "contracted_provider"
    EMPLOYER = "employer"
    COMMUNITY_PARTNER = "community_partner"
    FAMILY = "family"


class ContingencyArea(StrEnum):
    """The areas a contingency plan must cover (TA-02)."""

    CHILD_CARE = "child_care"
    TRANSPORTATION = "transportation"
    PREVENTABLE_CRISES = "preventable_crises"


class InterventionKind(StrEnum):
    """Solutions-based problem solving, or intervention in a crisis (TA-03)."""

    PROBLEM_SOLVING = "problem_solving"
    CRISIS_INTERVENTION = "crisis_intervention"


class InterventionCategory(StrEnum):
    """What a problem-solving or crisis intervention was about (TA-03)."""

    JOB_STRESS = "job_stress"
    TIME_MANAGEMENT = "time_management"
    FINANCIAL_MANAGEMENT = "financial_management"
    DIFFICULT_EMPLOYER = "difficult_employer"
    DIFFICULT_COWORKERS = "difficult_coworkers"
    LIFE_BALANCE = "life_balance"
    OTHER = "other"


class ReferralResult(StrEnum):
    """What came of a referral to a community resource (TA-04)."""

    CONNECTED = "connected"
    WAITLISTED = "waitlisted"
    NOT_ELIGIBLE = "not_eligible"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


class ContactChannel(StrEnum):
    """How the career navigator contacts a participant (TA-05)."""

    PHONE = "phone"
    HANDWRITTEN_NOTE = "handwritten_note"
    POSTCARD = "postcard"
    INFORMATION_AND_REFERRAL_CALL = "information_and_referral_call"
    MESSAGE = "message"
    OFFICIAL_LETTER = "official_letter"
    EMAIL = "email"
    OFFICE_VISIT = "office_visit"


class SupportProgram(StrEnum):
    """The programs whose eligibility the participant is helped to maintain (TA-06)."""

    HEALTH_INSURANCE = "health_insurance"
    CHILD_SUPPORT_SERVICES = "child_support_services"
    TRANSITIONAL_ES_SERVICES = "transitional_es_services"
    EITC_ADVANCE_PAYMENT = "eitc_advance_payment"
    CHILD_CARE_SUBSIDY = "child_care_subsidy"
    FOOD_ASSISTANCE = "food_assistance"
    UTILITY_ASSISTANCE = "utility_assistance"


class EligibilityStatus(StrEnum):
    """The participant's standing in a support program (TA-06)."""

    APPLIED = "applied"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    LAPSED = "lapsed"
    DECLINED = "declined"


class JobLossReason(StrEnum):
    """Why a job ended (TA-07)."""

    LAID_OFF = "laid_off"
    DISMISSED = "dismissed"
    QUIT = "quit"
    TEMPORARY_JOB_ENDED = "temporary_job_ended"
    OTHER = "other"


class TrainingPurpose(StrEnum):
    """What an education or training referral is for (TA-09)."""

    INCREASE_SKILLS = "increase_skills"
    QUALIFY_FOR_ADVANCEMENT = "qualify_for_advancement"
