"""`pes verify`: every case's hash chain, in the event store and in the Kafka topic, and every
case's refusal log (application/refusals.py), in the store and in its topic."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import MapperDeserialisationError, PersistenceError
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from adapters.avro import AvroCodec, ContractError, published_schemas
from adapters.event_store import AvroMapper
from adapters.refusal_records import RefusalMapper
from application.bootstrap import build_case_management, build_refusal_records
from application.cases import CaseManagement
from application.refusals import RefusalRecords
from application.settings import Settings
from domain.integrity import BrokenLink, ChainVerifier, Head, compare_heads, name_cases

Progress = Callable[[int, int], None]
Source = Literal["store", "kafka", "both"]
REFUSALS_IN_STORE = "refusal logs in the event store"


class MessageMapper(Protocol):
    def event_from_message(self, value: bytes) -> Any: ...


class VerificationUnavailable(Exception):
    """The check could not run: a copy it needs cannot be reached or does not exist."""


@dataclass
class VerificationReport:
    source: str
    cases: int = 0
    events_checked: int = 0
    duplicates: int = 0
    """Identical repeats of an event already verified (a relay re-publishing after a restart)."""
    unchained_events: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    heads: dict[str, Head] = field(default_factory=dict)
    case_numbers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, source: str, verifier: ChainVerifier) -> VerificationReport:
        return cls(
            source=source,
            cases=len(verifier.cases),
            events_checked=verifier.events_checked,
            duplicates=verifier.duplicates,
            unchained_events=verifier.unchained_events,
            broken=verifier.breaks(),
            heads=verifier.heads(),
            case_numbers=dict(verifier.case_numbers),
        )


@dataclass
class Verification:
    """What `pes verify` found in each copy it read, and where the two copies end differently."""

    reports: list[VerificationReport]
    differences: list[BrokenLink] = field(default_factory=list)
    refusal_differences: list[BrokenLink] = field(default_factory=list)
    """Cases whose refusal logs end differently in the store and on their topic."""

    @property
    def intact(self) -> bool:
        return (
            not self.differences
            and not self.refusal_differences
            and not any(r.broken for r in self.reports)
        )


def verify(
    settings: Settings, source: Source, progress: Callable[[str], Progress | None] | None = None
) -> Verification:
    """Checks the chosen copies; raises VerificationUnavailable when one cannot be read."""
    reports, refusal_reports = [], []
    if source in ("kafka", "both") and not settings.kafka_bootstrap_servers:
        raise VerificationUnavailable(
            "KAFKA_BOOTSTRAP_SERVERS is not set: the topic cannot be checked without a broker"
        )
    if source in ("store", "both"):
        app = open_event_store(settings)
        reports.append(verify_event_store(app, _each(progress, "cases")))
        refusal_reports.append(
            verify_event_store(
                open_refusal_records(settings), _each(progress, "cases"), copy=REFUSALS_IN_STORE
            )
        )
    if source in ("kafka", "both"):
        servers = cast(str, settings.kafka_bootstrap_servers)
        codec = AvroCodec(published_schemas())
        reports.append(
            verify_topic(
                servers,
                settings.case_events_topic,
                AvroMapper(codec),
                _each(progress, "messages"),
            )
        )
        refusal_reports.append(
            verify_topic(
                servers,
                settings.command_refusals_topic,
                RefusalMapper(codec),
                _each(progress, "messages"),
                missing_is_empty=True,
            )
        )
    numbers: dict[str, str] = {}
    for report in reversed(reports + refusal_reports):
        numbers.update(report.case_numbers)
    for report in reports + refusal_reports:
        report.broken = name_cases(report.broken, numbers)
    return Verification(
        reports + refusal_reports,
        name_cases(compare_copies(*reports), numbers) if len(reports) == 2 else [],
        name_cases(compare_copies(*refusal_reports), numbers) if len(refusal_reports) == 2 else [],
    )


def _each(progress: Callable[[str], Progress | None] | None, unit: str) -> Progress | None:
    return progress(unit) if progress else None


def open_event_store(settings: Settings) -> CaseManagement:
    """The configured event store, which must already exist: verifying never creates one."""
    if settings.event_store == "sqlite" and not settings.sqlite_path.is_file():
        raise VerificationUnavailable(f"no event store at {settings.sqlite_path}")
    try:
        app = build_case_management(settings)
        app.recorder.max_notification_id()
    except (PersistenceError, OSError) as error:
        raise VerificationUnavailable(
            f"cannot open the {settings.event_store} event store: {_first_line(error)}"
        ) from None
    return app


def open_refusal_records(settings: Settings) -> RefusalRecords:
    """The refusal logs, beside the event store (opened first, which must exist)."""
    try:
        records = build_refusal_records(settings)
        records.recorder.max_notification_id()
    except (PersistenceError, OSError) as error:
        raise VerificationUnavailable(
            f"cannot open the refusal logs: {_first_line(error)}"
        ) from None
    return records


def verify_event_store(
    app: Application[UUID],
    progress: Progress | None = None,
    page_size: int = 5000,
    copy: str = "event store",
) -> VerificationReport:
    """Every case found anywhere in the notification log, checked through its stored rows (of
    the case events, or of the refusal logs)."""
    mapper = app.mapper
    verifier = ChainVerifier(copy=copy)
    try:
        case_ids: dict[UUID, None] = {}
        start, last = 1, app.recorder.max_notification_id() or 0
        while page := app.recorder.select_notifications(start, page_size, stop=last):
            case_ids.update((UUID(str(n.originator_id)), None) for n in page)
            start = page[-1].id + 1
        for done, case_id in enumerate(case_ids, start=1):
            observe_case(verifier, app.recorder, mapper, case_id)
            if progress and (done % 500 == 0 or done == len(case_ids)):
                progress(done, len(case_ids))
    except PersistenceError as error:
        raise VerificationUnavailable(
            f"the event store stopped answering: {_first_line(error)}"
        ) from None
    return VerificationReport.of(copy, verifier)


def observe_case(verifier: ChainVerifier, recorder: Any, mapper: Any, case_id: UUID) -> int:
    """Checks one case's stored rows through `verifier`; the last version stored (0: none)."""
    key, last = str(case_id), 0
    for stored in recorder.select_events(case_id):
        row = last = stored.originator_version
        try:
            event = mapper.to_domain_event(stored)
        except MapperDeserialisationError as error:
            verifier.unreadable(key, row, f"row {row}", str(error))
            continue
        verifier.observe(key, event, f"row {row}", row=row)
    return last


