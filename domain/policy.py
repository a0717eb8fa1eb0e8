"""Policies as data: every rule parameter lives here, versioned by effective date."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field, model_validator

from domain.assistance.values import (
    ContactChannel,
    ContingencyArea,
    InterventionCategory,
    SupportProgram,
)
from domain.base import ValueObject
from domain.dates import add_months
from domain.inputs import Day, Whole
from domain.values import ServiceType

MAX_MONTHS = 1200
"""The longest period a policy may name in months (a century): clocks add it to business dates,
which must stay in the calendar."""
MAX_DAYS = 36_525
"""The longest period a policy may name in days (a century)."""

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


class TAPolicy(ValueObject):
    """The cash-assistance post-employment services policy parameters (rules TA-01..TA-11)."""

    name: str = "Cash-assistance post-employment services"
    version: str = Field(min_length=1)
    effective_from: Day
    contingency_areas: frozenset[ContingencyArea] = Field(
        frozenset(ContingencyArea), min_length=1, description="TA-02"
    )
    intervention_categories: frozenset[InterventionCategory] = Field(
        frozenset(InterventionCategory), min_length=1, description="TA-03"
    )
    contact_channels: frozenset[ContactChannel] = Field(
        frozenset(ContactChannel), min_length=1, description="TA-05"
    )
    eligibility_programs: frozenset[SupportProgram] = Field(
        frozenset(SupportProgram), min_length=1, description="TA-06"
    )
    training_referral_months: Whole = Field(12, ge=0, le=MAX_MONTHS, description="TA-09")
    renewal_alert_days: Whole = Field(
        30,
        ge=0,
        le=MAX_DAYS,
        description="Agency setting: a renewal is due soon from this many days before.",
    )
    invoice_payment_days: Whole = Field(
        30, ge=0, le=MAX_DAYS, description="Agency setting: invoice due (TA-10)."
    )

    def training_referral_window_closes(self, cash_assistance_ended_on: date) -> date:
        """The last day an education or training referral may be made (TA-09)."""
        return add_months(cash_assistance_ended_on, self.training_referral_months)

    def allows_training_referral_on(
        self, referred_on: date, cash_assistance_ended_on: date | None
    ) -> bool:
        """Whether a training referral may be made on `referred_on` (TA-09): any day while cash
        assistance continues, then up to and including the window's last day."""
        return cash_assistance_ended_on is None or referred_on <= (
            self.training_referral_window_closes(cash_assistance_ended_on)
        )

    def renewal_due_soon_from(self, renewal_on: date) -> date:
        """The day a benefit renewal starts being due soon (TA-06, agency setting)."""
        return renewal_on - timedelta(days=self.renewal_alert_days)

    def invoice_payment_due(self, received_on: date) -> date:
        """When a received invoice becomes overdue (agency setting)."""
        return received_on + timedelta(days=self.invoice_payment_days)


DEFAULT_TA_POLICY = TAPolicy(version="TA-3440", effective_from=date(2000, 1, 1))
"""Section 3440 of the cash-assistance manual. The seed text carries no date; the version is in
force for every case until the agency names the date of a revision."""


class PolicyBook(ValueObject):
    """The policy versions in force over time, per program."""

    vr: tuple[VRPolicy, ...] = Field(min_length=1)
    ta: tuple[TAPolicy, ...] = Field((DEFAULT_TA_POLICY,), min_length=1)

    @model_validator(mode="after")
    def _versions_are_unique(self) -> PolicyBook:
        # Across programs too: an event's policy_version must name one policy.
        versions = [p.version for p in self.vr] + [p.version for p in self.ta]
        if len(set(versions)) != len(versions):
            raise ValueError(f"policy versions must be unique, got {versions}")
        return self

    @classmethod
    def default(cls) -> PolicyBook:
        return cls(
            vr=(VRPolicy(version="2018-10-02", effective_from=date(2018, 10, 2)),),
            ta=(DEFAULT_TA_POLICY,),
        )

    def ta_in_force_on(self, day: date) -> TAPolicy:
        """The cash-assistance version in force on `day`; before the first version, the first."""
        in_force = [p for p in self.ta if p.effective_from <= day]
        if in_force:
            return max(in_force, key=lambda p: p.effective_from)
        return min(self.ta, key=lambda p: p.effective_from)

    def vr_in_force_on(self, day: date) -> VRPolicy:
        """The version in force on `day`; before the first version, the first one."""
        in_force = [p for p in self.vr if p.effective_from <= day]
        if in_force:
            return max(in_force, key=lambda p: p.effective_from)
        return min(self.vr, key=lambda p: p.effective_from)

    def vr_version(self, version: str) -> VRPolicy:
        """The version named `version`."""
        for policy in self.vr:
            if policy.version == version:
                return policy
        raise KeyError(f"no VR policy version {version!r}")
