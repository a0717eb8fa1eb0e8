"""Policy replay as a use case: read the recorded history, judge it, report what would differ."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import ValidationError

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from adapters.history import facts_from_event_store, facts_from_topic
from adapters.replay_report import ReplayFindings
from application.bootstrap import build_case_management, require_kafka
from application.settings import Settings
from domain.catalog import EVENT_TYPES_JUDGED
from domain.replay import CandidateFor, PolicyReplay, candidate_from_changes

Source = Literal["store", "kafka"]


class CandidatePolicyError(ValueError):
    """The candidate policy file cannot be read or does not make a valid policy."""


def load_candidate_changes(path: Path) -> dict[str, Any]:
    """A JSON object of VR policy parameters to change, e.g. {"max_service_duration_months": 2};
    refused unless it makes a valid policy, its values taken literally (`"12"` is not 12)."""
    try:
        changes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        # ValueError also covers undecodable bytes and integers too long to convert.
        raise CandidatePolicyError(f"cannot read the candidate policy {path}: {error}") from None
    if not isinstance(changes, dict):
        raise CandidatePolicyError(f"{path}: a candidate policy is a JSON object of parameters")
    valid_candidate(changes)
    return changes


def valid_candidate(changes: Mapping[str, Any]) -> CandidateFor:
    """The candidate the changes make, or a `CandidatePolicyError` naming each bad parameter."""
    try:
        return candidate_from_changes(changes)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'the policy'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )
        raise CandidatePolicyError(f"the candidate policy is not valid: {problems}") from None
    except ValueError as error:
        raise CandidatePolicyError(f"the candidate policy is not valid: {error}") from None


def replay_policy(
    settings: Settings,
    changes: Mapping[str, Any],
    source: Source = "store",
    progress: Callable[[int, int], None] | None = None,
) -> ReplayFindings:
    candidate = valid_candidate(changes)
    app = build_case_management(settings)
    mapper = cast(AvroMapper, app.mapper)  # CaseManagement.construct_mapper builds it
    if source == "store":
        facts = facts_from_event_store(app.recorder, mapper, EVENT_TYPES_JUDGED, progress)
        described = f"event store ({settings.event_store})"
    else:
        facts = facts_from_topic(
            require_kafka(settings),
            settings.case_events_topic,
            AvroCodec(published_schemas()),
            EVENT_TYPES_JUDGED,
            progress,
        )
        described = f"Kafka topic {settings.case_events_topic}"
    replay = PolicyReplay(app.policies, candidate).observe_all(facts)
    differences = replay.finish()
    return ReplayFindings(
        source=described,
        candidate_changes=changes,
        policy_versions_in_force=[p.version for p in app.policies.vr],
        totals=replay.totals,
        differences=differences,
    )
