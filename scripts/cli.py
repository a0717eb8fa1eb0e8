"""`pes`: the command line of the post-employment services backend."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from eventsourcing.persistence import PersistenceError
from kafka.errors import KafkaError

from adapters.lease import LeaseLost, tag_connections
from adapters.metrics import Metrics
from adapters.private_files import PRIVATE_UMASK
from adapters.retry import Backoff, Outage
from adapters.structured_logging import configure_logging
from application.bootstrap import (
    READ_MODELS,
    BrokerNotConfigured,
    build_case_management,
    build_deadline_enforcer,
    build_projection,
    build_refusal_relay,
    build_relay,
    check_keys,
    freeze_startup_objects,
)
from application.clock import Clock, utc_today
from application.settings import ConfigurationError, Settings, load_settings
from domain.case import CaseStatus, Program
from projections.caseload import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CaseloadView
from projections.deadline_enforcement import DeadlineEnforcer, TickAheadOfClock, TickReport
from scripts.arguments import (
    LISTEN_PORT,
    PORT,
    Parser,
    case_reference,
    iso_date,
    output_file,
    output_folder,
    seconds,
    whole,
)
from scripts.billing_cli import add_billing_commands, cmd_billing
from scripts.exit_codes import ExitCode
from scripts.pages_cli import add_pages_command, cmd_pages, write_audit_file
from scripts.reports_cli import add_reports_commands, cmd_reports
from scripts.supervisor import Supervisor, Task
from scripts.system import (
    Endpoints,
    Unavailable,
    discover,
    forget_endpoints,
    no_system,
    record_endpoints,
    require_broker,
    require_stores,
    running_system,
    wait_for_group_coordinators,
)

if TYPE_CHECKING:
    from scripts.local_kafka import LocalKafka, LocalKafkaCluster

log = logging.getLogger("pes")
T = TypeVar("T")

MAX_CASES = 1_000_000
MAX_WORKERS = 256
INTERVAL = seconds(0.01, 86_400)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def _serve_metrics(args: argparse.Namespace, stack: ExitStack) -> Metrics | None:
    """With `--metrics-port`, a registry served on its own thread until `stack` closes."""
    if args.metrics_port is None:
        return None
    metrics = Metrics()
    server = metrics.serve(args.metrics_port, args.metrics_host)
    stack.callback(server.close)
    log.info("metrics at http://%s:%d/metrics", args.metrics_host, server.port)
    return metrics


def _build_when_reachable(build: Callable[[], T], stop: threading.Event, what: str) -> T | None:
    """What `build` makes once the broker it needs answers: a process started during an outage
    waits it out (backoff, one log line at each end) instead of exiting; None if stopped first."""
    outage = Outage(what, log)
    backoff = Backoff()
    while not stop.is_set():
        try:
            built = build()
        except KafkaError as error:
            outage.failed(error)
            stop.wait(backoff.next_delay())
        else:
            outage.ended()
            return built
    return None


def _as_replica(settings: Settings) -> None:
    """Before a replica of a singleton opens its connections: its sessions carry its name, so
    the standby that takes over from it can end them."""
    if settings.event_store == "postgres":
        tag_connections()


def cmd_relay(settings: Settings, args: argparse.Namespace) -> int:
    stop = _stop_on_signals()  # first: a stop requested while starting up is still graceful
    _as_replica(settings)
    with ExitStack() as stack:
        metrics = _serve_metrics(args, stack)
        # Every replica waits as a standby until it holds the relay's lease (docs/operations.md).
        build = (
            partial(build_refusal_relay, settings, metrics=metrics, standby=True)
            if args.refusals
            else partial(build_relay, settings, metrics=metrics, standby=True)
        )
        relay = _build_when_reachable(build, stop, "relay start")
        if relay is None:
            return 0
        stack.callback(relay.close)
        relay.run(stop, settings.relay_poll_interval_seconds)
    return 0


def cmd_project(settings: Settings, args: argparse.Namespace) -> int:
    stop = _stop_on_signals()  # first: a stop requested while starting up is still graceful
    with ExitStack() as stack:
        metrics = _serve_metrics(args, stack)
        projection = _build_when_reachable(
            partial(build_projection, settings, args.read_model, metrics=metrics),
            stop,
            f"{args.read_model} projection start",
        )
        if projection is None:
            return 0
        stack.callback(projection.close)
        projection.run(stop)
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Starts the local broker (unless one is configured), the relay, the read models, the
    deadline process and (with `--api-port`) the API; restarts any of them that fails."""
    already = running_system(settings)
    if already is not None:
        raise Unavailable(
            f"pes run (pid {already.pid}) is already running from {settings.data_dir.resolve()}, "
            f"its broker at {already.kafka_bootstrap_servers}: stop it first, or use another "
            "PES_DATA_DIR"
        )
    stop = _stop_on_signals()
    with ExitStack() as stack:
        metrics = _serve_metrics(args, stack)
        broker: LocalKafka | LocalKafkaCluster | None = None
        if not settings.kafka_bootstrap_servers:
            from scripts.local_kafka import KafkaLauncherError, local_brokers

            try:
                broker = local_brokers(settings.data_dir, args.brokers, port=args.kafka_port)
                stack.enter_context(broker)
            except KafkaLauncherError as error:
                raise Unavailable(str(error)) from None
            settings = settings.model_copy(
                update={"kafka_bootstrap_servers": broker.bootstrap_servers}
            )
        log.info(
            "Kafka at %s; event store: %s", settings.kafka_bootstrap_servers, settings.event_store
        )
        if broker is not None:
            groups = [model.group_id(settings) for model in READ_MODELS.values()]
            if not wait_for_group_coordinators(broker.bootstrap_servers, groups, stop):
                log.info("the broker's group coordinator is not ready yet; starting anyway")
        supervisor = Supervisor(
            stop, on_restart=lambda name: metrics.restarts.labels(name).inc() if metrics else None
        )
        # Built here first, so a system that cannot start says so instead of retrying forever.
        try:
            for name, build in _run_tasks(settings, args, stop, metrics).items():
                supervisor.start(name, build, first=build())
        except BaseException as failure:  # uvicorn exits when its port is taken
            stop.set()
            supervisor.join(timeout=RUN_STOP_TIMEOUT)
            if isinstance(failure, SystemExit):
                raise Unavailable(
                    f"the API could not listen on 127.0.0.1:{args.api_port} (the log says why)"
                ) from None
            raise
        freeze_startup_objects()  # again: what the wiring above created lives as long
        api_url = f"http://127.0.0.1:{args.api_port}" if args.api_port is not None else None
        endpoints = Endpoints(str(settings.kafka_bootstrap_servers), api_url, os.getpid())
        record_endpoints(settings.data_dir, endpoints)
        stack.callback(forget_endpoints, settings.data_dir, endpoints.pid)
        if args.demo:
            load_demo(settings, args.demo, metrics)
        api = f", API {api_url}/docs" if api_url else ""
        print(
            f"pes is running: Kafka {settings.kafka_bootstrap_servers}{api}, "
            f"events in {settings.sqlite_path if settings.event_store == 'sqlite' else 'PostgreSQL'}, "
            f"read models ({', '.join(READ_MODELS)}) in {settings.data_dir}; other pes commands "
            f"find it through {settings.data_dir / 'endpoints.json'}. Ctrl-C stops.",
            flush=True,
        )
        if broker is None:
            stop.wait()
        else:
            keep_broker_running(broker, stop, metrics)
        stuck = supervisor.join(timeout=RUN_STOP_TIMEOUT)
        if stuck:
            log.warning("stopping without waiting longer for %s", ", ".join(stuck))
    return 0


