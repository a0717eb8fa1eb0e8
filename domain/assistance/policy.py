"""The cash-assistance program's policy as data: every parameter of TA-01..TA-11, versioned."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from domain.assistance.values import (
    ContactChannel,
    ContingencyArea,
    InterventionCategory,
    SupportProgram,
)
from domain.base import ValueObject
from domain.dates import MAX_DAYS, MAX_MONTHS, add_months
from domain.inputs import Day, Whole


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
