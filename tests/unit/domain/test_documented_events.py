"""docs/domain.md's event tables say what the event classes say: every event, its fields and the
rules its decision enforces (`CaseEvent.rules`), per program."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.base import Aggregate
from domain.catalog import EVENT_CLASSES

DOC = Path(__file__).resolve().parents[3] / "docs" / "domain.md"
ROW = re.compile(
    r"^\| `(?P<event>\w+)`(?: \(v\d\))? \| (?P<fields>[^|]*) \| [^|]* \| (?P<rules>[^|]*) \|$"
)
NOT_LISTED = set(Aggregate.Event.model_fields) | {"originator_topic", "policy_version"}


def documented() -> dict[str, tuple[str, set[str]]]:
    """Event type → (the fields cell, the rule IDs of its row), over both programs' tables."""
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match and match["event"] in EVENT_CLASSES:
            assert match["event"] not in rows, f"{match['event']} is documented twice"
            rules = set(re.findall(r"(?:VR|TA)-\d\d", match["rules"]))
            rows[match["event"]] = (match["fields"], rules)
    return rows


DOCUMENTED = documented()


def test_every_event_type_has_a_row() -> None:
    assert set(DOCUMENTED) == set(EVENT_CLASSES)


@pytest.mark.parametrize("event_type", sorted(EVENT_CLASSES))
def test_a_row_names_the_rules_the_event_class_names(event_type: str) -> None:
    _, rules = DOCUMENTED[event_type]
    # A money event is documented in the VR table; the cash-assistance section says once that
    # a purchase's money events are checked against TA-10.
    program = "TA-" if all(r.startswith("TA-") for r in rules) and rules else "VR-"
    named = {r for r in EVENT_CLASSES[event_type].rules if r.startswith(program)}
    assert rules == named


@pytest.mark.parametrize("event_type", sorted(EVENT_CLASSES))
def test_a_row_names_every_field_of_the_event(event_type: str) -> None:
    cell, _ = DOCUMENTED[event_type]
    fields = set(EVENT_CLASSES[event_type].model_fields) - NOT_LISTED
    missing = {name for name in fields if not re.search(rf"\b{name}\b", cell)}
    assert missing == set()
