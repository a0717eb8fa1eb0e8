"""The API's access log: one line per request, naming its query parameters but never their values.

A query value can be a secret (a token someone put in a URL) or a person's data; an access log is
read by more people, and kept longer, than the data it describes. This replaces uvicorn's access
log, which writes the raw query string (`api_server` turns that one off).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("pes.http")

REDACTED = "[redacted]"


def redacted_target(path: str, query_string: bytes) -> str:
    """The path, and each query parameter's name with its value replaced by `[redacted]`."""
    target = quote(path)
    if not query_string:
        return target
    # Names as sent (still percent-encoded), so a decoded newline cannot forge a log line.
    names = [
        part.split("=", 1)[0] for part in query_string.decode("ascii", "replace").split("&") if part
    ]
    return f"{target}?" + "&".join(f"{name}={REDACTED}" for name in names)


class RequestLog:
    """Logs each HTTP request's client, method, redacted target, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._log(scope, status, time.perf_counter() - started)

    @staticmethod
    def _log(scope: Scope, status: int, seconds: float) -> None:
        client = scope.get("client")
        target = redacted_target(scope.get("root_path", "") + scope["path"], scope["query_string"])
        log.info(
            '%s - "%s %s HTTP/%s" %d',
            f"{client[0]}:{client[1]}" if client else "-",
            scope["method"],
            target,
            scope.get("http_version", "1.1"),
            status,
            extra={
                "http_method": scope["method"],
                "http_target": target,
                "http_status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
