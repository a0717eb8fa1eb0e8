"""A case's audit trail as JSON and as a readable, self-contained HTML page."""

from __future__ import annotations

import heapq
import html
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic_core import to_jsonable_python

from application.audit import CaseAudit
from domain.audit import AuditEntry, RefusalEntry, refusals_as_of


def audit_to_json(
    audit: CaseAudit, as_of: date | None = None, state_as_of: dict[str, Any] | None = None
) -> str:
    document: dict[str, Any] = {
        "case_id": str(audit.case_id),
        "case_number": audit.case_number,
        "state": audit.state,
        "timeline": [asdict(entry) for entry in audit.entries],
        "refusals": [asdict(entry) for entry in audit.refusals],
    }
    if as_of is not None:
        document["as_of"] = {
            "date": as_of,
            "state": state_as_of,
            "refusals": [asdict(entry) for entry in refusals_as_of(audit.refusals, as_of)],
        }
    return json.dumps(to_jsonable_python(document), indent=2, sort_keys=True) + "\n"


def audit_to_html(
    audit: CaseAudit, as_of: date | None = None, state_as_of: dict[str, Any] | None = None
) -> str:
    # Facts and refused attempts in the order they were recorded.
    timeline = heapq.merge(
        ((entry.recorded_at, 0, _entry_row(entry)) for entry in audit.entries),
        ((entry.recorded_at, 1, _refusal_row(entry)) for entry in audit.refusals),
        key=lambda row: row[:2],
    )
    rows = "".join(row for _, _, row in timeline)
    as_of_section = ""
    if as_of is not None:
        refused = len(refusals_as_of(audit.refusals, as_of))
        as_of_section = (
            f'<h2>As of {as_of}</h2><section id="as-of">{_state_table(state_as_of)}'
            f"<p>{refused} refused attempt(s) up to {as_of}.</p></section>"
        )
    attempts = f", {len(audit.refusals)} refused attempts" if audit.refusals else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Audit trail of case {html.escape(audit.case_number)}</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; font-size: 0.9rem; }}
tr.correction td {{ background: #fff4d6; }}
tr.refusal td {{ background: #fbe9e9; font-style: italic; }}
</style>
</head>
<body>
<h1>Case {html.escape(audit.case_number)}</h1>
<p>Case id {audit.case_id}. Every recorded fact, in the order it was recorded; corrections are new
facts beside the originals, never edits. Refused attempts are shown beside the facts; they are
kept outside the case's history (their version is the case's when they were refused).</p>
<h2>Current state</h2>
<section id="state">{_state_table(audit.state)}</section>
{as_of_section}
<h2>Timeline ({len(audit.entries)} events{attempts})</h2>
<table id="timeline">
<thead><tr><th>version</th><th>effective</th><th>recorded (UTC)</th><th>event</th><th>actor</th><th>rules</th><th>policy</th><th>overrides</th><th>reason / details</th></tr></thead>
<tbody>{rows}</tbody>
</table>
</body>
</html>
"""


def _entry_row(entry: AuditEntry) -> str:
    details = entry.reason or ""
    row_class = ""
    if entry.event_type == "OutcomeDateCorrected":
        row_class = ' class="correction"'
        facts = entry.facts
        details = (
            f"outcome date {facts['original_outcome_date']} corrected to "
            f"{facts['corrected_outcome_date']}: {facts['reason']} "
            f"(evidence: {facts['evidence_ref']})"
        )
    overrides = "; ".join(f"{rule}: {reason}" for rule, reason in entry.overrides)
    cells = (
        entry.case_version,
        entry.effective_on,
        entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.event_type,
        f"{entry.actor_id} ({entry.actor_role})",
        " ".join(entry.rule_ids),
        entry.policy_version or "",
        overrides,
        details,
    )
    return f"<tr{row_class}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"


def _refusal_row(entry: RefusalEntry) -> str:
    cells = (
        entry.case_version,
        entry.effective_on,
        entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.attempt,
        f"{entry.actor_id} ({entry.actor_role})",
        " ".join(entry.rule_ids),
        entry.policy_version or "",
        "",
        "; ".join(entry.messages),
    )
    return (
        '<tr class="refusal">' + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
    )


def _state_table(state: dict[str, Any] | None) -> str:
    if state is None:
        return "<p>The case did not exist yet.</p>"
    rows = []
    for key, value in state.items():
        if isinstance(value, list):
            value = (
                f"{len(value)}: " + "; ".join(_summary(item) for item in value) if value else "none"
            )
        rows.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _summary(item: dict[str, Any]) -> str:
    shown = ("service_type", "purpose", "invoice_number", "status", "amount_cents", "paid_cents")
    return ", ".join(f"{k}={item[k]}" for k in shown if k in item and item[k] is not None)
