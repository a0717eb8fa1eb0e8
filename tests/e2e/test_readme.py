"""Every shell example of README.md, run as a new user would: `make run`'s command in one place,
each example from another folder, with only the environment the README itself sets."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.topic_reader import wait_for

pytestmark = pytest.mark.kafka

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
SETUP_LINES = ("make run", "make test")
NOT_RUN_MARK = "# not run by tests"
# The README's port for the API `make run` serves; the test's system takes a free one instead, so
# it cannot meet another process on this machine, and the examples are pointed at it.
README_API_PORT = 8000
COME_UP_SECONDS = 420
COMMAND_SECONDS = 180
# The one variable the test sets, as the README documents: where `pes` keeps (and finds) its data.
DATA_DIR_VARIABLE = "PES_DATA_DIR"


@dataclass(frozen=True)
class Example:
    """One command of a README bash block, with the block's `source` lines that precede it."""

    command: str
    setup: tuple[str, ...]


def bash_blocks(markdown: str) -> list[list[str]]:
    """The lines of each ```bash block."""
    return [
        block.splitlines() for block in re.findall(r"^```bash\n(.*?)^```", markdown, re.M | re.S)
    ]


def without_comment(line: str) -> str:
    """The line without its trailing `# comment` (a `#` inside quotes or a word is kept)."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].strip()
    return line.strip()


def readme_examples(markdown: str) -> list[Example]:
    """Every command of the README's bash blocks, except the setup lines and those marked as
    not run by tests; a block's `source` lines set up the commands after them."""
    examples = []
    for block in bash_blocks(markdown):
        setup: list[str] = []
        for line in block:
            if NOT_RUN_MARK in line:
                continue
            command = without_comment(line)
            if not command or command in SETUP_LINES:
                continue
            if command.startswith("source "):
                setup.append(command)
                continue
            examples.append(Example(command, tuple(setup)))
    return examples


