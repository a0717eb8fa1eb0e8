"""A policy replay's findings, candidates side by side, as JSON, CSV and a self-contained HTML page.

Byte-identical for the same inputs: no timestamps, sorted keys and rows, fixed number formats.
Amounts are cents in JSON and CSV (fields named `_cents`), dollars on the page.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.replay.engine import BREAKDOWNS, RefusalCount, ReplayTotals
from domain.replay.facts import Consequence, Difference

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
HTML_ROWS = 1000


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


def to_html(findings: ReplayFindings) -> str:
    read = findings.read()
    candidates = findings.candidates
    facts = [
        ("source", findings.source),
        ("policy versions in force", ", ".join(read["policy_versions_in_force"])),
        ("cases replayed", f"{read['cases']:,}"),
        ("events judged", f"{read['events_judged']:,}"),
        ("refusals read / re-judged", f"{read['refusals_read']:,} / {read['refusals_rejudged']:,}"),
        (
            "refusals not re-judged (no policy parameter decides them)",
            _counts(
                {
                    f"{rule} {command}": n
                    for rule, commands in read["refusals_not_rejudged"].items()
                    for command, n in commands.items()
                }
            ),
        ),
    ]
    facts_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    summaries = [c.summary() for c in candidates]
    side_by_side: list[tuple[str, list[str]]] = [
        ("changes", [json.dumps(_plain(c.changes), sort_keys=True) for c in candidates]),
        ("coupling", [" ".join(c.couplings) or "none" for c in candidates]),
        ("cases affected", [f"{s['cases_affected']:,}" for s in summaries]),
        *(
            (
                consequence.value.replace("_", " "),
                [f"{s['consequences'].get(consequence.value, 0):,}" for s in summaries],
            )
            for consequence in Consequence
        ),
        (
            "terminations later / earlier",
            [f"{s['terminations_later']:,} / {s['terminations_earlier']:,}" for s in summaries],
        ),
        (
            "amount refused or sent to an override",
            [_dollars(s["amount_cents_affected"]) for s in summaries],
        ),
        ("of it paid", [_dollars(s["paid_cents_affected"]) for s in summaries]),
        (
            "amount that would be accepted",
            [_dollars(s["amount_cents_would_be_accepted"]) for s in summaries],
        ),
    ]
    side_html = "".join(
        f"<tr><th>{html.escape(label)}</th>"
        + "".join(f"<td>{html.escape(v)}</td>" for v in values)
        + "</tr>"
        for label, values in side_by_side
    )
    breakdowns = "".join(_breakdown(name, candidates, summaries) for name in BREAKDOWNS)
    rows = _rows(findings)
    shown = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_dollars(v) if k.endswith('_cents') else str(v))}</td>"
            for k, v in row.items()
        )
        + "</tr>"
        for row in rows[:HTML_ROWS]
    )
    more = (
        f"<p>{len(rows) - HTML_ROWS:,} more in the CSV and JSON files.</p>"
        if len(rows) > HTML_ROWS
        else ""
    )
    header = "".join(
        f"<th>{c.removesuffix('_cents') if c.endswith('_cents') else c}</th>" for c in CSV_COLUMNS
    )
    names = "".join(f"<th>{html.escape(c.name)}</th>" for c in candidates)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Policy replay</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>Policy replay: what each candidate would have changed</h1>
<table id="summary">{facts_html}</table>
<h2>Candidates side by side</h2>
<table id="candidates"><thead><tr><th></th>{names}</tr></thead><tbody>{side_html}</tbody></table>
{breakdowns}
<h2>Findings ({len(rows):,})</h2>
<table id="findings"><thead><tr>{header}</tr></thead><tbody>{shown}</tbody></table>
{more}
</body>
</html>
"""


def _breakdown(
    name: str, candidates: Sequence[CandidateFindings], summaries: Sequence[dict[str, Any]]
) -> str:
    by = [s[f"by_{name}"] for s in summaries]
    values = sorted({value for counts in by for value in counts})
    if not values:
        return ""
    names = "".join(f"<th>{html.escape(c.name)}</th>" for c in candidates)
    body = "".join(
        f"<tr><th>{html.escape(value)}</th>"
        + "".join(f"<td>{html.escape(_counts(counts.get(value, {})))}</td>" for counts in by)
        + "</tr>"
        for value in values
    )
    label = name.replace("_", " ")
    return (
        f'<h2>By {label}</h2><table id="by-{name.replace("_", "-")}"><thead><tr><th>{label}</th>'
        f"{names}</tr></thead><tbody>{body}</tbody></table>\n"
    )


def write_reports(findings: ReplayFindings, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in (
        ("replay.json", to_json),
        ("replay.csv", to_csv),
        ("replay.html", to_html),
    ):
        path = directory / name
        path.write_text(render(findings), encoding="utf-8")
        written.append(path)
    return written


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {n:,}" for k, n in sorted(counts.items())) or "none"


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
