"""A real PostgreSQL server for development and tests, run from the distribution's binaries.

Debian's ``postgresql`` package provides the binaries (scripts/install_system_deps.sh installs
it); this module makes a private cluster with ``initdb`` and runs it with ``pg_ctl`` on a port of
its own, listening on 127.0.0.1 only.

    python -m scripts.local_postgres run --data-dir .data/postgres --port 5433
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from adapters.private_files import PRIVATE_FILE, tighten

log = logging.getLogger(__name__)

USER = "pes"
DBNAME = "pes"
SUPERUSER = "postgres"
OS_USER = "postgres"
# A unix socket's path must fit in 108 bytes; postgres appends "/.s.PGSQL.<port>".
MAX_SOCKET_DIR_LENGTH = 90
LOG_TAIL_LINES = 40


class PostgresLauncherError(RuntimeError):
    """The local PostgreSQL server could not be prepared, started or stopped."""


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries (initdb, pg_ctl, postgres)."""
    candidates = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
        if (path.parent / "initdb").is_file()
    ]
    if candidates:
        return max(candidates, key=_version_key)
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).resolve().parent / "initdb").is_file():
        return Path(on_path).resolve().parent
    raise PostgresLauncherError(
        "PostgreSQL's server binaries (initdb, pg_ctl) were not found under "
        "/usr/lib/postgresql/*/bin or on PATH; run scripts/install_system_deps.sh"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _traversable_by(path: Path, account: pwd.struct_passwd) -> bool:
    groups = {account.pw_gid, *os.getgrouplist(account.pw_name, account.pw_gid)}
    for directory in (path, *path.parents):
        status = directory.stat()
        if status.st_uid == account.pw_uid:
            needed = stat.S_IXUSR
        elif status.st_gid in groups:
            needed = stat.S_IXGRP
        else:
            needed = stat.S_IXOTH
        if not status.st_mode & needed:
            return False
    return True


def conninfo(connection: dict[str, str], **overrides: str) -> str:
    """A libpq connection string for a ``start()`` result, with some values replaced."""
    return make_conninfo("", **{**connection, **overrides})


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class LocalPostgres:
    """A private PostgreSQL cluster under ``data_dir``, serving 127.0.0.1 on its own port."""

    def __init__(self, data_dir: Path, *, port: int | None = None, durable: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.durable = durable
        self.connection: dict[str, str] = {}
        self._bin = postgres_bin_dir()
        # PostgreSQL refuses to run as root, so root runs it as the package's `postgres` user.
        self._account: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._account = pwd.getpwnam(OS_USER)
            except KeyError as exc:
                raise PostgresLauncherError(
                    f"running as root needs the `{OS_USER}` OS user that Debian's postgresql "
                    "package creates; run scripts/install_system_deps.sh"
                ) from exc
        self._cluster: Path | None = None
        self._ephemeral: list[Path] = []
        self._socket_dir: Path | None = None
        self._running = False

    @property
    def log_path(self) -> Path:
        assert self._cluster is not None
        return self._cluster / "server.log"

    def _run(self, args: Sequence[str], *, timeout: float, check: bool = True) -> int:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._account is not None:
            command = ["runuser", "-u", self._account.pw_name, "--", *command]
        try:
            result = subprocess.run(
                command,
                # The postgres user may not be able to enter the caller's working directory.
                cwd=self._cluster or "/",
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "LC_ALL": "C"},
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresLauncherError(
                f"{args[0]} did not finish within {timeout:.0f} s; "
                f"last lines of the server log:\n{self._server_log_tail()}"
            ) from exc
        if check and result.returncode != 0:
            raise PostgresLauncherError(
                f"{' '.join(args[:2])} failed (exit {result.returncode}):\n"
                f"{(result.stdout + result.stderr).strip()}\n"
                f"last lines of the server log:\n{self._server_log_tail()}"
            )
        return result.returncode

    def _server_log_tail(self) -> str:
        return _tail(self.log_path) if self._cluster is not None else "(no log)"

    def _own(self, path: Path) -> None:
        if self._account is not None:
            os.chown(path, self._account.pw_uid, self._account.pw_gid)

    def _private_temp_dir(self, prefix: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self._own(path)
        self._ephemeral.append(path)
        return path

    def _place_cluster(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._account is not None and not _traversable_by(self.data_dir, self._account):
            # e.g. pytest's 0700 /tmp/pytest-of-root: the postgres user cannot reach inside, so
            # the cluster lives in a private temporary directory and goes away on stop().
            log.info(
                "%s is not reachable by the %s user; using a temporary cluster",
                self.data_dir,
                OS_USER,
            )
            return self._private_temp_dir("pes-postgres-")
        cluster = self.data_dir / "cluster"
        cluster.mkdir(mode=0o700, exist_ok=True)
        self._own(cluster)
        return cluster

    def _password(self) -> str:
        path = self.data_dir / "password"
        if path.is_file():
            return tighten(path).read_text().strip()
        password = secrets.token_urlsafe(24)
        path.touch(mode=PRIVATE_FILE)
        path.write_text(password + "\n")
        return password

    def _write_config(self, cluster: Path, port: int, socket_dir: Path) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(port),
            "unix_socket_directories": f"'{socket_dir}'",
            "max_connections": "100",
            "password_encryption": "'scram-sha-256'",
        }
        if not self.durable:
            # Throwaway data: trading crash safety for speed.
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        config = cluster / "pes.conf"
        config.write_text(
            "# written by scripts/local_postgres.py on every start\n"
            + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        self._own(config)
        main_config = cluster / "postgresql.conf"
        if "include 'pes.conf'" not in main_config.read_text():
            with main_config.open("a") as handle:
                handle.write("\ninclude 'pes.conf'\n")

    def _superuser(self) -> psycopg.Connection[Any]:
        assert self._socket_dir is not None
        # Trust over the unix socket: its directory is private to the cluster's owner (and root).
        return psycopg.connect(
            host=str(self._socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def start(self, timeout: float = 60.0) -> dict[str, str]:
        """Starts the server (creating the cluster on first use); returns how to connect."""
        if self._running:
            return self.connection
        deadline = time.monotonic() + timeout
        self._cluster = cluster = self._place_cluster()
        try:
            self._start_server(cluster, deadline)
            self.connection = self._prepare_role_and_database()
            self._wait_for_tcp(deadline, timeout)
        except BaseException:
            self._stop(check=False)
            raise
        return self.connection

    def _start_server(self, cluster: Path, deadline: float) -> None:
        fresh = not (cluster / "PG_VERSION").is_file()
        if fresh:
            self._run(
                [
                    "initdb",
                    "-D",
                    str(cluster),
                    "-U",
                    SUPERUSER,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                    *([] if self.durable else ["--no-sync"]),
                ],
                timeout=max(10.0, deadline - time.monotonic()),
            )
        elif self._run(["pg_ctl", "status", "-D", str(cluster)], timeout=10, check=False) == 0:
            # Left running by a session that was killed; restart it with this start's settings.
            self._run(["pg_ctl", "stop", "-D", str(cluster), "-m", "fast", "-w"], timeout=60)

        self.port = port = self.port or _free_port()
        socket_dir = cluster
        if len(str(socket_dir)) > MAX_SOCKET_DIR_LENGTH:
            socket_dir = self._private_temp_dir("pes-pg-socket-")
        self._socket_dir = socket_dir
        self._write_config(cluster, port, socket_dir)
        wait_seconds = max(5, int(deadline - time.monotonic()))
        # Marked running before pg_ctl returns: a start that times out may leave a server behind.
        self._running = True
        atexit.register(self.stop)
        self._run(
            [
                "pg_ctl",
                "start",
                "-D",
                str(cluster),
                "-l",
                str(self.log_path),
                "-w",
                "-s",
                "-t",
                str(wait_seconds),
            ],
            timeout=wait_seconds + 10,
        )

    def _prepare_role_and_database(self) -> dict[str, str]:
        password = self._password()
        with self._superuser() as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [USER]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} WITH LOGIN CREATEDB PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(USER), sql.Literal(password)
                )
            )
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DBNAME]
            ).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(DBNAME), sql.Identifier(USER)
                    )
                )
        return {
            "host": "127.0.0.1",
            "port": str(self.port),
            "user": USER,
            "password": password,
            "dbname": DBNAME,
        }

    def _wait_for_tcp(self, deadline: float, timeout: float) -> None:
        while True:
            try:
                with psycopg.connect(conninfo(self.connection), connect_timeout=2) as conn:
                    conn.execute("SELECT 1").fetchone()
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresLauncherError(
                        f"PostgreSQL did not accept a password login on 127.0.0.1:{self.port} "
                        f"within {timeout:.0f} s ({exc}); last lines of the server log:\n"
                        f"{self._server_log_tail()}"
                    ) from exc
            time.sleep(0.1)

    def create_database(self, name: str) -> None:
        """Creates a fresh, empty database owned by the ``pes`` user."""
        if not self._running:
            raise PostgresLauncherError("start() the server before creating databases")
        with self._superuser() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(USER)
                )
            )

    def stop(self) -> None:
        """Stops the server (fast shutdown); a temporary cluster is then removed."""
        self._stop(check=True)

    def _stop(self, *, check: bool) -> None:
        atexit.unregister(self.stop)
        try:
            if self._running and self._cluster is not None:
                self._running = False
                self._run(
                    ["pg_ctl", "stop", "-D", str(self._cluster), "-m", "fast", "-w", "-s"],
                    timeout=70,
                    check=check,
                )
        finally:
            if self._ephemeral:
                if self._cluster is not None and self._cluster in self._ephemeral:
                    # Keep the log where the caller looks once the temporary cluster is gone.
                    with contextlib.suppress(OSError):
                        shutil.copyfile(self.log_path, self.data_dir / "server.log")
                for path in self._ephemeral:
                    shutil.rmtree(path, ignore_errors=True)
                if self._cluster in self._ephemeral:
                    self._cluster = None
                self._ephemeral = []

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.local_postgres",
        description="A local PostgreSQL server for the pes event store.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the server in the foreground until Ctrl-C/SIGTERM")
    run.add_argument("--data-dir", default=".data/postgres", help="where the cluster is kept")
    run.add_argument("--port", type=int, default=5433, help="TCP port (0: pick a free one)")
    run.add_argument("--durable", action="store_true", help="keep fsync on")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        server = LocalPostgres(Path(args.data_dir), port=args.port or None, durable=args.durable)
        connection = server.start()
    except PostgresLauncherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        for key, value in connection.items():
            print(f"POSTGRES_{key.upper()}={value}", flush=True)
        print("PostgreSQL is running. Ctrl-C stops it.", file=sys.stderr, flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
