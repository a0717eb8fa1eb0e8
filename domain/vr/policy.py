"""The VR program's policy as data: every parameter of VR-01..VR-12, versioned by effective date."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field, model_validator

from domain.base import ValueObject
from domain.dates import MAX_DAYS, MAX_MONTHS, add_months
from domain.inputs import Day, Whole
from domain.values import ServiceType

SOFT_RULES_2018 = frozenset({"VR-03", "VR-04"})
EXCLUDED_SERVICE_TYPES_2018 = frozenset(
    {
        ServiceType.EMPLOYMENT_JOB_SEEKING_SKILLS,
        ServiceType.EMPLOYMENT_JOB_PLACEMENT,
        ServiceType.POST_SECONDARY_TRAINING,
        ServiceType.POST_SECONDARY_SUPPORTS,
        ServiceType.SUPPORTED_EMPLOYMENT,
        ServiceType.SMALL_BUSINESS_EXPANSION,
    }
)


class VRPolicy(ValueObject):
    """The VR post-employment services policy parameters (rules VR-01..VR-12)."""

    name: str = "VR post-employment services"
    version: str = Field(min_length=1)
    effective_from: Day
    initiation_window_months: Whole = Field(12, ge=0, le=MAX_MONTHS, description="VR-02")
    planned_end_limit_months: Whole = Field(12, ge=0, le=MAX_MONTHS, description="VR-03")
    max_service_duration_months: Whole = Field(3, ge=0, le=MAX_MONTHS, description="VR-04")
    scope_days: Whole = Field(90, ge=0, le=MAX_DAYS, description="VR-05")
    excluded_service_types: frozenset[ServiceType] = Field(
        EXCLUDED_SERVICE_TYPES_2018, description="VR-06"
    )
    termination_after_months: Whole = Field(12, ge=0, le=MAX_MONTHS, description="VR-11")
    grandfathering_date: Day = Field(date(2013, 8, 1), description="VR-12")
    soft_rules: frozenset[str] = Field(
        SOFT_RULES_2018, description="Rules that refuse unless overridden with a reason."
    )
    invoice_payment_days: Whole = Field(
        30, ge=0, le=MAX_DAYS, description="Agency setting: invoice due."
    )
    return_to_monitoring_days: Whole = Field(
        14,
        ge=0,
        le=MAX_DAYS,
        description="Agency setting: return to monitoring after services close.",
    )

    @model_validator(mode="after")
    def _window_closes_before_termination(self) -> VRPolicy:
        if self.initiation_window_months > self.termination_after_months:
            raise ValueError(
                "the initiation window (VR-02) cannot outlast the case (VR-11): "
                f"{self.initiation_window_months} > {self.termination_after_months} months"
            )
        return self

    def initiation_window_closes(self, outcome_date: date) -> date:
        """The last day a PE service may start or be requested (VR-02)."""
        return add_months(outcome_date, self.initiation_window_months)

    def planned_end_limit(self, outcome_date: date) -> date:
        """The latest planned end of a PE service without an override (VR-03)."""
        return add_months(outcome_date, self.planned_end_limit_months)

    def longest_planned_end(self, planned_start: date) -> date:
        """The latest planned end for a service starting on `planned_start` (VR-04)."""
        return add_months(planned_start, self.max_service_duration_months)

    def scope_deadline(self, determined_on: date) -> date:
        """The latest date a PE service may be expected to be provided by (VR-05)."""
        return determined_on + timedelta(days=self.scope_days)

    def is_excluded(self, service_type: ServiceType) -> bool:
        """Whether the service type is never a PE service (VR-06)."""
        return service_type in self.excluded_service_types

    def termination_on(self, outcome_date: date, left_pe_services_on: date | None) -> date:
        """The later of outcome + N months and the day the case left PE services (VR-11)."""
        anniversary = add_months(outcome_date, self.termination_after_months)
        if left_pe_services_on is None:
            return anniversary
        return max(anniversary, left_pe_services_on)

    def invoice_payment_due(self, received_on: date) -> date:
        """When a received invoice becomes overdue (agency setting)."""
        return received_on + timedelta(days=self.invoice_payment_days)

    def return_to_monitoring_due(self, services_closed_on: date) -> date:
        """When a case whose services are closed is overdue to return to monitoring."""
        return services_closed_on + timedelta(days=self.return_to_monitoring_days)
