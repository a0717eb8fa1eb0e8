"""Real Apache Kafka brokers (KRaft, each node broker+controller) run from Maven Central jars:
one node, or a cluster of several on one machine.

No Docker and no downloaded tarball: Maven resolves the broker's jars once into
``<repo>/.cache/kafka/<version>/libs`` and each broker runs as a plain ``java`` process.

    python -m scripts.local_kafka fetch
    python -m scripts.local_kafka run --data-dir .data/kafka --port 9092
    python -m scripts.local_kafka run --brokers 3 --data-dir .data/kafka-cluster --port 9092
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

KAFKA_VERSION = "4.1.2"

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
POM = KAFKA_DIR / "pom.xml"
LOG4J_CONFIG = KAFKA_DIR / "log4j2.yaml"
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "kafka"

MVN_TIMEOUT_SECONDS = 900.0
LOG_TAIL_LINES = 40
START_BANNER = "===== starting broker"


class KafkaLauncherError(RuntimeError):
    """The local broker could not be prepared, started or stopped."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise KafkaLauncherError(
            f"`{name}` is not on PATH; the local Kafka broker needs Java 17+ and Maven "
            "(run scripts/install_system_deps.sh, or install openjdk-17-jre-headless and maven)"
        )
    return path


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return _tool("java")


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two test sessions (or CI warm-up and a test run) may resolve the same cache at once.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def kafka_libs(cache_dir: Path | None = None) -> Path:
    """The folder holding the broker's jars, resolving them with Maven first if needed."""
    version_dir = (cache_dir or DEFAULT_CACHE_DIR) / KAFKA_VERSION
    libs = version_dir / "libs"
    marker = version_dir / "libs.complete"
    # The marker holds the pom's digest, so editing the pom re-resolves the jars.
    digest = _pom_digest()

    def complete() -> bool:
        return libs.is_dir() and marker.is_file() and marker.read_text().strip() == digest

    if complete():
        return libs
    with _locked(version_dir / ".lock"):
        if complete():
            return libs
        mvn = _tool("mvn")
        _java()
        staging = version_dir / f"libs.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        marker.unlink(missing_ok=True)
        command = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-Dkafka.version={KAFKA_VERSION}",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=MVN_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise KafkaLauncherError(
                f"mvn did not resolve the Kafka jars within {MVN_TIMEOUT_SECONDS:.0f} s"
            ) from exc
        if result.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
            shutil.rmtree(staging, ignore_errors=True)
            output = (result.stdout + result.stderr).strip().splitlines()[-LOG_TAIL_LINES:]
            raise KafkaLauncherError(
                f"mvn could not resolve the Kafka {KAFKA_VERSION} jars "
                f"(exit {result.returncode}): {' '.join(command)}\n" + "\n".join(output)
            )
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        marker.write_text(digest + "\n")
    return libs


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cluster_id() -> str:
    # Kafka's Uuid.toString(): URL-safe base64 of 16 random bytes, unpadded; Kafka never hands
    # out one starting with "-" (it would read as a command-line flag). Saves a JVM start.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the current start's log, led by its first ERROR (often scrolled off)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    current = text.rpartition(START_BANNER)[2].splitlines()
    tail = current[-lines:]
    first_error = next((line for line in current if "] ERROR " in line), None)
    if first_error is not None and first_error not in tail:
        tail = [first_error, "...", *tail]
    return "\n".join(tail)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the launching thread dies (a test run killed
    # with SIGKILL), the kernel sends the broker SIGTERM instead of leaving it orphaned.
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl  # noqa: B018 - resolved in the parent so the forked child only calls it
    except (OSError, AttributeError):
        return None
    return libc


_libc = _load_libc()


def _api_versions_answered(host: str, port: int, timeout: float) -> bool:
    """Whether the broker answers a Kafka ApiVersions (v0) request, i.e. it serves requests.

    A raw probe rather than a client: the socket is bound before the broker serves requests, and
    a kafka-python client that fails to bootstrap would leave its IO thread and socket behind.
    """
    correlation_id = 7
    client_id = b"local-kafka-probe"
    header = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            head = b""
            while len(head) < 10:
                chunk = sock.recv(10 - len(head))
                if not chunk:
                    return False
                head += chunk
    except OSError:
        return False
    _size, answered_id, error_code = struct.unpack(">iih", head)
    return answered_id == correlation_id and error_code == 0


def cluster_properties(brokers: int) -> dict[str, str]:
    """The settings that depend on the cluster's size: internal topics replicated three times
    (or on every broker of a smaller cluster), written when two of their replicas have them."""
    replicas = min(brokers, 3)
    in_sync = 2 if replicas >= 3 else 1
    return {
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(in_sync),
        "offsets.topic.replication.factor": str(replicas),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(in_sync),
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": str(in_sync),
    }


class LocalKafka:
    """A KRaft Kafka node (broker and controller) in a child ``java`` process, data kept in
    ``data_dir``: on its own a single-node cluster, or one node of a `LocalKafkaCluster`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        cache_dir: Path | None = None,
        heap: str = "512m",
        node_id: int = 1,
        controller_port: int | None = None,
        voters: str | None = None,
        cluster_id: str | None = None,
        brokers: int = 1,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.cache_dir = cache_dir
        self.heap = heap
        self.node_id = node_id
        self.voters = voters
        self.cluster_id = cluster_id
        self.brokers = brokers
        self.bootstrap_servers = ""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def _log_dirs(self) -> Path:
        return self.data_dir / "kraft-logs"

    @property
    def _properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _pid_path(self) -> Path:
        return self.data_dir / "broker.pid"

    def _write_properties(self, port: int, controller_port: int) -> None:
        properties = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.voters or f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self._log_dirs),
            "num.partitions": "3",
            **cluster_properties(self.brokers),
            "group.initial.rebalance.delay.ms": "0",
            # The application creates its topics explicitly, with the partition count it needs.
            "auto.create.topics.enable": "false",
        }
        text = "".join(f"{key}={value}\n" for key, value in properties.items())
        self._properties_path.write_text("# written by scripts/local_kafka.py\n" + text)

    def _run_tool(self, libs: Path, *args: str) -> None:
        command = [_java(), "-Xmx256m", "-cp", f"{libs}/*", *args]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaLauncherError(
                f"{' '.join(args[:2])} failed (exit {result.returncode}):\n"
                + (result.stdout + result.stderr).strip()
            )

    def _reap_orphan(self) -> None:
        # A broker left running by a killed session holds this data dir's lock; stop it.
        try:
            pid = int(self._pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if b"kafka.Kafka" in cmdline and str(self._properties_path).encode() in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._pid_path.unlink(missing_ok=True)

    def start(self, timeout: float = 90.0) -> str:
        """Starts the broker (formatting its storage on first use) and waits until it serves."""
        if self._process is not None and self._process.poll() is None:
            return self.bootstrap_servers
        deadline = time.monotonic() + timeout
        self.launch()
        self.wait_until_serving(deadline, timeout)
        return self.bootstrap_servers

    def launch(self) -> None:
        """Starts the broker's process (formatting its storage on first use), without waiting."""
        libs = kafka_libs(self.cache_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._reap_orphan()
        port = self.port or _free_port()
        controller_port = self.controller_port if self.voters else None
        while controller_port is None or controller_port == port:
            controller_port = _free_port()
        self._write_properties(port, controller_port)
        if not (self._log_dirs / "meta.properties").is_file():
            self._run_tool(
                libs,
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                "-t",
                self.cluster_id or _cluster_id(),
                "-c",
                str(self._properties_path),
            )

        command = [
            _java(),
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(self._properties_path),
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n{START_BANNER} {self.node_id} on 127.0.0.1:{port} =====\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: a Ctrl-C in the terminal reaches only Python, which then
                # stops the broker cleanly instead of racing it.
                start_new_session=True,
                preexec_fn=_die_with_parent
                if _libc is not None and threading.current_thread() is threading.main_thread()
                else None,
            )
        # Written whole or not at all: a reader (an operator's tool, a test) never sees it empty.
        written = self._pid_path.with_suffix(".pid.tmp")
        written.write_text(f"{self._process.pid}\n")
        os.replace(written, self._pid_path)
        self.port, self.controller_port = port, controller_port
        self.bootstrap_servers = f"127.0.0.1:{port}"

    def wait_until_serving(self, deadline: float, timeout: float) -> None:
        """Waits until the launched broker serves (stopping it if it does not by `deadline`)."""
        try:
            self._wait_until_serving(deadline, timeout)
        except BaseException:
            self.stop()
            raise

    def _check_alive(self) -> None:
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            raise KafkaLauncherError(
                f"the Kafka broker exited with code {code} while starting; "
                f"last lines of {self.log_path}:\n{_tail(self.log_path)}"
            )

    def _timed_out(self, timeout: float, what: str) -> KafkaLauncherError:
        return KafkaLauncherError(
            f"the Kafka broker at {self.bootstrap_servers} did not {what} within {timeout:.0f} s; "
            f"last lines of {self.log_path}:\n{_tail(self.log_path)}"
        )

    def _wait_until_serving(self, deadline: float, timeout: float) -> None:
        assert self.port is not None
        while True:
            self._check_alive()
            if _api_versions_answered("127.0.0.1", self.port, timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise self._timed_out(timeout, "answer requests")
            time.sleep(0.1)

        from kafka.admin import KafkaAdminClient

        remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
        admin = KafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers,
            client_id="local-kafka-launcher",
            bootstrap_timeout_ms=remaining_ms,
            request_timeout_ms=min(remaining_ms, 10_000),
        )
        try:
            # Serving requests is not enough: the broker must have registered with its
            # controller and been unfenced before it accepts topics and records.
            while True:
                self._check_alive()
                with contextlib.suppress(Exception):
                    brokers = admin.describe_cluster().get("brokers", [])
                    if any(
                        broker.get("broker_id", self.node_id) == self.node_id
                        and not broker.get("is_fenced", False)
                        for broker in brokers
                    ):
                        admin.list_topics()
                        return
                if time.monotonic() > deadline:
                    raise self._timed_out(timeout, "register as an unfenced broker")
                time.sleep(0.1)
        finally:
            admin.close()

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the broker process was started and has not exited (it may not serve yet)."""
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        """The broker process's exit code once it has exited (None while it runs or before it
        was started)."""
        return None if self._process is None else self._process.poll()

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the broker: SIGTERM (a clean shutdown), then SIGKILL after ``timeout`` seconds."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self._pid_path.unlink(missing_ok=True)

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class LocalKafkaCluster:
    """A KRaft cluster of `brokers` nodes on this machine, each a broker and a controller (so
    the controller quorum, like the partitions' replicas, survives the loss of any one node),
    each with its own port and data folder under ``data_dir``; the same interface as
    `LocalKafka`, so a supervisor that restarts a stopped broker restarts a stopped node."""

    def __init__(
        self,
        data_dir: Path,
        *,
        brokers: int = 3,
        port: int | None = None,
        cache_dir: Path | None = None,
        heap: str = "384m",
    ) -> None:
        if brokers < 1:
            raise KafkaLauncherError(f"a cluster needs at least one broker, not {brokers}")
        self.data_dir = Path(data_dir).resolve()
        self.first_port = port
        self.cache_dir = cache_dir
        self.heap = heap
        self.brokers = brokers
        self.nodes: list[LocalKafka] = []

    @property
    def bootstrap_servers(self) -> str:
        """Every node's address: a client that starts while one node is down still connects."""
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def _layout(self) -> list[LocalKafka]:
        # Ports and the cluster id are chosen once and kept: a node restarted later must find
        # its peers' controllers where its configuration says they are.
        id_file = self.data_dir / "cluster.id"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not id_file.is_file():
            id_file.write_text(_cluster_id() + "\n")
        cluster_id = id_file.read_text().strip()
        taken: set[int] = set()

        def port(wanted: int | None) -> int:
            chosen = wanted
            while chosen is None or chosen in taken:
                chosen = _free_port()
            taken.add(chosen)
            return chosen

        ports = [
            port(None if self.first_port is None else self.first_port + index)
            for index in range(self.brokers)
        ]
        controllers = [port(None) for _ in range(self.brokers)]
        voters = ",".join(
            f"{index + 1}@127.0.0.1:{controller}" for index, controller in enumerate(controllers)
        )
        return [
            LocalKafka(
                self.data_dir / f"node-{index + 1}",
                port=ports[index],
                cache_dir=self.cache_dir,
                heap=self.heap,
                node_id=index + 1,
                controller_port=controllers[index],
                voters=voters,
                cluster_id=cluster_id,
                brokers=self.brokers,
            )
            for index in range(self.brokers)
        ]

    def start(self, timeout: float = 120.0) -> str:
        """Starts every node that is not running, all at once (a node joins the controller
        quorum only with a majority of its peers), and waits until each serves."""
        deadline = time.monotonic() + timeout
        if not self.nodes:
            self.nodes = self._layout()
        starting = [node for node in self.nodes if not node.running]
        try:
            for node in starting:
                node.launch()
            for node in starting:
                node.wait_until_serving(deadline, timeout)
        except BaseException:
            if len(starting) == len(self.nodes):
                self.stop()
            raise
        return self.bootstrap_servers

    def node(self, node_id: int) -> LocalKafka:
        return self.nodes[node_id - 1]

    @property
    def running(self) -> bool:
        """Whether every node runs."""
        return bool(self.nodes) and all(node.running for node in self.nodes)

    def exit_code(self) -> int | None:
        """The exit code of the first node that has exited (None while all run)."""
        return next((code for node in self.nodes if (code := node.exit_code()) is not None), None)

    def stop(self, timeout: float = 30.0) -> None:
        """Stops every node (SIGTERM to all, then each is waited for)."""
        for node in self.nodes:
            if node._process is not None and node._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node._process.pid, signal.SIGTERM)
        for node in self.nodes:
            node.stop(timeout)

    def __enter__(self) -> LocalKafkaCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def local_brokers(
    data_dir: Path, brokers: int = 1, port: int | None = None
) -> LocalKafka | LocalKafkaCluster:
    """The local broker, or a cluster of `brokers`, keeping its data under ``data_dir``: one
    broker in ``kafka/``, a cluster in ``kafka-cluster-<brokers>/``. The relay's position is in
    the event store, so a data folder used with one layout refuses the other (its topics would
    lack what the relay has already published)."""
    single, cluster = data_dir / "kafka", data_dir / f"kafka-cluster-{brokers}"
    chosen = single if brokers == 1 else cluster
    used = [
        path
        for path in [single, *sorted(data_dir.glob("kafka-cluster-*"))]
        if path != chosen and path.is_dir()
    ]
    if used:
        raise KafkaLauncherError(
            f"{data_dir} already holds the topics of another broker layout ({used[0].name}); "
            f"{brokers} broker(s) would start with topics lacking what the relay has published: "
            "use another PES_DATA_DIR"
        )
    if brokers == 1:
        return LocalKafka(chosen, port=port)
    return LocalKafkaCluster(chosen, brokers=brokers, port=port)


def _run(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    broker: LocalKafka | LocalKafkaCluster
    if args.brokers == 1:
        broker = LocalKafka(Path(args.data_dir), port=args.port, heap=args.heap)
    else:
        broker = LocalKafkaCluster(
            Path(args.data_dir), brokers=args.brokers, port=args.port, heap=args.heap
        )
    try:
        bootstrap = broker.start(timeout=args.timeout)
        nodes = broker.nodes if isinstance(broker, LocalKafkaCluster) else [broker]
        print(bootstrap, flush=True)
        print(
            f"Kafka {KAFKA_VERSION} is running at {bootstrap} "
            f"(logs: {', '.join(str(node.log_path) for node in nodes)}). Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.2):
            for node in nodes:
                if node.exit_code() is not None:
                    print(
                        f"broker {node.node_id} exited unexpectedly; last lines of "
                        f"{node.log_path}:\n" + _tail(node.log_path),
                        file=sys.stderr,
                    )
                    return 1
    finally:
        broker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.local_kafka",
        description=f"A local Apache Kafka {KAFKA_VERSION} broker or cluster, without Docker.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="resolve the broker's jars with Maven (CI warm-up)")
    run = commands.add_parser("run", help="run a broker in the foreground until Ctrl-C/SIGTERM")
    run.add_argument("--data-dir", default=".data/kafka", help="where the broker keeps its data")
    run.add_argument("--port", type=int, default=9092, help="client port (0: pick a free one)")
    run.add_argument(
        "--brokers", type=int, default=1, help="brokers (1, or a cluster: ports from --port on)"
    )
    run.add_argument("--heap", default="512m", help="each JVM's heap size")
    run.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for start")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(kafka_libs())
            return 0
        if args.port == 0:
            args.port = None
        return _run(args)
    except KafkaLauncherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
