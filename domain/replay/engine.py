"""The replay: folds facts in per-case order, takes refusals at their moment, judges each case
once under every candidate."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.assistance.policy import TAPolicy
from domain.policy import PolicyBook
from domain.replay import REFUSAL, Fact
from domain.replay.candidates import Candidate
from domain.replay.cases import CaseFacts, Refused
from domain.replay.facts import Consequence, Difference, Judged
from domain.replay.judging import Policies, judge_case, not_rejudged
from domain.vr.policy import VRPolicy

BREAKDOWNS = ("rule", "service_type", "provider", "caseworker", "program")
"""What the totals break each consequence down by."""


@dataclass
class ReplayTotals:
    """One candidate's findings, counted."""

    cases_affected: int = 0
    refusals_judged: int = 0
    consequences: Counter[str] = field(default_factory=Counter)
    by: dict[str, defaultdict[str, Counter[str]]] = field(
        default_factory=lambda: {name: defaultdict(Counter) for name in BREAKDOWNS}
    )
    terminations_earlier: int = 0
    terminations_later: int = 0
    termination_days_moved: int = 0
    amount_cents_affected: int = 0
    paid_cents_affected: int = 0
    amount_cents_would_be_accepted: int = 0

    def count(self, found: Sequence[Difference]) -> None:
        if any(d.consequence is not Consequence.STILL_REFUSED for d in found):
            self.cases_affected += 1
        for d in found:
            c = d.consequence.value
            self.consequences[c] += 1
            self.refusals_judged += d.judged is Judged.REFUSED
            for rule in d.rule_ids:
                self.by["rule"][rule][c] += 1
            for name, value in (
                ("service_type", d.service_type),
                ("provider", d.provider),
                ("caseworker", d.caseworker),
                ("program", d.program),
            ):
                if value:
                    self.by[name][value][c] += 1
            if d.judged is Judged.RECORDED and d.consequence in (
                Consequence.WOULD_BE_REFUSED,
                Consequence.OVERRIDE_REQUIRED,
            ):
                self.amount_cents_affected += d.amount_cents
                self.paid_cents_affected += d.paid_cents
            if d.consequence is Consequence.WOULD_BE_ACCEPTED:
                self.amount_cents_would_be_accepted += d.amount_cents
            if d.consequence is Consequence.TERMINATION_MOVED:
                self.termination_days_moved += d.days_moved
                if d.days_moved < 0:
                    self.terminations_earlier += 1
                else:
                    self.terminations_later += 1


@dataclass
class RefusalCount:
    """The refusals read, and those no candidate can change, by rule and command."""

    read: int = 0
    rejudged: int = 0
    not_rejudged: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )


class PolicyReplay:
    """Folds facts in per-case order (any interleaving of cases) and judges each case once,
    under each candidate. Memory grows with the open cases and the refusals, not the events."""

    def __init__(
        self, policies: PolicyBook, candidates: Sequence[Candidate], refusals: Iterable[Fact] = ()
    ) -> None:
        names = [c.name for c in candidates]
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"a replay needs candidates of distinct names, got {names}")
        self.policies = policies
        self.candidates = list(candidates)
        self.cases = 0
        self.events = 0
        self.totals = {c.name: ReplayTotals() for c in candidates}
        self.findings: dict[str, list[Difference]] = {c.name: [] for c in candidates}
        self.refusals = RefusalCount()
        self._open: dict[str, CaseFacts] = {}
        self._pending: dict[str, list[Fact]] = defaultdict(list)
        for refusal in refusals:
            if refusal.event_type == REFUSAL:
                self.refusals.read += 1
                self._pending[refusal.case_id].append(refusal)
        for waiting in self._pending.values():
            # Newest last-out: popped from the end in the order they were refused.
            waiting.sort(key=lambda r: (r.case_version, r.effective_on), reverse=True)
        self._vr: dict[tuple[str, str], VRPolicy] = {}
        self._ta: dict[tuple[str, str], TAPolicy] = {}

    def observe(self, fact: Fact) -> None:
        self.events += 1
        case = self._open.get(fact.case_id)
        if case is None:
            case = self._open[fact.case_id] = CaseFacts(fact.case_id)
            self.cases += 1
        self._take_refusals(case, before=fact.case_version)
        case.observe(fact)
        if fact.event_type == "CaseTerminated":
            self._judge(self._open.pop(fact.case_id))

    def observe_all(self, facts: Iterable[Fact]) -> PolicyReplay:
        for fact in facts:
            self.observe(fact)
        return self

    def finish(self) -> dict[str, list[Difference]]:
        """Judges the cases still open, then the refusals of cases no fact named; returns each
        candidate's findings in a stable order."""
        for case_id in sorted(self._open):
            self._judge(self._open.pop(case_id))
        for case_id in sorted(self._pending):
            self._judge(CaseFacts(case_id))
        for found in self.findings.values():
            found.sort(
                key=lambda d: (d.case_number, d.case_id, d.judged, d.consequence.value, d.subject)
            )
        return self.findings

    def _take_refusals(self, case: CaseFacts, before: int | None = None) -> None:
        waiting = self._pending.get(case.case_id)
        while waiting and (before is None or waiting[-1].case_version < before):
            case.take_refusal(waiting.pop())
        if waiting is not None and not waiting:
            del self._pending[case.case_id]

    def _judge(self, case: CaseFacts) -> None:
        self._take_refusals(case)
        outcome = case.clock.outcome_date
        vr = self.policies.vr_in_force_on(outcome or case.opened_on or date.min)
        ta = self.policies.ta_in_force_on(case.opened_on or date.min)
        in_force = Policies(vr, ta, vr, ta)
        rejudged: list[Refused] = []
        for r in case.refusals:
            if not_rejudged(r, in_force):
                command = r.command_type or "unknown command"
                for rule in r.rule_ids or ("no rule",):
                    self.refusals.not_rejudged[rule][command] += 1
            else:
                rejudged.append(r)
        self.refusals.rejudged += len(rejudged)
        if not rejudged and ((case.program == "vr" and outcome is None) or not case.program):
            return
        for candidate in self.candidates:
            policies = Policies(
                vr, ta, self._candidate_vr(candidate, vr), self._candidate_ta(candidate, ta)
            )
            found = judge_case(case, policies, rejudged)
            if found:
                self.totals[candidate.name].count(found)
                self.findings[candidate.name].extend(found)

    def _candidate_vr(self, candidate: Candidate, in_force: VRPolicy) -> VRPolicy:
        key = (candidate.name, in_force.version)
        if key not in self._vr:
            self._vr[key] = candidate.vr(in_force)
        return self._vr[key]

    def _candidate_ta(self, candidate: Candidate, in_force: TAPolicy) -> TAPolicy:
        key = (candidate.name, in_force.version)
        if key not in self._ta:
            self._ta[key] = candidate.ta(in_force)
        return self._ta[key]