RUN_STOP_TIMEOUT = 30.0
"""Seconds `pes run` waits for its workers to return once asked to stop."""


def _run_tasks(
    settings: Settings, args: argparse.Namespace, stop: threading.Event, metrics: Metrics | None
) -> dict[str, Callable[[], Task]]:
    """How to build each worker of `pes run`, by name: again each time one fails."""

    def relay() -> Task:
        built = build_relay(settings, metrics=metrics, standby=True)
        return Task(partial(built.run, stop, settings.relay_poll_interval_seconds), built.close)

    def refusal_relay() -> Task:
        built = build_refusal_relay(settings, metrics=metrics, standby=True)
        return Task(partial(built.run, stop, settings.relay_poll_interval_seconds), built.close)

    def deadlines() -> Task:
        enforcer = build_deadline_enforcer(settings, metrics=metrics, standby=True)
        return Task(partial(tick_until, enforcer, stop, args.tick, metrics), enforcer.close)

    def read_model(name: str) -> Task:
        projection = build_projection(settings, name, metrics=metrics)
        return Task(partial(projection.run, stop), projection.close)

    def api() -> Task:
        from api import api_server

        server = api_server(settings, "127.0.0.1", args.api_port, development=True, metrics=metrics)
        # Bound here, not when it runs: a port in use stops `pes run` at start (uvicorn exits).
        listening = server.config.bind_socket()
        # Port 0 took a free port: a restart binds the same one, the one recorded for others.
        args.api_port = listening.getsockname()[1]
        return Task(
            partial(server.run, sockets=[listening]),
            close=listening.close,
            interrupt=partial(setattr, server, "should_exit", True),
        )

    tasks: dict[str, Callable[[], Task]] = {
        "relay": relay,
        "refusal-relay": refusal_relay,
        "deadlines": deadlines,
    }
    tasks.update({name: partial(read_model, name) for name in READ_MODELS})
    if args.api_port is not None:
        tasks["api"] = api
    return tasks


