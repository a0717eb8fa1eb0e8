"""The API runs at most `COMMAND_THREADS` commands at once per process; the others wait."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import cast

from fastapi import Response

from api.commands import COMMAND_THREADS, CommandRunner
from api.idempotency import IdempotencyKeys
from application.cases import CaseManagement

CLIENTS = 3 * COMMAND_THREADS
DEADLINE_SECONDS = 30.0


def test_commands_run_command_threads_at_a_time_and_the_others_wait_their_turn() -> None:
    runner = CommandRunner(cast(CaseManagement, None), cast(IdempotencyKeys, None))
    lock = threading.Lock()
    running: list[int] = []
    most_at_once = 0
    release = threading.Event()
    seen: list[tuple[int, int]] = []

    def command() -> Response:
        nonlocal most_at_once
        with lock:
            running.append(1)
            most_at_once = max(most_at_once, len(running))
        release.wait(timeout=DEADLINE_SECONDS)
        with lock:
            running.pop()
        return Response()

    def waiting() -> int:
        return runner._jobs.qsize()

    async def clients() -> list[Response]:
        answers = asyncio.gather(*(runner.in_turn(command) for _ in range(CLIENTS)))
        deadline = time.monotonic() + DEADLINE_SECONDS
        # until every command runs or waits its turn
        while waiting() + len(running) < CLIENTS and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        seen.append((len(running), waiting()))
        release.set()
        return await answers

    try:
        answers = asyncio.run(clients())
    finally:
        release.set()
        runner.close()

    assert seen == [(COMMAND_THREADS, CLIENTS - COMMAND_THREADS)]
    assert most_at_once == COMMAND_THREADS
    assert len(answers) == CLIENTS
    assert running == []
