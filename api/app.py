"""The HTTP API's wiring: `create_app(settings)` builds it; nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

import uvicorn
from fastapi import FastAPI, Response
from uvicorn.supervisors import Multiprocess

from adapters.metrics import EXPOSITION_CONTENT_TYPE, Metrics
from api.access import authorizer
from api.audit import audit_router
from api.auth import TokenMap, authenticator, resolve_tokens
from api.commands import CommandRunner, add_command_routes
from api.deadlines import deadline_router
from api.docs_pages import serve_docs_pages
from api.idempotency import IdempotencyKeys
from api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from api.operations import ReadinessProbe, operations_router
from api.pages import install_page_handlers, pages_router
from api.personal_data import personal_data_router
from api.problems import install_problem_handlers
from api.queries import query_router
from api.request_log import RequestLog
from application.bootstrap import (
    build_case_management,
    freeze_startup_objects,
    open_caseload_view,
    open_personal_data_store,
)
from application.clock import Clock, utc_today
from application.personal_data import master_key_from_settings
from application.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

DESCRIPTION = """
Commands on post-employment cases and reads of them. Every request needs
`Authorization: Bearer <token>`; the token's actor (id and role) is recorded on every event.
Errors are RFC 9457 problem documents (`application/problem+json`), with `rule_id` when a
policy rule refused. See docs/api.md and docs/roles.md.
"""


def create_app(
    settings: Settings,
    tokens: TokenMap | None = None,
    *,
    development: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    metrics: Metrics | None = None,
    clock: Clock = utc_today,
) -> FastAPI:
    """The API over the configured event store and caseload view; `clock` is its today.

    Tokens default to `PES_API_TOKENS` / `PES_API_TOKENS_FILE`; with none, it refuses to start
    unless `development` is set (fixed, documented dev tokens; a warning is logged).
    """
    accepted_tokens = resolve_tokens(tokens, development)
    # Personal data routes only with a master key (or in development mode)
    personal_data = (
        open_personal_data_store(settings, development=development)
        if settings.personal_data_key is not None or development
        else None
    )
    if personal_data is None:
        log.warning("PES_PERSONAL_DATA_KEY is not set: the API starts without personal data routes")
    metrics = metrics or Metrics()
    cases = build_case_management(settings, metrics=metrics, clock=clock)
    caseload = open_caseload_view(settings, cases.policies)
    idempotency = IdempotencyKeys(cases)
    runner = CommandRunner(cases, idempotency)
    readiness = ReadinessProbe(settings, cases, caseload, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            runner.close()
            readiness.close()
            caseload.close()
            cases.close()
            if personal_data is not None:
                personal_data.close()

    app = FastAPI(
        title="Post-employment services case management",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN, which an agency network
        # without internet cannot reach: these are served from installed assets (docs/api.md).
        docs_url=None,
        redoc_url=None,
    )
    serve_docs_pages(app)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestLog)  # outermost of ours: logs what the client got, even a 413

    authorized = authorizer(authenticator(accepted_tokens))
    add_command_routes(app.router, runner, authorized)
    app.include_router(query_router(cases, caseload, authorized))
    app.include_router(deadline_router(caseload, authorized))
    app.include_router(audit_router(cases, authorized))
    app.include_router(pages_router(cases, caseload, accepted_tokens, clock))
    install_page_handlers(app)
    if personal_data is not None:
        app.include_router(personal_data_router(personal_data, authorized))
    app.include_router(operations_router(readiness.check))

    # Unauthenticated like any Prometheus target, and outside the OpenAPI
    # document and role matrix; its labels hold no case or person data (docs/operations.md).
    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=EXPOSITION_CONTENT_TYPE)

    return app


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    development: bool = False,
    metrics: Metrics | None = None,
    workers: int = 1,
    logging_setup: Callable[[], None] | None = None,
) -> None:
    """Serves the API with uvicorn until interrupted; with `workers` > 1, as that many processes
    sharing one listening socket (PostgreSQL stores only: `refuse_several_workers`).

    `logging_setup` configures each worker process's logging as the caller's (it must pickle).
    """
    if workers > 1:
        serve_workers(
            settings, host, port, workers, development=development, logging_setup=logging_setup
        )
        return
    server = api_server(settings, host, port, development=development, metrics=metrics)
    freeze_startup_objects()
    server.run()


def refuse_several_workers(settings: Settings, *, development: bool = False) -> None:
    """Several API processes share every store the API writes; SQLite files are refused."""
    if settings.event_store != "postgres":
        raise ConfigurationError(
            "several API processes (--workers) need PES_EVENT_STORE=postgres: the embedded "
            "SQLite store takes one writer process; run one API process on it"
        )
    personal_data_routes = settings.personal_data_key is not None or development
    if personal_data_routes and settings.personal_data_store != "postgres":
        raise ConfigurationError(
            "several API processes (--workers) need PES_PERSONAL_DATA_STORE=postgres: the "
            "embedded SQLite personal data store takes one writer process"
        )


def serve_workers(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    *,
    development: bool = False,
    logging_setup: Callable[[], None] | None = None,
) -> None:
    """`workers` API processes on one socket bound here, kept running by uvicorn's supervisor
    (a worker that dies is replaced; SIGINT/SIGTERM stops them all)."""
    refuse_several_workers(settings, development=development)
    resolve_tokens(None, development)  # a token refused here is refused once, in one line
    if development and settings.personal_data_key is None:
        # Made once here: each worker would otherwise race to create the development key.
        master_key_from_settings(settings, development=True)
    config = uvicorn.Config(
        partial(worker_app, settings, development, logging_setup),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )
    listening = config.bind_socket()
    log.info("API on http://%s:%d with %d worker processes", host, port, workers)
    Multiprocess(config, sockets=[listening]).run()


def worker_app(
    settings: Settings, development: bool, logging_setup: Callable[[], None] | None
) -> FastAPI:
    """The app of one worker process (`serve_workers`), built in that process."""
    if logging_setup is not None:
        logging_setup()
    app = create_app(settings, development=development)
    freeze_startup_objects()
    return app


def api_server(
    settings: Settings,
    host: str,
    port: int,
    *,
    development: bool = False,
    metrics: Metrics | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the API, to run (`run()`, any thread) and stop (`should_exit`).

    Given the process's `metrics`, `/ready` reports the caseload view's lag its consumer reports.
    """
    app = create_app(settings, development=development, metrics=metrics)
    # The app's own access log (api/request_log.py) replaces uvicorn's, which logs query values.
    return uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    )
