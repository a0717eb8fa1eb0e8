"""The synthetic caseload: every case's story, each from its own random stream, merged by date."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

from domain.case import case_id_for
from domain.commands import TerminateCase
from domain.policy import PolicyBook
from synthetic.assistance import TA_SHARE, assisted
from synthetic.assistance_plan import AssistancePlan
from synthetic.history import CASEWORKERS, SyntheticCommand
from synthetic.vr import SCENARIO_WRITERS, choose_scenario
from synthetic.vr_steps import VRPlan, open_with_outcome

DEFAULT_START = date(2024, 1, 1)


class SyntheticCaseload:
    """`cases` synthetic VR cases from `seed`, the first opened on or after `start`."""

    def __init__(
        self,
        seed: int,
        cases: int,
        start: date = DEFAULT_START,
        policies: PolicyBook | None = None,
    ) -> None:
        self.seed = seed
        self.cases = cases
        self.start = start
        self.policies = policies or PolicyBook.default()
        self._plans: list[VRPlan | AssistancePlan] | None = None

    def commands(self) -> Iterator[SyntheticCommand]:
        """Every case's commands, in business-date order across cases."""
        merged = [
            (on, plan.index, order, item) for plan in self.plans() for on, order, item in plan.steps
        ]
        merged.sort(key=lambda entry: entry[:3])
        for *_, item in merged:
            yield item

    def expected_terminations(self) -> dict[UUID, date]:
        """Each VR case's VR-11 termination date once all its commands are applied
        (cash-assistance cases never terminate)."""
        return {
            plan.case_id: plan.termination_date()
            for plan in self.plans()
            if isinstance(plan, VRPlan)
        }

    def last_day(self) -> date:
        """The last business date of its history, VR-11 terminations included: a clock at this
        day or later lets all of it be recorded, none of it ahead of the clock."""
        commands = (on for plan in self.plans() for on, _, _ in plan.steps)
        return max(*commands, *self.expected_terminations().values())

    def cash_assistance_case_ids(self) -> set[UUID]:
        return {plan.case_id for plan in self.plans() if isinstance(plan, AssistancePlan)}

    def termination_commands(self) -> list[tuple[date, TerminateCase]]:
        """The `TerminateCase` commands the deadline process is expected to issue, by date."""
        return sorted(
            (
                (due, TerminateCase(case_id=case_id, terminated_on=due))
                for case_id, due in self.expected_terminations().items()
            ),
            key=lambda entry: entry[0],
        )

    def plans(self) -> list[VRPlan | AssistancePlan]:
        if self._plans is None:
            self._plans = [self._plan(index) for index in range(1, self.cases + 1)]
        return self._plans

    def _plan(self, index: int) -> VRPlan | AssistancePlan:
        # A stream of its own decides the program, so a VR case's history does not depend on
        # how many cash-assistance cases there are.
        if random.Random(f"pes-synthetic-program:{self.seed}:{index}").random() < TA_SHARE:
            return self._assistance_plan(index)
        rng = random.Random(f"pes-synthetic:{self.seed}:{index}")
        scenario = choose_scenario(rng)
        if scenario == "grandfathered":
            grandfathering_date = self.policies.vr[0].grandfathering_date
            opened_on = grandfathering_date - timedelta(days=rng.randint(200, 420))
            outcome_on = grandfathering_date - timedelta(days=rng.randint(10, 150))
        else:
            opened_on = self.start + timedelta(days=rng.randint(0, 364))
            outcome_on = opened_on + timedelta(days=rng.randint(60, 400))
        case_number = f"VR-{self.seed}-{index:06d}"
        plan = VRPlan(
            index=index,
            rng=rng,
            policy=self.policies.vr_in_force_on(outcome_on),
            case_number=case_number,
            case_id=case_id_for(case_number),
            caseworker=rng.choice(CASEWORKERS),
            outcome_date=outcome_on,
        )
        open_with_outcome(plan, opened_on)
        SCENARIO_WRITERS[scenario](plan)
        return plan

    def _assistance_plan(self, index: int) -> AssistancePlan:
        rng = random.Random(f"pes-synthetic-ta:{self.seed}:{index}")
        opened_on = self.start + timedelta(days=rng.randint(0, 364))
        case_number = f"TA-{self.seed}-{index:06d}"
        plan = AssistancePlan(
            index=index,
            rng=rng,
            policy=self.policies.ta_in_force_on(opened_on),
            case_number=case_number,
            case_id=case_id_for(case_number),
            caseworker=rng.choice(CASEWORKERS),
            opened_on=opened_on,
        )
        assisted(plan)
        return plan


def generate_caseload(
    seed: int, cases: int, start: date = DEFAULT_START
) -> Iterator[SyntheticCommand]:
    """The commands of a synthetic caseload, in business-date order across cases."""
    return SyntheticCaseload(seed, cases, start).commands()


def expected_terminations(seed: int, cases: int, start: date = DEFAULT_START) -> dict[UUID, date]:
    """Each synthetic case's VR-11 termination date (by case id)."""
    return SyntheticCaseload(seed, cases, start).expected_terminations()
