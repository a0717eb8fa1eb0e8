"""A policy replay's findings, candidates side by side, as JSON, CSV and a self-contained HTML page.

Byte-identical for the same inputs: no timestamps, sorted keys and rows, fixed number formats.
Amounts are cents in JSON and CSV (fields named `_cents`), dollars on the page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adapters.pages.replay_comparison import replay_comparison
from domain.replay.engine import BREAKDOWNS, RefusalCount, ReplayTotals
from domain.replay.facts import Difference

CSV_COLUMNS = (
    "candidate",
    "case_number",
    "case_id",
    "program",
    "caseworker",
    "judged",
    "consequence",
    "subject",
    "rule_ids",
    "service_type",
    "provider",
    "amount_cents",
    "paid_cents",
    "days_moved",
    "detail",
)
DEFAULT_CASE_PAGES = "http://127.0.0.1:8000/pages/cases"
"""Where the page's case numbers lead unless told otherwise: the API of `make run`."""


@dataclass(frozen=True)
class CandidateFindings:
    """What one candidate would have changed."""

    name: str
    changes: Mapping[str, Any]
    couplings: Sequence[str]
    totals: ReplayTotals
    differences: Sequence[Difference]

    def summary(self) -> dict[str, Any]:
        t = self.totals
        return {
            "cases_affected": t.cases_affected,
            "refusals_judged": t.refusals_judged,
            "consequences": dict(sorted(t.consequences.items())),
            **{
                f"by_{name}": {
                    value: dict(sorted(counts.items()))
                    for value, counts in sorted(t.by[name].items())
                }
                for name in BREAKDOWNS
            },
            "terminations_earlier": t.terminations_earlier,
            "terminations_later": t.terminations_later,
            "termination_days_moved": t.termination_days_moved,
            "amount_cents_affected": t.amount_cents_affected,
            "paid_cents_affected": t.paid_cents_affected,
            "amount_cents_would_be_accepted": t.amount_cents_would_be_accepted,
        }


@dataclass(frozen=True)
class ReplayFindings:
    """What a replay read and what each candidate would have changed."""

    source: str
    policy_versions_in_force: Sequence[str]
    cases: int
    events: int
    refusals: RefusalCount
    candidates: Sequence[CandidateFindings]

    def candidate(self, name: str) -> CandidateFindings:
        return next(c for c in self.candidates if c.name == name)

    def read(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "policy_versions_in_force": sorted(self.policy_versions_in_force),
            "cases": self.cases,
            "events_judged": self.events,
            "refusals_read": self.refusals.read,
            "refusals_rejudged": self.refusals.rejudged,
            "refusals_not_rejudged": {
                rule: dict(sorted(commands.items()))
                for rule, commands in sorted(self.refusals.not_rejudged.items())
            },
        }


def _row(candidate: str, d: Difference) -> dict[str, Any]:
    return {
        "candidate": candidate,
        "case_number": d.case_number,
        "case_id": d.case_id,
        "program": d.program,
        "caseworker": d.caseworker,
        "judged": d.judged.value,
        "consequence": d.consequence.value,
        "subject": d.subject,
        "rule_ids": " ".join(d.rule_ids),
        "service_type": d.service_type,
        "provider": d.provider,
        "amount_cents": d.amount_cents,
        "paid_cents": d.paid_cents,
        "days_moved": d.days_moved,
        "detail": d.detail,
    }


def _rows(findings: ReplayFindings) -> list[dict[str, Any]]:
    return [_row(c.name, d) for c in findings.candidates for d in c.differences]


def to_json(findings: ReplayFindings) -> str:
    document = {
        "replay": findings.read(),
        "candidates": {
            c.name: {
                "changes": _plain(c.changes),
                "couplings": list(c.couplings),
                "totals": c.summary(),
            }
            for c in findings.candidates
        },
        "findings": _rows(findings),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_csv(findings: ReplayFindings) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(findings))
    return buffer.getvalue()


def to_html(findings: ReplayFindings, case_link: Callable[[str], str] | None = None) -> str:
    """The comparison page (adapters/pages/replay_comparison.py); case numbers link to the case
    pages under `case_link`, or to the API's on this machine."""
    return replay_comparison(findings, case_link or default_case_link)


def default_case_link(case_number: str) -> str:
    return f"{DEFAULT_CASE_PAGES}/{quote(case_number)}"


def write_reports(
    findings: ReplayFindings, directory: Path, case_link: Callable[[str], str] | None = None
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("replay.json", to_json(findings)),
        ("replay.csv", to_csv(findings)),
        ("replay.html", to_html(findings, case_link)),
    ):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
