"""The API runs at most `COMMAND_THREADS` commands at once per process; the others wait."""

from __future__ import annotations

import asyncio
import gc
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


def test_the_command_threads_of_a_runner_never_closed_stop_once_it_is_collected() -> None:
    runner = CommandRunner(cast(CaseManagement, None), cast(IdempotencyKeys, None))
    answer = asyncio.run(runner.in_turn(Response))
    threads = list(runner._threads)

    del runner
    gc.collect()
    deadline = time.monotonic() + DEADLINE_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))

    assert answer.status_code == 200
    assert len(threads) == COMMAND_THREADS
    assert not any(thread.is_alive() for thread in threads)


def test_a_command_that_raises_raises_in_its_request_and_the_threads_serve_on() -> None:
    runner = CommandRunner(cast(CaseManagement, None), cast(IdempotencyKeys, None))

    def failing() -> Response:
        raise ValueError("refused")

    async def requests() -> tuple[BaseException | Response, Response]:
        failed = await asyncio.gather(runner.in_turn(failing), return_exceptions=True)
        return failed[0], await runner.in_turn(Response)

    try:
        failed, served = asyncio.run(requests())
    finally:
        runner.close()

    assert isinstance(failed, ValueError) and str(failed) == "refused"
    assert served.status_code == 200