def verify_topic(
    bootstrap_servers: str,
    topic: str,
    mapper: MessageMapper,
    progress: Progress | None = None,
    silence_seconds: float = 60.0,
    missing_is_empty: bool = False,
) -> VerificationReport:
    """The topic from offset zero to its end when the check began; each case's messages in
    partition order, as a consumer sees them (identical repeats are duplicates, not breaks).
    Raises VerificationUnavailable when the broker cannot be reached, the topic does not exist,
    or nothing arrives for `silence_seconds` while messages remain."""
    copy = f"Kafka topic {topic}"
    verifier = ChainVerifier(copy=copy)
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
    except KafkaError as error:
        raise VerificationUnavailable(
            f"cannot reach the Kafka broker at {bootstrap_servers}: {error}"
        ) from None
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions and missing_is_empty:
            return VerificationReport.of(copy, verifier)
        if not partitions:
            raise VerificationUnavailable(
                f"the topic {topic} does not exist at {bootstrap_servers}"
            )
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        total, done = sum(ends.values()), 0
        heard_from = time.monotonic()
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            batches = consumer.poll(timeout_ms=500, max_records=2000)
            if batches:
                heard_from = time.monotonic()
            elif time.monotonic() - heard_from > silence_seconds:
                raise VerificationUnavailable(
                    f"no message from {bootstrap_servers} for {silence_seconds:.0f} s with "
                    f"{total - done} of {total} still to read"
                )
            for tp, messages in batches.items():
                for message in messages:
                    if message.offset >= ends[tp]:
                        break
                    done += 1
                    _observe_message(verifier, message, mapper)
            if progress:
                progress(done, total)
    except KafkaError as error:
        raise VerificationUnavailable(
            f"reading {topic} from {bootstrap_servers} failed: {error}"
        ) from None
    finally:
        consumer.close()
    return VerificationReport.of(copy, verifier)


def _observe_message(verifier: ChainVerifier, message: Any, mapper: MessageMapper) -> None:
    where = f"partition {message.partition} offset {message.offset}"
    case_id = message.key.decode(errors="replace") if message.key else "?"
    try:
        event = mapper.event_from_message(message.value)
    except ContractError as error:
        headers = dict(message.headers or [])
        said = headers.get("case_version") or headers.get("refusal_number") or b""
        verifier.unreadable(case_id, int(said) if said.isdigit() else 0, where, str(error))
        return
    verifier.observe(case_id, event, where)


def compare_copies(store: VerificationReport, topic: VerificationReport) -> list[BrokenLink]:
    """Cases whose store and topic copies end differently: a lost tail or a rewritten copy."""
    return compare_heads(
        store.heads,
        topic.heads,
        store.source,
        topic.source,
        {**topic.case_numbers, **store.case_numbers},
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