def run_recipe() -> str:
    """The command of the Makefile's `run` target, with its `$(PES)` spelled out."""
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n\t(.+)$", makefile, re.M)
    assert recipe, "the Makefile has no `run` target"
    return recipe.group(1).replace("$(PES)", str(REPOSITORY / ".venv/bin/pes"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def users_environment(data_dir: Path) -> dict[str, str]:
    """This machine's environment without any setting of the project, plus the data folder."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PES_", "KAFKA_", "POSTGRES_", "VIRTUAL_ENV"))
    }
    environment[DATA_DIR_VARIABLE] = str(data_dir)
    return environment


@dataclass(frozen=True)
class RunningSystem:
    data_dir: Path
    api_port: int
    environment: dict[str, str]
    log: Path


def shell(script: str, cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def caught_up(system: RunningSystem, elsewhere: Path) -> str | None:
    """`pes status` once the relay and every read model report lag 0 (None before)."""
    try:
        status = shell(f"{REPOSITORY / '.venv/bin/pes'} status", elsewhere, system.environment)
    except subprocess.TimeoutExpired:
        return None
    status = status.stdout
    lags = [int(n) for n in re.findall(r"\blag (\d+)", status)]
    recorded = re.search(r"(\d+) events recorded", status)
    # The relay's lag and each of the three read models' at least.
    if recorded and int(recorded.group(1)) > 0 and len(lags) >= 4 and not any(lags):
        return status
    return None


@pytest.fixture(scope="module")
def running_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """The system as `make run` starts it, in a data folder of its own; stopped at the end."""
    data_dir = tmp_path_factory.mktemp("pes-data")
    elsewhere = tmp_path_factory.mktemp("waiting")
    api_port = free_port()
    command = run_recipe().replace(f"--api-port {README_API_PORT}", f"--api-port {api_port}")
    assert f"--api-port {api_port}" in command, command
    environment = users_environment(data_dir)
    log_path = data_dir.parent / f"{data_dir.name}-pes-run.log"
    system = RunningSystem(data_dir, api_port, environment, log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            shlex.split(command),
            cwd=REPOSITORY,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            endpoints = data_dir / "endpoints.json"
            wait_for(
                lambda: endpoints.exists() or process.poll() is not None,
                timeout=COME_UP_SECONDS,
                what="`pes run` to write its endpoints file",
            )
            assert process.poll() is None, log_path.read_text(errors="replace")[-4000:]
            wait_for(
                lambda: (
                    "pes is running" in log_path.read_text(errors="replace")
                    or process.poll() is not None
                ),
                timeout=COME_UP_SECONDS,
                what="`pes run` to load the demo",
            )
            assert process.poll() is None, log_path.read_text(errors="replace")[-4000:]
            wait_for(
                lambda: caught_up(system, elsewhere),
                timeout=COME_UP_SECONDS,
                what="`pes status` to report the relay and every read model caught up",
            )
            yield system
        finally:
            # The whole group: `pes run` and the broker it started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def written_paths(command: str, cwd: Path) -> list[Path]:
    """The files or folders a command is told to write (`--out PATH`)."""
    words = shlex.split(command)
    return [cwd / words[i + 1] for i, word in enumerate(words[:-1]) if word == "--out"]


CASE_NUMBER = re.compile(r"\b(?:VR|TA)-\d+-\d{6}\b")


def nonzero_figure(text: str) -> bool:
    """A number other than zero, dates, case numbers and identifiers aside."""
    text = re.sub(r"\d{4}-\d{2}-\d{2}", "", text)
    return any(float(n) for n in re.findall(r"(?<![\w.-])(\d+(?:\.\d+)?)(?![\w-])", text))


def assert_meaningful(command: str, output: str, cwd: Path) -> None:
    """A file written, a JSON document with content, a sweep naming its day, or rows naming a
    case or holding a figure."""
    assert output.strip(), f"`{command}` printed nothing"
    targets = written_paths(command, cwd)
    if targets:
        for target in targets:
            assert target.exists(), f"`{command}` did not write {target}"
            if target.is_dir():
                assert any(f.stat().st_size for f in target.rglob("*") if f.is_file()), target
            else:
                assert target.stat().st_size > 0, target
        return
    if command.startswith("curl"):
        document = json.loads(output)
        assert document, f"`{command}` returned an empty document"
        # curl exits 0 on an HTTP error too: a problem document (RFC 9457) is a failure.
        status = document.get("status") if isinstance(document, dict) else None
        assert not (isinstance(status, int) and status >= 400), f"`{command}`:\n{output}"
        return
    if " deadlines " in f" {command} ":
        # A dry run after today's sweep has nothing left to do: it must still say for which day.
        today = datetime.now(UTC).date()  # pes's day; the day before when run across midnight
        days = {today.isoformat(), (today - timedelta(days=1)).isoformat()}
        assert any(day in output for day in days), f"`{command}` names no day:\n{output}"
        return
    if command.split()[:2] == ["pes", "status"]:
        # The relay's lag and each read model's: the figures it exists to give.
        assert len(re.findall(r"\blag \d+", output)) >= 4, f"`{command}` gives no lag:\n{output}"
    lines = [line for line in output.splitlines() if line.strip()]
    body = lines[1:] if len(lines) > 1 else lines
    for option in ("--caseworker", "--status"):
        words = shlex.split(command)
        if option in words:
            value = words[words.index(option) + 1]
            assert any(value in line for line in body), f"`{command}`: no row with {value}"
    rows = "\n".join(body)
    assert CASE_NUMBER.search(rows) or nonzero_figure(rows), f"`{command}`: no row:\n{output}"


EXAMPLES = readme_examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples_and_documents_what_the_test_sets() -> None:
    readme = README.read_text(encoding="utf-8")
    blocks = bash_blocks(readme)
    assert blocks and [without_comment(line) for line in blocks[0][:2]] == list(SETUP_LINES)
    assert len(EXAMPLES) >= 10
    assert DATA_DIR_VARIABLE in readme and "endpoints.json" in readme
    assert f"localhost:{README_API_PORT}" in readme and run_recipe().endswith(
        f"--api-port {README_API_PORT}"
    )
    assert "KAFKA_BOOTSTRAP_SERVERS" not in " ".join(e.command for e in EXAMPLES)


def test_examples_are_found_without_their_comments_and_marked_lines_are_skipped() -> None:
    markdown = (
        "```bash\nmake run    # starts it\nmake test\n```\n\n```bash\n"
        "source .venv/bin/activate   # pes on PATH\n"
        "pes caseload --caseworker cw-001   # one caseworker's\n"
        "curl -H 'Authorization: Bearer x#y' localhost:8000/caseloads\n"
        "pes serve  # not run by tests: the production API needs its tokens\n```\n"
    )

    assert readme_examples(markdown) == [
        Example("pes caseload --caseworker cw-001", ("source .venv/bin/activate",)),
        Example(
            "curl -H 'Authorization: Bearer x#y' localhost:8000/caseloads",
            ("source .venv/bin/activate",),
        ),
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command for e in EXAMPLES])
def test_the_readme_example_works_from_another_folder(
    example: Example, running_system: RunningSystem, tmp_path: Path
) -> None:
    # Files the README's examples read (a candidate policy under docs/) are the repository's.
    (tmp_path / "docs").symlink_to(REPOSITORY / "docs")
    # The README's `source` lines are run where its reader is, in the repository.
    setup = [
        f"source {shlex.quote(str(REPOSITORY / line.split(maxsplit=1)[1]))}"
        for line in example.setup
    ]
    command = example.command.replace(
        f"localhost:{README_API_PORT}", f"localhost:{running_system.api_port}"
    )

    result = shell(" && ".join([*setup, command]), tmp_path, running_system.environment)

    assert result.returncode == 0, (
        f"`{example.command}` exited {result.returncode}:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / ".data").exists(), f"`{example.command}` made a data folder in its cwd"
    assert_meaningful(command, result.stdout, tmp_path)
