"""The system's one notion of today: wired once (application/bootstrap.py), injected in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], date]


def utc_today() -> date:
    return datetime.now(UTC).date()
