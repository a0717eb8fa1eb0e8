"""Operations probes: `/health` answers without any store; `/ready` queries the event store,
reports the relay's and the caseload view's lag, and is a 503 problem when the store is gone."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from adapters.metrics import Metrics
from api import create_app
from application.bootstrap import build_case_management, build_relay
from application.settings import Settings
from scripts.local_postgres import conninfo
from tests.builders import open_case, record_outcome
from tests.conftest import PostgresServer, unique
from tests.integration.api_support import (
    CASEWORKER,
    TOKENS,
    TestClient,
    api_client,
    assert_problem,
    send,
)


def test_health_answers_without_a_token_and_outside_the_openapi_document(tmp_path: Path) -> None:
    with api_client(tmp_path) as client:
        response = client.get("/health")
        paths = client.get("/openapi.json").json()["paths"]

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "/health" not in paths and "/ready" not in paths


def test_ready_counts_the_events_and_the_relays_lag_on_each_store(store_settings: Settings) -> None:
    with TestClient(create_app(store_settings, TOKENS)) as client:
        empty = client.get("/ready")
        send(client, CASEWORKER, open_case("VR-R1"))
        send(client, CASEWORKER, record_outcome("VR-R1"))
        ready = client.get("/ready")

    assert empty.status_code == 200, empty.text
    assert empty.json()["event_store"] == {"kind": store_settings.event_store, "events_recorded": 0}
    assert ready.json()["status"] == "ready"
    assert ready.json()["event_store"]["events_recorded"] == 2
    # No relay has run against this store: both events wait to be published.
    assert ready.json()["relay"] == {"published_up_to": 0, "lag_events": 2}
    assert ready.json()["caseload_view"] == {"messages_applied": 0, "lag_messages": None}


@pytest.mark.kafka
def test_ready_shows_no_relay_lag_once_the_relay_has_published(settings: Settings) -> None:
    app = build_case_management(settings)
    with TestClient(create_app(settings, TOKENS)) as client:
        send(client, CASEWORKER, open_case("VR-R2"))
        relay = build_relay(settings, app)
        try:
            published = relay.drain()
        finally:
            relay.close()
        ready = client.get("/ready").json()

    assert published == 1
    assert ready["relay"] == {"published_up_to": 1, "lag_events": 0}


def test_ready_reports_the_view_lag_its_consumer_reports_in_this_process(tmp_path: Path) -> None:
    metrics = Metrics()
    observer = metrics.consumer_observer("caseload")
    observer.position("case-events", 0, 3, 5)
    observer.position("case-events", 1, 4, 4)

    with api_client(tmp_path, metrics=metrics) as client:
        ready = client.get("/ready").json()

    assert ready["caseload_view"]["lag_messages"] == 2


@pytest.mark.postgres
def test_ready_is_a_503_problem_when_the_event_store_is_gone(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    dbname = unique("pes_ready_gone")
    postgres_server.create_database(dbname)
    connection = postgres_server.connection
    settings = Settings(
        data_dir=tmp_path,
        event_store="postgres",
        POSTGRES_HOST=connection["host"],
        POSTGRES_PORT=int(connection["port"]),
        POSTGRES_USER=connection["user"],
        POSTGRES_PASSWORD=connection["password"],
        POSTGRES_DBNAME=dbname,
    )
    with TestClient(create_app(settings, TOKENS)) as client:
        assert client.get("/ready").status_code == 200
        with psycopg.connect(conninfo(connection, dbname="postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))

        gone = client.get("/ready")
        health = client.get("/health")

    problem = assert_problem(gone, 503, "store-unavailable")
    assert "event store did not answer" in problem["detail"]
    assert health.status_code == 200
