"""The one wiring point: builds the application and its adapters from settings."""

from __future__ import annotations

import base64
import binascii
import gc
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.avro import AvroCodec, published_schemas
from adapters.case_snapshots import CaseSnapshots, SnapshotMapper
from adapters.consumer import DeadLetters, ReadModelStore, TrackedConsumer
from adapters.event_store import AvroMapper
from adapters.kafka import (
    RememberedPartitions,
    TopicSpec,
    TransactionalProducer,
    ensure_topics,
    idempotent_producer,
    manual_commit_consumer,
    partition_reader,
    transactional_producer,
)
from adapters.lease import FileLease, Lease, PostgresLease, ReportedLease
from adapters.metrics import Metrics
from adapters.private_files import private_sqlite
from adapters.refusal_records import refusal_message
from adapters.relay import OutboxRelay, position_name
from adapters.structured_logging import CommandLog
from adapters.view_database import ViewDatabase
from application.cases import CaseManagement, CommandObserver
from application.clock import Clock, utc_today
from application.personal_data import (
    PersonalDataStore,
    decode_master_key,
    master_key_from_settings,
)
from application.refusals import RefusalKeeper, RefusalRecords
from application.settings import ConfigurationError, Settings
from consumers.billing.fiscal import FiscalCalendar
from consumers.billing.ledger import BillingLedger
from consumers.reporting.store import ReportingStore
from domain.policy import PolicyBook
from projections.caseload import CaseloadView
from projections.deadline_enforcement import DeadlineEnforcer


def event_store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's environment for the configured event store."""
    return {**_persistence_env(settings), **_cipher_env(settings)}


def _cipher_env(settings: Settings) -> dict[str, str]:
    """Encryption at rest of the stored events (docs/personal-data.md); the relay decrypts."""
    if settings.cipher_key is None:
        return {}
    return {
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": _checked_cipher_key(settings.cipher_key.get_secret_value()),
    }


CIPHER_KEY_SIZES = (16, 24, 32)


def _checked_cipher_key(encoded: str) -> str:
    # The library's own check lets a non-base64 key through to a traceback deep in its wiring.
    try:
        size = len(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise ConfigurationError("PES_CIPHER_KEY is not valid base64") from None
    if size not in CIPHER_KEY_SIZES:
        raise ConfigurationError(f"PES_CIPHER_KEY must be base64 of 16, 24 or 32 bytes, not {size}")
    return encoded


def check_keys(settings: Settings) -> None:
    """Refuses (`ConfigurationError`) a malformed personal data or event store key, before a
    process starts anything that would use it."""
    if settings.personal_data_key is not None:
        decode_master_key(settings.personal_data_key.get_secret_value())
    if settings.cipher_key is not None:
        _checked_cipher_key(settings.cipher_key.get_secret_value())


def _persistence_env(settings: Settings) -> dict[str, str]:
    if settings.event_store == "sqlite":
        private_sqlite(settings.sqlite_path)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "adapters.idempotency:SQLiteRecorderWithKeys",
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": settings.postgres_host,
        "POSTGRES_PORT": str(settings.postgres_port),
        "POSTGRES_USER": settings.postgres_user,
        "POSTGRES_PASSWORD": settings.postgres_password.get_secret_value(),
        "POSTGRES_DBNAME": settings.postgres_dbname,
        # Off on purpose: with concurrent writers the DB functions let a tailing reader skip events.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "APPLICATION_RECORDER_TOPIC": "adapters.idempotency:PostgresRecorderWithKeys",
    }


def freeze_startup_objects() -> None:
    """Exempts every object alive now from the garbage collector's full collections.

    Once imported and wired, a process holds ~100,000 objects (modules, classes, schemas) that
    live as long as it does. A full collection walked all of them: ~40 ms, landing on whichever
    request ran then (the p95 of an as-of reconstruction). Frozen, a full collection scans only
    what came later (1-2 ms). Long-running entry points call this once they are set up.
    """
    gc.collect()
    gc.freeze()


def build_case_management(
    settings: Settings,
    policies: PolicyBook | None = None,
    metrics: Metrics | None = None,
    clock: Clock = utc_today,
) -> CaseManagement:
    """The application; its `clock` (today) bounds every command's effective date."""
    observers: list[CommandObserver] = [CommandLog()]
    if metrics is not None:
        observers.append(metrics.commands_observer())
    app = CaseManagement(
        env=event_store_env(settings),
        policies=policies,
        observers=observers,
        cache_size=settings.aggregate_cache_size,
        clock=clock,
        refusals=RefusalKeeper(
            build_refusal_records(settings),
            on_failure=(lambda *_: metrics.refusal_records_failed.inc()) if metrics else None,
        ),
    )
    if settings.snapshot_interval:
        # Encrypted as the events are, in the event store's database (docs/audit.md).
        app.case_snapshots = CaseSnapshots(
            lambda: open_event_store_database(settings),
            SnapshotMapper(app.factory.cipher()),
            settings.snapshot_interval,
        )
    return app


