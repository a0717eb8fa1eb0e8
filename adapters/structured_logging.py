"""Logs as text for people or as one JSON object per line for collectors (`pes --log-format`).

Named `structured_logging` so it never shadows the standard library's `logging`. Context goes in
`extra=` (`log.info("...", extra={"case_id": ..., "rule_id": ...})`): the text format ignores it,
the JSON format adds each field at the top level of the line.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
    from application.cases import Recorded
    from domain.commands import Command
    from domain.errors import DomainError

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Every attribute a bare LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _is_kafka(logger_name: str) -> bool:
    return logger_name == "kafka" or logger_name.startswith("kafka.")


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT` for people. An exception kafka-python logs about its own internals (it
    logs some with their traceback, e.g. a connection's read loop that outlived its socket at
    shutdown) is shown on its line, as its type and message: the traceback is of the client's
    insides and nothing an operator can act on (`--log-format json` keeps it whole)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None and _is_kafka(record.name):
            error = record.exc_info[1]
            record = logging.makeLogRecord(
                {
                    **vars(record),
                    "msg": f"{record.getMessage()} ({type(error).__name__}: {error})",
                    "args": None,
                    "exc_info": None,
                    "exc_text": None,
                }
            )
        return super().format(record)


class KafkaRepeats(logging.Filter):
    """Lets each of kafka-python's messages through at most once every `every` seconds.

    While the broker is away the client logs every reconnect attempt, several a second; the
    processes log the outage themselves, once when it starts and once when it ends.
    """

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self._last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_kafka(record.name):
            return True
        key, now = (record.name, record.msg), self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) >= 1000:
            self._last.clear()
        self._last[key] = now
        return True


def configure_logging(
    log_format: LogFormat = "text", level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Sets the root logger's one handler; Kafka's client chatter stays at warnings, each at
    most once a minute."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(KafkaRepeats())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)


class CommandLog:
    """A `CommandObserver` logging each refusal (INFO) and each recorded command (DEBUG)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or logging.getLogger("pes.commands")

    def recorded(self, command: Command, recorded: Recorded) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s recorded %d event(s) on case %s",
                type(command).__name__,
                recorded.events,
                recorded.case_id,
                extra={
                    "command": type(command).__name__,
                    "case_id": str(recorded.case_id),
                    "version": recorded.version,
                },
            )

    def refused(self, command: Command, error: DomainError) -> None:
        # OpenCase names a case by number; every other command by id.
        case_id = getattr(command, "case_id", None)
        case_number = getattr(command, "case_number", None)
        self.log.info(
            "%s refused: %s",
            type(command).__name__,
            error,
            extra={
                "command": type(command).__name__,
                "case_id": str(case_id) if case_id is not None else None,
                "case_number": case_number,
                "rule_id": error.rule_id,
                "refusal": type(error).__name__,
            },
        )
