"""Several API processes over one PostgreSQL store, on real sockets: `pes serve --workers 2` and
a second `pes serve`, with concurrent clients spread over them, retrying with If-Match and
Idempotency-Key (a retry goes to the other process)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.bootstrap import build_case_management
from application.settings import Settings, as_environment
from domain.case import case_id_for
from domain.commands import ReassignCase
from scripts.exit_codes import ExitCode
from tests.builders import open_case
from tests.conftest import PostgresServer, postgres_settings
from tests.integration.api_support import CASEWORKER, SUPERVISOR, auth, command_request, token_for
from tests.topic_reader import wait_for

REPOSITORY = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
CLIENTS = 8
REASSIGNMENTS_PER_CLIENT = 3
CASES = 3
DEADLINE_SECONDS = 90


def api_environment(settings: Settings) -> dict[str, str]:
    tokens = {
        token_for(actor): {"id": actor.id, "role": actor.role.value}
        for actor in (CASEWORKER, SUPERVISOR)
    }
    return {**os.environ, **as_environment(settings), "PES_API_TOKENS": json.dumps(tokens)}


@contextmanager
def pes_serve(environment: dict[str, str], *options: str) -> Iterator[str]:
    """`pes serve --port 0 [options]` until the block ends; yields its base URL."""
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", "0", *options],
        cwd=REPOSITORY,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        reader = threading.Thread(target=lambda: lines.extend(server.stderr or ()), daemon=True)
        reader.start()
        try:
            port = wait_for(
                lambda: (
                    next((m.group(1) for m in map(LISTENING.search, lines) if m), None)
                    or server.poll() is not None
                ),
                120,
                "pes serve to listen",
            )
            assert isinstance(port, str), "".join(lines)
            url = f"http://127.0.0.1:{port}"
            # Its workers accept once their app is built; until then, connections wait queued.
            wait_for(lambda: _healthy(url) or server.poll() is not None, 120, "the API to answer")
            assert server.poll() is None, "".join(lines)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=60)
            reader.join(timeout=30)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def pg_settings(postgres_server: PostgresServer, tmp_path: Path) -> Settings:
    return postgres_settings(postgres_server, tmp_path).model_copy(
        update={"view_store": "postgres"}
    )


@pytest.fixture
def two_apis(pg_settings: Settings) -> Iterator[tuple[str, str]]:
    """One `pes serve --workers 2` and one plain `pes serve`, started together on one store."""
    environment = api_environment(pg_settings)
    with ExitStack() as stack, ThreadPoolExecutor(2) as starting:
        first = starting.submit(stack.enter_context, pes_serve(environment, "--workers", "2"))
        second = starting.submit(stack.enter_context, pes_serve(environment))
        yield first.result(timeout=300), second.result(timeout=300)


def post(url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=60)


def test_a_key_sent_to_both_processes_at_once_is_recorded_once_and_answered_the_same(
    two_apis: tuple[str, str], pg_settings: Settings
) -> None:
    path, body = command_request(open_case("MP-1"))
    headers = {**auth(CASEWORKER), "Idempotency-Key": "open-mp-1"}
    both = threading.Barrier(2, timeout=60)

    def send_together(url: str) -> httpx.Response:
        both.wait()
        return post(url, path, body, headers)

    with ThreadPoolExecutor(2) as clients:
        answers = list(clients.map(send_together, two_apis))
    answers += [post(url, path, body, headers) for url in reversed(two_apis)]

    assert {(a.status_code, a.content, a.headers["ETag"]) for a in answers} == {
        (201, answers[0].content, '"1"')
    }
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    app = build_case_management(pg_settings)
    try:
        assert len(app.history(case_id_for("MP-1"))) == 1
    finally:
        app.close()


def test_concurrent_reassignments_over_two_processes_lose_no_update_and_record_none_twice(
    two_apis: tuple[str, str], pg_settings: Settings
) -> None:
    numbers = [f"MP-R{n}" for n in range(CASES)]
    for number in numbers:
        path, body = command_request(open_case(number))
        assert post(two_apis[0], path, body, auth(CASEWORKER)).status_code == 201
    deadline = time.monotonic() + DEADLINE_SECONDS

    def client(index: int) -> list[tuple[str, str, int]]:
        """Reassigns its case to caseworkers of its own, each decided on the version it read."""
        number = numbers[index % CASES]
        acknowledged = []
        for step in range(REASSIGNMENTS_PER_CLIENT):
            caseworker = f"cw-c{index}-s{step}"
            key = f"reassign-{index}-{step}-{uuid.uuid4().hex[:8]}"
            acknowledged.append(
                (number, caseworker, reassign(two_apis, index + step, number, caseworker, key))
            )
        return acknowledged

    def reassign(urls: tuple[str, str], turn: int, number: str, caseworker: str, key: str) -> int:
        while time.monotonic() < deadline:
            read = httpx.get(
                f"{urls[turn % 2]}/cases/{case_id_for(number)}",
                headers=auth(SUPERVISOR),
                timeout=60,
            )
            assert read.status_code == 200, read.text
            path, body = command_request(reassignment(number, caseworker))
            headers = {**auth(SUPERVISOR), "If-Match": read.headers["ETag"], "Idempotency-Key": key}
            first = post(urls[(turn + 1) % 2], path, body, headers)
            turn += 1
            if first.status_code == 409:
                continue  # another client's reassignment came first: read again, same key
            assert first.status_code == 200, first.text
            # The response was "lost": the same request again, to the other process.
            retried = post(urls[turn % 2], path, body, headers)
            assert (retried.status_code, retried.content) == (200, first.content), retried.text
            assert retried.headers["Idempotent-Replayed"] == "true"
            return int(first.json()["version"])
        raise TimeoutError(f"{caseworker} not recorded on {number} within {DEADLINE_SECONDS}s")

    with ThreadPoolExecutor(CLIENTS) as clients:
        acknowledged = [ack for acks in clients.map(client, range(CLIENTS)) for ack in acks]

    app = build_case_management(pg_settings)
    try:
        for number in numbers:
            events = app.history(case_id_for(number))
            moves = [
                (e.caseworker_id, e.previous_caseworker_id, e.originator_version)
                for e in events[1:]
            ]
            acked = sorted((v, cw) for n, cw, v in acknowledged if n == number)
            # Each acknowledged reassignment is in the history once, at the version it was
            # answered with, and each was decided on the one before it: none lost, none twice.
            assert sorted((version, to) for to, _, version in moves) == acked
            assert [previous for _, previous, _ in moves] == [
                events[0].caseworker_id,
                *(to for to, _, _ in moves[:-1]),
            ]
    finally:
        app.close()
    assert len(acknowledged) == CLIENTS * REASSIGNMENTS_PER_CLIENT


def reassignment(number: str, caseworker: str) -> ReassignCase:
    return ReassignCase(
        case_id=case_id_for(number),
        caseworker_id=caseworker,
        reassigned_on=date(2024, 1, 20),
        reason=f"balancing the caseload ({caseworker})",
    )


def test_several_api_processes_on_the_sqlite_default_are_refused_in_one_line(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", "0", "--workers", "2"],
        cwd=REPOSITORY,
        env=api_environment(Settings(data_dir=tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert result.stderr.strip().splitlines() == [
        "pes serve: several API processes (--workers) need PES_EVENT_STORE=postgres: the embedded "
        "SQLite store takes one writer process; run one API process on it"
    ]
