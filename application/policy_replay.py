"""Policy replay as a use case: read the recorded history and the refused commands, judge them
under each candidate, report what would differ."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal, cast

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from adapters.history import (
    facts_from_event_store,
    facts_from_topic,
    refusal_facts_from_store,
    refusal_facts_from_topic,
)
from adapters.replay_report import CandidateFindings, ReplayFindings
from application.bootstrap import build_case_management, build_refusal_records, require_kafka
from application.settings import Settings
from domain.catalog import EVENT_TYPES_JUDGED
from domain.replay import Fact
from domain.replay.candidates import Candidate, CandidateError, candidate_from_document
from domain.replay.engine import PolicyReplay

Source = Literal["store", "kafka"]


class CandidatePolicyError(ValueError):
    """A candidate policy file cannot be read or does not make a valid policy."""


def load_candidate(path: Path) -> Candidate:
    """The candidate a JSON file makes, named by the file's stem: `{"vr": {...},
    "cash_assistance": {...}}` or a flat object of VR parameters; values taken literally
    (`"12"` is not 12), unknown parameters refused naming them."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        # ValueError also covers undecodable bytes and integers too long to convert.
        raise CandidatePolicyError(f"cannot read the candidate policy {path}: {error}") from None
    if not isinstance(document, dict):
        raise CandidatePolicyError(f"{path}: a candidate policy is a JSON object of parameters")
    try:
        return candidate_from_document(path.stem, document)
    except CandidateError as error:
        raise CandidatePolicyError(f"{path}: the candidate policy is not valid: {error}") from None


def load_candidates(paths: Sequence[Path]) -> list[Candidate]:
    """Every candidate of a run, refused together if two share a name (a file stem)."""
    candidates = [load_candidate(path) for path in paths]
    names = [c.name for c in candidates]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CandidatePolicyError(
            f"candidates are named by their file's stem; more than one is named {', '.join(twice)}"
        )
    if not candidates:
        raise CandidatePolicyError("name at least one candidate policy file")
    return candidates


def replay_policy(
    settings: Settings,
    candidates: Sequence[Candidate],
    source: Source = "store",
    progress: Callable[[int, int], None] | None = None,
    refusals: Iterable[Fact] | None = None,
) -> ReplayFindings:
    """The recorded history of `source` and the refused commands kept beside it (decision
    records as `Fact`s of type "CommandRefused"; `refusals` replaces them, in any order), judged
    under each candidate."""
    app = build_case_management(settings)
    mapper = cast(AvroMapper, app.mapper)  # CaseManagement.construct_mapper builds it
    records = build_refusal_records(settings)
    if source == "store":
        facts = facts_from_event_store(app.recorder, mapper, EVENT_TYPES_JUDGED, progress)
        kept = refusal_facts_from_store(records.recorder, records.refusal_mapper)
        described = f"event store ({settings.event_store})"
    else:
        codec = AvroCodec(published_schemas())
        servers = require_kafka(settings)
        facts = facts_from_topic(
            servers, settings.case_events_topic, codec, EVENT_TYPES_JUDGED, progress
        )
        kept = refusal_facts_from_topic(servers, settings.command_refusals_topic, codec)
        described = (
            f"Kafka topics {settings.case_events_topic} and {settings.command_refusals_topic}"
        )
    if refusals is None:
        refusals = list(kept)  # read whole before the records' connection goes
    records.close()
    replay = PolicyReplay(app.policies, candidates, refusals).observe_all(facts)
    findings = replay.finish()
    return ReplayFindings(
        source=described,
        policy_versions_in_force=[p.version for p in app.policies.vr]
        + [p.version for p in app.policies.ta],
        cases=replay.cases,
        events=replay.events,
        refusals=replay.refusals,
        candidates=[
            CandidateFindings(
                name=c.name,
                changes=c.changes(),
                couplings=c.couplings(app.policies),
                totals=replay.totals[c.name],
                differences=findings[c.name],
            )
            for c in candidates
        ],
    )
