"""The replay comparison: the policy in force beside each candidate, what would change, broken
down by rule, service type, provider, caseworker and program, with termination shifts in bins
of months and every finding linking to its case's page. Money in dollars throughout."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adapters.pages.layout import dollars, esc, figures, page, rules, short_id, table, words
from domain.replay.engine import BREAKDOWNS
from domain.replay.facts import Consequence, Difference

if TYPE_CHECKING:
    from adapters.replay_report import CandidateFindings, ReplayFindings

FINDINGS_SHOWN = 1000
UUID_IN_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHIFT_BINS: tuple[tuple[str, int, int], ...] = (
    ("over 6 months earlier", -100_000, -183),
    ("3 to 6 months earlier", -182, -92),
    ("1 to 3 months earlier", -91, -31),
    ("up to a month earlier", -30, -1),
    ("up to a month later", 1, 30),
    ("1 to 3 months later", 31, 91),
    ("3 to 6 months later", 92, 182),
    ("over 6 months later", 183, 100_000),
)
"""Termination shifts in days, binned as people think of them: by months, each way."""
BAR_COLOURS = ("#0550ae", "#bc4c00", "#116329", "#8250df", "#a40e26", "#57606a")


def replay_comparison(findings: ReplayFindings, case_link: Callable[[str], str]) -> str:
    read = findings.read()
    candidates = findings.candidates
    lead = figures(
        [
            ("Source", esc(findings.source)),
            ("Policy versions in force", esc(", ".join(read["policy_versions_in_force"]))),
            ("Cases replayed", f"{read['cases']:,}"),
            ("Events judged", f"{read['events_judged']:,}"),
            ("Refusals read", f"{read['refusals_read']:,}"),
            ("Refusals re-judged", f"{read['refusals_rejudged']:,}"),
        ]
    )
    body = (
        _side_by_side(findings)
        + _chart(candidates)
        + _shifts(candidates)
        + "".join(_breakdown(name, candidates) for name in BREAKDOWNS)
        + _not_rejudged(read["refusals_not_rejudged"])
        + _findings(candidates, case_link)
    )
    return page(
        "Policy replay comparison",
        "Policy replay: the policy in force beside each candidate",
        "Every recorded fact and every refused command judged again under each candidate. The "
        "policy in force is the baseline: what the record already holds. Each candidate's column "
        "says what would have gone otherwise.",
        body,
        lead=lead,
    )


def _side_by_side(findings: ReplayFindings) -> str:
    candidates = findings.candidates
    summaries = [c.summary() for c in candidates]
    read = findings.read()
    in_force = {
        "changes": "—",
        "coupling": "—",
        "cases affected": "0 (the baseline)",
        "refused commands on record": f"{read['refusals_read']:,}",
    }
    rows: list[tuple[str, list[str]]] = [
        ("changes", [_changes(c.changes) for c in candidates]),
        ("coupling", [esc(" ".join(c.couplings)) or "none" for c in candidates]),
        ("cases affected", [f"{s['cases_affected']:,}" for s in summaries]),
        *(
            (
                words(consequence.value),
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
            [dollars(s["amount_cents_affected"]) for s in summaries],
        ),
        ("of it already paid", [dollars(s["paid_cents_affected"]) for s in summaries]),
        (
            "amount that would be accepted",
            [dollars(s["amount_cents_would_be_accepted"]) for s in summaries],
        ),
    ]
    shown = [(esc(label), in_force.get(label, "—"), *values) for label, values in rows]
    return (
        '<section aria-labelledby="side-heading"><h2 id="side-heading">Side by side</h2>'
        + table(
            "The policy in force and each candidate",
            ("", "in force", *(c.name for c in candidates)),
            shown,
            table_id="candidates",
        )
        + "</section>"
    )


def _changes(changes: Mapping[str, Any]) -> str:
    parts = []
    for program, parameters in sorted(changes.items()):
        if isinstance(parameters, Mapping):
            if not parameters:
                continue
            said = "; ".join(f"{words(k)} = {_value(v)}" for k, v in sorted(parameters.items()))
            parts.append(f"{words(program)}: {said}")
        else:
            parts.append(f"{words(program)} = {_value(parameters)}")
    return esc(" · ".join(parts)) or "none"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return "{" + ", ".join(sorted(str(v) for v in value)) + "}"
    return json.dumps(value) if not isinstance(value, str) else value


def _chart(candidates: Sequence[CandidateFindings]) -> str:
    """One group of bars per consequence, one bar per candidate."""
    shown = [c for c in Consequence if any(x.totals.consequences.get(c.value) for x in candidates)]
    if not shown:
        return ""
    largest = max(x.totals.consequences.get(c.value, 0) for c in shown for x in candidates) or 1
    row, bar, left, width = 18, 14, 220, 560
    height = len(shown) * (len(candidates) * row + 14) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 80} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-title" class="replay-chart">'
        '<title id="chart-title">Findings by consequence, one bar per candidate (the table '
        "above has the same figures)</title>"
    ]
    y = 10
    for consequence in shown:
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="13" fill="#1f2328">'
            f"{esc(words(consequence.value))}</text>"
        )
        for index, candidate in enumerate(candidates):
            count = candidate.totals.consequences.get(consequence.value, 0)
            length = round(width * count / largest, 1)
            colour = BAR_COLOURS[index % len(BAR_COLOURS)]
            parts.append(
                f'<g data-candidate="{esc(candidate.name)}" data-consequence="{consequence.value}" '
                f'data-count="{count}"><rect x="{left}" y="{y}" width="{max(length, 1)}" '
                f'height="{bar}" fill="{colour}"/><text x="{left + length + 6}" y="{y + 11}" '
                f'font-size="12" fill="#1f2328">{count:,} {esc(candidate.name)}</text></g>'
            )
            y += row
        y += 14
    parts.append("</svg>")
    return (
        '<section aria-labelledby="chart-heading"><h2 id="chart-heading">What would change</h2>'
        + "".join(parts)
        + "</section>"
    )


def shift_bin(days: int) -> str:
    return next(label for label, low, high in SHIFT_BINS if low <= days <= high)


def _shifts(candidates: Sequence[CandidateFindings]) -> str:
    binned = [
        Counter(
            shift_bin(d.days_moved)
            for d in c.differences
            if d.consequence is Consequence.TERMINATION_MOVED and d.days_moved
        )
        for c in candidates
    ]
    if not any(binned):
        return ""
    rows = [(esc(label), *(f"{b.get(label, 0):,}" for b in binned)) for label, _, _ in SHIFT_BINS]
    return (
        '<section aria-labelledby="shifts-heading"><h2 id="shifts-heading">Terminations moved '
        "(VR-11)</h2>"
        + table(
            "Cases whose termination date would move, by how far",
            ("moved", *(c.name for c in candidates)),
            rows,
            table_id="termination-shifts",
            numeric=tuple(range(1, len(candidates) + 1)),
        )
        + "</section>"
    )


def _breakdown(name: str, candidates: Sequence[CandidateFindings]) -> str:
    by = [c.totals.by[name] for c in candidates]
    values = sorted({value for counts in by for value in counts})
    if not values:
        return ""
    label = words(name)
    rows = [
        (
            esc(words(value) if name in ("service_type", "program") else value),
            *(_counts(counts.get(value, {})) for counts in by),
        )
        for value in values
    ]
    ident = f"by-{name.replace('_', '-')}"
    return (
        f'<section aria-labelledby="{ident}-heading"><h2 id="{ident}-heading">By {esc(label)}</h2>'
        + table(
            f"Findings by {label}", (label, *(c.name for c in candidates)), rows, table_id=ident
        )
        + "</section>"
    )


def _counts(counts: Mapping[str, int]) -> str:
    return esc(", ".join(f"{words(k)} {n:,}" for k, n in sorted(counts.items()))) or "—"


def _not_rejudged(not_rejudged: Mapping[str, Mapping[str, int]]) -> str:
    if not not_rejudged:
        return ""
    rows = [
        (rules([rule]), esc(command), f"{n:,}")
        for rule, commands in not_rejudged.items()
        for command, n in commands.items()
    ]
    return (
        '<section aria-labelledby="unjudged-heading"><h2 id="unjudged-heading">Refusals no '
        "candidate can change</h2><p>Refused by a rule no policy parameter decides: they stay "
        "refused under every candidate.</p>"
        + table("Refusals not re-judged", ("rule", "command", "refusals"), rows, numeric=(2,))
        + "</section>"
    )


def _findings(candidates: Sequence[CandidateFindings], case_link: Callable[[str], str]) -> str:
    found = [(c.name, d) for c in candidates for d in c.differences]
    rows = [_finding(name, d, case_link) for name, d in found[:FINDINGS_SHOWN]]
    more = (
        f"<p>{len(found) - FINDINGS_SHOWN:,} more findings are in replay.csv and replay.json.</p>"
        if len(found) > FINDINGS_SHOWN
        else ""
    )
    return (
        f'<section aria-labelledby="findings-heading"><h2 id="findings-heading">Findings '
        f"({len(found):,})</h2>"
        + table(
            "Every finding, by candidate and case",
            (
                "candidate",
                "case",
                "program",
                "caseworker",
                "judged",
                "consequence",
                "subject",
                "rules",
                "service",
                "provider",
                "amount",
                "paid",
                "moved",
                "detail",
            ),
            rows,
            table_id="findings",
            numeric=(10, 11, 12),
        )
        + more
        + "</section>"
    )


def _finding(name: str, d: Difference, case_link: Callable[[str], str]) -> tuple[str, ...]:
    return (
        esc(name),
        f'<a href="{esc(case_link(d.case_number))}">{esc(d.case_number)}</a>',
        esc(words(d.program)),
        esc(d.caseworker),
        esc(d.judged.value),
        esc(words(d.consequence.value)),
        _ids_shortened(d.subject),
        rules(d.rule_ids),
        esc(words(d.service_type)) or "—",
        esc(d.provider) or "—",
        dollars(d.amount_cents) if d.amount_cents else "—",
        dollars(d.paid_cents) if d.paid_cents else "—",
        f"{d.days_moved:+,} days" if d.days_moved else "—",
        _ids_shortened(d.detail),
    )


def _ids_shortened(text: str) -> str:
    """Text with each UUID in it shown as its first 8 characters (the whole in a tooltip)."""
    shown, last = [], 0
    for match in UUID_IN_TEXT.finditer(text):
        shown.append(esc(text[last : match.start()]))
        shown.append(short_id(match.group()))
        last = match.end()
    shown.append(esc(text[last:]))
    return "".join(shown)
