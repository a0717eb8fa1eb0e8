"""Two writers on one caseload view (rebuild workers share a store): a batch folded from rows
that another writer has since moved is folded again under the write lock, so a case is never
set back to an older version."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from adapters.consumer import Delivery
from adapters.view_database import ViewDatabase
from projections.caseload import CaseloadView
from scripts.local_postgres import conninfo
from tests.builders import CaseFile, day
from tests.conftest import unique

TOPIC = "pes.case-events"

OpenDatabase = Callable[[str], ViewDatabase]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> OpenDatabase:
    """Opens a new connection to the named view database (created on first use) on each call."""
    if request.param == "sqlite":
        return lambda name: ViewDatabase.sqlite(tmp_path / f"{name}.sqlite")
    server = request.getfixturevalue("postgres_server")
    names: dict[str, str] = {}

    def open_named(name: str) -> ViewDatabase:
        if name not in names:
            names[name] = unique(name)
            server.create_database(names[name])
        return ViewDatabase.postgres(conninfo(server.connection, dbname=names[name]))

    return open_named


def deliveries(events: Sequence[Any]) -> list[Delivery]:
    return [Delivery(TOPIC, 0, offset, event) for offset, event in enumerate(events)]


def a_case_of_several_events() -> list[Any]:
    file = CaseFile(case_number="VR-WRITERS-1")
    request_id = file.open_request(day(10))
    file.authorized(request_id, day(12))
    return file.all_events()


def test_a_batch_folded_from_rows_another_writer_moved_is_folded_again(
    open_db: OpenDatabase,
) -> None:
    events = a_case_of_several_events()
    assert len(events) == 5  # opened, outcome, request, appropriate, authorized
    case_id = str(events[0].originator_id)
    alone = CaseloadView(open_db("alone"))
    alone.apply(TOPIC, 0, deliveries(events), len(events), lambda rejected: None)

    first, second = CaseloadView(open_db("shared")), CaseloadView(open_db("shared"))
    read_rows = first._load_many
    raced: list[int] = []

    def read_then_let_the_other_writer_apply_everything(case_ids: Sequence[str]) -> Any:
        rows = read_rows(case_ids)
        if not raced:
            second.apply(TOPIC, 0, deliveries(events), len(events), lambda rejected: None)
            raced.append(len(events))
        return rows

    first._load_many = read_then_let_the_other_writer_apply_everything  # type: ignore[method-assign]
    first.apply(TOPIC, 0, deliveries(events[:2]), 2, lambda rejected: None)

    assert raced == [len(events)]
    entry = first.case(case_id)
    assert entry is not None and entry.version == len(events)
    assert first.snapshot() == alone.snapshot()
    for view in (alone, first, second):
        view.close()
