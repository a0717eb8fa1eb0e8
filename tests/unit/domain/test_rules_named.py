"""The audit trail names exactly the rules each decision enforces.

The expectation is read from the decisions' own code, not from a second list: every rule ID a
decision (and the program code it calls) can refuse with, collected from its source, must be
among the rules its event names (`CaseEvent.rules`, which the audit trail shows), and every
rule an event names must be one some decision recording it enforces. The case's shell guards
(refusing anything after termination, VR-11) are checked once for every command
(`domain.handling.decide`) and are not counted here.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from collections.abc import Callable
from typing import Any

import pytest

import domain.case
from domain.catalog import EVENT_CLASSES
from domain.events import CaseEvent
from domain.handling import HANDLERS
from domain.vr.requests import link_new_employment_case

RULE_ID = re.compile(r"^(VR|TA)-\d\d$")


def _tree(function: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))


def _resolve(node: ast.expr, function: Callable[..., Any]) -> Any:
    """What a name or `module.name` in `function`'s body refers to, when it can be known."""
    scope = getattr(function, "__globals__", {})
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owner = scope.get(node.value.id)
        if isinstance(owner, types.ModuleType | type):
            return getattr(owner, node.attr, None)
    return None


def _program_code(target: Any) -> bool:
    """Functions of domain/ outside the case's shell (whose guards every command shares)."""
    module = getattr(target, "__module__", "") or ""
    return (
        isinstance(target, types.FunctionType)
        and module.startswith("domain.")
        and module != domain.case.__name__
    )


def enforced_and_recorded(
    decision: Callable[..., Any],
) -> tuple[set[str], set[type[CaseEvent]]]:
    """The rule IDs a decision can refuse with, and the event classes it records."""
    rules: set[str] = set()
    recorded: set[type[CaseEvent]] = set()
    pending, seen = [decision], {decision}
    while pending:
        function = pending.pop()
        for node in ast.walk(_tree(function)):
            if isinstance(node, ast.Constant) and RULE_ID.match(str(node.value)):
                rules.add(node.value)
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "record" and node.args:
                event_class = _resolve(node.args[0], function)
                if isinstance(event_class, type) and issubclass(event_class, CaseEvent):
                    recorded.add(event_class)
            callee = _resolve(node.func, function)
            # A rule that exempts from others (VR-12) refuses nothing; its predicate says so.
            if exempting := getattr(callee, "exempting_rule", None):
                rules.add(exempting)
            if _program_code(callee) and callee not in seen:
                seen.add(callee)
                pending.append(callee)
    return rules, recorded


DECISIONS = {command: handler.decide for command, handler in HANDLERS.items()}
OTHER_CASE_DECISIONS = (link_new_employment_case,)
"""Decisions on the other case a command names, which the application runs after the command's
own decision, saving both cases together (VR-08's new employment program case)."""
ENFORCED_BY_EVENT: dict[str, set[str]] = {}
for _decision in (*DECISIONS.values(), *OTHER_CASE_DECISIONS):
    _rules, _recorded = enforced_and_recorded(_decision)
    for _event_class in _recorded:
        ENFORCED_BY_EVENT.setdefault(_event_class.__name__, set()).update(_rules)


def test_every_decision_records_an_event_the_case_lists() -> None:
    for command, decision in DECISIONS.items():
        _, recorded = enforced_and_recorded(decision)
        assert recorded, f"{command.__name__}'s decision records no event found in its code"
        for event_class in recorded:
            assert event_class.__name__ in EVENT_CLASSES, event_class


def test_every_event_but_the_opening_is_recorded_by_a_registered_decision() -> None:
    assert set(EVENT_CLASSES) - set(ENFORCED_BY_EVENT) == {"CaseOpened"}


@pytest.mark.parametrize("event_type", sorted(EVENT_CLASSES))
def test_an_event_names_exactly_the_rules_its_decisions_enforce(event_type: str) -> None:
    named = set(EVENT_CLASSES[event_type].rules)

    assert named == ENFORCED_BY_EVENT.get(event_type, set())


def test_the_reading_finds_rules_in_called_program_code_VR_07() -> None:
    """The PE-appropriate determination refuses a regain request (VR-07) in its own body and
    checks that the request awaits a determination (VR-08) in a helper it calls."""
    assert {"VR-05", "VR-07", "VR-08"} <= ENFORCED_BY_EVENT["PEServicesFoundAppropriate"]
