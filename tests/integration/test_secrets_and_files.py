"""Secrets and files: a redacted access log, owner-only data files, strong tokens, clear key errors."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.private_files import private_sqlite
from api import TokenConfigurationError, TokenMap, api_server
from api.auth import MIN_TOKEN_LENGTH, TOKENS_ENV, TOKENS_FILE_ENV, resolve_tokens
from api.request_log import redacted_target
from application.bootstrap import (
    build_case_management,
    open_billing_ledger,
    open_personal_data_store,
    open_reporting_store,
)
from application.personal_data import DEVELOPMENT_KEY_FILE, new_master_key
from application.settings import ConfigurationError, Settings, load_settings
from domain.base import Actor, Role
from tests.builders import open_case
from tests.integration.api_support import CASEWORKER, api_client, auth, command_request
from tests.topic_reader import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET_VALUE = "s3cret-query-value"
ADA = Actor(id="cw-ada", role=Role.CASEWORKER)


@pytest.fixture
def ordinary_umask() -> Iterator[None]:
    """The usual umask (022), so modes come from the application and not from the test's shell."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# The access log


@pytest.mark.parametrize(
    ("path", "query", "logged"),
    [
        ("/cases/x/state", b"", "/cases/x/state"),
        ("/cases/x/state", b"version=7", "/cases/x/state?version=[redacted]"),
        ("/a", b"token=abc&flag&x=1%0A2", "/a?token=[redacted]&flag=[redacted]&x=[redacted]"),
        ("/a b\n", b"", "/a%20b%0A"),
    ],
)
def test_an_access_log_target_keeps_parameter_names_and_drops_their_values(
    path: str, query: bytes, logged: str
) -> None:
    assert redacted_target(path, query) == logged


