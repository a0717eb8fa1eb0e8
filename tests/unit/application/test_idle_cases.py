"""Cases kept in memory between commands: lent to one command at a time, newest kept, LRU."""

from __future__ import annotations

import copy

from application.cases import IdleCases
from domain import handling
from domain.case import Case, case_id_for
from domain.policy import PolicyBook
from tests.builders import CASEWORKER, open_case, record_outcome


def opened(number: str) -> Case:
    case: Case = handling.open_case(open_case(number), CASEWORKER)
    return case


def test_a_case_taken_is_lent_out_until_it_is_put_back() -> None:
    idle = IdleCases(maxsize=10)
    case = opened("VR-300")
    idle.put_back(case)

    assert idle.take(case.id) is case
    assert idle.take(case.id) is None  # a second command meanwhile loads its own from the store
    idle.put_back(case)
    assert idle.take(case.id) is case


def test_an_older_copy_put_back_late_does_not_replace_a_newer_one() -> None:
    idle = IdleCases(maxsize=10)
    older = opened("VR-301")
    newer = copy.deepcopy(older)
    handling.decide(newer, record_outcome("VR-301"), CASEWORKER, PolicyBook.default())
    assert (older.version, newer.version) == (1, 2)

    idle.put_back(newer)
    idle.put_back(older)

    assert idle.take(case_id_for("VR-301")) is newer


def test_the_least_recently_put_back_case_goes_first_beyond_the_size() -> None:
    idle = IdleCases(maxsize=2)
    first, second, third = opened("VR-302"), opened("VR-303"), opened("VR-304")
    idle.put_back(first)
    idle.put_back(second)
    idle.put_back(first)  # used again: now the most recent
    idle.put_back(third)

    assert len(idle) == 2
    assert idle.take(second.id) is None
    assert idle.take(first.id) is first
    assert idle.take(third.id) is third