def open_event_store_database(settings: Settings) -> ViewDatabase:
    """A connection of its own to the event store's database (for its snapshot table)."""
    if settings.event_store == "sqlite":
        return ViewDatabase.sqlite(settings.sqlite_path)
    return ViewDatabase.postgres(settings.postgres_conninfo())


def build_refusal_records(settings: Settings) -> RefusalRecords:
    """The refusal logs: in the event store's database, in a table of their own."""
    # Refusals are rare: one pooled connection (and the pool's overflow) is plenty.
    return RefusalRecords(env={**event_store_env(settings), "POSTGRES_POOL_SIZE": "1"})


def build_tracking_recorder(settings: Settings, name: str) -> TrackingRecorder:
    """A recorder of positions in the event store, kept in the event store's own database."""
    factory = InfrastructureFactory.construct(Environment(name=name, env=event_store_env(settings)))
    return factory.tracking_recorder()


def case_event_topics(settings: Settings) -> list[TopicSpec]:
    """The topics this system owns: the case events (kept forever) and their dead letters."""
    replicas = settings.topic_replication_factor
    in_sync = settings.topic_min_insync_replicas
    return [
        TopicSpec(name, settings.case_events_partitions, replicas, min_insync_replicas=in_sync)
        for name in (
            settings.case_events_topic,
            f"{settings.case_events_topic}.dlq",
            settings.deadline_alerts_topic,
            settings.command_refusals_topic,
        )
    ]


class BrokerNotConfigured(RuntimeError):
    """The command needs Kafka and no broker is configured."""


