"""Probes for operators: `/health` (the process answers) and `/ready` (the event store answers).

Both are unauthenticated like `/metrics` and kept out of the OpenAPI document and the role
matrix; their answers hold positions and counts, never case or person data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from threading import Lock
from typing import Literal

from eventsourcing.persistence import TrackingRecorder
from fastapi import APIRouter
from pydantic import BaseModel, Field

from adapters.metrics import Metrics
from adapters.relay import position_name
from api.problems import ApiProblem, ProblemType
from application.bootstrap import build_tracking_recorder
from application.cases import CaseManagement
from application.settings import Settings
from projections.caseload import VIEW_NAME, CaseloadView

log = logging.getLogger(__name__)

READY_DEADLINE_SECONDS = 5.0
"""How long `/ready` waits for the event store: a probe must answer, even when the store hangs."""
STORE_UNAVAILABLE = ProblemType("store-unavailable", "The event store cannot be reached", 503)


class Health(BaseModel):
    """The process is up and serving requests."""

    status: Literal["ok"] = "ok"


class EventStoreStatus(BaseModel):
    kind: str = Field(description="sqlite or postgres")
    events_recorded: int = Field(description="The last notification id in the event store")


class RelayStatus(BaseModel):
    published_up_to: int = Field(description="The last notification id the broker acknowledged")
    lag_events: int = Field(description="Events recorded and not yet published to Kafka")


class ViewStatus(BaseModel):
    messages_applied: int | None = Field(
        description="Messages of the case event topic the caseload view applied (None if its "
        "database did not answer)"
    )
    lag_messages: int | None = Field(
        description="Messages on the topic the view has not applied yet, when this process runs "
        "the view's consumer with metrics; else None (see `pes status`)"
    )


class Readiness(BaseModel):
    """The event store answered; where the relay and the caseload view stand behind it."""

    status: Literal["ready"] = "ready"
    event_store: EventStoreStatus
    relay: RelayStatus
    caseload_view: ViewStatus


@dataclass
class ReadinessProbe:
    """Queries the event store (and the positions kept in it) with a deadline."""

    settings: Settings
    cases: CaseManagement
    caseload: CaseloadView
    metrics: Metrics
    deadline: float = READY_DEADLINE_SECONDS

    def __post_init__(self) -> None:
        # One worker: a store that hangs holds one thread, and later probes wait on the same one.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ready-probe")
        self._lock = Lock()
        self._running: Future[Readiness] | None = None
        self._tracking: TrackingRecorder | None = None

    def check(self) -> Readiness:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._query)
            running = self._running
        try:
            return running.result(timeout=self.deadline)
        except FutureTimeout:
            raise ApiProblem(
                STORE_UNAVAILABLE, f"the event store did not answer within {self.deadline:g} s"
            ) from None
        except Exception as error:
            log.warning("readiness: the event store did not answer: %r", error)
            raise ApiProblem(
                STORE_UNAVAILABLE, f"the event store did not answer ({type(error).__name__})"
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _query(self) -> Readiness:
        recorded = self.cases.recorder.max_notification_id() or 0
        if self._tracking is None:
            self._tracking = build_tracking_recorder(self.settings, "relay")
        topic = self.settings.case_events_topic
        published = self._tracking.max_tracking_id(position_name(topic)) or 0
        return Readiness(
            event_store=EventStoreStatus(kind=self.settings.event_store, events_recorded=recorded),
            relay=RelayStatus(published_up_to=published, lag_events=max(recorded - published, 0)),
            caseload_view=ViewStatus(
                messages_applied=self._applied(topic), lag_messages=self.metrics.view_lag(VIEW_NAME)
            ),
        )

    def _applied(self, topic: str) -> int | None:
        try:
            return self.caseload.positions_total(topic)
        except Exception as error:  # the view is reported, not required: the store decides
            log.warning("readiness: the caseload view did not answer: %r", error)
            return None


def operations_router(probe: Callable[[], Readiness]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", include_in_schema=False)
    def health() -> Health:
        """Alive: answers without touching any store."""
        return Health()

    @router.get("/ready", include_in_schema=False)
    def ready() -> Readiness:
        """Ready: the event store answered a query; 503 with a problem document if not."""
        return probe()

    return router
