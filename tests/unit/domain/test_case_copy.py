"""`copy.deepcopy` of a case (what the library does to a cached case on every command) gives
the same state as a generic deep copy, shares no mutable object with the original, and keeps
references that were shared inside the case shared in the copy."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from domain.case import Case
from synthetic import SyntheticCaseload
from tests.builders import Replay


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return list(Replay(SyntheticCaseload(seed=11, cases=250).commands()).cases.values())


def mutable_objects(value: Any) -> Iterator[Any]:
    """Every mutable object reachable from `value` (containers, records, unfrozen models)."""
    if isinstance(value, dict):
        yield value
        for key, item in value.items():
            yield from mutable_objects(key)
            yield from mutable_objects(item)
    elif isinstance(value, list | set):
        yield value
        for item in value:
            yield from mutable_objects(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from mutable_objects(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            yield value
        for field in dataclasses.fields(value):
            yield from mutable_objects(getattr(value, field.name))
    elif isinstance(value, BaseModel):
        if not value.model_config.get("frozen"):
            yield value
        for name in type(value).model_fields:
            yield from mutable_objects(getattr(value, name))
    elif isinstance(value, Case):
        yield from mutable_objects(value.__dict__)


def test_the_synthetic_caseload_has_cases_with_every_kind_of_state(cases: list[Case]) -> None:
    assert any(case.authorizations and case.invoices for case in cases)
    assert any(case.assistance.jobs and case.assistance.plan for case in cases)


def test_a_copied_case_equals_a_generic_deep_copy(cases: list[Case]) -> None:
    for case in cases:
        generic = pickle.loads(pickle.dumps(case))
        assert copy.deepcopy(case).__dict__ == generic.__dict__ == case.__dict__


def test_a_copied_case_shares_no_mutable_object_with_the_original(cases: list[Case]) -> None:
    for case in cases:
        original = {id(obj) for obj in mutable_objects(case)}
        copied = {id(obj) for obj in mutable_objects(copy.deepcopy(case))}
        assert len(original) > 3
        assert original.isdisjoint(copied), case.case_number


def test_a_changed_copy_leaves_the_original_as_it_was(cases: list[Case]) -> None:
    case = next(c for c in cases if c.authorizations)
    before = pickle.dumps(case)
    clone = copy.deepcopy(case)
    for authorization in clone.authorizations.values():
        authorization.amount_cents += 1
    clone.assistance.jobs.clear()
    clone.requests.clear()
    assert pickle.dumps(case) == before


def test_references_shared_inside_a_case_stay_shared_in_the_copy(cases: list[Case]) -> None:
    case = copy.deepcopy(cases[0])
    shared: list[str] = []
    case.__dict__["first_alias"] = shared
    case.__dict__["second_alias"] = {"nested": shared}
    clone = copy.deepcopy(case)
    assert clone.__dict__["first_alias"] is clone.__dict__["second_alias"]["nested"]
    assert clone.__dict__["first_alias"] is not shared