def require_kafka(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise BrokerNotConfigured(
            "KAFKA_BOOTSTRAP_SERVERS is not set: start the local broker (`pes run` does) "
            "or point it at a cluster"
        )
    return settings.kafka_bootstrap_servers


def build_lease(settings: Settings, name: str) -> Lease:
    """The lease that makes one replica of the singleton `name` the active one: an advisory
    lock in the PostgreSQL event store, or a file lock beside the embedded one."""
    if settings.event_store == "postgres":
        return PostgresLease(settings.postgres_conninfo(), name, settings.singleton_lease_seconds)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return FileLease(settings.data_dir / "leases" / f"{safe}.lock", name)


def _replica_lease(settings: Settings, name: str, metrics: Metrics | None) -> Lease:
    """The lease of one replica of `name`, reporting whether it is active to `metrics`."""
    lease = build_lease(settings, name)
    return lease if metrics is None else ReportedLease(lease, metrics.singleton_observer(name))


DEADLINE_LEASE = "pes-deadlines"


def build_relay(
    settings: Settings,
    app: CaseManagement | None = None,
    metrics: Metrics | None = None,
    *,
    standby: bool = False,
) -> OutboxRelay:
    """The relay of the case events; with `standby`, one of several replicas, active while it
    holds the lease."""
    app = app or build_case_management(settings, metrics=metrics)
    return _relay(
        settings,
        app,
        settings.case_events_topic,
        client_id="pes-relay",
        metrics=metrics,
        standby=standby,
    )


def build_refusal_relay(
    settings: Settings,
    records: RefusalRecords | None = None,
    metrics: Metrics | None = None,
    *,
    standby: bool = False,
) -> OutboxRelay:
    """The relay of the refusal logs to their own topic, keyed by case: a second relay, with
    the same at-least-once guarantees, a position (and lease) and metrics of its own."""
    return _relay(
        settings,
        records or build_refusal_records(settings),
        settings.command_refusals_topic,
        client_id="pes-refusal-relay",
        message_of=refusal_message,
        metrics=metrics,
        standby=standby,
    )


def _relay(
    settings: Settings,
    source: Any,
    topic: str,
    *,
    client_id: str,
    metrics: Metrics | None = None,
    standby: bool = False,
    **options: Any,
) -> OutboxRelay:
    servers = require_kafka(settings)
    ensure_topics(servers, case_event_topics(settings))
    partitioner = RememberedPartitions()

    def new_producer() -> TransactionalProducer:
        # The same transactional id for every replica: each one's producer, made when it
        # becomes active, fences those of all before it.
        return transactional_producer(
            servers,
            client_id=client_id,
            transactional_id=position_name(topic),
            partitioner=partitioner,
            delivery_timeout_ms=delivery_timeout_ms(settings),
        )

    return OutboxRelay(
        source=source,
        tracking=build_tracking_recorder(settings, "relay"),
        # A standby makes its producer only once it becomes active: made now, it would fence
        # the active replica's.
        producer=None if standby else new_producer(),
        new_producer=new_producer,
        topic=topic,
        batch_size=settings.relay_batch_size,
        ack_timeout=acknowledgement_timeout(settings),
        lease=_replica_lease(settings, position_name(topic), metrics) if standby else None,
        on_progress=metrics.relay_observer(topic) if metrics else None,
        **options,
    )


def delivery_timeout_ms(settings: Settings) -> int:
    return int(settings.kafka_delivery_timeout_seconds * 1000)


def acknowledgement_timeout(settings: Settings) -> float:
    """How long a process waits for a send's outcome: the producer's delivery timeout, and
    then some, as kafka-python does not always fail a batch when it passes."""
    return settings.kafka_delivery_timeout_seconds * 1.5


def open_view_database(settings: Settings, sqlite_path: Path | None = None) -> ViewDatabase:
    """The read model database: a SQLite file of its own (default: the caseload's), or the
    configured PostgreSQL database, where each read model keeps its own tables."""
    if settings.view_store == "sqlite":
        return ViewDatabase.sqlite(sqlite_path or settings.views_path)
    return ViewDatabase.postgres(settings.postgres_conninfo())


def open_personal_data_store(settings: Settings, *, development: bool = False) -> PersonalDataStore:
    """The personal data store; refuses to open without `PES_PERSONAL_DATA_KEY` unless
    `development` (which keeps a generated key in the data folder and warns)."""
    key = master_key_from_settings(settings, development=development)
    if settings.personal_data_store == "sqlite":
        database = ViewDatabase.sqlite(settings.personal_data_path)
    else:
        database = ViewDatabase.postgres(settings.postgres_conninfo())
    return PersonalDataStore(database, key)


def open_caseload_view(settings: Settings, policies: PolicyBook | None = None) -> CaseloadView:
    return CaseloadView(open_view_database(settings), policies, settings.due_soon_days)


def open_billing_ledger(settings: Settings) -> BillingLedger:
    return BillingLedger(
        open_view_database(settings, settings.billing_path),
        FiscalCalendar(settings.fiscal_year_start_month),
    )


def open_reporting_store(settings: Settings) -> ReportingStore:
    return ReportingStore(open_view_database(settings, settings.reporting_path))


@dataclass(frozen=True)
class ReadModel:
    """A store fed by the case event topic, and the consumer group that feeds it."""

    open: Callable[[Settings], ReadModelStore]
    group_id: Callable[[Settings], str]


READ_MODELS: dict[str, ReadModel] = {
    "caseload": ReadModel(open_caseload_view, lambda s: s.caseload_group_id),
    "billing": ReadModel(open_billing_ledger, lambda s: s.billing_group_id),
    "reporting": ReadModel(open_reporting_store, lambda s: s.reporting_group_id),
}


def build_projection(
    settings: Settings,
    read_model: str,
    group_id: str | None = None,
    metrics: Metrics | None = None,
    partitions: Sequence[int] | None = None,
    api_version: tuple[int, ...] | None = None,
    client: KafkaConsumer | None = None,
) -> TrackedConsumer:
    """The consumer that feeds one read model (`READ_MODELS`) from the case event topic: a
    member of its consumer group, or, given `partitions`, a reader of just those (through
    `client`, if given: a rebuild's, made by `_read_model_client` with the same arguments)."""
    model = READ_MODELS[read_model]
    group_id = group_id or model.group_id(settings)
    servers = require_kafka(settings)
    ensure_topics(servers, case_event_topics(settings))
    new_consumer = partial(
        _read_model_client,
        settings,
        group_id,
        rebuild=partitions is not None,
        api_version=api_version,
    )
    store = model.open(settings)
    mapper = AvroMapper(AvroCodec(published_schemas()))
    decode: Callable[[bytes], Any] = (
        mapper.event_from_message
        if store.reads is None
        else partial(mapper.event_or_passed_over, reads=store.reads)
    )
    return TrackedConsumer(
        consumer=client or new_consumer(),
        new_consumer=new_consumer,
        store=store,
        decode=decode,
        topic=settings.case_events_topic,
        dead_letters=DeadLetters(
            partial(idempotent_producer, servers, client_id=group_id), group_id
        ),
        observer=metrics.consumer_observer(read_model) if metrics else None,
        partitions=partitions,
    )


def _read_model_client(
    settings: Settings, group_id: str, *, rebuild: bool, api_version: tuple[int, ...] | None
) -> KafkaConsumer:
    """The Kafka client of a read model's consumer: a member of its group, or a rebuild's,
    which fetches more at a time and joins no group (it is assigned its partitions and its
    positions are in its store; a throwaway group only made its first poll wait for a group
    coordinator, ≈ 0.1 s on a broker whose offsets topic was new)."""
    if rebuild:
        return partition_reader(
            require_kafka(settings),
            client_id=group_id,
            max_poll_records=settings.consumer_max_poll_records,
            max_partition_fetch_bytes=REBUILD_FETCH_BYTES,
            api_version=api_version,
        )
    return manual_commit_consumer(
        require_kafka(settings),
        group_id,
        client_id=group_id,
        max_poll_records=settings.consumer_max_poll_records,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        api_version=api_version,
    )


def build_caseload_projection(
    settings: Settings, group_id: str | None = None, metrics: Metrics | None = None
) -> TrackedConsumer:
    return build_projection(settings, "caseload", group_id, metrics)


def build_deadline_enforcer(
    settings: Settings,
    clock: Clock | None = None,
    app: CaseManagement | None = None,
    metrics: Metrics | None = None,
    *,
    standby: bool = False,
) -> DeadlineEnforcer:
    """The deadline process; its today is `clock`, else the application's; with `standby`,
    one of several replicas, active while it holds the lease."""
    servers = require_kafka(settings)
    ensure_topics(servers, case_event_topics(settings))
    app = app or build_case_management(settings, metrics=metrics, clock=clock or utc_today)

    def new_producer() -> KafkaProducer:
        return idempotent_producer(
            servers, client_id="pes-deadlines", delivery_timeout_ms=delivery_timeout_ms(settings)
        )

    return DeadlineEnforcer(
        app=app,
        view=open_caseload_view(settings, app.policies),
        producer=new_producer(),
        new_producer=new_producer,
        ack_timeout=acknowledgement_timeout(settings),
        codec=AvroCodec(published_schemas()),
        alerts_topic=settings.deadline_alerts_topic,
        clock=clock or app.clock,
        lease=_replica_lease(settings, DEADLINE_LEASE, metrics) if standby else None,
    )


REBUILD_BATCH = 10_000
# A rebuild worker fetches up to this much per partition (kafka-python's default is 1 MiB), so a
# poll of REBUILD_BATCH messages can come from one partition. Live consumers keep the default:
# with it a catching-up projection blocked kafka-python's network thread for 0.7 s and a client
# socket was left unclosed (kafka.net.inet's connect does not close a socket that timed out).
REBUILD_FETCH_BYTES = 8 * 1024 * 1024
REBUILD_STALL_SECONDS = 300.0
REBUILD_GC_THRESHOLD = 1_000_000


class RebuildFailed(RuntimeError):
    """A rebuild worker process died before its partitions were applied."""


def rebuild(
    settings: Settings,
    read_model: str,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    batch: int = REBUILD_BATCH,
) -> int:
    """Builds a read model from offset zero into `settings`' (empty) store, up to the topic's
    end as it stood when the rebuild began; returns the number of messages consumed.

    Each poll applies up to `batch` messages: in a rebuild a case recurs in most batches, and
    every batch rewrites the rows of the cases it touches, so big batches rewrite fewer.

    With `workers` > 1 the partitions are shared among that many processes (this one and
    `workers - 1` children), each applying its own partitions' batches to the one store: a
    partition's rows and position still commit together, and a case never spans partitions.
    """
    if workers < 1:
        raise ValueError(f"a rebuild needs at least 1 worker, not {workers}")
    # Names the rebuild's readers (their client id, and the group its dead letters are from);
    # they join no consumer group.
    group_id = f"pes-{read_model}-rebuild-{uuid4().hex[:12]}"
    settings = settings.model_copy(update={"consumer_max_poll_records": batch})
    # This process's share is read by the client that found the end offsets: a second client
    # would wait again for the topic's metadata (≈ 0.1 s, kafka-python's retry backoff).
    client = _read_model_client(settings, group_id, rebuild=True, api_version=None)
    try:
        ends = _end_offsets(client, settings.case_events_topic)
        # Opened before the workers, it creates the store's tables once; it reads their progress.
        store = READ_MODELS[read_model].open(settings)
    except BaseException:
        client.close()
        raise
    api_version = tuple(client.config["api_version"])
    partitions = sorted(ends)
    shares = [partitions[i::workers] for i in range(min(workers, len(partitions)))] or [[]]
    target = sum(ends.values())

    reported = -1

    def report_progress() -> None:
        nonlocal reported
        done = store.next_offsets(settings.case_events_topic)
        now = min(sum(done.get(p, 0) for p in partitions), target)
        if progress and now != reported:
            progress(now, target)
            reported = now

    spawn = multiprocessing.get_context("spawn")
    children = []
    for n, share in enumerate(shares[1:], start=1):
        counter = spawn.Value("q", 0)
        child = spawn.Process(
            target=_rebuild_share,
            args=(settings, read_model, group_id, share, ends, counter, None, api_version),
            name=f"rebuild-{read_model}-{n}",
        )
        children.append((child, counter))
    handed_over = False
    try:
        for child, _ in children:
            child.start()
        handed_over = True  # the share's consumer closes the client
        consumed = _rebuild_share(
            settings,
            read_model,
            group_id,
            shares[0],
            ends,
            None,
            report_progress,
            api_version,
            client,
        )
        while alive := [child for child, _ in children if child.is_alive()]:
            report_progress()
            alive[0].join(timeout=0.1)
        report_progress()
    finally:
        if not handed_over:
            client.close()
        store.close()
        for child, _ in children:
            if child.is_alive():
                child.terminate()
            child.join()
    failed = [child for child, _ in children if child.exitcode != 0]
    if failed:
        raise RebuildFailed(
            "rebuild workers failed: "
            + ", ".join(f"{child.name} (exit code {child.exitcode})" for child in failed)
            + f"; the {read_model} store holds what was applied: run the rebuild again"
        )
    return consumed + sum(counter.value for _, counter in children)


def _end_offsets(client: KafkaConsumer, topic: str) -> dict[int, int]:
    """The topic's end offset per partition, now (committed records only)."""
    partitions = [TopicPartition(topic, p) for p in client.partitions_for_topic(topic) or ()]
    return {tp.partition: end for tp, end in client.end_offsets(partitions).items()}


def _rebuild_share(
    settings: Settings,
    read_model: str,
    group_id: str,
    share: Sequence[int],
    ends: dict[int, int],
    counter: Any = None,
    report: Callable[[], object] | None = None,
    api_version: tuple[int, ...] | None = None,
    client: KafkaConsumer | None = None,
) -> int:
    """Applies the `share` partitions' messages up to their `ends` (through `client`, if
    given); returns (and, in a child process, keeps in `counter`) the number consumed."""
    try:
        projection = build_projection(
            settings,
            read_model,
            group_id=group_id,
            partitions=share,
            api_version=api_version,
            client=client,
        )
    except BaseException:
        if client is not None:
            client.close()
        raise
    store = projection.store
    consumed = 0
    progressed, progressed_at = None, time.monotonic()
    # A batch holds tens of objects per message, all alive until it is applied: at the default
    # threshold the collector ran every 700 allocations and walked them again each time, and
    # still ~10 times per 10,000-message batch at 100,000 (≈ 3 µs of CPU per event of a
    # caseload rebuild; the same peak memory at 1,000,000: objects are freed by their counts).
    thresholds = gc.get_threshold()
    gc.set_threshold(REBUILD_GC_THRESHOLD, *thresholds[1:])
    try:
        while True:
            if report:
                report()
            done = store.next_offsets(settings.case_events_topic)
            if all(done.get(p, 0) >= ends[p] for p in share):
                break
            # The consumer rides out a broker outage; a rebuild gives up after a long one.
            if done != progressed:
                progressed, progressed_at = done, time.monotonic()
            elif time.monotonic() - progressed_at > REBUILD_STALL_SECONDS:
                raise RebuildFailed(
                    f"the {read_model} rebuild applied nothing for {REBUILD_STALL_SECONDS:.0f} s "
                    f"(is the broker at {settings.kafka_bootstrap_servers} up?); the store holds "
                    "what was applied: run the rebuild again"
                )
            consumed += projection.poll_once(timeout_ms=500)
            if counter is not None:
                counter.value = consumed
    finally:
        gc.set_threshold(*thresholds)
        projection.close()
    return consumed


def rebuild_caseload(settings: Settings, progress: Callable[[int, int], None] | None = None) -> int:
    return rebuild(settings, "caseload", progress)
