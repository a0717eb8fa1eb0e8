"""Candidate policies: a section per program, each changing parameters of the policy in force.

A candidate changes only the parameters it names, of whichever version governs a case. Where two
parameters constrain each other (VR-02's window cannot outlast VR-11's case), a candidate that
moves one is evaluated on that one alone and the constraint is explained (`couplings`), not
refused: the analyst sees that parameter's effect, unmixed with the other's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.assistance.policy import TAPolicy
from domain.dates import MAX_MONTHS
from domain.policy import PolicyBook
from domain.vr.policy import VRPolicy

SECTIONS: dict[str, type[BaseModel]] = {"vr": VRPolicy, "cash_assistance": TAPolicy}
"""The sections of a candidate file, one per program, and the policy each changes."""

_VALIDATION_VR = VRPolicy(version="validation", effective_from=date(2000, 1, 1))
_VALIDATION_TA = TAPolicy(version="validation", effective_from=date(2000, 1, 1))


P = TypeVar("P", bound=BaseModel)


class CandidateError(ValueError):
    """A candidate that does not make a valid policy; the message names each problem."""


@dataclass(frozen=True)
class Candidate:
    """A named candidate: the parameters it changes, per program."""

    name: str
    vr_changes: Mapping[str, Any] = field(default_factory=dict)
    ta_changes: Mapping[str, Any] = field(default_factory=dict)

    def changes(self) -> dict[str, dict[str, Any]]:
        return {"cash_assistance": dict(self.ta_changes), "vr": dict(self.vr_changes)}

    def vr(self, in_force: VRPolicy) -> VRPolicy:
        return _vr_candidate(in_force, self.vr_changes)

    def ta(self, in_force: TAPolicy) -> TAPolicy:
        return _validated(TAPolicy, "cash_assistance", {**in_force.model_dump(), **self.ta_changes})

    def couplings(self, policies: PolicyBook) -> list[str]:
        """What this candidate implies for the parameters coupled to those it changes, for each
        version in force it would change (VR-02 and VR-11)."""
        notes = []
        for in_force in policies.vr:
            policy = self.vr(in_force)
            window, ends = policy.initiation_window_months, policy.termination_after_months
            if window > ends:
                both = {"initiation_window_months": window, "termination_after_months": window}
                notes.append(
                    f"vr: initiation_window_months {window} (VR-02) would outlast "
                    f"termination_after_months {ends} (VR-11) of policy {in_force.version}; a "
                    "policy in force cannot say that (the window cannot outlast the case), so "
                    f"adopting it means termination_after_months >= {window} too. This candidate "
                    "is evaluated on the window alone, termination unchanged: no termination "
                    "moves, and a request or service it would allow after the case's "
                    "termination says so. To evaluate both, write "
                    + json.dumps({"vr": {**dict(self.vr_changes), **both}}, sort_keys=True)
                )
        return notes


def candidate_from_document(name: str, document: Mapping[str, Any]) -> Candidate:
    """The candidate a JSON object makes: `{"vr": {...}, "cash_assistance": {...}}`, or a flat
    object of VR parameters (the shape of the first candidate files). Values are taken literally;
    unknown sections and parameters are refused, naming them."""
    sectioned = [key for key in document if key in SECTIONS]
    if not sectioned:
        sections: dict[str, Any] = {"vr": dict(document)}
    else:
        outside = sorted(key for key in document if key not in SECTIONS)
        if outside:
            raise CandidateError(
                f"{', '.join(outside)}: not a program section; a candidate is either one object "
                f"per program ({', '.join(SECTIONS)}) or a flat object of VR parameters, not both"
            )
        sections = dict(document)
    problems = []
    for section, changes in sorted(sections.items()):
        if not isinstance(changes, Mapping):
            problems.append(f"{section}: a section is a JSON object of parameters")
            continue
        unknown = sorted(set(changes) - set(SECTIONS[section].model_fields))
        if unknown:
            problems.append(
                f"{section}: unknown parameter(s) {', '.join(unknown)}; the parameters are "
                + ", ".join(sorted(SECTIONS[section].model_fields))
            )
    if problems:
        raise CandidateError("; ".join(problems))
    candidate = Candidate(
        name=name,
        vr_changes=dict(sections.get("vr", {})),
        ta_changes=dict(sections.get("cash_assistance", {})),
    )
    for check in (lambda: candidate.vr(_VALIDATION_VR), lambda: candidate.ta(_VALIDATION_TA)):
        try:
            check()
        except CandidateError as error:
            problems.append(str(error))
    if problems:
        raise CandidateError("; ".join(problems))
    return candidate


def _vr_candidate(in_force: VRPolicy, changes: Mapping[str, Any]) -> VRPolicy:
    merged = {**in_force.model_dump(), **changes}
    # Each of the coupled parameters is validated with the other out of its way, then the two
    # are put together: a replay-only policy, which may let the window outlast the case.
    problems: dict[str, None] = {}
    checked = []
    for out_of_the_way in (
        {"initiation_window_months": 0},
        {"termination_after_months": MAX_MONTHS},
    ):
        try:
            checked.append(_validated(VRPolicy, "vr", {**merged, **out_of_the_way}))
        except CandidateError as error:
            problems.update(dict.fromkeys(str(error).split("; ")))
    if problems:
        raise CandidateError("; ".join(problems))
    ends_checked, window_checked = checked
    return ends_checked.model_copy(
        update={"initiation_window_months": window_checked.initiation_window_months}
    )


def _validated(policy: type[P], section: str, values: Mapping[str, Any]) -> P:
    try:
        return policy.model_validate(values)
    except ValidationError as error:
        raise CandidateError(
            "; ".join(
                f"{section}.{'.'.join(str(part) for part in e['loc']) or 'policy'}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
        ) from None
