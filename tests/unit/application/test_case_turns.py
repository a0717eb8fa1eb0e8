"""Commands on one case in one process take turns; commands on other cases do not wait."""

from __future__ import annotations

import threading

import pytest

from application.cases import CaseTurns
from domain.case import case_id_for

CASE, OTHER = case_id_for("VR-400"), case_id_for("VR-401")


def test_a_second_command_on_a_case_waits_until_the_first_ends_its_turn() -> None:
    turns = CaseTurns()
    waiting, entered = threading.Event(), threading.Event()

    def second() -> None:
        waiting.set()
        with turns.turn(CASE):
            entered.set()

    thread = threading.Thread(target=second)
    with turns.turn(CASE):
        thread.start()
        assert waiting.wait(timeout=30)
        assert not entered.wait(timeout=0.2)
    assert entered.wait(timeout=30)
    thread.join(timeout=30)


def test_a_command_on_another_case_does_not_wait() -> None:
    turns = CaseTurns()

    with turns.turn(CASE), turns.turn(OTHER):
        assert len(turns) == 2


def test_a_case_is_forgotten_once_no_command_holds_or_waits_for_its_turn() -> None:
    turns = CaseTurns()

    with turns.turn(CASE):
        pass
    with pytest.raises(ValueError), turns.turn(CASE):
        raise ValueError("a refused command")

    assert len(turns) == 0
