"""Benchmark: the HTTP command path (`pes serve` in child processes) beside the in-process
append of the same commands, measured in the same run.

Closed-loop clients (each sends its next command once the last is answered, over a kept-alive
connection) open cases and record their outcomes, at 1, 8 and 32 clients, on SQLite (one API
process) and on PostgreSQL (one and two processes: `pes serve --workers 2`). Each level runs for
a fixed time; commands/s and p50/p95/p99 latency are what the clients saw. The API's and the
clients' CPU per command are read from the kernel, and one more run of the SQLite API under a
stack sampler says where a request's time goes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from application.bootstrap import build_case_management
from application.settings import Settings, as_environment
from domain.base import Actor, Role
from domain.case import Program, case_id_for
from domain.commands import OpenCase, RecordOutcome

REPOSITORY = Path(__file__).resolve().parents[1]
ACTOR = Actor(id="bench", role=Role.CASEWORKER)
TOKEN = "bench-token-of-at-least-thirty-two-characters"
CONCURRENCY = (1, 8, 32)
START_DEADLINE_SECONDS = 120.0
TICKS = os.sysconf("SC_CLK_TCK")


class PhaseFailed(RuntimeError):
    """A benchmark phase that did not finish within its deadline."""


def open_command(number: str) -> OpenCase:
    return OpenCase(
        case_number=number,
        program=Program.VR,
        client_ref=f"CL-{number}",
        caseworker_id="cw-bench",
        opened_on=date(2024, 1, 2),
    )


def outcome_command(number: str) -> RecordOutcome:
    return RecordOutcome(
        case_id=case_id_for(number),
        outcome_date=date(2024, 3, 1),
        employer="Bench Employer",
        job_title="Technician",
        hourly_wage_cents=2000,
        weekly_hours=35,
    )


class InProcessAppend:
    """`open_case` + `handle(RecordOutcome)` called in this process, one at a time, on a store
    of its own: the baseline, measured right before each HTTP level so both see the same
    machine."""

    def __init__(self, settings: Settings) -> None:
        self.app = build_case_management(settings)
        self.runs = 0

    def rate(self, seconds: float) -> float:
        self.runs += 1
        commands, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            number = f"APPEND-{self.runs}-{commands // 2}"
            self.app.open_case(open_command(number), ACTOR)
            self.app.handle(outcome_command(number), ACTOR)
            commands += 2
        return commands / (time.perf_counter() - start)

    def close(self) -> None:
        self.app.close()


@dataclass(frozen=True)
class ServerWaits:
    """What the API's threads did besides running Python: counters of the kernel over a level."""

    kernel_cpu: float
    """CPU seconds spent in the kernel (the commits' fdatasync, futex waits, sockets)."""
    switches: int
    """Context switches of every thread: each GIL handover between threads is one or two."""
    run_queue: float
    """Seconds the threads were runnable but waited for a core (the machine's other load)."""

    def since(self, earlier: ServerWaits) -> ServerWaits:
        return ServerWaits(
            self.kernel_cpu - earlier.kernel_cpu,
            self.switches - earlier.switches,
            self.run_queue - earlier.run_queue,
        )

    def line(self, commands: int) -> str:
        return (
            f"\n      API per command: kernel CPU {self.kernel_cpu / commands * 1000:4.2f} ms, "
            f"{self.switches / commands:4.1f} context switches, waiting for a core "
            f"{self.run_queue / commands * 1000:4.2f} ms (summed over its threads)"
        )


