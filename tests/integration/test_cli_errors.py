"""Every `pes` subcommand answers a foreseeable problem in one line with the documented exit code
(docs/operations.md): a missing store, no running system, a bad date, a reversed period, an
output path it cannot write, a reader that closed its end of the pipe; and a second `pes` process
finds the broker of a running `pes run` through the data folder."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from application.bootstrap import (
    build_case_management,
    open_billing_ledger,
    open_caseload_view,
    open_reporting_store,
)
from application.settings import Settings, as_environment
from scripts.exit_codes import ExitCode
from scripts.system import ENDPOINTS_FILE, Endpoints, record_endpoints
from tests.topic_reader import wait_for

REPOSITORY = Path(__file__).resolve().parents[2]
PES = str(Path(sys.executable).parent / "pes")
CANDIDATE = str(REPOSITORY / "docs" / "replay" / "two-month-services.json")
TIMEOUT = 120


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any pes setting or broker: only the data folder."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PES_") and name != "KAFKA_BOOTSTRAP_SERVERS"
    }
    return {**clean, "PES_DATA_DIR": str(data_dir), **extra}


def pes(data_dir: Path, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PES, *args],
        cwd=cwd,
        env=environment(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def assert_one_line(run: subprocess.CompletedProcess[str], code: ExitCode, *named: str) -> None:
    assert run.returncode == code, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("pes")]
    assert len(lines) == 1, run.stderr
    for name in named:
        assert name in lines[0], lines[0]


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory that is not the repository and holds no data folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with every store, one case recorded, and no running system."""
    from domain.base import Actor, Role
    from domain.case import Program
    from domain.commands import OpenCase

    data_dir = tmp_path_factory.mktemp("stores") / "data"
    settings = Settings(data_dir=data_dir)
    app = build_case_management(settings)
    app.open_case(
        OpenCase(
            case_number="VR-CLI-1",
            program=Program.VR,
            client_ref="client-1",
            caseworker_id="cw-001",
            opened_on=app.clock(),
        ),
        Actor(id="cw-001", role=Role.CASEWORKER),
    )
    for open_store in (open_caseload_view, open_billing_ledger, open_reporting_store):
        open_store(settings).close()
    return data_dir


READS = {
    "verify": ("verify",),
    "replay": ("replay", "--policy", CANDIDATE),
    "audit": ("audit", "VR-1-000004"),
    "status": ("status",),
    "caseload": ("caseload",),
    "billing unpaid": ("billing", "unpaid"),
    "billing reconcile": ("billing", "reconcile"),
    "reports exits": ("reports", "exits"),
    "reports timeliness": ("reports", "timeliness", "--from", "2025-01-01", "--to", "2025-12-31"),
    "deadlines --dry-run": ("deadlines", "--dry-run"),
}


