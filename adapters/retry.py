"""Waiting out an outage: capped, jittered backoff, and one log line when it starts and one when it ends."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Exponential delays from `initial` up to `cap` seconds, each drawn from its upper half
    so that processes failing together do not retry together."""

    initial: float = 0.5
    cap: float = 30.0
    attempts: int = 0
    draw: Callable[[], float] = field(default=random.random, repr=False)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.initial * 2 ** min(self.attempts, 32))
        self.attempts += 1
        return ceiling * (0.5 + self.draw() / 2)

    def reset(self) -> None:
        self.attempts = 0


class Outage:
    """Tracks one dependency's outage for a process: logs its start once (not every failed
    attempt) and its end once, with how long it lasted."""

    def __init__(self, what: str, logger: logging.Logger) -> None:
        self.what = what
        self.log = logger
        self.since: float | None = None
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(
                "%s: broker unavailable (%s: %s); retrying with backoff until it is back",
                self.what,
                type(error).__name__,
                error,
            )
        else:
            self.log.debug("%s: still unavailable (%s)", self.what, error)

    def ended(self) -> None:
        if self.since is None:
            return
        self.log.warning(
            "%s: broker available again after %.1f s (%d failed attempt(s)); resumed",
            self.what,
            time.monotonic() - self.since,
            self.failures,
        )
        self.since = None
        self.failures = 0
