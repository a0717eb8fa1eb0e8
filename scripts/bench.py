"""`make bench`: the project's throughput beside a raw baseline measured in the same run.

Each figure is printed with its ratio to the baseline. Nothing here asserts a time: the targets
in docs/benchmarks.md are read off this output. Every wait has a deadline, though: a phase that
stops making progress fails with `PhaseFailed`, saying which phase and what it waited for.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, StoredEvent, Transcoding
from fastavro import schemaless_reader, schemaless_writer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.avro import HEADER_LENGTH, AvroCodec, published_schemas
from adapters.consumer import TrackedConsumer
from adapters.contract import OutgoingMessage, contract_record, outgoing_message
from adapters.kafka import TopicSpec, ensure_topics, idempotent_producer
from application.bootstrap import (
    READ_MODELS,
    REBUILD_BATCH,
    REBUILD_FETCH_BYTES,
    build_case_management,
    build_caseload_projection,
    build_relay,
    case_event_topics,
    event_store_env,
    freeze_startup_objects,
    open_caseload_view,
    rebuild,
)
from application.cases import CaseManagement
from application.clock import Clock
from application.settings import Settings
from domain.base import Actor, Role, event_id
from domain.case import Program, case_id_for
from domain.commands import OpenCase, RecordOutcome
from scripts.bench_audit import bench_as_of
from scripts.bench_http import bench_http
from scripts.bench_replay import bench_replay
from synthetic import SyntheticCaseload, drive

ACTOR = Actor(id="bench", role=Role.CASEWORKER)


# Far beyond what a phase takes on a slow machine: reaching one means the phase is stuck.
PHASE_DEADLINE_SECONDS = 600.0
VISIBLE_DEADLINE_SECONDS = 60.0
ACK_TIMEOUT_SECONDS = 120.0


class PhaseFailed(RuntimeError):
    """A benchmark phase that did not finish within its deadline."""


def wait_until(
    condition: Callable[[], object],
    phase: str,
    what: Callable[[], str],
    seconds: float,
    pause: float = 0.001,
) -> None:
    """Waits for `condition`; raises `PhaseFailed` naming the phase and `what()` (said when
    the time is up) after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise PhaseFailed(f"{phase}: no {what()} within {seconds:.0f} s")
        time.sleep(pause)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def timed(action: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = action()
    return count, time.perf_counter() - start


def report(
    name: str, project: float, baseline: float, baseline_name: str, target: float | None
) -> None:
    ratio = project / baseline
    verdict = (
        ""
        if target is None
        else f"  (target >= {target:.2f}: {'met' if ratio >= target else 'NOT met'})"
    )
    print(
        f"{name:<34} {project:>11,.0f}/s   {baseline_name:<30} {baseline:>11,.0f}/s   ratio {ratio:5.2f}{verdict}"
    )


def at_last_day(load: SyntheticCaseload) -> Clock:
    """A clock at the caseload's last day: its whole history is recorded, whatever today is."""
    last_day = load.last_day()
    return lambda: last_day


def commands(cases: int, prefix: str) -> list[tuple[OpenCase, RecordOutcome]]:
    return [
        (
            OpenCase(
                case_number=f"{prefix}-{i:07d}",
                program=Program.VR,
                client_ref=f"CL-{i:07d}",
                caseworker_id=f"cw-{i % 40}",
                opened_on=date(2024, 1, 2),
            ),
            RecordOutcome(
                case_id=case_id_for(f"{prefix}-{i:07d}"),
                outcome_date=date(2024, 3, 1),
                employer="Bench Employer",
                job_title="Technician",
                hourly_wage_cents=2000 + i % 500,
                weekly_hours=35,
            ),
        )
        for i in range(cases)
    ]


class PlainCase(Aggregate):
    """The same two facts as a plain library aggregate: the raw eventsourcing baseline."""

    @event("CaseOpened")
    def __init__(
        self,
        case_number: str,
        program: str,
        client_ref: str,
        caseworker_id: str,
        effective_on: date,
        actor: dict[str, str],
    ) -> None:
        self.case_number = case_number
        self.outcome_date: date | None = None

    @event("OutcomeAchieved")
    def achieve_outcome(
        self,
        effective_on: date,
        employer: str,
        job_title: str,
        hourly_wage_cents: int,
        weekly_hours: float,
        actor: dict[str, str],
    ) -> None:
        self.outcome_date = effective_on


class PlainApplication(Application[UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def bench_append(cases: int) -> None:
    work = commands(cases, "BENCH")
    with ExitStack() as stack:
        project_dir, uncached_dir, plain_dir, raw_dir = (
            Path(stack.enter_context(tempfile.TemporaryDirectory())) for _ in range(4)
        )
        app = build_case_management(Settings(data_dir=project_dir))
        # The same path with no case kept in memory: every command rebuilds its case from the
        # store first, as the plain library's loop below does.
        uncached = build_case_management(Settings(data_dir=uncached_dir, aggregate_cache_size=0))

        def through_the_project(
            app: CaseManagement, part: list[tuple[OpenCase, RecordOutcome]]
        ) -> int:
            for open_command, outcome_command in part:
                app.open_case(open_command, ACTOR)
                app.handle(outcome_command, ACTOR)
            return 2 * len(part)

        plain = PlainApplication(env=event_store_env(Settings(data_dir=plain_dir)))
        actor = {"id": ACTOR.id, "role": ACTOR.role.value}

        def through_the_plain_library(part: list[tuple[OpenCase, RecordOutcome]]) -> int:
            for open_command, outcome_command in part:
                case = PlainCase(
                    case_number=open_command.case_number,
                    program=open_command.program.value,
                    client_ref=open_command.client_ref,
                    caseworker_id=open_command.caseworker_id,
                    effective_on=open_command.opened_on,
                    actor=actor,
                )
                plain.save(case)
                case = plain.repository.get(case.id)
                case.achieve_outcome(
                    effective_on=outcome_command.outcome_date,
                    employer=outcome_command.employer,
                    job_title=outcome_command.job_title,
                    hourly_wage_cents=outcome_command.hourly_wage_cents,
                    weekly_hours=outcome_command.weekly_hours,
                    actor=actor,
                )
                plain.save(case)
            return 2 * len(part)

        # Alternating rounds, so a slow spell of the machine weighs on both columns alike.
        project_events = uncached_events = plain_events = 0
        project_seconds = uncached_seconds = plain_seconds = 0.0
        rounds = 5
        for n in range(rounds):
            part = work[n * cases // rounds : (n + 1) * cases // rounds]
            events, seconds = timed(partial(through_the_project, app, part))
            project_events, project_seconds = project_events + events, project_seconds + seconds
            events, seconds = timed(partial(through_the_project, uncached, part))
            uncached_events = uncached_events + events
            uncached_seconds = uncached_seconds + seconds
            events, seconds = timed(partial(through_the_plain_library, part))
            plain_events, plain_seconds = plain_events + events, plain_seconds + seconds

        # The floor: the same stored bytes inserted straight through the recorder, one per commit.
        stored = [
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
            for n in app.recorder.select_notifications(start=1, limit=2 * cases)
        ]
        raw_app = build_case_management(Settings(data_dir=raw_dir))

        def recorder_only() -> int:
            for event in stored:
                raw_app.recorder.insert_events([event])
            return len(stored)

        raw_events, raw_seconds = timed(recorder_only)
        project_rate = rate(project_events, project_seconds)
        report(
            "append: command -> event store",
            project_rate,
            rate(plain_events, plain_seconds),
            "raw eventsourcing app.save",
            0.8,
        )
        report(
            "append, no case kept in memory",
            rate(uncached_events, uncached_seconds),
            rate(plain_events, plain_seconds),
            "raw eventsourcing app.save",
            None,
        )
        report(
            "append (vs the recorder floor)",
            project_rate,
            rate(raw_events, raw_seconds),
            "recorder.insert_events only",
            None,
        )


def bench_load(cases: int) -> None:
    """Commands per second on the synthetic caseload's longest case: every command loads the
    case, from the aggregate cache (`PES_AGGREGATE_CACHE_SIZE`) or from its whole history."""
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data))
        load = SyntheticCaseload(seed=3, cases=cases)
        drive(build_case_management(settings, clock=at_last_day(load)), load.commands())
        rates = {}
        for size in (settings.aggregate_cache_size, 0):
            app = build_case_management(settings.model_copy(update={"aggregate_cache_size": size}))
            longest = max(app.case_ids(), key=lambda case_id: len(app.history(case_id)))
            history = len(app.history(longest))
            app.get_case(longest)
            start = time.perf_counter()
            for _ in range(300):
                app.get_case(longest)
            rates[size] = rate(300, time.perf_counter() - start)
        report(
            f"load a {history}-event case (cached)",
            rates[settings.aggregate_cache_size],
            rates[0],
            "the whole history decoded",
            None,
        )


def bench_generation(cases: int) -> None:
    """How fast the synthetic caseload (demo, simulations, benchmarks) is generated; it has no
    raw baseline: it is the cost of every test and benchmark that drives one."""
    start = time.perf_counter()
    count = sum(1 for _ in SyntheticCaseload(seed=1, cases=cases).commands())
    elapsed = time.perf_counter() - start
    print(
        f"synthetic caseload of {cases:,} cases: {count:,} commands in {elapsed:.1f} s "
        f"({rate(count, elapsed):,.0f} commands/s)"
    )


def iter_all_events(app: Application[UUID], cases: int) -> Iterator[Any]:
    for notification in app.recorder.select_notifications(start=1, limit=2 * cases + 10):
        yield app.mapper.to_domain_event(notification)


def bench_relay(cases: int, bootstrap: str, rounds: int = 3) -> None:
    """The relay draining the store to a fresh topic, then a raw producer sending the same
    messages to another, `rounds` times in turn, so a slow spell weighs on both columns."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            kafka_bootstrap_servers=bootstrap,
            case_events_topic=f"bench.case-events.{os.getpid()}.{time.time_ns()}",
        )
        app = build_case_management(settings)
        for open_command, outcome_command in commands(cases, "RELAY"):
            app.open_case(open_command, ACTOR)
            app.handle(outcome_command, ACTOR)
        codec = AvroCodec(published_schemas())
        sample = [
            outgoing_message(n.originator_id, n.originator_version, n.state, n.id, codec)
            for n in app.recorder.select_notifications(start=1, limit=2 * cases)
        ]

        relayed = raw_sent = 0
        relay_seconds = raw_seconds = 0.0
        for round_ in range(rounds):
            topic = f"{settings.case_events_topic}.{round_}"
            relay = build_relay(settings.model_copy(update={"case_events_topic": topic}), app)
            events, seconds = timed(relay.drain)
            relay.close()
            relayed, relay_seconds = relayed + events, relay_seconds + seconds

            raw_topic = f"{topic}.raw"
            ensure_topics(bootstrap, [TopicSpec(raw_topic, settings.case_events_partitions)])
            producer: KafkaProducer = idempotent_producer(bootstrap, client_id="bench-raw")
            events, seconds = timed(partial(raw_send, producer, raw_topic, sample))
            producer.close()
            raw_sent, raw_seconds = raw_sent + events, raw_seconds + seconds
        size = sum(len(m.value) for m in sample) / len(sample)
        report(
            f"relay: event store -> Kafka ({size:.0f} B)",
            rate(relayed, relay_seconds),
            rate(raw_sent, raw_seconds),
            "raw kafka-python producer",
            0.7,
        )


def raw_send(producer: KafkaProducer, topic: str, messages: list[OutgoingMessage]) -> int:
    """The relay's baseline: prepared messages sent, flushed and every acknowledgement awaited."""
    futures = [producer.send(topic, key=m.key, value=m.value, headers=m.headers) for m in messages]
    producer.flush(timeout=ACK_TIMEOUT_SECONDS)
    for future in futures:
        future.get(timeout=ACK_TIMEOUT_SECONDS)
    return len(futures)


def bench_avro(count: int) -> None:
    codec = AvroCodec(published_schemas())
    app = build_case_management(Settings(data_dir=Path(tempfile.mkdtemp())))
    for open_command, outcome_command in commands(100, "AVRO"):
        app.open_case(open_command, ACTOR)
        app.handle(outcome_command, ACTOR)
    events = list(iter_all_events(app, 100))
    records = [(type(e).__name__, contract_record(e)) for e in events]
    work = (records * (count // len(records) + 1))[:count]

    # Each event type at its current version, as the project writes it.
    schemas = {name: codec.schemas.latest(name).parsed for name, _ in records}
    versions = {name: codec.schemas.latest(name).version for name, _ in records}

    def project_encode() -> int:
        for event_type, record in work:
            codec.encode(event_type, versions[event_type], record)
        return len(work)

    def raw_encode() -> int:
        for event_type, record in work:
            buffer = io.BytesIO()
            schemaless_writer(buffer, schemas[event_type], record)
            buffer.getvalue()
        return len(work)

    encoded, encode_seconds = timed(project_encode)
    raw_encoded, raw_encode_seconds = timed(raw_encode)
    report(
        "avro encode (single-object)",
        rate(encoded, encode_seconds),
        rate(raw_encoded, raw_encode_seconds),
        "raw fastavro schemaless_writer",
        None,
    )

    values = [codec.encode(t, versions[t], r) for t, r in work]

    def project_decode() -> int:
        for value in values:
            codec.decode(value)
        return len(values)

    def raw_decode() -> int:
        for (event_type, _), value in zip(work, values, strict=True):
            schemaless_reader(io.BytesIO(value[HEADER_LENGTH:]), schemas[event_type], None)
        return len(values)

    decoded, decode_seconds = timed(project_decode)
    raw_decoded, raw_decode_seconds = timed(raw_decode)
    report(
        "avro decode (by fingerprint)",
        rate(decoded, decode_seconds),
        rate(raw_decoded, raw_decode_seconds),
        "raw fastavro schemaless_reader",
        None,
    )


def raw_consume(
    bootstrap: str, topic: str, each: Callable[[Any], object] = lambda message: None
) -> int:
    """Reads the whole topic with a bare consumer (the rebuild's fetch size and poll batch),
    handing each message to `each`; returns the number read."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=REBUILD_FETCH_BYTES,
        isolation_level="read_committed",
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    read = 0
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    while any((consumer.position(tp, timeout_ms=30_000) or 0) < ends[tp] for tp in partitions):
        if time.monotonic() > deadline:
            consumer.close()
            raise PhaseFailed(
                f"raw consume of {topic}: read {read} of {sum(ends.values())} messages "
                f"within {PHASE_DEADLINE_SECONDS:.0f} s"
            )
        for batch in consumer.poll(timeout_ms=500, max_records=REBUILD_BATCH).values():
            for message in batch:
                each(message)
                read += 1
    consumer.close()
    return read


def raw_consume_and_decode(bootstrap: str, topic: str, codec: AvroCodec) -> int:
    return raw_consume(bootstrap, topic, lambda message: codec.decode(message.value))


def copy_caseload(bootstrap: str, source: str, target: str, events: int) -> int:
    """Publishes copies of `source`'s cases to `target`, each under a case id of its own (and
    its event ids and case number to match), until `target` holds about `events` messages."""
    codec = AvroCodec(published_schemas())
    decoded: list[Any] = []
    raw_consume(
        bootstrap,
        source,
        lambda message: decoded.append(codec.decode(message.value, upgrade=False)),
    )
    producer = idempotent_producer(bootstrap, client_id="bench-copies")
    sent = 0
    for copy in range(max(1, math.ceil(events / len(decoded)))):
        for original in decoded:
            record = dict(original.record)
            case_id = uuid5(record["case_id"], f"bench-copy-{copy}")
            record["case_id"] = case_id
            record["event_id"] = event_id(case_id, record["case_version"])
            if original.event_type == "CaseOpened":
                record["case_number"] = f"{record['case_number']}-C{copy}"
            value = codec.encode(original.event_type, original.writer_version, record)
            message = outgoing_message(case_id, record["case_version"], value, sent + 1, codec)
            producer.send(target, key=message.key, value=message.value, headers=message.headers)
            sent += 1
    producer.flush(timeout=PHASE_DEADLINE_SECONDS)
    producer.close()
    return sent


def bench_million_rebuild(bootstrap: str, source: Settings, events: int) -> None:
    """The caseload rebuilt from a topic of `events` messages (copies of the synthetic
    caseload), one worker per core, beside a bare consumer decoding the same topic."""
    with tempfile.TemporaryDirectory() as data:
        settings = source.model_copy(
            update={
                "data_dir": Path(data),
                "case_events_topic": f"{source.case_events_topic}.copies.{time.time_ns()}",
            }
        )
        ensure_topics(bootstrap, case_event_topics(settings))
        copied = copy_caseload(
            bootstrap, source.case_events_topic, settings.case_events_topic, events
        )
        codec = AvroCodec(published_schemas())
        raw, raw_seconds = timed(
            partial(raw_consume_and_decode, bootstrap, settings.case_events_topic, codec)
        )
        cores = os.cpu_count() or 1
        rebuilt, rebuild_seconds = timed(partial(rebuild, settings, "caseload", workers=cores))
        assert rebuilt == raw == copied, (rebuilt, raw, copied)
        report(
            f"caseload rebuild, {cores} workers, {copied:,} events",
            rate(rebuilt, rebuild_seconds),
            rate(raw, raw_seconds),
            "raw consume + Avro decode (1 process)",
            0.6,
        )
        print(
            f"{'':<34} ({copied:,} events rebuilt in {rebuild_seconds:,.1f} s; target <= 60 s for 1,000,000)"
        )


def not_visible(case_number: str, projection: TrackedConsumer) -> str:
    health = projection.health
    return (
        f"case {case_number} in the caseload view: the relay or the projection is stuck "
        f"(the projection: broker reachable {health.reachable}, last good poll "
        f"{health.seconds_since_last_good_poll():.0f} s ago, lag {health.lag}, "
        f"rejoins {health.rejoins}, client restarts {health.restarts})"
    )


def bench_rebuild_and_latency(cases: int, bootstrap: str, million: int = 0) -> None:
    with ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = Settings(
            data_dir=data / "live",
            kafka_bootstrap_servers=bootstrap,
            case_events_topic=f"bench.views.{os.getpid()}.{time.time_ns()}",
            deadline_alerts_topic=f"bench.alerts.{os.getpid()}.{time.time_ns()}",
            consumer_max_poll_records=2000,
        )
        load = SyntheticCaseload(seed=9, cases=cases)
        app = build_case_management(settings, clock=at_last_day(load))
        drive(app, load.commands())
        relay = build_relay(settings, app)
        events = relay.drain()
        codec = AvroCodec(published_schemas())
        # The bench's own objects (the synthetic caseload, the application and its cases) are
        # kept out of the collector's way: a consumer process would not hold them, and a full
        # collection walking them cost the bare consumer ≈ 0.1 s of its ≈ 1.1 s read.
        freeze_startup_objects()

        def raw_rate() -> float:
            return rate(
                *timed(
                    partial(raw_consume_and_decode, bootstrap, settings.case_events_topic, codec)
                )
            )

        # The bare consumer reads the topic before and after each rebuild, and each rebuild
        # is set against the mean of the two: the machine's slow spells weigh on both sides.
        raw_rates = [raw_rate()]
        for read_model in READ_MODELS:
            rebuilt_settings = settings.model_copy(update={"data_dir": data / read_model})
            rebuilt, rebuild_seconds = timed(partial(rebuild, rebuilt_settings, read_model))
            rebuild_rate = rate(rebuilt, rebuild_seconds)
            raw_rates.append(raw_rate())
            report(
                f"{read_model} rebuild, 1 worker",
                rebuild_rate,
                (raw_rates[-2] + raw_rates[-1]) / 2,
                "raw consume + decode (before+after)",
                0.7,
            )
            print(
                f"{'':<34} ({events} events; 1,000,000 would take {1_000_000 / rebuild_rate:,.0f} s at this rate; target <= 60 s)"
            )

        if million:
            bench_million_rebuild(bootstrap, settings, million)

        stop = threading.Event()
        projection = build_caseload_projection(settings, group_id="bench-latency")
        view = open_caseload_view(settings)
        workers = [
            threading.Thread(target=relay.run, args=(stop, 0.005), name="relay", daemon=True),
            threading.Thread(target=projection.run, args=(stop,), name="projection", daemon=True),
        ]
        for worker in workers:
            worker.start()
        phase = "command -> visible in caseload"
        latencies = []
        for i in range(200):
            number = f"LAT-{i:05d}"
            start = time.perf_counter()
            app.open_case(
                OpenCase(
                    case_number=number,
                    program=Program.VR,
                    client_ref=f"CL-L{i}",
                    caseworker_id="cw-lat",
                    opened_on=date(2025, 1, 2),
                ),
                ACTOR,
            )
            case_id = str(case_id_for(number))
            for worker in workers:
                if not worker.is_alive():
                    raise PhaseFailed(f"{phase}: the {worker.name} thread ended")
            wait_until(
                partial(view.case, case_id),
                phase,
                partial(not_visible, number, projection),
                VISIBLE_DEADLINE_SECONDS,
            )
            latencies.append(time.perf_counter() - start)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                raise PhaseFailed(f"{phase}: the {worker.name} thread did not stop within 30 s")
        projection.close()
        relay.close()
        view.close()
        latencies.sort()
        p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)]
        print(
            f"{'command -> visible in caseload':<34} p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (target p95 <= 250 ms)"
        )


PHASES = ["append", "load", "generation", "avro", "relay", "views", "replay", "as-of", "http"]


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be 1 or more, not {value} (skip a phase with --only)"
        )
    return value


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument(
        "--cases", type=int, default=5000, help="cases per benchmark (2 events each)"
    )
    parser.add_argument("--avro-events", type=int, default=100_000)
    parser.add_argument(
        "--view-cases",
        type=at_least_one,
        default=3000,
        help="synthetic cases for the view benchmarks (skip them with --only)",
    )
    parser.add_argument(
        "--replay-events", type=int, default=1_000_000, help="events in the policy replay benchmark"
    )
    parser.add_argument(
        "--rebuild-events",
        type=int,
        default=1_000_000,
        help="events in the large caseload rebuild (copies of the view caseload; 0 skips it)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=PHASES,
        default=PHASES,
        help="run only these phases (default: all)",
    )
    args = parser.parse_args()
    only = set(args.only)
    freeze_startup_objects()  # as every long-running `pes` process does once started
    print(f"cpu cores: {os.cpu_count()}; cases: {args.cases} (2 events each); SQLite event store")
    if "append" in only:
        bench_append(args.cases)
    if "load" in only:
        bench_load(60)
    if "generation" in only:
        bench_generation(10_000)
    if "avro" in only:
        bench_avro(args.avro_events)
    if "relay" in only or "views" in only:
        bench_kafka(args, only)
    if "replay" in only:
        bench_replay(args.replay_events)
    if "as-of" in only:
        bench_as_of(1000)
    if "http" in only:
        bench_http()


def bench_kafka(args: argparse.Namespace, only: set[str]) -> None:
    """The phases that need a broker: the relay, the view rebuilds and the command latency."""
    with ExitStack() as stack:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            from scripts.local_kafka import LocalKafka

            broker = stack.enter_context(
                LocalKafka(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            )
            bootstrap = broker.bootstrap_servers
        if "relay" in only:
            bench_relay(args.cases, bootstrap)
        if "views" in only:
            bench_rebuild_and_latency(args.view_cases, bootstrap, args.rebuild_events)


if __name__ == "__main__":
    main()
