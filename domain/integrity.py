"""Tamper evidence: checking each case's hash chain, one event at a time.

Every event recorded since version 2 of the contract carries `content_hash` (SHA-256 of its
content) and `previous_hash` (the content hash of the case's previous event), sealed when it
left the aggregate (`Aggregate.collect_events`). A changed event no longer matches its own hash;
a removed or reordered one breaks the versions or the link to its predecessor. Events recorded
before chaining carry no hashes and are counted, not judged; a chain, once begun, must go on.

A copy may hold an event more than once: the relay re-publishes what the broker had not yet
acknowledged when it stopped. A repeat of a version already seen, with the same content and the
same seal, is a duplicate wherever it appears; any other repeat is a break. After a break the
checker carries on from what the broken event claims to be (its version and seal), so each
tampered event is reported once and every later event of the case is still checked.

What a chain cannot show on its own is the loss of a case's last events: compare the heads of
two copies (event store and Kafka topic) for that (`compare_heads`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from domain.base import content_digest


@dataclass(frozen=True)
class BrokenLink:
    """One place where a case's recorded history is not what was sealed, and why."""

    case_id: str
    case_version: int
    problem: str
    copy: str = ""
    """Which copy holds it: the event store or the Kafka topic."""
    where: str = ""
    """Where in that copy: a store row, a topic partition and offset."""
    case_number: str | None = None

    def __str__(self) -> str:
        place = ", ".join(part for part in (self.copy, self.where) if part)
        return (
            f"case {self.case_number or '(number unknown)'} (id {self.case_id}) "
            f"version {self.case_version}{f' [{place}]' if place else ''}: {self.problem}"
        )


class Head(NamedTuple):
    """Where a copy of a case ends: its last version and that event's seal."""

    version: int
    content_hash: str | None
    readable: bool = True


class _Seal(NamedTuple):
    claimed: str | None
    """The content_hash the event carries (none before chaining)."""
    digest: str
    """What its content actually hashes to."""


