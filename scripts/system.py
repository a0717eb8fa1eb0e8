"""What a `pes` command needs from the system before it starts: the stores of its data folder,
and the broker of the running `pes run`, found through the endpoints file it keeps there."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from adapters.private_files import PRIVATE_FILE, private_directory
from application.settings import Settings

ENDPOINTS_FILE = "endpoints.json"
PROBE_TIMEOUT = 3.0
"""Seconds a command waits for the broker to accept a connection before saying it is down."""
START_IT = "start it with `pes run` or set KAFKA_BOOTSTRAP_SERVERS"


class Unavailable(Exception):
    """The command cannot run: something it needs is not there (exit 3, one line)."""


@dataclass(frozen=True)
class Endpoints:
    """Where a running `pes run` listens, and which process it is."""

    kafka_bootstrap_servers: str
    api_url: str | None
    pid: int


def endpoints_path(data_dir: Path) -> Path:
    return data_dir / ENDPOINTS_FILE


def record_endpoints(data_dir: Path, endpoints: Endpoints) -> Path:
    """Writes the endpoints file atomically (a reader never sees half of it), 0600."""
    path = endpoints_path(private_directory(data_dir))
    partial = path.with_name(f".{ENDPOINTS_FILE}.{os.getpid()}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(asdict(endpoints), file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    return path


def forget_endpoints(data_dir: Path, pid: int) -> None:
    """Removes the endpoints file if it is `pid`'s (another `pes run` may have replaced it)."""
    found = recorded_endpoints(data_dir)
    if found is not None and found.pid == pid:
        endpoints_path(data_dir).unlink(missing_ok=True)


def recorded_endpoints(data_dir: Path) -> Endpoints | None:
    """What the endpoints file says, or None when there is none or it cannot be read."""
    try:
        found = json.loads(endpoints_path(data_dir).read_text(encoding="utf-8"))
        return Endpoints(
            kafka_bootstrap_servers=str(found["kafka_bootstrap_servers"]),
            api_url=None if found.get("api_url") is None else str(found["api_url"]),
            pid=int(found["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def broker_answers(servers: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether any of the bootstrap servers accepts a TCP connection within `timeout`."""
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


def running_system(settings: Settings) -> Endpoints | None:
    """The `pes run` recorded in the data folder, if its process is alive and its broker answers."""
    found = recorded_endpoints(settings.data_dir)
    if found is None or not process_alive(found.pid):
        return None
    return found if broker_answers(found.kafka_bootstrap_servers) else None


def discover(settings: Settings) -> Settings:
    """The settings with the running system's broker, unless KAFKA_BOOTSTRAP_SERVERS is set."""
    if settings.kafka_bootstrap_servers:
        return settings
    found = recorded_endpoints(settings.data_dir)
    if found is None or not process_alive(found.pid):
        return settings
    return settings.model_copy(update={"kafka_bootstrap_servers": found.kafka_bootstrap_servers})


def no_system(settings: Settings) -> str:
    """One line: why no broker was found, and what to start."""
    where = settings.data_dir.resolve()
    found = recorded_endpoints(settings.data_dir)
    if found is not None and not process_alive(found.pid):
        return (
            f"no running system found in {where}: {ENDPOINTS_FILE} names pes run process "
            f"{found.pid}, which has ended; {START_IT}"
        )
    return f"no running system found in {where}: {START_IT}"


def require_broker(settings: Settings) -> str:
    """The bootstrap servers, once one of them accepts a connection; else `Unavailable`."""
    servers = settings.kafka_bootstrap_servers
    if not servers:
        raise Unavailable(no_system(settings))
    if not broker_answers(servers):
        source = (
            "KAFKA_BOOTSTRAP_SERVERS"
            if os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
            else f"{endpoints_path(settings.data_dir.resolve())}"
        )
        raise Unavailable(
            f"the broker at {servers} (from {source}) does not answer within "
            f"{PROBE_TIMEOUT:g} s: {START_IT}"
        )
    return servers


STORES = {
    "events": ("event store", lambda s: s.sqlite_path, lambda s: s.event_store),
    "caseload": ("caseload view", lambda s: s.views_path, lambda s: s.view_store),
    "billing": ("billing ledger", lambda s: s.billing_path, lambda s: s.view_store),
    "reporting": ("reporting store", lambda s: s.reporting_path, lambda s: s.view_store),
}
POSTGRES_TABLES = {
    "events": "cases_events",  # the eventsourcing library's: CaseManagement.name + "_events"
    "caseload": "caseload",
    "billing": "billing_cases",
    "reporting": "reporting_cases",
}


def require_stores(settings: Settings, *names: str) -> None:
    """Refuses (`Unavailable`) a read of a store that does not exist (a SQLite file, or a
    PostgreSQL table): opening one would create it empty, and an empty store answers "0 cases"
    as if it had checked something."""
    for name in names:
        what, path_of, kind_of = STORES[name]
        path = path_of(settings)
        if kind_of(settings) == "postgres":
            _require_postgres_table(settings, POSTGRES_TABLES[name], what)
        elif not path.is_file():
            raise Unavailable(
                f"no {what} at {path.resolve()}: start the system with `pes run`, or set "
                f"PES_DATA_DIR to its data folder (now {settings.data_dir})"
            )


def wait_for_group_coordinators(
    servers: str, groups: list[str], stop: threading.Event, timeout: float = 60.0
) -> bool:
    """Waits until the broker's coordinator answers for every group; False if it did not within
    `timeout`. On a brand-new broker the coordinator is elected only after the first request, and
    consumers started before that log NotCoordinatorError warnings until it is."""
    from kafka.admin import KafkaAdminClient
    from kafka.errors import GroupIdNotFoundError, KafkaError

    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=servers, client_id="pes-run", request_timeout_ms=5_000
            )
            try:
                described = admin.describe_groups(groups)
            finally:
                admin.close()
        except (KafkaError, ValueError, TypeError, AttributeError):
            pass  # not elected yet: the library reports it in several ways
        else:
            # A coordinator that knows no such group yet (a new one) has answered: it is ready.
            errors = [(described.get(group) or {"error": "none"}).get("error") for group in groups]
            if all(not error or GroupIdNotFoundError.__name__ in error for error in errors):
                return True
        stop.wait(0.25)
    return False


def _require_postgres_table(settings: Settings, table: str, what: str) -> None:
    """Refuses a PostgreSQL database without the store's table: opening would create it."""
    import psycopg

    where = (
        f"PostgreSQL database {settings.postgres_dbname} at "
        f"{settings.postgres_host}:{settings.postgres_port}"
    )
    try:
        with psycopg.connect(
            settings.postgres_conninfo(), connect_timeout=int(PROBE_TIMEOUT)
        ) as db:
            row = db.execute("SELECT to_regclass(%s)", (f"public.{table}",)).fetchone()
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unavailable(f"cannot reach the {where}: {first}") from None
    if row is None or row[0] is None:
        raise Unavailable(
            f"no {what} in the {where} (no table {table}): start the system with `pes run` "
            "or point POSTGRES_* at its database"
        )
