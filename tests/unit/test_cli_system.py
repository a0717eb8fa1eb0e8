"""How `pes` finds the running system (the endpoints file) and what its help says."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from application.settings import Settings
from scripts.cli import build_parser
from scripts.system import (
    ENDPOINTS_FILE,
    Endpoints,
    Unavailable,
    broker_answers,
    discover,
    forget_endpoints,
    no_system,
    record_endpoints,
    recorded_endpoints,
    require_broker,
    require_stores,
    wait_for_group_coordinators,
)


def _ended_pid() -> int:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=60)
    return ended.pid


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_endpoints_file_is_private_and_reads_back_as_written(tmp_path: Path) -> None:
    endpoints = Endpoints("127.0.0.1:9092", "http://127.0.0.1:8000", 4242)

    path = record_endpoints(tmp_path / "data", endpoints)

    assert path == tmp_path / "data" / ENDPOINTS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert recorded_endpoints(tmp_path / "data") == endpoints
    assert [p.name for p in path.parent.iterdir()] == [ENDPOINTS_FILE]


def test_a_malformed_endpoints_file_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / ENDPOINTS_FILE).write_text('{"pid": "x"')

    assert recorded_endpoints(tmp_path) is None


def test_a_pes_run_removes_only_its_own_endpoints_file(tmp_path: Path) -> None:
    record_endpoints(tmp_path, Endpoints("127.0.0.1:9092", None, 4242))

    forget_endpoints(tmp_path, 1111)
    assert (tmp_path / ENDPOINTS_FILE).exists()
    forget_endpoints(tmp_path, 4242)
    assert not (tmp_path / ENDPOINTS_FILE).exists()


def test_kafka_bootstrap_servers_overrides_the_endpoints_file(tmp_path: Path) -> None:
    record_endpoints(tmp_path, Endpoints("127.0.0.1:1111", None, 1))  # pid 1 is alive

    configured = Settings(data_dir=tmp_path, kafka_bootstrap_servers="broker:9092")

    assert discover(configured).kafka_bootstrap_servers == "broker:9092"
    assert discover(Settings(data_dir=tmp_path)).kafka_bootstrap_servers == "127.0.0.1:1111"


def test_the_file_of_an_ended_process_is_ignored_and_named_in_the_one_line(
    tmp_path: Path,
) -> None:
    pid = _ended_pid()
    record_endpoints(tmp_path, Endpoints("127.0.0.1:1111", None, pid))
    settings = discover(Settings(data_dir=tmp_path))

    assert settings.kafka_bootstrap_servers is None
    with pytest.raises(Unavailable) as refused:
        require_broker(settings)
    assert str(refused.value) == no_system(settings)
    assert f"process {pid}, which has ended" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_broker_port_nobody_listens_on_does_not_answer(tmp_path: Path) -> None:
    servers = f"127.0.0.1:{_closed_port()}"

    assert not broker_answers(servers, timeout=1.0)
    with pytest.raises(Unavailable, match="does not answer"):
        require_broker(Settings(data_dir=tmp_path, kafka_bootstrap_servers=servers))


def test_a_listening_port_answers() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]

        assert broker_answers(f"127.0.0.1:{_closed_port()},127.0.0.1:{port}", timeout=1.0)


def test_a_read_of_a_store_that_is_not_there_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    for store in ("events", "caseload", "billing", "reporting"):
        with pytest.raises(Unavailable, match=str(tmp_path / "data")):
            require_stores(settings, store)
    assert not (tmp_path / "data").exists()


def test_waiting_for_a_coordinator_ends_when_stopped() -> None:
    stop = threading.Event()
    stop.set()

    assert not wait_for_group_coordinators(f"127.0.0.1:{_closed_port()}", ["g"], stop)


def test_every_option_of_every_command_has_help_text() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {action.option_strings or action.dest}")

    walk(build_parser(), "pes")

    assert missing == []


def test_the_help_of_pes_run_names_everything_it_starts() -> None:
    text = build_parser().format_help() + _subcommand_help("run")

    for part in ("broker", "relay", "caseload", "billing", "reporting", "deadline", "API"):
        assert part in text


def _subcommand_help(name: str) -> str:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices[name].format_help()


def test_the_postgresql_events_table_checked_is_the_one_the_library_creates() -> None:
    from application.cases import CaseManagement
    from scripts.system import POSTGRES_TABLES

    assert POSTGRES_TABLES["events"] == f"{CaseManagement.name.lower()}_events"
