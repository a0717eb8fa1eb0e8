"""Tamper evidence: each event sealed with its content hash and its predecessor's."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime
from uuid import UUID

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from domain.base import Actor, Role, content_digest
from domain.case import Case
from domain.integrity import ChainVerifier, compare_heads
from tests.unit.domain.support import CaseFile


def served_file() -> CaseFile:
    file = CaseFile()
    request = file.open_request(date(2024, 3, 4))
    authorization = file.authorized(request, date(2024, 3, 4))
    file.close_service(authorization, date(2024, 3, 20))
    return file


def verify(events: list, positions: list[int] | None = None) -> ChainVerifier:
    verifier = ChainVerifier()
    for index, event in enumerate(events):
        position = positions[index] if positions else index + 1
        verifier.observe(str(event.originator_id), position, event)
    return verifier


def test_events_leave_the_aggregate_sealed_into_one_chain_across_saves() -> None:
    file = served_file()
    first_batch = file.all_events()
    file.do(file.back_to_monitoring(date(2024, 4, 20)))
    events = file.all_events()

    assert len(events) == len(first_batch) + 1
    assert events[0].previous_hash is None
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.content_hash
    assert all(e.content_hash == content_digest(e) for e in events)
    verifier = verify(events)
    assert verifier.broken == {} and verifier.events_checked == len(events)


def test_the_seal_survives_the_avro_round_trip_of_the_store_and_the_topic() -> None:
    mapper = AvroMapper(AvroCodec(published_schemas()))
    events = served_file().all_events()

    rebuilt = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert [content_digest(e) for e in rebuilt] == [e.content_hash for e in events]
    assert verify(rebuilt).broken == {}


def test_a_changed_event_no_longer_matches_its_seal() -> None:
    events = served_file().all_events()
    events[4] = events[4].model_copy(update={"amount_cents": 1})

    [broken] = verify(events).broken.values()

    assert broken.case_version == 5 and broken.problem.startswith("content changed")


def test_a_resealed_change_breaks_the_link_to_the_next_event() -> None:
    events = served_file().all_events()
    changed = events[4].model_copy(update={"amount_cents": 1})
    events[4] = changed.model_copy(update={"content_hash": content_digest(changed)})

    [broken] = verify(events).broken.values()

    assert broken.case_version == 6 and "does not follow its predecessor" in broken.problem


def test_a_removed_or_reordered_event_breaks_the_sequence() -> None:
    events = served_file().all_events()

    removed = verify(events[:3] + events[4:], positions=[1, 2, 3, 5, 6, 7, 8, 9, 10])
    reordered = verify([*events[:3], events[4], events[3], *events[5:]])

    assert [(b.case_version, b.problem[:24]) for b in removed.broken.values()] == [
        (4, "found version 5 at posit")
    ]
    assert [b.case_version for b in reordered.broken.values()] == [4]


def test_a_redelivered_event_is_not_a_break() -> None:
    events = served_file().all_events()
    with_repeats = [*events[:3], events[2], *events[3:], events[-1]]
    positions = [e.originator_version for e in with_repeats]

    assert verify(with_repeats, positions).broken == {}


def test_events_from_before_chaining_are_counted_and_a_chain_must_not_stop() -> None:
    events = served_file().all_events()
    legacy = [e.model_copy(update={"previous_hash": None, "content_hash": None}) for e in events]

    assert verify(legacy).broken == {} and verify(legacy).unchained_events == len(events)
    stripped = [*events[:5], *legacy[5:]]
    [broken] = verify(stripped).broken.values()
    assert (broken.case_version, broken.problem) == (6, "no hash on an event after chained ones")


def test_copies_that_end_differently_are_reported() -> None:
    events = served_file().all_events()
    whole, truncated = verify(events).heads(), verify(events[:-1]).heads()

    [difference] = compare_heads(whole, truncated, "event store", "topic")

    assert difference.case_version == len(events)
    assert f"the event store ends at version {len(events)}" in difference.problem
    assert compare_heads(whole, whole, "a", "b") == []


def test_the_seal_is_the_sha256_of_the_canonical_json_docs_audit_md_describes() -> None:
    outcome = Case.OutcomeAchieved(
        originator_id=UUID("0b6c1a52-8f0e-4d8a-9a57-2f2b7f0f6a11"),
        originator_version=2,
        timestamp=datetime(2024, 3, 1, 9, 30, 5, 120000, tzinfo=UTC),
        actor=Actor(id="cw-ada", role=Role.CASEWORKER),
        effective_on=date(2024, 3, 1),
        previous_hash="ab" * 32,
        employer="Café Müller",
        job_title="Pâtissier",
        hourly_wage_cents=1850,
        weekly_hours=32.5,
    )
    canonical = (
        '{"actor":{"id":"cw-ada","role":"caseworker"},"effective_on":"2024-03-01",'
        '"employer":"Café Müller","hourly_wage_cents":1850,"job_title":"Pâtissier",'
        '"originator_id":"0b6c1a52-8f0e-4d8a-9a57-2f2b7f0f6a11","originator_version":2,'
        f'"previous_hash":"{"ab" * 32}","timestamp":"2024-03-01T09:30:05.120000Z",'
        '"weekly_hours":32.5}'
    )

    assert content_digest(outcome) == hashlib.sha256(canonical.encode()).hexdigest()
