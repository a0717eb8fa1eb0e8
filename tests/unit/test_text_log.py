"""The text log shows kafka-python's internal errors on one line, and the project's whole."""

from __future__ import annotations

import logging
import sys

from adapters.structured_logging import JsonFormatter, TextFormatter


def logged_error(name: str) -> logging.LogRecord:
    try:
        raise ValueError("Invalid file descriptor: -1")
    except ValueError:
        exc_info = sys.exc_info()
    return logging.LogRecord(name, logging.ERROR, __file__, 1, "Task %s raised", ("t-1",), exc_info)


def test_an_error_kafka_python_logs_with_its_traceback_is_one_line_in_the_text_log() -> None:
    line = TextFormatter().format(logged_error("kafka.net.selector"))

    assert "\n" not in line
    assert "Traceback" not in line
    assert line.endswith(
        "ERROR kafka.net.selector Task t-1 raised (ValueError: Invalid file descriptor: -1)"
    )


def test_the_projects_own_errors_and_the_json_log_keep_the_traceback() -> None:
    own = TextFormatter().format(logged_error("adapters.consumer"))
    as_json = JsonFormatter().format(logged_error("kafka.net.selector"))

    assert "Traceback" in own and "ValueError: Invalid file descriptor: -1" in own
    assert "Traceback" in as_json