def test_the_access_log_of_a_served_request_holds_no_query_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = "t" * MIN_TOKEN_LENGTH
    monkeypatch.setenv(TOKENS_ENV, json.dumps({token: ADA.model_dump(mode="json")}))
    monkeypatch.delenv(TOKENS_FILE_ENV, raising=False)
    server = api_server(Settings(data_dir=tmp_path), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    with caplog.at_level(logging.INFO):
        thread.start()
        try:
            wait_for(lambda: server.started, 30, "the API server to start")
            port = server.servers[0].sockets[0].getsockname()[1]
            response = httpx.get(
                f"http://127.0.0.1:{port}/caseloads",
                params={"caseworker_id": SECRET_VALUE, "token": SECRET_VALUE},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            wait_for(
                lambda: any(r.name == "pes.http" for r in caplog.records), 30, "the access log"
            )
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    access = [r.getMessage() for r in caplog.records if r.name == "pes.http"]
    # Everything the server logged; the test's own client (httpx) logs the URL it asked for.
    served = [r for r in caplog.records if r.name.split(".")[0] not in ("httpx", "httpcore")]
    assert response.status_code < 500
    assert len(access) == 1
    assert '"GET /caseloads?caseworker_id=[redacted]&token=[redacted] HTTP/1.1"' in access[0]
    assert not [r for r in caplog.records if r.name == "uvicorn.access"]
    assert served and not [r for r in served if SECRET_VALUE in r.getMessage()]
    assert not thread.is_alive()


# Owner-only files


def test_every_file_the_application_creates_is_its_owners_only_in_a_0700_folder(
    tmp_path: Path, ordinary_umask: None
) -> None:
    data_dir = tmp_path / "data"
    with api_client(data_dir, development=True) as client:
        path, body = command_request(open_case("VR-0001"))
        opened = client.post(path, json=body, headers={**auth(CASEWORKER), "Idempotency-Key": "k1"})
        stored = client.put(
            "/clients/CL-VR-0001/personal-data",
            json={"given_name": "Ada", "family_name": "Lovelace"},
            headers=auth(CASEWORKER),
        )
    settings = Settings(data_dir=data_dir)
    for store in (open_billing_ledger(settings), open_reporting_store(settings)):
        store.close()
    # A second process's connection keeps the event store's WAL and shared memory on disk.
    app = build_case_management(settings)
    files = {p.name: mode(p) for p in data_dir.rglob("*") if p.is_file()}
    app.close()

    assert opened.status_code == 201, opened.text
    assert stored.status_code < 300, stored.text
    assert {
        "events.sqlite",
        "events.sqlite-wal",
        "events.sqlite-shm",
        "views.sqlite",
        "billing.sqlite",
        "reporting.sqlite",
        "personal_data.sqlite",
        DEVELOPMENT_KEY_FILE,
    } <= set(files)
    assert files == dict.fromkeys(files, 0o600)
    assert mode(data_dir) == 0o700


def test_files_and_folder_found_with_wider_modes_are_tightened_on_open_with_a_warning(
    tmp_path: Path, ordinary_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    events, wal = data_dir / "events.sqlite", data_dir / "events.sqlite-wal"
    key = data_dir / DEVELOPMENT_KEY_FILE
    for path, content in ((events, ""), (wal, ""), (key, new_master_key() + "\n")):
        path.write_text(content)
        path.chmod(0o644)
    settings = Settings(data_dir=data_dir)

    with caplog.at_level(logging.WARNING):
        app = build_case_management(settings)
        store = open_personal_data_store(settings, development=True)
    # Before closing: SQLite removes the WAL when its last connection closes.
    modes = {p.name: mode(p) for p in (data_dir, events, wal, key)}
    app.close()
    store.close()

    assert modes == {
        "data": 0o700,
        "events.sqlite": 0o600,
        "events.sqlite-wal": 0o600,
        DEVELOPMENT_KEY_FILE: 0o600,
    }
    for path in (data_dir, events, wal, key):
        assert str(path) in caplog.text


def test_a_new_private_database_file_is_created_empty_0600_in_a_0700_folder(
    tmp_path: Path, ordinary_umask: None
) -> None:
    path = private_sqlite(tmp_path / "new" / "x.sqlite")

    assert (mode(path), path.stat().st_size, mode(path.parent)) == (0o600, 0, 0o700)


# Production tokens


def test_a_production_token_shorter_than_32_characters_is_refused_naming_its_role() -> None:
    short = "s" * (MIN_TOKEN_LENGTH - 1)
    tokens = TokenMap({short: ADA, "x" * MIN_TOKEN_LENGTH: Actor(id="a-1", role=Role.AUDITOR)})

    with pytest.raises(TokenConfigurationError, match="caseworker token of cw-ada") as refused:
        resolve_tokens(tokens, development=False)
    assert short not in str(refused.value)
    assert len(resolve_tokens(TokenMap({"x" * MIN_TOKEN_LENGTH: ADA}), development=False)) == 1


@pytest.mark.parametrize(
    "actor",
    [{"id": "x", "role": "janitor"}, {"id": "x"}, 5, {"id": "x", "role": "caseworker", "y": 1}],
)
def test_a_malformed_token_configuration_is_refused_without_printing_the_token(
    actor: object,
) -> None:
    token = "k" * MIN_TOKEN_LENGTH

    with pytest.raises(TokenConfigurationError, match="<token>") as refused:
        TokenMap.from_json(json.dumps({token: actor}), source=TOKENS_ENV)

    assert token not in str(refused.value)


def test_development_mode_keeps_its_short_dev_tokens() -> None:
    tokens = resolve_tokens(TokenMap({}), development=True)

    assert tokens.actor_for("dev-caseworker") == Actor(id="dev-caseworker", role=Role.CASEWORKER)


SECRET_VARIABLES = (TOKENS_ENV, TOKENS_FILE_ENV, "PES_PERSONAL_DATA_KEY", "PES_CIPHER_KEY")


def production_env(tmp_path: Path, token: str, **more: str) -> dict[str, str]:
    """This environment without its tokens and keys, plus a data folder, `token` and `more`."""
    inherited = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    return {
        **inherited,
        "PES_DATA_DIR": str(tmp_path / "data"),
        TOKENS_ENV: json.dumps({token: ADA.model_dump(mode="json")}),
        **more,
    }


def pes(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *names: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0]
    return lines[0]


def test_pes_serve_with_a_31_character_token_exits_2_in_one_line(tmp_path: Path) -> None:
    token = "k" * (MIN_TOKEN_LENGTH - 1)

    result = pes("serve", "--port", "0", env=production_env(tmp_path, token))

    line = assert_one_line_refusal(result, "pes serve:", "caseworker", "at least 32")
    assert token not in line


def test_pes_serve_with_a_32_character_token_starts(tmp_path: Path) -> None:
    environment = production_env(tmp_path, "k" * MIN_TOKEN_LENGTH)
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", "0"],
        cwd=ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        reader = threading.Thread(target=lambda: lines.extend(server.stderr or ()), daemon=True)
        reader.start()
        try:
            wait_for(
                lambda: (
                    any("Uvicorn running" in line for line in lines) or server.poll() is not None
                ),
                120,
                "pes serve to start",
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
            reader.join(timeout=30)

    assert any("Uvicorn running" in line for line in lines), "".join(lines)


# Malformed keys


BAD_KEYS = {
    "not base64": "not base64!",
    "16 bytes": base64.b64encode(os.urandom(16)).decode(),
    "hex": os.urandom(32).hex(),
}


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_malformed_personal_data_key_stops_pes_serve_in_one_line(
    tmp_path: Path, key: str
) -> None:
    environment = production_env(tmp_path, "k" * MIN_TOKEN_LENGTH, PES_PERSONAL_DATA_KEY=key)

    result = pes("serve", "--port", "0", env=environment)

    line = assert_one_line_refusal(result, "pes serve:", "PES_PERSONAL_DATA_KEY")
    assert key not in line


@pytest.mark.parametrize(
    ("command", "variable", "key"),
    [
        (["run", "--api-port", "0"], "PES_PERSONAL_DATA_KEY", "short"),
        (["caseload"], "PES_PERSONAL_DATA_KEY", "short"),
        (["serve", "--development"], "PES_CIPHER_KEY", "abcd"),
        (["run", "--api-port", "0"], "PES_CIPHER_KEY", "not base64!"),
    ],
)
def test_a_malformed_key_stops_every_pes_command_in_one_line_before_it_starts_anything(
    tmp_path: Path, command: list[str], variable: str, key: str
) -> None:
    environment = production_env(tmp_path, "k" * MIN_TOKEN_LENGTH, **{variable: key})

    result = pes(*command, env=environment)

    assert_one_line_refusal(result, f"pes {command[0]}:", variable)
    assert not (tmp_path / "data").exists()


def test_a_malformed_setting_is_a_configuration_error_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PES_EVENT_STORE", "mysql")
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("POSTGRES_PORT", "not-a-port")

    with pytest.raises(ConfigurationError) as refused:
        load_settings()

    assert str(refused.value).startswith("PES_EVENT_STORE: ")
    assert "POSTGRES_PORT: " in str(refused.value)
    assert "not-a-port" not in str(refused.value)
