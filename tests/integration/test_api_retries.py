"""Retries and races over HTTP: an idempotency key's answer is recorded with the command's events,
so a retry after a crash gets it; commands racing on one case without If-Match are all decided."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import uvicorn

from adapters.idempotency import IdempotencyKeyTaken, KeptAnswer
from api import create_app
from api.commands import recorded_response
from api.idempotency import IdempotencyKeys, StoredResponse
from application.bootstrap import build_case_management, event_store_env
from application.cases import CaseManagement, IdempotentRequest, Recorded
from application.settings import Settings, as_environment
from domain.assistance.values import InterventionCategory, InterventionKind
from domain.base import numbered_id
from domain.case import Program, case_id_for
from domain.commands import Command, LogIntervention, OpenCase
from tests.builders import open_case, record_outcome
from tests.conftest import PostgresServer, unique
from tests.integration.api_support import CASEWORKER, TOKENS, TestClient, auth, command_request
from tests.topic_reader import wait_for

pytestmark = pytest.mark.postgres

REPOSITORY = Path(__file__).resolve().parents[2]
NUMBER = "VR-300"
CASE = case_id_for(NUMBER)
CLIENTS = 8
DEV_CASEWORKER = {"Authorization": "Bearer dev-caseworker"}


def history_length(settings: Settings, case_id: UUID = CASE) -> int:
    app = build_case_management(settings)
    try:
        return len(list(app.events_of(case_id)))
    finally:
        app.close()


# A crash between the commit and the answer


@contextmanager
def api_dying_after_its_first_save(settings: Settings, log: Path) -> Iterator[str]:
    """The API in a child process that SIGKILLs itself right after its first save; its URL."""
    with (
        closing(socket.create_server(("127.0.0.1", 0))) as listener,
        log.open("ab") as output,
    ):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.api_dying_after_save", str(listener.fileno())],
            cwd=REPOSITORY,
            env={**os.environ, **as_environment(settings)},
            pass_fds=[listener.fileno()],
            stdout=output,
            stderr=output,
        )
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
            assert child.wait(timeout=60) == -signal.SIGKILL, log.read_text()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=60)


@pytest.mark.parametrize(
    ("command", "status", "version"),
    [(open_case(NUMBER), 201, 1), (record_outcome(NUMBER), 200, 2)],
    ids=["open-case", "case-command"],
)
def test_a_retry_after_the_api_died_between_commit_and_answer_gets_the_original_answer(
    store_settings: Settings, tmp_path: Path, command: Command, status: int, version: int
) -> None:
    if version > 1:
        build_case_management(store_settings).open_case(open_case(NUMBER), CASEWORKER)
    path, body = command_request(command)
    headers = {**DEV_CASEWORKER, "Idempotency-Key": "before-the-crash"}

    with (
        api_dying_after_its_first_save(store_settings, tmp_path / "api.log") as url,
        pytest.raises(httpx.TransportError),
    ):
        httpx.post(url + path, json=body, headers=headers, timeout=120)
    assert history_length(store_settings) == version  # committed, never answered

    with TestClient(create_app(store_settings, development=True)) as restarted:
        retry = restarted.post(path, json=body, headers=headers)
        again = restarted.post(path, json=body, headers=headers)

    assert retry.status_code == again.status_code == status
    assert (
        retry.json()
        == again.json()
        == {
            "case_id": str(CASE),
            "case_number": NUMBER,
            "version": version,
            "events": 1,
        }
    )
    assert retry.headers["ETag"] == again.headers["ETag"] == f'"{version}"'
    assert retry.headers["Idempotent-Replayed"] == "true"
    if status == 201:
        assert retry.headers["Location"] == f"{url}/cases/{CASE}"  # as the dead API built it
    assert history_length(store_settings) == version


# Many clients on one case, over a real server


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The API served by uvicorn in a thread, as `pes serve` serves it; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, TOKENS), log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), what="the API to start")
        assert thread.is_alive()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listener.close()


def intervention(n: int) -> LogIntervention:
    return LogIntervention(
        case_id=CASE,
        intervention_id=numbered_id(CASE, "intervention", n),
        logged_on=date(2024, 2, 1) + timedelta(days=n % 200),
        kind=InterventionKind.CRISIS_INTERVENTION,
        category=InterventionCategory.DIFFICULT_EMPLOYER,
        situation=f"Situation {n}",
        action_taken=f"Action {n}",
    )


def at_once(requests: list[Callable[[], Any]]) -> list[Any]:
    """Runs each request on its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        results[i] = requests[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return results


def post(url: str, command: Command, **headers: str) -> httpx.Response:
    path, body = command_request(command)
    return httpx.post(url + path, json=body, headers={**auth(CASEWORKER), **headers}, timeout=120)


@pytest.fixture
def assisted_case(store_settings: Settings) -> Settings:
    app = build_case_management(store_settings)
    app.open_case(open_case(NUMBER, program=Program.CASH_ASSISTANCE), CASEWORKER)
    app.close()
    return store_settings


def test_eight_clients_without_if_match_all_get_their_commands_recorded_and_none_a_409(
    assisted_case: Settings,
) -> None:
    per_client = 15
    with served(assisted_case) as url:

        def client(c: int) -> list[int]:
            return [
                post(url, intervention(c * per_client + i)).status_code for i in range(per_client)
            ]

        statuses = at_once([lambda c=c: client(c) for c in range(CLIENTS)])

    assert [s for client_statuses in statuses for s in client_statuses] == [200] * (
        CLIENTS * per_client
    )
    assert history_length(assisted_case) == 1 + CLIENTS * per_client


def test_eight_clients_with_the_same_if_match_one_is_recorded_the_others_get_a_409(
    assisted_case: Settings,
) -> None:
    with served(assisted_case) as url:
        responses = at_once(
            [lambda n=n: post(url, intervention(n), **{"If-Match": '"1"'}) for n in range(CLIENTS)]
        )

    assert sorted(r.status_code for r in responses) == [200] + [409] * (CLIENTS - 1)
    stale = [r.json() for r in responses if r.status_code == 409]
    assert {problem["type"] for problem in stale} == {"urn:pes:problem:concurrency-conflict"}
    assert history_length(assisted_case) == 2


@pytest.mark.parametrize(
    ("command", "if_match"),
    [
        (open_case("VR-301", program=Program.CASH_ASSISTANCE), None),
        (intervention(1), None),
        (intervention(1), '"1"'),
    ],
    ids=["open-case", "case-command", "case-command-if-match"],
)
def test_concurrent_duplicates_with_one_key_record_once_and_all_get_the_same_answer(
    assisted_case: Settings, command: Command, if_match: str | None
) -> None:
    headers = {"Idempotency-Key": "sent-eight-times"}
    if if_match is not None:
        headers["If-Match"] = if_match
    with served(assisted_case) as url:
        responses = at_once([lambda: post(url, command, **headers) for _ in range(CLIENTS)])

    answers = {(r.status_code, r.content, r.headers["ETag"]) for r in responses}
    assert len(answers) == 1 and next(iter(answers))[0] in (200, 201), answers
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count(None) == 1 and replayed.count("true") == CLIENTS - 1
    if isinstance(command, OpenCase):
        assert history_length(assisted_case, case_id_for(command.case_number)) == 1
    else:
        assert history_length(assisted_case) == 2  # the case's opening, and this command once


# Keys in the event store, and their retention


def keyed(key: str, respond: Callable[[Recorded], StoredResponse]) -> IdempotentRequest:
    def answer(recorded: Recorded) -> KeptAnswer:
        response = respond(recorded)
        return KeptAnswer("hash", response.status, response.body, response.headers)

    return IdempotentRequest("cw-1", key, 1_000_000.0, 2_000_000.0, answer)


def test_a_command_under_a_key_already_answered_records_nothing_and_the_answer_stays(
    store_settings: Settings,
) -> None:
    first, second = build_case_management(store_settings), build_case_management(store_settings)
    opened = first.open_case(
        open_case(NUMBER), CASEWORKER, keyed("k", lambda r: recorded_response(r, 201, "/here"))
    )

    with pytest.raises(IdempotencyKeyTaken):
        second.handle(
            record_outcome(NUMBER),
            CASEWORKER,
            keyed=keyed("k", lambda r: recorded_response(r, 200)),
        )

    kept = second.kept_answer("cw-1", "k", 1_500_000.0)
    assert kept is not None and kept.status == 201
    assert kept.headers == {"ETag": '"1"', "Location": "/here"}
    assert kept.body == recorded_response(opened, 201).body
    assert history_length(store_settings) == 1
    assert second.kept_answer("cw-1", "k", 2_000_001.0) is None  # expired


def test_keys_expire_after_their_retention_and_can_then_be_used_again(
    store_settings: Settings,
) -> None:
    cases = build_case_management(store_settings)
    now = [1_000_000.0]
    keys = IdempotencyKeys(cases, retention_seconds=60, clock=lambda: now[0])

    def open_number(number: str, request_hash: str) -> Any:
        return keys.replay_or_run(
            "cw-1",
            "k",
            request_hash,
            lambda keyed: cases.open_case(open_case(number), CASEWORKER, keyed),
            lambda recorded: recorded_response(recorded, 201),
        )

    first = open_number("VR-302", "first")
    now[0] += 60
    replayed = open_number("VR-302", "first")
    now[0] += 1
    after_expiry = open_number("VR-303", "second")

    assert not first.replayed and replayed.replayed and replayed.body == first.body
    assert not after_expiry.replayed
    assert after_expiry.body != first.body
    assert cases.kept_answer("cw-1", "k", now[0]) is not None  # the new one


def test_the_postgres_store_refuses_db_functions_that_would_skip_the_keys(
    postgres_server: PostgresServer,
) -> None:
    dbname = unique("pes")
    postgres_server.create_database(dbname)
    env = {
        **event_store_env(
            Settings(
                event_store="postgres",
                POSTGRES_HOST=postgres_server.connection["host"],
                POSTGRES_PORT=int(postgres_server.connection["port"]),
                POSTGRES_USER=postgres_server.connection["user"],
                POSTGRES_PASSWORD=postgres_server.connection["password"],
                POSTGRES_DBNAME=dbname,
            )
        ),
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
    }

    with pytest.raises(ValueError, match="POSTGRES_ENABLE_DB_FUNCTIONS off"):
        CaseManagement(env=env)