@pytest.mark.parametrize("args", READS.values(), ids=READS.keys())
def test_a_read_with_no_store_in_the_data_folder_refuses_in_one_line_and_creates_nothing(
    tmp_path: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    data_dir = tmp_path / "data"

    run = pes(data_dir, elsewhere, *args)

    assert_one_line(run, ExitCode.UNAVAILABLE, str(data_dir), "pes run")
    assert not data_dir.exists()
    assert not (elsewhere / ".data").exists()


def test_the_default_data_folder_is_the_working_directorys_and_a_read_there_refuses(
    elsewhere: Path,
) -> None:
    clean = {k: v for k, v in environment(elsewhere).items() if k != "PES_DATA_DIR"}
    run = subprocess.run(
        [PES, "verify"], cwd=elsewhere, env=clean, capture_output=True, text=True, timeout=TIMEOUT
    )

    assert_one_line(run, ExitCode.UNAVAILABLE, str(elsewhere / ".data"), "PES_DATA_DIR")
    assert not (elsewhere / ".data").exists()


NEEDS_KAFKA = {
    "deadlines --dry-run": ("deadlines", "--dry-run"),
    "deadlines --today": ("deadlines", "--today", "2025-01-02"),
    "verify --source kafka": ("verify", "--source", "kafka"),
    "replay --source kafka": ("replay", "--policy", CANDIDATE, "--source", "kafka"),
    "rebuild": ("rebuild", "caseload"),
    "status": ("status",),
    "relay": ("relay",),
    "project": ("project", "caseload"),
}


@pytest.mark.parametrize("args", NEEDS_KAFKA.values(), ids=NEEDS_KAFKA.keys())
def test_a_command_that_needs_kafka_with_no_running_system_says_what_to_start_exit_3(
    stores: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    run = pes(stores, elsewhere, *args)

    assert_one_line(run, ExitCode.UNAVAILABLE, "no running system found", "pes run")
    assert "KAFKA_BOOTSTRAP_SERVERS" in run.stderr


def _ended_process_id() -> int:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=TIMEOUT)
    return ended.pid


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "args", [("deadlines", "--dry-run"), ("verify", "--source", "both"), ("status",)]
)
def test_a_stale_endpoints_file_of_an_ended_pes_run_is_one_line_exit_3(
    stores: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    endpoints = Endpoints(f"127.0.0.1:{_closed_port()}", None, _ended_process_id())
    record_endpoints(stores, endpoints)
    try:
        run = pes(stores, elsewhere, *args)
    finally:
        (stores / ENDPOINTS_FILE).unlink()

    assert_one_line(run, ExitCode.UNAVAILABLE, f"process {endpoints.pid}", "has ended")


def test_a_broker_that_does_not_answer_is_one_line_exit_3_not_a_hang(
    stores: Path, elsewhere: Path
) -> None:
    run = pes(
        stores,
        elsewhere,
        *("deadlines", "--dry-run"),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{_closed_port()}",
    )

    assert_one_line(run, ExitCode.UNAVAILABLE, "does not answer", "KAFKA_BOOTSTRAP_SERVERS")


BAD_DATES = {
    "caseload --today": ("caseload", "--today", "2025-13-01"),
    "deadlines --today": ("deadlines", "--today", "01/02/2025"),
    "audit --as-of": ("audit", "VR-CLI-1", "--as-of", "2025-02-30"),
    "billing unpaid --as-of": ("billing", "unpaid", "--as-of", "yesterday"),
    "reports caseload --from": ("reports", "caseload", "--to", "2025-12-31", "--from", "2025-1-1"),
    "reports overrides --to": ("reports", "overrides", "--from", "2025-01-01", "--to", "2025"),
    "reports timeliness --to": ("reports", "timeliness", "--from", "2025-01-01", "--to", "x"),
    "reports outcomes --as-of": ("reports", "outcomes", "--as-of", "20250101"),
    "reports participants --as-of": ("reports", "participants", "--as-of", "x"),
    "reports exits --as-of": ("reports", "exits", "--as-of", "2025-06-31"),
}


@pytest.mark.parametrize("args", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_a_bad_date_is_one_line_exit_2_naming_the_option(
    stores: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    run = pes(stores, elsewhere, *args)

    assert_one_line(run, ExitCode.BAD_INPUT, args[-2], args[-1])
    assert run.stdout == ""


REVERSED = ["caseload", "timeliness", "overrides"]


@pytest.mark.parametrize("report", REVERSED)
def test_a_reversed_period_is_one_line_exit_2(stores: Path, elsewhere: Path, report: str) -> None:
    run = pes(stores, elsewhere, "reports", report, "--from", "2025-06-01", "--to", "2025-01-01")

    assert_one_line(run, ExitCode.BAD_INPUT, "--to 2025-01-01 is before --from 2025-06-01")
    assert run.stdout == ""


UNWRITABLE = {
    "audit --out": ("audit", "VR-CLI-1", "--out", "{missing}/audit.html"),
    "reports --out": ("reports", "exits", "--out", "{missing}/exits.csv"),
    "replay --out": ("replay", "--policy", CANDIDATE, "--out", "{missing}/replay"),
    "schemas --directory": ("schemas", "--directory", "{missing}/schemas"),
    "rebuild --into": ("rebuild", "caseload", "--into", "{missing}/views"),
    "audit --out a folder": ("audit", "VR-CLI-1", "--out", "{folder}"),
    "replay --out a file": ("replay", "--policy", CANDIDATE, "--out", "{file}"),
}


@pytest.mark.parametrize("args", UNWRITABLE.values(), ids=UNWRITABLE.keys())
def test_an_output_path_that_cannot_be_written_is_one_line_exit_2_before_any_work(
    stores: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    (elsewhere / "a-file").write_text("")
    places = {
        "missing": str(elsewhere / "no-such-folder"),
        "folder": str(elsewhere),
        "file": str(elsewhere / "a-file"),
    }
    run = pes(stores, elsewhere, *(arg.format(**places) for arg in args))

    assert_one_line(run, ExitCode.BAD_INPUT, args[-2])
    assert run.stdout == ""
    assert not (elsewhere / "no-such-folder").exists()


CLOSED_STDOUT = {
    "audit": ("audit", "VR-CLI-1"),
    "audit by id": ("audit", "{case_id}"),
    "verify": ("verify",),
    "replay": ("replay", "--policy", CANDIDATE, "--out", "{out}"),
    "caseload": ("caseload",),
    "billing unpaid": ("billing", "unpaid", "--format", "json"),
    "reports caseload": ("reports", "caseload", "--from", "2025-01-01", "--to", "2025-12-31"),
    "help": ("--help",),
}


@pytest.mark.parametrize("args", CLOSED_STDOUT.values(), ids=CLOSED_STDOUT.keys())
def test_output_into_a_closed_pipe_ends_quietly_exit_0(
    stores: Path, elsewhere: Path, args: tuple[str, ...]
) -> None:
    from domain.case import case_id_for

    places = {"case_id": str(case_id_for("VR-CLI-1")), "out": str(elsewhere / "replay")}
    reader_gone = subprocess.Popen(
        [PES, *(arg.format(**places) for arg in args)],
        cwd=elsewhere,
        env=environment(stores),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader_gone.stdout is not None
    reader_gone.stdout.close()  # like `| head` that has read what it wanted
    _, errors = reader_gone.communicate(timeout=TIMEOUT)

    assert reader_gone.returncode == ExitCode.OK, errors
    assert "Traceback" not in errors
    assert "Exception ignored" not in errors


def test_a_case_argument_takes_the_case_number_or_the_case_id(
    stores: Path, elsewhere: Path
) -> None:
    from domain.case import case_id_for

    by_number = pes(stores, elsewhere, "audit", "VR-CLI-1")
    by_id = pes(stores, elsewhere, "audit", str(case_id_for("VR-CLI-1")))

    assert by_number.returncode == by_id.returncode == ExitCode.OK, by_number.stderr + by_id.stderr
    assert by_number.stdout == by_id.stdout
    assert "VR-CLI-1" in by_number.stdout
    assert_one_line(pes(stores, elsewhere, "audit", "VR-NO-SUCH"), ExitCode.BAD_INPUT, "VR-NO-SUCH")


def test_replay_writes_its_reports_under_the_data_folder_by_default(
    stores: Path, elsewhere: Path
) -> None:
    run = pes(stores, elsewhere, "replay", "--policy", CANDIDATE)

    assert run.returncode == ExitCode.OK, run.stderr
    assert str(stores / "reports" / "replay" / "replay.json") in run.stdout
    assert (stores / "reports" / "replay" / "replay.html").is_file()
    assert list(elsewhere.iterdir()) == []


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """`pes run` with its own broker and the API on a free port, in a folder of its own."""
    data_dir, cwd = tmp_path / "data", tmp_path / "run"
    cwd.mkdir()
    system = subprocess.Popen(
        [PES, "run", "--api-port", "0"],
        cwd=cwd,
        env=environment(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for(
            lambda: (data_dir / ENDPOINTS_FILE).is_file() or system.poll() is not None,
            timeout=240,
            what="pes run to record its endpoints",
        )
        assert system.poll() is None, f"pes run exited with {system.returncode}"
        yield data_dir, system
    finally:
        system.terminate()
        try:
            system.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            system.kill()
            system.wait(timeout=TIMEOUT)


def test_pes_run_records_its_endpoints_and_another_pes_elsewhere_finds_its_broker(
    running: tuple[Path, subprocess.Popen[str]], elsewhere: Path
) -> None:
    data_dir, system = running
    path = data_dir / ENDPOINTS_FILE
    recorded = json.loads(path.read_text())

    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert recorded["pid"] == system.pid
    assert recorded["api_url"].startswith("http://127.0.0.1:")
    status = pes(data_dir, elsewhere, "status")
    assert status.returncode == ExitCode.OK, status.stderr
    assert "caseload: lag " in status.stdout
    assert f"running: pes run (pid {system.pid})" in status.stdout
    dry_run = pes(data_dir, elsewhere, "deadlines", "--dry-run")
    assert dry_run.returncode == ExitCode.OK, dry_run.stderr
    assert "dry run for" in dry_run.stdout
    second = pes(data_dir, elsewhere, "run")
    assert_one_line(second, ExitCode.UNAVAILABLE, "already running", str(system.pid))

    system.terminate()
    system.wait(timeout=TIMEOUT)
    assert not path.exists()


def test_a_status_the_domain_does_not_know_is_one_line_exit_2(
    stores: Path, elsewhere: Path
) -> None:
    run = pes(stores, elsewhere, "caseload", "--status", "bogus")

    assert_one_line(run, ExitCode.BAD_INPUT, "--status", "bogus", "in_pe_services")


def test_the_demo_sums_up_its_expected_refusals_after_the_progress_bar(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from scripts.cli import load_demo

    with caplog.at_level(logging.INFO):
        load_demo(Settings(data_dir=tmp_path / "data"), 20)

    assert [r.getMessage() for r in caplog.records if r.name == "pes.commands"] == []
    [summary] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("demo:")]
    assert "refused as the policy requires" in summary


@pytest.mark.parametrize("command", ["serve", "run"])
def test_an_api_port_already_taken_is_one_line_exit_3(
    tmp_path: Path, elsewhere: Path, command: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ("serve", "--development", "--port", port) if command == "serve" else ()
        args = args or ("run", "--api-port", port)

        run = pes(tmp_path / "data", elsewhere, *args)

    assert_one_line(run, ExitCode.UNAVAILABLE, f"127.0.0.1:{port}")
    assert not (tmp_path / "data" / ENDPOINTS_FILE).exists()


@pytest.mark.parametrize(
    ("args", "store"),
    [
        (("verify",), "event store"),
        (("audit", "VR-1-000004"), "event store"),
        (("status",), "event store"),
        (("caseload",), "caseload view"),
        (("billing", "unpaid"), "billing ledger"),
        (("reports", "exits"), "reporting store"),
    ],
)
def test_a_read_of_a_store_that_is_not_there_refuses_on_sqlite_and_postgresql(
    store_settings: Settings, elsewhere: Path, args: tuple[str, ...], store: str
) -> None:
    both = store_settings.model_copy(update={"view_store": store_settings.event_store})
    run = subprocess.run(
        [PES, *args],
        cwd=elsewhere,
        env={**environment(both.data_dir), **as_environment(both)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert_one_line(run, ExitCode.UNAVAILABLE, f"no {store}")
    if store_settings.event_store == "postgres":
        import psycopg

        with psycopg.connect(store_settings.postgres_conninfo()) as db:
            [tables] = db.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone() or (None,)
        assert tables == 0
    else:
        assert list(store_settings.data_dir.glob("*.sqlite")) == []
