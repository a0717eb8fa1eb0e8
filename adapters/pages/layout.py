"""What every page shares: its frame, its stylesheet, and how money, dates and ids read."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

STYLE = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --paper: #ffffff; --band: #f6f8fa;
  --accent: #0550ae; --good: #116329; --warn: #7d4e00; --bad: #a40e26; --later: #6e7781; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--paper); margin: 0; line-height: 1.45;
  font-variant-ligatures: no-common-ligatures; }
header.page, main, footer.page { max-width: 1240px; margin: 0 auto; padding: 0 1rem; }
header.page { padding-top: 1rem; border-bottom: 1px solid var(--line); }
header.page p { margin: 0.25rem 0 0.75rem; color: var(--muted); }
h1 { font-size: 1.6rem; margin: 0.25rem 0; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
nav.skip a { position: absolute; left: -999px; }
nav.skip a:focus { left: 1rem; top: 0.5rem; background: var(--paper); padding: 0.25rem 0.5rem; }
.figures { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; margin: 0.75rem 0; padding: 0; }
.figures div { min-width: 9rem; }
.figures dt { color: var(--muted); font-size: 0.85rem; }
.figures dd { margin: 0; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0 1rem; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
time, .nowrap, td.day { white-space: nowrap; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 1rem; font-size: 0.85rem;
  font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.ok { color: var(--good); } .warn { color: var(--warn); } .bad { color: var(--bad); }
.muted { color: var(--muted); }
tr.later td { color: var(--later); font-style: italic; }
tr.later td:first-child { box-shadow: inset 3px 0 0 var(--line); }
tr.later td .badge { color: var(--later); }
tr.refused td { background: #fff8f0; }
tr.correction td { background: #fff8c5; }
tr.refused.later td { background: none; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; margin: 0.75rem 0; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
form.filters input, form.filters select, form.filters button { font: inherit; padding: 0.25rem 0.4rem; }
footer.page { color: var(--muted); font-size: 0.85rem; padding: 1.5rem 1rem; }
svg text { font-family: inherit; }
@media (max-width: 800px) { h1 { font-size: 1.3rem; } th, td { padding: 0.3rem; } }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { print-color-adjust: exact; -webkit-print-color-adjust: exact; font-size: 10pt; }
  .scroll { overflow: visible; }
  nav.skip, form.filters, .screen-only { display: none; }
  header.page, main, footer.page { max-width: none; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'"
"""No script, no font, no request anywhere: the styles are in the page, images are data: URLs."""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, heading: str, intro: str, body: str, *, lead: str = "") -> str:
    """A whole page: `intro` is plain text under the heading, `lead` HTML above the main part."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{esc(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<nav class="skip" aria-label="Skip link"><a href="#main">Skip to the content</a></nav>
<header class="page">
<h1>{esc(heading)}</h1>
<p>{esc(intro)}</p>
{lead}
</header>
<main id="main">
{body}
</main>
<footer class="page">Post-employment services case management. Dates are business dates
(YYYY-MM-DD); money is in US dollars.</footer>
</body>
</html>
"""


def rules(rule_ids: Iterable[str]) -> str:
    """Rule IDs, each kept on one line."""
    return " ".join(f'<span class="nowrap">{esc(rule)}</span>' for rule in rule_ids) or "—"


ACRONYMS = {"pe": "PE", "ipe": "IPE", "vr": "VR", "ta": "TA", "id": "id", "ids": "ids"}


def words(name: str) -> str:
    """A field or status name as words: `in_pe_services` → "in PE services"."""
    return " ".join(ACRONYMS.get(word, word) for word in name.split("_"))


def dollars(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def day(value: date | None) -> str:
    if value is None:
        return "—"
    return f'<time datetime="{value.isoformat()}">{value.isoformat()}</time>'


def moment(value: datetime) -> str:
    shown = value.strftime("%Y-%m-%d %H:%M")
    return f'<time datetime="{value.isoformat()}">{shown} UTC</time>'


def short_id(value: UUID | str) -> str:
    """An id as people can tell ids apart: its first 8 characters, the whole in a tooltip."""
    text = str(value)
    return f'<abbr title="{esc(text)}" class="nowrap">{esc(text[:8])}</abbr>'


def figures(items: Iterable[tuple[str, str]]) -> str:
    """Headline figures as a description list; values are HTML."""
    shown = "".join(f"<div><dt>{esc(label)}</dt><dd>{value}</dd></div>" for label, value in items)
    return f'<dl class="figures">{shown}</dl>'


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    table_id: str = "",
    numeric: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
) -> str:
    """A semantic table: a caption, column headers with scope, cells given as HTML."""

    def numeric_class(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    head = "".join(
        f'<th scope="col"{numeric_class(i)}>{esc(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for index, row in enumerate(rows):
        cls = row_classes[index] if row_classes is not None else ""
        cells = "".join(f"<td{numeric_class(i)}>{cell}</td>" for i, cell in enumerate(row))
        body.append(f'<tr class="{esc(cls)}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    empty = f'<tr><td colspan="{len(headers)}">none</td></tr>' if not body else ""
    return (
        f'<div class="scroll" tabindex="0" role="region" aria-label="{esc(caption)}">'
        f"<table{ident}><caption>{esc(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}{empty}</tbody></table></div>"
    )