@dataclass
class _CaseChain:
    seals: dict[int, _Seal | None] = field(default_factory=dict)
    """Each version placed so far: its seal, or None when that copy could not be read."""
    missing: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Versions skipped over: where that showed, and what came instead."""
    last: int = 0
    first_sealed: int | None = None


@dataclass
class ChainVerifier:
    """Follows many cases' events in one copy (each case's in its order, cases interleaved) and
    reports every break, with the case, the version and where the copy holds it."""

    copy: str = ""
    cases: dict[str, _CaseChain] = field(default_factory=dict)
    case_numbers: dict[str, str] = field(default_factory=dict)
    events_checked: int = 0
    duplicates: int = 0
    unchained_events: int = 0
    _breaks: list[BrokenLink] = field(default_factory=list)

    def observe(self, case_id: str, event: Any, where: str = "", row: int | None = None) -> None:
        """`event` is the decoded domain event; `where` names its place in the copy for the
        report; `row` is the version a store row is filed under (a store holds each version
        once, in its own row; a topic has no rows and may repeat a message)."""
        chain = self.cases.setdefault(case_id, _CaseChain())
        version = event.originator_version
        if str(event.originator_id) != case_id:
            self.events_checked += 1
            self._report(
                case_id, row or version, where, f"holds an event of case {event.originator_id}"
            )
            return
        if version == 1 and isinstance(getattr(event, "case_number", None), str):
            self.case_numbers.setdefault(case_id, event.case_number)
        digest = content_digest(event)  # one string for both when they agree: every seal is kept
        seal = _Seal(
            event.content_hash, event.content_hash if digest == event.content_hash else digest
        )
        if row is not None and row != version:
            self.events_checked += 1
            self._report(case_id, row, where, f"the row of version {row} holds version {version}")
            self._place(chain, row, None, where)
            return
        if version in chain.seals:
            self._repeat(case_id, chain, version, seal, where)
            return
        self.events_checked += 1
        problems = []
        if version in chain.missing:
            problems.append(f"out of order: it comes after version {chain.last}")
        problems += self._problems(chain, version, event, seal)
        if seal.claimed is None and not problems:
            self.unchained_events += 1
        if problems:
            self._report(case_id, version, where, "; ".join(problems))
        self._place(chain, version, seal, where)

    def unreadable(self, case_id: str, version: int, where: str, reason: str) -> None:
        """A copy of an event that does not decode: reported, and the case checked on past it."""
        self.events_checked += 1
        chain = self.cases.setdefault(case_id, _CaseChain())
        self._report(case_id, version, where, f"unreadable: {reason}")
        if version > 0 and version not in chain.seals:
            self._place(chain, version, None, where)

    def breaks(self) -> list[BrokenLink]:
        """Every break found, missing versions included, named by case number where known."""
        found = list(self._breaks)
        for case_id, chain in self.cases.items():
            runs: list[list[int]] = []
            for version in sorted(chain.missing):
                if (
                    runs
                    and runs[-1][-1] == version - 1
                    and (chain.missing[runs[-1][0]] == chain.missing[version])
                ):
                    runs[-1].append(version)
                else:
                    runs.append([version])
            for run in runs:
                where, instead = chain.missing[run[0]]
                versions = f"versions {run[0]}-{run[-1]} are" if len(run) > 1 else "it is"
                found.append(
                    BrokenLink(
                        case_id,
                        run[0],
                        f"missing: {versions} not in this copy ({instead})",
                        self.copy,
                        where,
                    )
                )
        return sorted(
            name_cases(found, self.case_numbers),
            key=lambda b: (b.case_number or "", b.case_id, b.case_version),
        )

    def heads(self) -> dict[str, Head]:
        """Where each case's copy ends."""
        heads = {}
        for case_id, chain in self.cases.items():
            seal = chain.seals.get(chain.last)
            heads[case_id] = Head(chain.last, seal.claimed if seal else None, seal is not None)
        return heads

    def _repeat(
        self, case_id: str, chain: _CaseChain, version: int, seal: _Seal, where: str
    ) -> None:
        before = chain.seals[version]
        if seal == before:
            self.duplicates += 1
            return
        self.events_checked += 1
        if before is None:
            problem = f"a copy of version {version}, which could not be read before"
        elif seal.claimed != before.claimed:
            now, then = _shown(seal.claimed, before.claimed)
            problem = (
                f"a repeat of version {version} with a different seal: {now}, "
                f"the copy seen before was sealed as {then}"
            )
        else:
            now, then = _shown(seal.digest, before.digest)
            problem = (
                f"content changed in a repeat of version {version}: it hashes to {now}, "
                f"the copy seen before to {then}"
            )
        self._report(case_id, version, where, problem)

    @staticmethod
    def _problems(chain: _CaseChain, version: int, event: Any, seal: _Seal) -> list[str]:
        if seal.claimed is None:
            chained_before = chain.first_sealed is not None and chain.first_sealed < version
            return ["no hash on an event after chained ones"] if chained_before else []
        problems = []
        if seal.digest != seal.claimed:
            actual, sealed = _shown(seal.digest, seal.claimed)
            problems.append(f"content changed: it hashes to {actual}, it was sealed as {sealed}")
        named: str | None = None
        accepted: set[str | None] = {None}
        if version > 1:
            predecessor = chain.seals.get(version - 1)
            if predecessor is None:
                return problems  # missing or unreadable: reported already
            # A predecessor that does not match its own seal was reported; naming either its
            # seal or its actual content still follows it, so one change makes one report.
            named = predecessor.claimed
            accepted = {named, predecessor.digest if named else None}
        if event.previous_hash not in accepted:
            names, hashes = _shown(event.previous_hash, named)
            problems.append(
                f"does not follow its predecessor: it names {names}, "
                f"the predecessor hashes to {hashes}"
            )
        return problems

    @staticmethod
    def _place(chain: _CaseChain, version: int, seal: _Seal | None, where: str) -> None:
        """Carries the case on from `version`: versions it skipped over are missing until they
        come (out of order)."""
        chain.missing.pop(version, None)
        for absent in range(chain.last + 1, version):
            chain.missing[absent] = (where, f"version {version} follows version {chain.last}")
        chain.seals[version] = seal
        chain.last = max(chain.last, version)
        if seal is not None and seal.claimed is not None:
            chain.first_sealed = min(version, chain.first_sealed or version)

    def _report(self, case_id: str, version: int, where: str, problem: str) -> None:
        self._breaks.append(BrokenLink(case_id, version, problem, self.copy, where))


def name_cases(links: list[BrokenLink], case_numbers: Mapping[str, str]) -> list[BrokenLink]:
    """The same breaks, each with its case number where one is known."""
    return [
        link if link.case_number else replace(link, case_number=case_numbers.get(link.case_id))
        for link in links
    ]


def compare_heads(
    first: Mapping[str, Head],
    second: Mapping[str, Head],
    first_name: str,
    second_name: str,
    case_numbers: Mapping[str, str] | None = None,
) -> list[BrokenLink]:
    """Cases whose two copies end at different versions or seals (a lost tail, or a rewrite).
    An unreadable last event is reported by the chain check; its seal is not compared."""
    differences = []
    for case_id in sorted(set(first) | set(second)):
        a, b = first.get(case_id, Head(0, None)), second.get(case_id, Head(0, None))
        same_seal = a.content_hash == b.content_hash or not (a.readable and b.readable)
        if a.version != b.version or not same_seal:
            ends_a, ends_b = _shown(a.content_hash, b.content_hash)
            differences.append(
                BrokenLink(
                    case_id,
                    min(a.version, b.version) + 1 if a.version != b.version else a.version,
                    f"the {first_name} ends at version {a.version} ({ends_a}), "
                    f"the {second_name} at version {b.version} ({ends_b})",
                    f"{first_name} vs {second_name}",
                )
            )
    return name_cases(differences, case_numbers or {})


def _shown(first: str | None, second: str | None) -> tuple[str, str]:
    """Two hashes shortened for a report, but never to the same text when they differ."""
    a, b = str(first), str(second)
    length = 12
    while length < max(len(a), len(b)) and a[:length] == b[:length] and a != b:
        length += 8
    return a[:length], b[:length]
