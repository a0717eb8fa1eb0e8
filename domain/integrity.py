"""Tamper evidence: checking each case's hash chain, one event at a time.

Every event recorded since version 2 of the contract carries `content_hash` (SHA-256 of its
content) and `previous_hash` (the content hash of the case's previous event), sealed when it
left the aggregate (`Aggregate.collect_events`). A changed event no longer matches its own hash;
a removed or reordered one breaks the versions or the link to its predecessor. Events recorded
before chaining carry no hashes and are counted, not judged; a chain, once begun, must go on.

What a chain cannot show on its own is the loss of a case's last events: compare the heads of
two copies (event store and Kafka topic) for that (`compare_heads`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.base import content_digest


@dataclass(frozen=True)
class BrokenLink:
    """Where a case's recorded history stops being trustworthy, and why."""

    case_id: str
    case_version: int
    problem: str

    def __str__(self) -> str:
        return f"case {self.case_id} version {self.case_version}: {self.problem}"


@dataclass
class _CaseChain:
    next_version: int = 1
    head: str | None = None
    chained: bool = False


@dataclass
class ChainVerifier:
    """Follows many cases' events (each case's in order, cases interleaved) and keeps the first
    broken link of each case. Redelivered copies (same version, same content) are skipped."""

    cases: dict[str, _CaseChain] = field(default_factory=dict)
    broken: dict[str, BrokenLink] = field(default_factory=dict)
    events_checked: int = 0
    unchained_events: int = 0

    def observe(self, case_id: str, position: int, event: Any) -> None:
        """`position` is where the copy holds the event (the stored row's version, or the
        version the message says); `event` is the decoded domain event."""
        if case_id in self.broken:
            return
        chain = self.cases.setdefault(case_id, _CaseChain())
        if position < chain.next_version:
            sealed_again = event.content_hash is not None and event.content_hash == chain.head
            if (sealed_again and position == chain.next_version - 1) or (
                event.content_hash is None and not chain.chained
            ):
                return  # the same event delivered again (unsealed ones cannot tell more)
        self.events_checked += 1
        problem = self._problem(chain, position, event)
        if problem is not None:
            self.broken[case_id] = BrokenLink(case_id, chain.next_version, problem)
            return
        chain.next_version += 1
        if event.content_hash is None:
            self.unchained_events += 1
        else:
            chain.head = event.content_hash
            chain.chained = True

    @staticmethod
    def _problem(chain: _CaseChain, position: int, event: Any) -> str | None:
        expected = chain.next_version
        if position != expected or event.originator_version != expected:
            return (
                f"found version {event.originator_version} at position {position} where version "
                f"{expected} belongs: an event is missing, duplicated or out of order"
            )
        if event.content_hash is None:
            return "no hash on an event after chained ones" if chain.chained else None
        actual = content_digest(event)
        if actual != event.content_hash:
            return f"content changed: it hashes to {actual[:12]}, it was sealed as {event.content_hash[:12]}"
        if event.previous_hash != chain.head:
            return (
                f"does not follow its predecessor: it names {str(event.previous_hash)[:12]}, "
                f"the predecessor hashes to {str(chain.head)[:12]}"
            )
        return None

    def heads(self) -> dict[str, tuple[int, str | None]]:
        """Each case's last version and head hash, as far as it verified."""
        return {case_id: (c.next_version - 1, c.head) for case_id, c in self.cases.items()}


def compare_heads(
    first: dict[str, tuple[int, str | None]],
    second: dict[str, tuple[int, str | None]],
    first_name: str,
    second_name: str,
) -> list[BrokenLink]:
    """Cases whose two copies end at different versions or hashes (a lost tail, or a rewrite)."""
    differences = []
    for case_id in sorted(set(first) | set(second)):
        a, b = first.get(case_id, (0, None)), second.get(case_id, (0, None))
        if a != b:
            differences.append(
                BrokenLink(
                    case_id,
                    min(a[0], b[0]) + 1,
                    f"the {first_name} ends at version {a[0]} ({str(a[1])[:12]}), the "
                    f"{second_name} at version {b[0]} ({str(b[1])[:12]})",
                )
            )
    return differences
