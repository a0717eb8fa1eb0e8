"""Tamper evidence: each event sealed with its content hash and its predecessor's."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from domain.base import Actor, Role, content_digest
from domain.case import Case
from domain.integrity import ChainVerifier, compare_heads
from tests.builders import CaseFile


def served_file(case_number: str = "VR-TEST-1") -> CaseFile:
    file = CaseFile(case_number=case_number)
    request = file.open_request(date(2024, 3, 4))
    authorization = file.authorized(request, date(2024, 3, 4))
    file.close_service(authorization, date(2024, 3, 20))
    return file


def ten_events(case_number: str = "VR-TEST-1") -> list[Any]:
    """A served case back in monitoring: versions 1 to 10."""
    file = served_file(case_number)
    file.do(file.back_to_monitoring(date(2024, 4, 20)))
    return file.all_events()


def verify(events: list, rows: list[int] | None = None) -> ChainVerifier:
    """The events as a copy holds them: in store rows (`rows`), or as topic messages."""
    verifier = ChainVerifier(copy="event store" if rows else "topic")
    for index, event in enumerate(events):
        if rows:
            verifier.observe(str(event.originator_id), event, f"row {rows[index]}", row=rows[index])
        else:
            verifier.observe(str(event.originator_id), event, f"offset {index}")
    return verifier


def found(verifier: ChainVerifier) -> list[tuple[int, str]]:
    """(version, start of the problem) of every break, in order."""
    return [(b.case_version, b.problem.split(":")[0]) for b in verifier.breaks()]


def changed(event: Any, **update: Any) -> Any:
    """A copy of the event with other content, still carrying its original seal."""
    return event.model_copy(update=update)


def resealed(event: Any, **update: Any) -> Any:
    """A copy of the event with other content, sealed again as if it had been recorded so."""
    copy = event.model_copy(update=update)
    return copy.model_copy(update={"content_hash": content_digest(copy)})


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
    assert verifier.breaks() == [] and verifier.events_checked == len(events)


def test_the_seal_survives_the_avro_round_trip_of_the_store_and_the_topic() -> None:
    mapper = AvroMapper(AvroCodec(published_schemas()))
    events = served_file().all_events()

    rebuilt = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert [content_digest(e) for e in rebuilt] == [e.content_hash for e in events]
    assert verify(rebuilt).breaks() == []


# Duplicates: what a relay re-publishes after a restart


def test_a_republished_tail_of_several_versions_is_intact_and_its_repeats_are_counted() -> None:
    events = ten_events()
    other = ten_events("VR-TEST-2")
    # As seen on a topic after a relay SIGKILL: versions 7-10 among another case's events, then
    # the unacknowledged tail again, byte for byte, then what was recorded since.
    first = [*events[:6], other[0], *events[6:8], other[1], *events[8:10]]
    topic = [*first, *first[6:], *other[2:]]

    verifier = verify(topic)

    assert verifier.breaks() == []
    assert verifier.duplicates == 6
    assert verifier.events_checked == len(events) + len(other)
    assert verifier.heads() == verify([*events, *other]).heads()


def test_a_repeat_anywhere_in_the_case_is_a_duplicate_not_only_a_repeat_of_the_last() -> None:
    events = ten_events()

    verifier = verify([*events[:8], events[1], events[7], events[4], *events[8:], events[0]])

    assert (verifier.breaks(), verifier.duplicates) == ([], 4)


def test_a_repeated_version_with_a_different_hash_is_a_break() -> None:
    events = ten_events()
    forged = resealed(events[7], effective_on=events[7].effective_on + timedelta(days=1))

    verifier = verify([*events, forged])

    [broken] = verifier.breaks()
    assert (broken.case_version, broken.where) == (8, "offset 10")
    assert broken.problem.startswith("a repeat of version 8 with a different seal")


def test_a_repeated_version_with_a_changed_payload_under_its_old_seal_is_a_break() -> None:
    events = ten_events()
    forged = changed(events[7], effective_on=events[7].effective_on + timedelta(days=1))

    assert found(verify([*events, forged])) == [(8, "content changed in a repeat of version 8")]


# Breaks


def test_a_changed_event_no_longer_matches_its_seal() -> None:
    events = ten_events()
    events[4] = changed(events[4], amount_cents=1)

    assert found(verify(events)) == [(5, "content changed")]


def test_a_changed_seal_is_one_break_and_the_next_event_still_follows() -> None:
    events = ten_events()
    events[4] = events[4].model_copy(update={"content_hash": "0" * 64})

    assert found(verify(events)) == [(5, "content changed")]


def test_a_report_shows_two_hashes_that_differ_long_enough_to_tell_them_apart() -> None:
    events = ten_events()
    sealed = str(events[3].content_hash)
    near_miss = sealed[:20] + ("0" if sealed[20] != "0" else "1") + sealed[21:]
    events[4] = changed(events[4], previous_hash=near_miss)

    [broken] = verify(events).breaks()

    names, hashes = broken.problem.split("it names ")[1].split(", the predecessor hashes to ")
    assert names != hashes and near_miss.startswith(names) and len(names) < 64


def test_a_resealed_change_breaks_the_link_to_the_next_event() -> None:
    events = ten_events()
    events[4] = resealed(events[4], amount_cents=1)

    [broken] = verify(events).breaks()

    assert broken.case_version == 6 and "does not follow its predecessor" in broken.problem


def test_a_gap_is_one_break_at_the_first_missing_version() -> None:
    events = ten_events()

    on_topic = verify(events[:3] + events[6:])
    in_store = verify(events[:3] + events[4:], rows=[1, 2, 3, 5, 6, 7, 8, 9, 10])

    [gap] = on_topic.breaks()
    assert (gap.case_version, gap.where) == (4, "offset 3")
    assert gap.problem == "missing: versions 4-6 are not in this copy (version 7 follows version 3)"
    assert found(in_store) == [(4, "missing")]


def test_a_reordered_event_on_the_topic_is_one_break() -> None:
    events = ten_events()

    verifier = verify([*events[:3], events[4], events[3], *events[5:]])

    assert found(verifier) == [(4, "out of order")]
    assert verifier.breaks()[0].problem == "out of order: it comes after version 5"


def test_swapped_store_rows_are_each_reported_with_their_row() -> None:
    events = ten_events()

    verifier = verify([*events[:3], events[4], events[3], *events[5:]], rows=list(range(1, 11)))

    assert [(b.case_version, b.where, b.problem) for b in verifier.breaks()] == [
        (4, "row 4", "the row of version 4 holds version 5"),
        (5, "row 5", "the row of version 5 holds version 4"),
    ]


def test_events_from_before_chaining_are_counted_and_a_chain_must_not_stop() -> None:
    events = ten_events()
    legacy = [e.model_copy(update={"previous_hash": None, "content_hash": None}) for e in events]

    assert verify(legacy).breaks() == [] and verify(legacy).unchained_events == len(events)
    assert verify([*legacy, *legacy[3:]]).duplicates == len(events) - 3
    stripped = [*events[:5], *legacy[5:]]
    assert found(verify(stripped)) == [
        (v, "no hash on an event after chained ones") for v in range(6, 11)
    ]


# After a break, the rest of the case is still checked


def test_two_tamperings_in_one_case_are_two_reports() -> None:
    events = ten_events()
    events[2] = changed(events[2], effective_on=events[2].effective_on + timedelta(days=1))
    events[7] = changed(events[7], effective_on=events[7].effective_on + timedelta(days=1))

    assert found(verify(events)) == [(3, "content changed"), (8, "content changed")]


def test_events_after_a_break_are_still_checked_whatever_the_first_break_was() -> None:
    events = ten_events()
    late_change = changed(events[8], effective_on=events[8].effective_on + timedelta(days=1))
    forged_repeat = resealed(events[1], actor=events[1].actor.model_copy(update={"id": "cw-x"}))

    after_gap = verify([*events[:2], *events[3:8], late_change, events[9]])
    after_repeat = verify([*events[:5], forged_repeat, *events[5:8], late_change, events[9]])
    after_unreadable = ChainVerifier(copy="topic")
    for index, event in enumerate(events):
        if index == 1:
            after_unreadable.unreadable(str(event.originator_id), 2, "offset 1", "not Avro")
        else:
            after_unreadable.observe(str(event.originator_id), late_change if index == 8 else event)

    assert found(after_gap) == [(3, "missing"), (9, "content changed")]
    assert found(after_repeat) == [
        (2, "a repeat of version 2 with a different seal"),
        (9, "content changed"),
    ]
    assert found(after_unreadable) == [(2, "unreadable"), (9, "content changed")]


def test_a_break_names_the_case_number_and_id_the_version_the_copy_and_where() -> None:
    events = ten_events("VR-7-000042")
    events[4] = changed(events[4], amount_cents=1)
    verifier = ChainVerifier(copy="Kafka topic pes.case-events")
    for offset, event in enumerate(events, start=2415):
        verifier.observe(str(event.originator_id), event, f"partition 0 offset {offset}")

    [broken] = verifier.breaks()

    assert str(broken) == (
        f"case VR-7-000042 (id {events[0].originator_id}) version 5 "
        f"[Kafka topic pes.case-events, partition 0 offset 2419]: {broken.problem}"
    )


def test_an_event_under_another_case_key_is_a_break() -> None:
    events = ten_events()
    other = ten_events("VR-TEST-2")
    verifier = verify(events)

    verifier.observe(str(events[0].originator_id), other[3], "offset 10")

    assert found(verifier) == [(4, "holds an event of case " + str(other[0].originator_id))]


# Comparing the heads of two copies


def test_copies_that_end_differently_are_reported() -> None:
    events = ten_events()
    whole, truncated = verify(events).heads(), verify(events[:-1]).heads()

    [difference] = compare_heads(whole, truncated, "event store", "topic", {})

    assert difference.case_version == len(events)
    assert f"the event store ends at version {len(events)}" in difference.problem
    assert compare_heads(whole, whole, "a", "b") == []


def test_a_resealed_last_event_shows_only_against_the_other_copy() -> None:
    events = ten_events()
    actor = events[-1].actor.model_copy(update={"id": "cw-x"})
    rewritten = [*events[:-1], resealed(events[-1], actor=actor)]

    assert verify(rewritten).breaks() == []
    [difference] = compare_heads(verify(events).heads(), verify(rewritten).heads(), "a", "b")
    assert difference.case_version == len(events)


def test_duplicates_on_the_topic_do_not_make_the_copies_end_differently() -> None:
    events = ten_events("VR-7-000042")
    store = verify(events, rows=list(range(1, 11)))
    topic = verify([*events, *events[6:], *events[8:]])

    differences = compare_heads(store.heads(), topic.heads(), "event store", "topic")

    assert (differences, topic.duplicates) == ([], 6)


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
