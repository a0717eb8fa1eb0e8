"""The policy versions in force over time, per program; each program's parameters live beside it
(`domain/vr/policy.py`, `domain/assistance/policy.py`)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from domain.assistance.policy import DEFAULT_TA_POLICY, TAPolicy
from domain.base import ValueObject
from domain.vr.policy import VRPolicy


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
