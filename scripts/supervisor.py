"""What `pes run` uses to keep its parts running: worker threads restarted when they fail."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.retry import Backoff

log = logging.getLogger("pes.supervisor")


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Task:
    """One run of a worker: `run` blocks until the system stops (returning earlier, or raising,
    is a failure); `interrupt` asks it to return; `close` releases what it holds."""

    run: Callable[[], None]
    close: Callable[[], None] = _nothing
    interrupt: Callable[[], None] = _nothing


@dataclass
class Supervisor:
    """Runs each worker on a thread of its own; a worker that fails is closed, logged, and built
    and run again after a capped, jittered backoff, while the others keep running."""

    stop: threading.Event
    on_restart: Callable[[str], None] = lambda _name: None
    backoff_cap: float = 30.0
    restarts: dict[str, int] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)
    _current: dict[str, Task] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, build: Callable[[], Task], first: Task | None = None) -> None:
        """Runs `first` (or what `build` makes) on a new thread, and `build`'s after a failure."""
        thread = threading.Thread(
            target=self._supervise, args=(name, build, first), name=name, daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _supervise(self, name: str, build: Callable[[], Task], first: Task | None) -> None:
        backoff = Backoff(initial=1.0, cap=self.backoff_cap)
        task = first
        while not self.stop.is_set():
            started = time.monotonic()
            delay = 0.0
            try:
                if task is None:
                    task = build()
                with self._lock:
                    self._current[name] = task
                if self.stop.is_set():  # stopped while it was being built
                    return
                task.run()
                if self.stop.is_set():
                    return
                raise RuntimeError(f"{name} returned while pes run is still running")
            except (Exception, SystemExit) as failure:  # uvicorn exits when it cannot bind
                if self.stop.is_set():
                    log.info("%s ended while stopping: %s", name, failure)
                    return
                if time.monotonic() - started > self.backoff_cap:
                    backoff.reset()  # it had been running fine: not a failure loop
                delay = backoff.next_delay()
                self.restarts[name] = self.restarts.get(name, 0) + 1
                log.error(
                    "%s failed; restarting it in %.1f s (restart %d)",
                    name,
                    delay,
                    self.restarts[name],
                    exc_info=failure,
                )
                self.on_restart(name)
            finally:
                with self._lock:
                    self._current.pop(name, None)
                if task is not None:
                    self._close(name, task)
                task = None
            self.stop.wait(delay)

    @staticmethod
    def _close(name: str, task: Task) -> None:
        try:
            task.close()
        except Exception:
            log.warning("closing %s failed", name, exc_info=True)

    def join(self, timeout: float) -> list[str]:
        """Asks every worker to return and waits, `timeout` seconds in all; returns those that
        did not return in time (their threads are daemons: they end with the process)."""
        with self._lock:
            running = list(self._current.values())
        for task in running:
            with contextlib.suppress(Exception):
                task.interrupt()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return [thread.name for thread in self._threads if thread.is_alive()]