def server_waits(pid: int) -> ServerWaits:
    """The kernel's counters for the API process and its children now alive (its workers)."""
    kernel, switches, run_queue = 0.0, 0, 0.0
    for process in _api_processes(pid):
        try:
            kernel += int(process.stat[12]) / TICKS
            for task in (process.path / "task").iterdir():
                status = (task / "status").read_text()
                switches += sum(
                    int(line.split()[1]) for line in status.splitlines() if "ctxt_switches" in line
                )
                run_queue += int((task / "schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return ServerWaits(kernel, switches, run_queue)


@dataclass(frozen=True)
class ApiProcess:
    """An API process (or one of its workers) as /proc shows it."""

    path: Path
    stat: list[str]
    """/proc/<pid>/stat's fields after the command name."""


def _api_processes(pid: int) -> Iterator[ApiProcess]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            yield ApiProcess(entry, fields)


@dataclass(frozen=True)
class Level:
    """One closed-loop run: what the clients saw, and the CPU each side spent per command."""

    clients: int
    commands: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    client_cpu: float
    server_waits: ServerWaits | None = None

    @property
    def rate(self) -> float:
        return self.commands / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self, baseline: float) -> str:
        return (
            f"  {self.clients:>2} clients: {self.rate:7,.0f} commands/s  "
            f"p50 {self.percentile(50):6.1f}  p95 {self.percentile(95):6.1f}  "
            f"p99 {self.percentile(99):6.1f} ms   API CPU {self.server_cpu * 1000:5.2f} ms/command, "
            f"clients {self.client_cpu * 1000:4.2f} ms   ratio to in-process append "
            f"{self.rate / baseline:4.2f}"
        )

    def waits_line(self) -> str:
        return "" if self.server_waits is None else self.server_waits.line(self.commands)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and its children now alive (the API's workers)."""
    return sum(
        (int(process.stat[11]) + int(process.stat[12])) / TICKS for process in _api_processes(pid)
    )


def closed_loop(port: int, server_pid: int, clients: int, seconds: float, prefix: str) -> Level:
    """`clients` threads, each opening a case and recording its outcome until time is up."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    stop = threading.Event()
    failures: list[str] = []
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = 0
        try:
            while not stop.is_set():
                number = f"{prefix}-{index}-{n}"
                opening = json.dumps(open_command(number).model_dump(mode="json")).encode()
                outcome = outcome_command(number).model_dump(mode="json", exclude={"case_id"})
                for path, body, status in (
                    ("/cases", opening, 201),
                    (f"/cases/{case_id_for(number)}/outcome", json.dumps(outcome).encode(), 200),
                ):
                    started = time.perf_counter()
                    connection.request("POST", path, body, headers)
                    response = connection.getresponse()
                    answer = response.read()
                    latencies[index].append(time.perf_counter() - started)
                    if response.status != status:
                        raise PhaseFailed(f"{path}: {response.status} {answer[:200]!r}")
                n += 1
        except Exception as error:  # reported by the run, which then fails
            failures.append(f"{type(error).__name__}: {error}")
            stop.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    server_before, client_before = cpu_seconds(server_pid), time.process_time()
    waits_before = server_waits(server_pid)
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
        if thread.is_alive():
            raise PhaseFailed(f"a client got no answer within 120 s at {clients} clients")
    elapsed = time.perf_counter() - start
    if failures:
        raise PhaseFailed(f"at {clients} clients: {failures[0]}")
    flat = [latency for own in latencies for latency in own]
    return Level(
        clients,
        len(flat),
        elapsed,
        flat,
        (cpu_seconds(server_pid) - server_before) / len(flat),
        (time.process_time() - client_before) / len(flat),
        server_waits(server_pid).since(waits_before),
    )


@contextmanager
def api_process(
    settings: Settings, *command: str, source: Path = REPOSITORY
) -> Iterator[tuple[int, int]]:
    """The API as a child process over `settings`, run from the checkout `source` (its modules
    come first on the path); yields its port and pid once it answers."""
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "api.log"
        tokens = json.dumps({TOKEN: {"id": ACTOR.id, "role": ACTOR.role.value}})
        with (
            open(log_path, "w") as log_file,
            subprocess.Popen(
                [sys.executable, "-m", *command, "--port", "0"],
                cwd=source,
                env={**os.environ, **as_environment(settings), "PES_API_TOKENS": tokens},
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            ) as server,
        ):
            try:
                port = wait_for_port(log_path, server)
                wait_for_answer(port, server)
                yield port, server.pid
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)


def wait_for_port(log_path: Path, server: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    marker = "Uvicorn running on http://127.0.0.1:"
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if marker in line:
                return int(line.split(marker, 1)[1].split()[0])
        if server.poll() is not None:
            raise PhaseFailed(f"the API exited: {log_path.read_text()[-2000:]}")
        time.sleep(0.05)
    raise PhaseFailed(f"the API did not listen within {START_DEADLINE_SECONDS:.0f} s")


def wait_for_answer(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise PhaseFailed(f"the API did not answer within {START_DEADLINE_SECONDS:.0f} s")


PES_SERVE = ("scripts.cli", "serve")


def bench_api(
    name: str,
    tag: str,
    settings: Settings,
    in_process: InProcessAppend,
    seconds: float,
    workers: int = 1,
) -> dict[int, tuple[Level, float]]:
    """Each level of the API, beside the in-process append measured just before it."""
    command = (*PES_SERVE, "--workers", str(workers)) if workers > 1 else PES_SERVE
    levels = {}
    with api_process(settings, *command) as (port, pid):
        print(f"{name}:")
        closed_loop(port, pid, 2, 1.0, f"{tag}-W")  # imports, caches, connections
        for clients in CONCURRENCY:
            baseline = in_process.rate(seconds)
            level = closed_loop(port, pid, clients, seconds, f"{tag}-C{clients}")
            levels[clients] = (level, baseline)
            print(level.line(baseline) + f" ({baseline:,.0f}/s)" + level.waits_line())
    return levels


def verdicts(levels: dict[int, tuple[Level, float]]) -> None:
    (at_8, baseline), (at_32, _) = levels[8], levels[32]
    print(
        f"  targets: 8 clients >= 0.5 of in-process: {at_8.rate / baseline:.2f} "
        f"({'met' if at_8.rate >= 0.5 * baseline else 'NOT met'}); 32 clients >= 8 clients: "
        f"{at_32.rate / at_8.rate:.2f} ({'met' if at_32.rate >= at_8.rate else 'NOT met'}); "
        f"p95 at 8 <= 50 ms: {at_8.percentile(95):.1f} "
        f"({'met' if at_8.percentile(95) <= 50 else 'NOT met'})"
    )


# Where a request's time goes: the API's CPU under yappi (every thread, C calls included),
# each function's own time put in the category of the code it belongs to.

CATEGORIES = (
    ("logging", ("/logging/", "adapters/structured_logging", "api/request_log")),
    ("JSON", ("/json/", "_json")),
    ("auth", ("api/auth", "api/access")),
    ("event store (library, driver)", ("/eventsourcing/", "/psycopg", "sqlite3")),
    ("event store (project: Avro, keys)", ("adapters/", "fastavro")),
    ("application and domain", ("application/", "domain/")),
    ("validation (pydantic)", ("/pydantic", "pydantic_core")),
    ("FastAPI routing and dependencies", ("/fastapi/",)),
    ("API route code", ("/api/",)),
    ("uvicorn and h11 (HTTP)", ("/uvicorn/", "/h11/")),
    ("starlette, anyio, asyncio, sockets", ("/starlette/", "/anyio/", "asyncio", "socket")),
    ("threads and locks", ("threading", "/concurrent/", "queue", "lock")),
)


def category(module: str, name: str) -> str:
    for label, markers in CATEGORIES:
        if any(marker in module or marker in name for marker in markers):
            return label
    return "other"


def categorized(stats: Any) -> Counter[str]:
    """Each function's own CPU in its category; a C function's (isinstance, dict.get) in its
    caller's, unless the C function has a category of its own (sqlite3, json, sockets)."""
    shares: Counter[str] = Counter()
    for stat in stats:
        if stat.builtin:
            continue
        label = category(stat.module, stat.name)
        shares[label] += stat.tsub
        for child in stat.children:
            if child.builtin:
                own = category(child.module, child.name)
                shares[label if own == "other" else own] += child.tsub
    return shares


def serve_profiled(out: Path) -> None:
    """`pes serve` as the bench runs it, under yappi's CPU clock until SIGTERM."""
    import yappi

    from adapters.structured_logging import configure_logging
    from api import api_server
    from application.bootstrap import freeze_startup_objects
    from application.settings import load_settings

    configure_logging("text", logging.INFO)  # as `pes serve`: the access log is part of the cost
    server = api_server(load_settings(), "127.0.0.1", 0)
    freeze_startup_objects()
    # uvicorn raises the SIGTERM it caught again once stopped: ignored then, so the
    # profile below is written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    # Started by the bench once the API is warm: one-time work (imports, FastAPI's lazy setup
    # of each route) stays out of the per-command figures.
    yappi.set_clock_type("cpu")
    signal.signal(signal.SIGUSR1, lambda *_: yappi.start(builtins=True))
    try:
        server.run()
    finally:
        yappi.stop()
        stats = yappi.get_func_stats()
        out.write_text(json.dumps(categorized(stats)))
        if top := os.environ.get("PES_BENCH_PROFILE_TOP"):  # every function, for a closer look
            with open(top, "w") as file:
                stats.sort("tsub").print_all(file)


def bench_where_the_time_goes(settings: Settings, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "samples.json"
        command = ("scripts.bench_http", "profile", "--out", str(out))
        with api_process(settings, *command) as (port, pid):
            closed_loop(port, pid, 2, 1.0, "SW")
            os.kill(pid, signal.SIGUSR1)
            level = closed_loop(port, pid, 8, seconds, "S")
        samples = Counter(json.loads(out.read_text()))
    busy = sum(samples.values())
    print(
        f"where the API's CPU goes (SQLite, 8 clients, under yappi: {level.rate:,.0f} "
        f"commands/s, {1000 * busy / level.commands:.2f} ms CPU/command profiled):"
    )
    for name, spent in samples.most_common():
        print(f"  {name:<36} {100 * spent / busy:5.1f} %  {1e6 * spent / level.commands:6.0f} us")


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The repository at `revision`, in a temporary worktree of its own."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checkout"
        git = ("git", "-C", str(REPOSITORY))
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(path), revision],
            check=True,
            capture_output=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                [*git, "worktree", "remove", "--force", str(path)], check=True, capture_output=True
            )


def bench_before_after(revision: str, seconds: float, rounds: int = 2) -> None:
    """The SQLite API of `revision` and of this checkout (each run from its own files, on the
    same installed packages), in alternating rounds (so a busy spell of the machine weighs on
    both), each on a fresh store."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        before = stack.enter_context(checkout(revision))
        totals: dict[tuple[str, int], list[Level]] = {}
        for n in range(rounds):
            for label, source in (("before", before), ("after", REPOSITORY)):
                settings = Settings(data_dir=folder / f"{label}{n}")
                with api_process(settings, *PES_SERVE, source=source) as (port, pid):
                    closed_loop(port, pid, 2, 1.0, f"{label[0].upper()}{n}W")
                    for clients in CONCURRENCY:
                        level = closed_loop(
                            port, pid, clients, seconds, f"{label[0].upper()}{n}C{clients}"
                        )
                        totals.setdefault((label, clients), []).append(level)
                        print(
                            f"  round {n + 1} {label:<6}"
                            + level.line(1.0).split("   ratio")[0]
                            + level.waits_line()
                        )
        print(
            f"before ({revision}) and after (this checkout), SQLite, 1 API process, {rounds} rounds:"
        )
        for clients in CONCURRENCY:
            for label in ("before", "after"):
                levels = totals[(label, clients)]
                merged = Level(
                    clients,
                    sum(level.commands for level in levels),
                    sum(level.seconds for level in levels),
                    [latency for level in levels for latency in level.latencies],
                    statistics.fmean(level.server_cpu for level in levels),
                    statistics.fmean(level.client_cpu for level in levels),
                )
                print(f"  {label:<6}" + merged.line(1.0).split("   ratio")[0])


STORES = ("sqlite", "postgres")


def bench_http(
    seconds: float = 5.0, stores: tuple[str, ...] = STORES, profile: bool = True
) -> None:
    """Every figure of the HTTP command path on `stores`, and its in-process baselines, in one
    run; with `profile`, where the SQLite API's CPU goes."""
    # Other work on the machine moves every figure: said beside them.
    print(f"HTTP command path; load average at the start {os.getloadavg()[0]:.1f}")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if "sqlite" in stores:
            sqlite = InProcessAppend(Settings(data_dir=folder / "append"))
            stack.callback(sqlite.close)
            levels = bench_api(
                "HTTP, SQLite, 1 API process",
                "SQ1",
                Settings(data_dir=folder / "http"),
                sqlite,
                seconds,
            )
            verdicts(levels)
        if profile:
            bench_where_the_time_goes(Settings(data_dir=folder / "sampled"), seconds)
        if "postgres" not in stores:
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            return
        postgres = stack.enter_context(local_postgres(folder / "postgres"))
        on_postgres = InProcessAppend(postgres("append"))
        stack.callback(on_postgres.close)
        for workers in (1, 2):
            levels = bench_api(
                f"HTTP, PostgreSQL, {workers} API process{'es' if workers > 1 else ''}",
                f"PG{workers}",
                postgres(f"http{workers}"),
                on_postgres,
                seconds,
                workers,
            )
            verdicts(levels)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


@contextmanager
def local_postgres(folder: Path) -> Iterator[Any]:
    """A local PostgreSQL server; yields a maker of settings for a fresh database on it."""
    from scripts.local_postgres import LocalPostgres

    server = LocalPostgres(folder)
    connection = server.start()

    def fresh(name: str) -> Settings:
        dbname = f"bench_{name}"
        server.create_database(dbname)
        return Settings(
            data_dir=folder.parent / name,
            event_store="postgres",
            view_store="postgres",
            POSTGRES_HOST=connection["host"],
            POSTGRES_PORT=int(connection["port"]),
            POSTGRES_USER=connection["user"],
            POSTGRES_PASSWORD=connection["password"],
            POSTGRES_DBNAME=dbname,
        )

    try:
        yield fresh
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command")
    profile = commands.add_parser("profile", help="serve the API under yappi (pip install yappi)")
    profile.add_argument("--out", type=Path, required=True)
    profile.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per level")
    parser.add_argument(
        "--before", metavar="REVISION", help="only compare the SQLite API of REVISION with this one"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds of --before (default 2)"
    )
    parser.add_argument(
        "--stores",
        default=",".join(STORES),
        help="comma-separated stores to measure: sqlite, postgres (default: both)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="skip where the API's CPU goes (yappi)"
    )
    args = parser.parse_args()
    stores = tuple(store.strip() for store in args.stores.split(",") if store.strip())
    if unknown := set(stores) - set(STORES):
        parser.error(f"--stores: unknown store(s) {', '.join(sorted(unknown))}")
    if args.command == "profile":
        serve_profiled(args.out)
    elif args.before:
        bench_before_after(args.before, args.seconds, args.rounds)
    else:
        bench_http(args.seconds, stores, profile=not args.no_profile)


if __name__ == "__main__":
    main()