def keep_broker_running(
    broker: LocalKafka | LocalKafkaCluster,
    stop: threading.Event,
    metrics: Metrics | None,
    every: float = 1.0,
) -> None:
    """Until `stop`: restarts the local broker (same port, same data) whenever it exits; of a
    cluster, the nodes that exited."""
    from scripts.local_kafka import KafkaLauncherError

    backoff = Backoff(initial=1.0, cap=30.0)
    while not stop.wait(every):
        if broker.running:
            continue
        code = broker.exit_code()
        if code is not None:  # None: a restart that failed already said why
            log.error(
                "the local broker exited (code %s); restarting it on %s with its data in %s",
                code,
                broker.bootstrap_servers,
                broker.data_dir,
            )
        if metrics is not None:
            metrics.restarts.labels("broker").inc()
        try:
            broker.start()
        except KafkaLauncherError as error:
            delay = backoff.next_delay()
            log.error("the local broker did not restart (%s); trying again in %.1f s", error, delay)
            stop.wait(delay)
        else:
            backoff.reset()
            log.warning("the local broker is back at %s", broker.bootstrap_servers)


def progress_bar(unit: str) -> Callable[[int, int], None]:
    """A one-line progress bar on stderr, redrawn in place."""

    def show(done: int, total: int) -> None:
        width = 40
        filled = width * done // total if total else width
        end = "\n" if done >= total else ""
        print(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def load_demo(
    settings: Settings, cases: int, metrics: Metrics | None = None, clock: Clock = utc_today
) -> None:
    """Records a synthetic caseload whose first cases opened 18 months ago (deterministic, seed 1),
    up to today (`clock`'s): nothing after it."""
    from adapters.structured_logging import CommandLog
    from synthetic import DriveResult, SyntheticCaseload, drive

    app = build_case_management(settings, metrics=metrics, clock=clock)
    # The demo's expected refusals are summed up after the progress bar, not logged through it.
    app.observers = tuple(o for o in app.observers if not isinstance(o, CommandLog))
    if app.recorder.max_notification_id():
        log.info("demo: the event store already holds events; not loading the demo caseload")
        return
    today = app.clock()
    caseload = SyntheticCaseload(seed=1, cases=cases, start=today - timedelta(days=540))
    # Only what has happened by today: the rest of the caseload's history is still to come.
    items = [item for item in caseload.commands() if item.command.effective_on <= today]
    show = progress_bar("commands")
    result = DriveResult()
    for start in range(0, len(items), 500):
        part = drive(app, items[start : start + 500])
        result.accepted += part.accepted
        result.unexpected += part.unexpected
        for rule, count in part.refused.items():
            result.refused[rule] = result.refused.get(rule, 0) + count
        show(min(start + 500, len(items)), len(items))
    log.info(
        "demo: %d commands recorded, %d refused as the policy requires (%s)",
        result.accepted,
        sum(result.refused.values()),
        ", ".join(f"{rule} x{n}" for rule, n in sorted(result.refused.items())),
    )


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Loads the synthetic caseload, runs the whole path once, and prints caseloads and deadlines."""
    from application.bootstrap import open_caseload_view, rebuild_caseload

    with ExitStack() as stack:
        if settings.kafka_bootstrap_servers:
            require_broker(settings)
        else:
            from scripts.local_kafka import LocalKafka

            broker = stack.enter_context(LocalKafka(settings.data_dir / "kafka"))
            settings = settings.model_copy(
                update={"kafka_bootstrap_servers": broker.bootstrap_servers}
            )
        load_demo(settings, args.cases)
        relay = build_relay(settings)
        stack.callback(relay.close)
        relay.drain()
        refusal_relay = build_refusal_relay(settings)  # the caseload's refused commands
        stack.callback(refusal_relay.close)
        refusal_relay.drain()
        rebuild_caseload(settings, progress=progress_bar("messages"))
        enforcer = build_deadline_enforcer(settings)
        stack.callback(enforcer.close)
        report = enforcer.tick()
        print(_tick_summary(report))
        relay.drain()
        rebuild_caseload(settings)  # catches up from the view's own positions
        view = open_caseload_view(settings)
        stack.callback(view.close)
        print_caseloads_and_deadlines(view, report.today)
    return 0


def print_caseloads_and_deadlines(view: CaseloadView, today: date) -> None:
    counts = view.counts()
    statuses = sorted({status for _, status in counts})
    workers = sorted({worker for worker, _ in counts})
    print(f"\nCaseloads on {today}")
    print(f"{'caseworker':<12}" + "".join(f"{s:>16}" for s in statuses))
    for worker in workers:
        print(f"{worker:<12}" + "".join(f"{counts.get((worker, s), 0):>16}" for s in statuses))
    overdue = view.overdue(today)
    upcoming = [
        d for d in view.unmet_due_by(today + timedelta(days=30), as_of=today) if d not in overdue
    ]
    print(f"\nOverdue ({len(overdue)})")
    for d in overdue[:15]:
        print(
            f"  {d.due_on}  {d.case_number:<16} {d.caseworker_id:<8} {d.kind.value:<22} {d.rule_id or ''}"
        )
    print(f"\nDue in the next 30 days ({len(upcoming)})")
    for d in upcoming[:15]:
        print(
            f"  {d.due_on}  {d.case_number:<16} {d.caseworker_id:<8} {d.kind.value:<22} {d.rule_id or ''}"
        )


def cmd_caseload(settings: Settings, args: argparse.Namespace) -> int:
    from application.bootstrap import open_caseload_view

    require_stores(settings, "caseload")
    today = args.today or utc_today()
    view = open_caseload_view(settings)
    try:
        page = view.caseload(
            today,
            caseworker_id=args.caseworker,
            status=args.status,
            program=args.program,
            overdue_only=args.overdue,
            limit=args.limit,
            after=args.cursor,
        )
        print(
            f"{'case':<14} {'program':<16} {'caseworker':<12} {'status':<16} {'outcome':<11} "
            f"{'overdue':>7}  next deadline (as of {today})"
        )
        for line in page.lines:
            e, upcoming = line.case, line.next_deadline
            shown = (
                f"{upcoming.due_on} {upcoming.kind.value} {upcoming.rule_id or ''}"
                if upcoming
                else "-"
            )
            print(
                f"{e.case_number:<14} {e.program:<16} {e.caseworker_id:<12} {e.status:<16} "
                f"{e.outcome_date or '-'!s:<11} {len(line.overdue):>7}  {shown}"
            )
            for d in line.overdue:
                item = [f"{'':<14} overdue: due {d.due_on}", d.kind.value, d.rule_id, d.subject]
                print(" ".join(filter(None, item)))
        shown_count = f"{len(page.lines)} of {page.total} case(s)"
        if page.next_after is not None:
            print(f"{shown_count}; next page: --cursor {page.next_after}")
        else:
            print(shown_count)
    finally:
        view.close()
    return 0


def cmd_status(settings: Settings, _args: argparse.Namespace) -> int:
    """Where the relay and every read model are, and how far behind."""
    from kafka import KafkaConsumer, TopicPartition

    from adapters.relay import position_name
    from application.bootstrap import build_refusal_records, build_tracking_recorder

    require_stores(settings, "events")
    app = build_case_management(settings)
    recorded = app.recorder.max_notification_id() or 0
    tracking = build_tracking_recorder(settings, "relay")
    published = tracking.max_tracking_id(position_name(settings.case_events_topic)) or 0
    print(
        f"event store: {recorded} events recorded; relay published up to {published} (lag {recorded - published})"
    )
    refusal_logs = build_refusal_records(settings)  # held: closing it closes its connections
    refusals = refusal_logs.recorder.max_notification_id() or 0
    relayed = tracking.max_tracking_id(position_name(settings.command_refusals_topic)) or 0
    print(
        f"refusal logs: {refusals} refused commands recorded; refusal relay published up to "
        f"{relayed} (lag {refusals - relayed})"
    )
    print_active_replicas(settings)
    positions: dict[str, dict[int, int]] = {}
    for name, model in READ_MODELS.items():
        try:
            require_stores(settings, name)
        except Unavailable:
            positions[name] = {}
            continue
        store = model.open(settings)
        positions[name] = store.next_offsets(settings.case_events_topic)
        store.close()
    running = running_system(settings)
    if running is not None:
        print(
            f"running: pes run (pid {running.pid}), broker {running.kafka_bootstrap_servers}"
            + (f", API {running.api_url}" if running.api_url else "")
        )
    try:
        servers = require_broker(settings)
    except Unavailable as unavailable:
        for name, done in positions.items():
            print(f"{name} positions:", done or "none yet", "(lag unknown: no broker)")
        print(f"pes status: lag unknown: {unavailable}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    consumer = KafkaConsumer(
        bootstrap_servers=servers,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        isolation_level="read_committed",
    )
    try:
        partitions = [
            TopicPartition(settings.case_events_topic, p)
            for p in sorted(consumer.partitions_for_topic(settings.case_events_topic) or ())
        ]
        ends = consumer.end_offsets(partitions)
    finally:
        consumer.close()
    groups = {name: model.group_id(settings) for name, model in READ_MODELS.items()}
    members = _group_members(servers, list(groups.values()))
    for name, done in positions.items():
        lag = sum(ends[tp] - done.get(tp.partition, 0) for tp in partitions)
        print(f"{name}: lag {lag} message(s) on {settings.case_events_topic}")
        print(f"  group {groups[name]}: {members[groups[name]]}")
        for tp in partitions:
            at = done.get(tp.partition, 0)
            print(f"  [{tp.partition}] at {at} of {ends[tp]} (lag {ends[tp] - at})")
    return 0


def print_active_replicas(settings: Settings) -> None:
    """Which replica of each singleton holds its lease (is active) now."""
    import psycopg

    from adapters.relay import position_name
    from application.bootstrap import DEADLINE_LEASE, build_lease

    singletons = {
        "relay": position_name(settings.case_events_topic),
        "refusal relay": position_name(settings.command_refusals_topic),
        "deadline process": DEADLINE_LEASE,
    }
    for what, name in singletons.items():
        try:
            holder = build_lease(settings, name).holder()
        except (psycopg.Error, OSError) as error:
            print(f"{what}: active replica unknown ({type(error).__name__})")
            continue
        print(f"{what}: " + (f"active replica {holder}" if holder else "no active replica"))


def _group_members(bootstrap_servers: str, groups: list[str]) -> dict[str, str]:
    """Each consumer group's members as the broker counts them: a view whose group has no
    member is fed by nothing, whatever its lag says now."""
    from kafka.admin import KafkaAdminClient

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers, client_id="pes-status", request_timeout_ms=10_000
        )
        try:
            described = admin.describe_groups(groups)
        finally:
            admin.close()
    except Exception as error:  # the lag above is still worth showing
        return {group: f"unknown ({type(error).__name__}: {error})" for group in groups}
    answer = {}
    for group in groups:
        info = described.get(group) or {}
        count = len(info.get("members") or ())
        state = info.get("group_state") or "unknown"
        answer[group] = (
            f"{count} member(s) ({state})" if count else f"no member ({state}): nothing feeds it"
        )
    return answer


def cmd_deadlines(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the deadline process: once for a given day (today or before; a dry run records
    nothing), or every few seconds on the real clock."""
    if args.today or args.dry_run:
        require_stores(settings, "events")
        require_broker(settings)
        enforcer = build_deadline_enforcer(settings)
        try:
            report = enforcer.tick(args.today, dry_run=args.dry_run)
        except TickAheadOfClock as refusal:
            print(f"pes deadlines: --today {refusal}", file=sys.stderr)
            return ExitCode.BAD_INPUT
        finally:
            enforcer.close()
        print(_dry_run_lines(report) if args.dry_run else _tick_summary(report))
        # The terminations are recorded; the alerts wait for the next tick of a running process.
        return ExitCode.UNAVAILABLE if report.alerts_unsent else ExitCode.OK
    stop = _stop_on_signals()
    _as_replica(settings)
    with ExitStack() as stack:
        metrics = _serve_metrics(args, stack)
        ticking = _build_when_reachable(
            partial(build_deadline_enforcer, settings, metrics=metrics, standby=True),
            stop,
            "deadline start",
        )
        if ticking is None:
            return 0
        stack.callback(ticking.close)
        tick_until(ticking, stop, args.every, metrics)
    return 0


def tick_until(
    enforcer: DeadlineEnforcer,
    stop: threading.Event,
    every: float,
    metrics: Metrics | None = None,
) -> None:
    """Ticks every `every` seconds until `stop`; while the broker does not take the alerts,
    ticks again sooner (backoff, at most `every`) so they go out soon after it is back. With a
    lease, ticks only while this replica holds it, and waits as a standby otherwise."""
    lease = enforcer.lease
    if lease is None:
        _tick_while_active(enforcer, stop, every, metrics)
        return
    while lease.acquire(stop):
        try:
            _tick_while_active(enforcer, stop, every, metrics)
        except Exception as failure:
            # Once the lease is gone, any failure (the standby ended this replica's database
            # sessions) means the same: step down.
            if not isinstance(failure, LeaseLost) and lease.held():
                raise
            log.error("the deadline process steps down: %s", failure)
        finally:
            lease.release()


def _tick_while_active(
    enforcer: DeadlineEnforcer, stop: threading.Event, every: float, metrics: Metrics | None
) -> None:
    outage = Outage("deadline process", log)
    backoff = Backoff(initial=1.0, cap=every)
    while not stop.is_set():
        report = enforcer.tick()
        if metrics is not None:
            metrics.deadline_tick(report)
        log.info(_tick_summary(report))
        if report.broker_error is None:
            outage.ended()
            backoff.reset()
            stop.wait(every)
        else:
            outage.failed(RuntimeError(report.broker_error))
            stop.wait(backoff.next_delay())


def _dry_run_lines(report: TickReport) -> str:
    """What a sweep would record and raise, one line each, then the summary."""
    lines = [f"dry run for {report.today}: nothing is recorded or published"]
    lines += [
        f"would terminate {number} effective {on} (VR-11)"
        for number, on in report.terminated_on.items()
    ]
    lines += [f"would defer {deferral}" for deferral in report.deferred]
    lines += [
        f"would alert {d.case_number}: {d.kind.value} due {d.due_on} ({d.status.value})"
        for d in report.alerted
    ]
    return "\n".join([*lines, f"would have: {_tick_summary(report)}"])


def _tick_summary(report: TickReport) -> str:
    return (
        f"{report.today}: terminated {len(report.terminated)} case(s), "
        f"deferred {len(report.deferred)}, raised {report.alerts} alert(s)"
        + (
            f"; {report.alerts_unsent} alert(s) not acknowledged by the broker, sent on a "
            f"later tick ({report.broker_error})"
            if report.alerts_unsent
            else ""
        )
    )


def cmd_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuilds a read model from offset zero: into an empty folder, or in place (stop its
    consumer first)."""
    from application.bootstrap import RebuildFailed, rebuild

    require_broker(settings)
    if args.into:
        settings = settings.model_copy(update={"data_dir": args.into, "view_store": "sqlite"})
    store = READ_MODELS[args.read_model].open(settings)
    store.reset()
    store.close()

    try:
        consumed = rebuild(
            settings, args.read_model, progress=progress_bar("messages"), workers=args.workers
        )
    except RebuildFailed as failure:
        print(f"\nerror: {failure}", file=sys.stderr)
        return ExitCode.CHECK_FAILED
    print(f"\nrebuilt the {args.read_model} read model from {consumed} messages", file=sys.stderr)
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Replays the recorded history under candidate policies, side by side; writes JSON, CSV
    and HTML."""
    from adapters.replay_report import write_reports
    from application.policy_replay import CandidatePolicyError, load_candidates, replay_policy

    out = args.out or settings.data_dir / "reports" / "replay"
    try:
        # A wrong candidate is wrong whatever the system's state: checked before the stores.
        candidates = load_candidates([Path(p) for p in [*args.candidates, *args.policy]])
        require_stores(settings, "events")
        if args.source == "kafka":
            require_broker(settings)
        findings = replay_policy(settings, candidates, args.source, progress_bar("events"))
    except CandidatePolicyError as error:
        print(f"pes replay: {error}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    pages = args.case_pages or _case_pages_of_running_api(settings)
    for path in write_reports(findings, out, lambda number: f"{pages}/{quote(number)}"):
        print(path)
    read = findings.read()
    print(
        f"{read['cases']} case(s) replayed, {read['refusals_read']} refusal(s) read, "
        f"{read['refusals_rejudged']} re-judged"
    )
    for candidate in findings.candidates:
        summary = candidate.summary()
        counts = ", ".join(f"{k} x{n}" for k, n in summary["consequences"].items())
        print(
            f"{candidate.name}: {summary['cases_affected']} case(s) affected: "
            + (counts or "no difference")
            + f"; refused or sent to an override ${summary['amount_cents_affected'] / 100:,.2f}"
            f", would be accepted ${summary['amount_cents_would_be_accepted'] / 100:,.2f}"
        )
        for note in candidate.couplings:
            print(f"{candidate.name}: coupling: {note}")
    return 0


def _case_pages_of_running_api(settings: Settings) -> str:
    """Where the replay page's case numbers lead: the running system's API, else `make run`'s."""
    from adapters.replay_report import DEFAULT_CASE_PAGES
    from scripts.system import recorded_endpoints

    found = recorded_endpoints(settings.data_dir)
    if found is not None and found.api_url:
        return f"{found.api_url.rstrip('/')}/pages/cases"
    return DEFAULT_CASE_PAGES


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    """Prints (or writes) a case's audit trail: JSON, the case page, or its audit file (PDF)."""
    from adapters.audit_report import audit_to_json
    from adapters.pages.case_page import case_page
    from application.audit import audit_of, state_as_of
    from application.case_file import case_file_of
    from domain.case import case_id_of
    from domain.errors import CaseNotFound

    if args.format == "pdf":
        return write_audit_file(settings, args.case, args.as_of, args.out)
    require_stores(settings, "events")
    app = build_case_management(settings)
    case_id = case_id_of(args.case)
    try:
        if args.format == "html":
            text = case_page(case_file_of(app, case_id, utc_today(), args.as_of), app.policies)
        else:
            audit = audit_of(app, case_id)
            then = state_as_of(app, case_id, args.as_of) if args.as_of else None
            text = audit_to_json(audit, args.as_of, then)
    except CaseNotFound:
        print(f"pes audit: no case {args.case} in the event store", file=sys.stderr)
        return ExitCode.BAD_INPUT
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(args.out)
    else:
        sys.stdout.write(text)
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Checks every case's hash chain in the event store and/or the topic: exit 0 intact,
    1 on a break, 3 when a copy could not be read."""
    from application.verification import VerificationUnavailable, verify

    try:
        if args.source in ("store", "both"):
            require_stores(settings, "events")
        if args.source in ("kafka", "both"):
            require_broker(settings)
        verification = verify(settings, args.source, progress_bar)
    except (Unavailable, VerificationUnavailable) as error:
        print(f"pes verify: the check could not run: {error}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    for report in verification.reports:
        print(
            f"{report.source}: {report.cases} case(s), {report.events_checked} event(s) checked, "
            f"{report.duplicates} duplicate(s), {report.unchained_events} from before chaining, "
            f"{len(report.broken)} break(s)"
        )
        for link in report.broken:
            print(f"  {link}")
    if args.source == "both":
        print(
            f"store vs topic: {len(verification.differences)} case(s) whose copies end differently"
        )
        for link in verification.differences:
            print(f"  {link}")
        print(
            f"refusal logs, store vs topic: {len(verification.refusal_differences)} case(s) "
            "whose copies end differently"
        )
        for link in verification.refusal_differences:
            print(f"  {link}")
    return ExitCode.OK if verification.intact else ExitCode.CHECK_FAILED


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serves the HTTP API (tokens from PES_API_TOKENS or PES_API_TOKENS_FILE); a token or key
    it refuses is a `ConfigurationError`, reported by `main`."""
    from api import serve

    try:
        serve(
            settings,
            args.host,
            args.port,
            development=args.development,
            workers=args.workers,
            logging_setup=partial(
                configure_logging, args.log_format, logging.DEBUG if args.verbose else logging.INFO
            ),
        )
    except SystemExit as exited:  # uvicorn's way of saying it could not start
        if exited.code in (None, 0):
            return ExitCode.OK
        raise Unavailable(
            f"the API could not listen on {args.host}:{args.port} (the log says why)"
        ) from None
    return 0


def cmd_schemas(_settings: Settings, args: argparse.Namespace) -> int:
    from adapters.schema_generation import write_schemas

    for path in write_schemas(args.directory):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pes", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="text for people (default) or one JSON object per line (docs/operations.md)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[Settings, argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    def with_metrics(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--metrics-port",
            type=LISTEN_PORT,
            metavar="PORT",
            help="serve Prometheus metrics at http://HOST:PORT/metrics (off by default)",
        )
        sub.add_argument(
            "--metrics-host", default="127.0.0.1", help="address of the metrics server"
        )
        return sub

    run = with_metrics(
        add(
            "run",
            cmd_run,
            "run the whole local system: the broker (unless KAFKA_BOOTSTRAP_SERVERS is set), the "
            "relay, the caseload view, the billing ledger, the reporting store, the deadline "
            "process and (with --api-port) the API; records where they listen in the data folder",
        )
    )
    run.add_argument("--kafka-port", type=PORT, default=None, help="port of the local broker")
    run.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=1,
        help="local brokers: 3 starts a KRaft cluster (topics with three replicas, two in sync; "
        "ports from --kafka-port on) in the data folder's kafka-cluster-3/",
    )
    run.add_argument(
        "--api-port",
        type=LISTEN_PORT,
        metavar="PORT",
        help="also serve the HTTP API on 127.0.0.1:PORT, in DEVELOPMENT MODE (the dev-* tokens)",
    )
    run.add_argument(
        "--demo",
        type=whole(0, MAX_CASES),
        default=0,
        metavar="N",
        help="also load N synthetic demo cases",
    )
    run.add_argument(
        "--tick", type=INTERVAL, default=60.0, metavar="SECONDS", help="deadline process interval"
    )
    serve = add("serve", cmd_serve, "serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument(
        "--port", type=LISTEN_PORT, default=8000, help="0 takes any free port (logged)"
    )
    serve.add_argument(
        "--development",
        action="store_true",
        help="DEVELOPMENT MODE: accept the public dev-* tokens of docs/api.md; never in production",
    )
    serve.add_argument(
        "--workers",
        type=whole(1, MAX_WORKERS),
        default=1,
        metavar="N",
        help="N API processes on one port (default 1); more than 1 needs PostgreSQL stores",
    )
    relay = with_metrics(
        add("relay", cmd_relay, "publish every recorded event to Kafka (the outbox relay)")
    )
    relay.add_argument(
        "--refusals",
        action="store_true",
        help="publish the refused commands' decision records to their topic instead "
        "(PES_COMMAND_REFUSALS_TOPIC); run one relay of each",
    )
    project = with_metrics(
        add("project", cmd_project, "feed a read model from Kafka (its own consumer group)")
    )
    project.add_argument("read_model", choices=list(READ_MODELS), help="the read model to feed")
    consume = with_metrics(
        add(
            "consume",
            cmd_project,
            "run a downstream consumer (billing ledger, reporting) from Kafka, in its own group",
        )
    )
    consume.add_argument(
        "read_model", choices=[m for m in READ_MODELS if m != "caseload"], help="the consumer"
    )
    caseload = add(
        "caseload", cmd_caseload, "print the caseload view, a page at a time, by case number"
    )
    caseload.add_argument(
        "--program", choices=[p.value for p in Program], help="only this program's cases"
    )
    caseload.add_argument("--caseworker", help="only this caseworker's cases")
    caseload.add_argument(
        "--status", choices=[s.value for s in CaseStatus], help="only cases with this status"
    )
    caseload.add_argument(
        "--overdue",
        action="store_true",
        help="only cases with at least one deadline overdue on --today",
    )
    caseload.add_argument(
        "--limit",
        type=whole(1, MAX_PAGE_SIZE),
        default=DEFAULT_PAGE_SIZE,
        help=f"cases per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})",
    )
    caseload.add_argument(
        "--cursor",
        metavar="CASE_NUMBER",
        help="start after this case (the previous page's last line names it)",
    )
    caseload.add_argument(
        "--today", type=iso_date, help="judge deadlines on this day (default: today)"
    )
    deadlines = with_metrics(
        add("deadlines", cmd_deadlines, "record due VR-11 terminations and raise deadline alerts")
    )
    deadlines.add_argument(
        "--today",
        type=iso_date,
        help="run once as of this day (YYYY-MM-DD), today or earlier: never ahead of the clock",
    )
    deadlines.add_argument(
        "--dry-run",
        action="store_true",
        help="show what one sweep (today, or --today) would record and alert; record nothing",
    )
    deadlines.add_argument(
        "--every", type=INTERVAL, default=60.0, metavar="SECONDS", help="tick interval"
    )
    demo = add(
        "demo",
        cmd_demo,
        "load the synthetic caseload (starting a broker unless one runs), run the relay, the "
        "caseload view and one deadline sweep once, and print caseloads and deadlines",
    )
    demo.add_argument(
        "--cases", type=whole(1, MAX_CASES), default=200, help="synthetic cases to load"
    )
    rebuild = add("rebuild", cmd_rebuild, "rebuild a read model from offset zero")
    rebuild.add_argument("read_model", choices=list(READ_MODELS), help="the read model to rebuild")
    rebuild.add_argument(
        "--into",
        type=output_folder,
        metavar="DIR",
        help="build into this folder instead of in place",
    )
    rebuild.add_argument(
        "--workers",
        type=whole(1, MAX_WORKERS),
        default=os.cpu_count() or 1,
        help="processes sharing the topic's partitions (default: one per CPU core)",
    )
    add_billing_commands(
        add("billing", cmd_billing, "the billing ledger: balances, unpaid invoices, reconciliation")
    )
    audit = add(
        "audit", cmd_audit, "a case's audit trail: every decision, and its state as of a date"
    )
    audit.add_argument(
        "case",
        metavar="CASE",
        type=case_reference,
        help="case number (VR-1-000004) or case id (UUID)",
    )
    audit.add_argument("--as-of", type=iso_date, help="also the state on this business date")
    audit.add_argument(
        "--format",
        choices=["json", "html", "pdf"],
        default="json",
        help="JSON (default), HTML, or the audit file as a PDF (needs Chromium and --out)",
    )
    audit.add_argument(
        "--out", type=output_file, metavar="FILE", help="write to FILE instead of stdout"
    )
    verify = add(
        "verify",
        cmd_verify,
        "check every case's hash chain (tamper evidence): exit 0 intact, 1 on a break, "
        "3 if it could not run",
    )
    verify.add_argument(
        "--source",
        choices=["store", "kafka", "both"],
        default="store",
        help="the event store (default), the case event topic, or both and compare their heads",
    )
    replay = add(
        "replay",
        cmd_replay,
        "replay the recorded history under candidate policies, side by side, and report what "
        "would differ",
    )
    replay.add_argument(
        "candidates",
        nargs="*",
        metavar="CANDIDATE.json",
        help='candidate policy files, each named by its stem: {"vr": {...}, '
        '"cash_assistance": {...}} or a flat object of VR parameters',
    )
    replay.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="FILE",
        help="one more candidate policy file (the form before several candidates; repeatable)",
    )
    replay.add_argument(
        "--source",
        choices=["store", "kafka"],
        default="store",
        help="read the event store (default) or the case event topic from offset zero",
    )
    replay.add_argument(
        "--case-pages",
        metavar="URL",
        help="where the HTML report's case numbers lead (default: the running system's API, "
        "else http://127.0.0.1:8000/pages/cases)",
    )
    replay.add_argument(
        "--out",
        type=output_folder,
        metavar="DIR",
        help="where the reports go (default: reports/replay in the data folder)",
    )
    add_pages_command(
        add("pages", cmd_pages, "write the caseload board and its case pages as HTML files")
    )
    add_reports_commands(
        add("reports", cmd_reports, "reports from the reporting read model (CSV or JSON)")
    )
    add("status", cmd_status, "show the relay's and every read model's positions and lag")
    schemas = add("schemas", cmd_schemas, "write the Avro schema of every event's current version")
    schemas.add_argument(
        "--directory",
        type=output_folder,
        default=Path("schemas"),
        help="where the .avsc files go (default: ./schemas)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_format, logging.DEBUG if args.verbose else logging.INFO)
    # Whatever a pes process creates (stores, keys, the local broker's files, reports) is its
    # owner's only; the stores also set their modes themselves (adapters/private_files.py).
    # Restored on return, so a test calling main() leaves its own process as it was.
    umask = os.umask(PRIVATE_UMASK)
    freeze_startup_objects()
    settings = None
    try:
        settings = load_settings()
        check_keys(settings)
        if args.command != "run":  # `pes run` starts the system others discover
            settings = discover(settings)
        code = int(args.handler(settings, args))
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return code
    except ConfigurationError as error:
        return _refused(args, error, ExitCode.BAD_INPUT)
    except BrokerNotConfigured as error:
        return _refused(args, no_system(settings) if settings else error, ExitCode.UNAVAILABLE)
    except Unavailable as error:
        return _refused(args, error, ExitCode.UNAVAILABLE)
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted; output still buffered goes nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt:
        print(f"\npes {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except (KafkaError, OSError, PersistenceError, sqlite3.Error) as error:
        log.debug("pes %s could not run", args.command, exc_info=True)
        return _refused(args, f"{type(error).__name__}: {error}", ExitCode.UNAVAILABLE)
    finally:
        os.umask(umask)


INTERRUPTED = 128 + signal.SIGINT
"""What a command stopped by Ctrl-C exits with (the shell's convention)."""


def _refused(args: argparse.Namespace, reason: object, code: ExitCode) -> int:
    """One line on stderr, naming the command, and the exit code to return."""
    first = str(reason).strip().splitlines()[0] if str(reason).strip() else "failed"
    print(f"pes {args.command}: {first}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
