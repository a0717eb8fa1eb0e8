"""Idempotency keys: a retried POST with the same key and body gets the original response.

The response to a keyed command is recorded per actor in the event store, in the transaction
that records the command's events (adapters/idempotency.py), with a hash of the request. So a
retry after a lost response, a restart or a crash at any point gets the original response, and
of concurrent requests with one key only one records anything. Only responses to recorded
commands are kept: a refused command recorded nothing, so re-running it is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.idempotency import IdempotencyKeyTaken, KeptAnswer
from api.problems import IDEMPOTENCY_KEY_REUSED, ApiProblem
from application.cases import CaseManagement, IdempotentRequest, Recorded
from domain.errors import DomainError


@dataclass(frozen=True)
class StoredResponse:
    """A response as it was sent: what a retry with the same key gets back."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


class IdempotencyKeys:
    """Runs keyed commands once per (actor, key) and replays their responses."""

    def __init__(
        self,
        cases: CaseManagement,
        *,
        retention_seconds: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cases = cases
        self._retention = retention_seconds
        self._clock = clock

    def replay_or_run(
        self,
        actor_id: str,
        key: str,
        request_hash: str,
        run: Callable[[IdempotentRequest], Recorded],
        respond: Callable[[Recorded], StoredResponse],
    ) -> StoredResponse:
        """The response kept for (actor, key), or `respond` to what `run` recorded, kept with it."""
        now = self._clock()
        replayed = self._replay(actor_id, key, request_hash, now)
        if replayed is not None:
            return replayed

        def answer(recorded: Recorded) -> KeptAnswer:
            response = respond(recorded)
            return KeptAnswer(request_hash, response.status, response.body, response.headers)

        request = IdempotentRequest(actor_id, key, now, now + self._retention, answer)
        try:
            return respond(run(request))
        except (IdempotencyKeyTaken, DomainError):
            # A concurrent request with this key was recorded first (and may have changed the
            # case so that this one is refused): its response is this request's too.
            replayed = self._replay(actor_id, key, request_hash, now)
            if replayed is None:
                raise
            return replayed

    def _replay(
        self, actor_id: str, key: str, request_hash: str, now: float
    ) -> StoredResponse | None:
        kept = self._cases.kept_answer(actor_id, key, now)
        if kept is None:
            return None
        if kept.request_hash != request_hash:
            raise ApiProblem(
                IDEMPOTENCY_KEY_REUSED,
                f"idempotency key {key!r} was used for a different request; "
                "use a new key for a new request",
            )
        return StoredResponse(kept.status, kept.body, dict(kept.headers), replayed=True)
