"""The API runs at most `COMMAND_THREADS` commands at once per process; the others wait."""

from __future__ import annotations

import threading
from typing import cast

import anyio
from fastapi import Response

from api.commands import COMMAND_THREADS, CommandRunner
from api.idempotency import IdempotencyKeys
from application.cases import CaseManagement

CLIENTS = 3 * COMMAND_THREADS


def test_commands_run_command_threads_at_a_time_and_the_others_wait_their_turn() -> None:
    runner = CommandRunner(cast(CaseManagement, None), cast(IdempotencyKeys, None))
    lock = threading.Lock()
    running: list[int] = []
    release = threading.Event()
    seen: list[tuple[int, int]] = []

    def command() -> Response:
        with lock:
            running.append(1)
        release.wait(timeout=30)
        with lock:
            running.pop()
        return Response()

    async def clients() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(CLIENTS):
                group.start_soon(runner.in_turn, command)
            with anyio.fail_after(30):  # until every command runs or waits its turn
                while runner._limiter is None or (
                    runner._limiter.statistics().tasks_waiting + len(running) < CLIENTS
                ):
                    await anyio.sleep(0.01)
            seen.append((len(running), runner._limiter.statistics().tasks_waiting))
            release.set()

    anyio.run(clients)

    assert seen == [(COMMAND_THREADS, CLIENTS - COMMAND_THREADS)]
    assert running == []
