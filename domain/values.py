"""The vocabulary of VR post-employment services: service types, purposes, assessments, overrides."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from domain.base import ValueObject
from domain.inputs import flag_as_given


class ServiceType(StrEnum):
    """What a service is; some types are never post-employment services (VR-06)."""

    EMPLOYMENT_JOB_RETENTION = "employment_job_retention"
    EMPLOYMENT_JOB_SEEKING_SKILLS = "employment_job_seeking_skills"
    EMPLOYMENT_JOB_PLACEMENT = "employment_job_placement"
    POST_SECONDARY_TRAINING = "post_secondary_training"
    POST_SECONDARY_SUPPORTS = "post_secondary_supports"
    SUPPORTED_EMPLOYMENT = "supported_employment"
    SMALL_BUSINESS_EXPANSION = "small_business_expansion"
    COUNSELING_AND_GUIDANCE = "counseling_and_guidance"
    ASSISTIVE_TECHNOLOGY = "assistive_technology"
    TOOLS_AND_EQUIPMENT = "tools_and_equipment"
    WORK_CLOTHING = "work_clothing"
    TRANSPORTATION = "transportation"
    MAINTENANCE = "maintenance"
    INTERPRETER_SERVICES = "interpreter_services"
    OCCUPATIONAL_LICENSE = "occupational_license"
    SHORT_TERM_SKILLS_TRAINING = "short_term_skills_training"
    OTHER = "other"


class ServiceCategory(StrEnum):
    """Post-employment services are team, community or support services (VR-06)."""

    TEAM = "team"
    COMMUNITY = "community"
    SUPPORT = "support"


class RequestPurpose(StrEnum):
    """Why the client asks for services after the outcome (VR-07)."""

    MAINTAIN = "maintain"
    REGAIN = "regain"
    ADVANCE = "advance"


class AdvancementResult(StrEnum):
    """What an advancement with the same employer is expected to bring (VR-07)."""

    GREATER_PAY = "greater_pay"
    MORE_HOURS = "more_hours"
    PROMOTION = "promotion"
    BENEFITS = "benefits"


class NewCaseReason(StrEnum):
    """Why a need belongs in a new employment program case rather than in PE (VR-05, VR-06, VR-07)."""

    DIFFICULT_TO_LOCATE_OR_ARRANGE = "difficult_to_locate_or_arrange"
    SIGNIFICANT_STAFF_TIME = "significant_staff_time"
    NOT_WITHIN_90_DAYS = "not_within_90_days"
    EXCLUDED_SERVICE_NEEDED = "excluded_service_needed"
    JOB_SEARCH = "job_search"
    AFTER_INITIATION_WINDOW = "after_initiation_window"


class ReviewDecision(StrEnum):
    """The outcome of a Review of Decisions on a not-appropriate determination (VR-08)."""

    UPHELD = "upheld"
    REVERSED = "reversed"


class RequestStatus(StrEnum):
    """Where a post-employment service request stands."""

    AWAITING_DETERMINATION = "awaiting_determination"
    PE_APPROPRIATE = "pe_appropriate"
    NEW_EMPLOYMENT_CASE = "new_employment_case"
    NOT_APPROPRIATE = "not_appropriate"
    UNDER_REVIEW = "under_review"
    COMPLETED = "completed"
    REMOVED = "removed"


class AuthorizationStatus(StrEnum):
    """Where an authorization stands; it is closed once its balance is unencumbered (VR-10)."""

    AUTHORIZED = "authorized"
    PROVIDED = "provided"
    CANCELLED = "cancelled"


class Answers(ValueObject):
    """Answers a person gives: a yes/no answer is a JSON boolean, never 1, 0 or "yes"."""

    # Not StrictBool: events carry these values, and their published field types stay `bool`.
    @field_validator("*", mode="before")
    @classmethod
    def _yes_or_no_is_a_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name] if info.field_name else None
        if field is not None and field.annotation in (bool, bool | None):
            return flag_as_given(value)
        return value


class Override(ValueObject):
    """A justified exception to a soft rule, accepted and recorded with the event (VR-03, VR-04)."""

    # No format constraint here: events carry this too, and must stay readable if rules change;
    # the case refuses an override of a rule that is not soft.
    rule_id: str = Field(max_length=20)
    reason: str = Field(min_length=1, max_length=2000)


class MaintainAssessment(Answers):
    """The VR-07 questions for a request to maintain the job held at outcome."""

    concern: str = Field(max_length=2000)
    raised_with_employer: bool
    what_client_thinks_will_help: str = Field(max_length=2000)
    services_needed: str = Field(max_length=2000)
    others_fulfilled_responsibilities: bool | None = Field(
        None, description="Whether others, e.g. community providers, did their part; null if none."
    )


class AdvanceAssessment(Answers):
    """The VR-07 questions for a request to advance with the employer held at outcome."""

    same_employer: bool
    client_needs: str = Field(max_length=2000)
    employer_assistance: str = Field(max_length=2000)
    barriers_to_arranging_alone: str = Field(max_length=2000)
    expected_results: tuple[AdvancementResult, ...]


class ScopeCriteria(Answers):
    """The four VR-05 criteria a PE service must meet; all must be affirmed."""

    readily_available: bool
    easy_to_arrange: bool
    routine: bool
    providable_within_scope_days: bool = Field(
        description="Can be provided within the policy's scope days (90 in the 2018 policy)."
    )

    def unmet(self) -> tuple[str, ...]:
        """The names of the criteria that were not affirmed."""
        return tuple(name for name, affirmed in self.model_dump().items() if not affirmed)
