"""A case's facts folded into the little a judgement needs, and refusals taken at their moment.

A refusal carries the case's version when it was refused: it is taken (`Refused`) once the
facts up to that version are folded, with a snapshot of what judging it needs then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.replay import Fact
from domain.termination import ServicesClock
from domain.values import ServiceType


@dataclass(slots=True)
class Authorization:
    authorization_id: str
    authorized_on: date
    service_type: ServiceType
    provider: str
    planned_start: date
    planned_end: date
    amount_cents: int
    overridden: frozenset[str]
    grandfathered: bool
    paid_cents: int = 0


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused command, with the case as it stood when it was refused."""

    command_type: str
    command: dict[str, Any]
    rule_ids: tuple[str, ...]
    refused_on: date
    program: str
    outcome_date: date | None
    grandfathered: bool
    cash_assistance_ended_on: date | None
    covered_areas: frozenset[str] | None
    """The plan's areas with a contingency (TA-02); None without a plan."""


@dataclass(slots=True)
class CaseFacts:
    case_id: str
    case_number: str = ""
    program: str = ""
    caseworker: str = ""
    opened_on: date | None = None
    clock: ServicesClock = field(default_factory=ServicesClock)
    grandfathered: bool = False
    requests: list[tuple[str, date]] = field(default_factory=list)
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    cash_assistance_ended_on: date | None = None
    referrals: list[tuple[str, date, str]] = field(default_factory=list)
    covered_areas: dict[str, None] | None = None
    reassessments: list[tuple[date, frozenset[str]]] = field(default_factory=list)
    contingencies: list[tuple[str, date]] = field(default_factory=list)
    refusals: list[Refused] = field(default_factory=list)

    def observe(self, fact: Fact) -> None:
        kind, f = fact.event_type, fact.fields
        self.clock.observe(kind, fact.effective_on, f.get("corrected_outcome_date"))
        if kind == "CaseOpened":
            self.case_number = f["case_number"]
            self.program = str(f["program"])
            self.caseworker = f["caseworker_id"]
            self.opened_on = fact.effective_on
        elif kind == "CaseReassigned":
            self.caseworker = f["caseworker_id"]
        elif kind == "GrandfatheringRecognized":
            self.grandfathered = True
        elif kind == "PEServicesRequested":
            self.requests.append((str(f["request_id"]), fact.effective_on))
        elif kind == "ServiceAuthorized":
            key = str(f["authorization_id"])
            self.authorizations[key] = Authorization(
                authorization_id=key,
                authorized_on=fact.effective_on,
                service_type=ServiceType(f["service_type"]),
                provider=f["provider"],
                planned_start=f["planned_start"],
                planned_end=f["planned_end"],
                amount_cents=int(f["amount_cents"]),
                overridden=frozenset(o["rule_id"] for o in f["overrides"]),
                grandfathered=bool(f["grandfathered"]),
            )
        elif kind == "InvoicePaid":
            paid = self.authorizations.get(str(f["authorization_id"]))
            if paid is not None:
                paid.paid_cents += int(f["amount_cents"])
        elif kind == "CashAssistanceEnded":
            self.cash_assistance_ended_on = fact.effective_on
        elif kind == "TrainingReferralMade":
            self.referrals.append((str(f["referral_id"]), fact.effective_on, f["resource"]))
        elif kind == "SelfSufficiencyPlanEstablished":
            self.covered_areas = {}
        elif kind == "ContingencyPlanRecorded":
            area = str(f["area"])
            self.contingencies.append((area, fact.effective_on))
            if self.covered_areas is not None:
                self.covered_areas[area] = None
        elif kind == "PlanReassessed":
            self.reassessments.append((fact.effective_on, frozenset(self.covered_areas or ())))

    def take_refusal(self, fact: Fact) -> None:
        f = fact.fields
        try:
            command = json.loads(f.get("command") or "{}")
        except (TypeError, ValueError):
            command = {}
        if not self.case_number and f.get("case_number"):
            self.case_number = str(f["case_number"])
        self.refusals.append(
            Refused(
                command_type=str(f.get("command_type") or ""),
                command=command if isinstance(command, dict) else {},
                rule_ids=tuple(f.get("rule_ids") or ()),
                refused_on=fact.effective_on,
                program=self.program or str(f.get("program") or ""),
                outcome_date=self.clock.outcome_date,
                grandfathered=self.grandfathered,
                cash_assistance_ended_on=self.cash_assistance_ended_on,
                covered_areas=None if self.covered_areas is None else frozenset(self.covered_areas),
            )
        )
