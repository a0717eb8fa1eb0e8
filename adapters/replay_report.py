"""A policy replay's findings as JSON, CSV and a self-contained HTML page with SVG charts.

Byte-identical for the same inputs: no timestamps, sorted keys and rows, fixed number formats.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.replay import Difference, ReplayTotals

CSV_COLUMNS = (
    "case_number",
    "case_id",
    "consequence",
    "subject",
    "rule_ids",
    "days_moved",
    "authorized_cents",
    "paid_cents",
    "detail",
)
HTML_ROWS = 1000


@dataclass(frozen=True)
class ReplayFindings:
    """What a replay compared and what it found."""

    source: str
    candidate_changes: Mapping[str, Any]
    policy_versions_in_force: Sequence[str]
    totals: ReplayTotals
    differences: Sequence[Difference]

    def summary(self) -> dict[str, Any]:
        t = self.totals
        return {
            "cases": t.cases,
            "events_judged": t.events,
            "cases_affected": t.cases_affected,
            "consequences": dict(sorted(t.consequences.items())),
            "by_rule": dict(sorted(t.by_rule.items())),
            "terminations_earlier": t.terminations_earlier,
            "terminations_later": t.terminations_later,
            "termination_days_moved": t.termination_days_moved,
            "authorized_cents_affected": t.authorized_cents_affected,
            "paid_cents_affected": t.paid_cents_affected,
        }


def _row(d: Difference) -> dict[str, Any]:
    return {
        "case_number": d.case_number,
        "case_id": d.case_id,
        "consequence": d.consequence.value,
        "subject": d.subject,
        "rule_ids": " ".join(d.rule_ids),
        "days_moved": d.days_moved,
        "authorized_cents": d.authorized_cents,
        "paid_cents": d.paid_cents,
        "detail": d.detail,
    }


def to_json(findings: ReplayFindings) -> str:
    document = {
        "replay": {
            "source": findings.source,
            "candidate_changes": _plain(findings.candidate_changes),
            "policy_versions_in_force": sorted(findings.policy_versions_in_force),
        },
        "totals": findings.summary(),
        "differences": [_row(d) for d in findings.differences],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_csv(findings: ReplayFindings) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_row(d) for d in findings.differences)
    return buffer.getvalue()


def to_html(findings: ReplayFindings) -> str:
    summary = findings.summary()
    by_rule = summary["by_rule"]
    moved = Counter(
        _bucket(d.days_moved)
        for d in findings.differences
        if d.consequence.value == "termination_moved"
    )
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in _row(d).values()) + "</tr>"
        for d in findings.differences[:HTML_ROWS]
    )
    more = (
        f"<p>{len(findings.differences) - HTML_ROWS:,} more in the CSV and JSON files.</p>"
        if len(findings.differences) > HTML_ROWS
        else ""
    )
    facts = [
        ("source", findings.source),
        ("policy versions in force", ", ".join(sorted(findings.policy_versions_in_force))),
        ("candidate changes", json.dumps(_plain(findings.candidate_changes), sort_keys=True)),
        ("cases replayed", f"{summary['cases']:,}"),
        ("events judged", f"{summary['events_judged']:,}"),
        ("cases affected", f"{summary['cases_affected']:,}"),
        (
            "terminations later / earlier",
            f"{summary['terminations_later']:,} / {summary['terminations_earlier']:,}",
        ),
        ("authorized amount affected", _dollars(summary["authorized_cents_affected"])),
        ("paid amount affected", _dollars(summary["paid_cents_affected"])),
    ]
    facts_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts
    )
    header = "".join(f"<th>{c}</th>" for c in CSV_COLUMNS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Policy replay</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; font-size: 0.9rem; }}
figure {{ margin: 0 0 1.5rem 0; }}
</style>
</head>
<body>
<h1>Policy replay: what would have differed</h1>
<table id="summary">{facts_html}</table>
<figure id="by-rule"><figcaption>Consequences by rule</figcaption>{_bar_chart(by_rule)}</figure>
<figure id="termination-shift"><figcaption>Terminations moved (days)</figcaption>{_bar_chart(dict(sorted(moved.items(), key=lambda item: _bucket_order(item[0]))))}</figure>
<h2>Differences ({len(findings.differences):,})</h2>
<table id="differences"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>
{more}
</body>
</html>
"""


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


def _bar_chart(values: Mapping[str, int]) -> str:
    """A horizontal bar chart as inline SVG: one labelled bar per entry."""
    if not values:
        return "<p>none</p>"
    bar_height, label_width, width = 22, 260, 640
    largest = max(values.values()) or 1
    height = bar_height * len(values) + 4
    bars = []
    for index, (label, count) in enumerate(values.items()):
        y = index * bar_height + 2
        length = max(1, round((width - label_width - 60) * count / largest))
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="12">{html.escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height - 6}" fill="#4a78b5"/>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" font-size="12">{count:,}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img">{"".join(bars)}</svg>'
    )


_SHIFT_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("181+ days earlier", -100_000, -181),
    ("91-180 days earlier", -180, -91),
    ("31-90 days earlier", -90, -31),
    ("1-30 days earlier", -30, -1),
    ("1-30 days later", 1, 30),
    ("31-90 days later", 31, 90),
    ("91-180 days later", 91, 180),
    ("181+ days later", 181, 100_000),
)


def _bucket(days: int) -> str:
    return next(label for label, low, high in _SHIFT_BUCKETS if low <= days <= high)


def _bucket_order(label: str) -> int:
    return [bucket[0] for bucket in _SHIFT_BUCKETS].index(label)


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
