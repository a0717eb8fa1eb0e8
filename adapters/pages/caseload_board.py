"""The caseload board: per caseworker, cases by status with their next deadline and what is
overdue, filterable, each case linking to its page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import groupby

from adapters.pages.layout import day, esc, figures, page, table, words
from domain.case import CaseStatus, Program
from projections.caseload import CaseloadLine, CaseloadPage, DeadlineEntry

STATUS_ORDER = {status.value: index for index, status in enumerate(CaseStatus)}


def caseload_board(
    shown: CaseloadPage,
    filters: Mapping[str, str],
    case_link: Callable[[str], str],
    more_link: str | None,
) -> str:
    """`filters` are the query's values as given (to refill the form); `case_link` gives a case
    number's page; `more_link` the next page of the board, if any."""
    lines = shown.lines
    overdue_cases = sum(1 for line in lines if line.overdue)
    lead = figures(
        [
            ("Cases matching", f"{shown.total:,}"),
            ("Shown", f"{len(lines):,}"),
            (
                "With overdue items",
                f'<span class="{"bad" if overdue_cases else ""}">{overdue_cases:,}</span>',
            ),
            ("Judged on", day(shown.today)),
        ]
    )
    sections, summary = [], []
    by_caseworker = sorted(lines, key=lambda line: (line.case.caseworker_id, _order(line)))
    for caseworker, grouped in groupby(by_caseworker, key=lambda line: line.case.caseworker_id):
        theirs = list(grouped)
        sections.append(_caseworker_section(caseworker, theirs, case_link))
        summary.append(_summary_row(caseworker, theirs))
    more = f'<p><a href="{esc(more_link)}">Next cases</a> (by case number)</p>' if more_link else ""
    overview = (
        table(
            "Caseworkers",
            ("caseworker", *(words(s.value) for s in CaseStatus), "with overdue items"),
            summary,
            table_id="caseworkers",
            numeric=tuple(range(1, len(CaseStatus) + 2)),
        )
        if summary
        else ""
    )
    body = _filters_form(filters) + overview + "".join(sections) + more
    if not lines:
        body += "<p>No case matches these filters.</p>"
    return page(
        "Caseload board",
        "Caseload board",
        "Each caseworker's cases by status, with the next deadline and every overdue item on "
        f"{shown.today}. Built from the event stream: a command shows here once the relay and "
        "the caseload projection have passed it.",
        body,
        lead=lead,
    )


def _order(line: CaseloadLine) -> tuple[int, str]:
    return STATUS_ORDER.get(line.case.status, len(STATUS_ORDER)), line.case.case_number


def _summary_row(caseworker: str, lines: Sequence[CaseloadLine]) -> tuple[str, ...]:
    statuses = Counter(line.case.status for line in lines)
    overdue = sum(1 for line in lines if line.overdue)
    return (
        f'<a href="#caseworker-{esc(caseworker)}">{esc(caseworker)}</a>',
        *(str(statuses.get(s.value, 0)) for s in CaseStatus),
        f'<span class="bad">{overdue}</span>' if overdue else "0",
    )


def _caseworker_section(
    caseworker: str, lines: Sequence[CaseloadLine], case_link: Callable[[str], str]
) -> str:
    statuses = Counter(line.case.status for line in lines)
    overdue = sum(1 for line in lines if line.overdue)
    counts = ", ".join(
        f"{count} {words(status)}"
        for status, count in sorted(statuses.items(), key=lambda s: STATUS_ORDER.get(s[0], 99))
    )
    ident = f"caseworker-{caseworker}"
    overdue_note = f'; <strong class="bad">{overdue} with overdue items</strong>' if overdue else ""
    rows = [
        (
            f'<a href="{esc(case_link(line.case.case_number))}">{esc(line.case.case_number)}</a>',
            esc(_program(line.case.program)),
            esc(words(line.case.status)),
            day(line.case.outcome_date),
            _deadline(line.next_deadline) if line.next_deadline else "—",
            "<br>".join(_deadline(d) for d in line.overdue) or "—",
        )
        for line in lines
    ]
    return (
        f'<section aria-labelledby="{esc(ident)}"><h2 id="{esc(ident)}">{esc(caseworker)}</h2>'
        f'<p class="muted">{len(lines)} case(s): {esc(counts)}{overdue_note}</p>'
        + table(
            f"Cases of {caseworker}",
            ("case", "program", "status", "outcome", "next deadline", "overdue"),
            rows,
            row_classes=["overdue" if line.overdue else "" for line in lines],
        )
        + "</section>"
    )


def _program(value: str) -> str:
    return "VR" if value == Program.VR.value else "cash assistance"


def _deadline(d: DeadlineEntry) -> str:
    name = words(d.kind.value)
    rule = f" ({d.rule_id})" if d.rule_id else ""
    style = {"overdue": "bad", "due_soon": "warn"}.get(d.status.value, "")
    return f'<span class="{style}">{esc(name + rule)}</span> due {day(d.due_on)}' + (
        f' <span class="badge {style}">{esc(words(d.status.value))}</span>' if style else ""
    )


def _filters_form(filters: Mapping[str, str]) -> str:
    def options(name: str, choices: Sequence[tuple[str, str]]) -> str:
        chosen = filters.get(name, "")
        return "".join(
            f'<option value="{esc(value)}"{" selected" if value == chosen else ""}>{esc(label)}</option>'
            for value, label in [("", "any"), *choices]
        )

    statuses = [(s.value, words(s.value)) for s in CaseStatus]
    programs = [(p.value, _program(p.value)) for p in Program]
    overdue = " checked" if filters.get("overdue") == "true" else ""
    return (
        '<form class="filters" method="get" role="search" aria-label="Filter the board">'
        f'<label>Caseworker<input name="caseworker" value="{esc(filters.get("caseworker", ""))}" '
        'maxlength="100" autocomplete="off"></label>'
        f'<label>Program<select name="program">{options("program", programs)}</select></label>'
        f'<label>Status<select name="status">{options("status", statuses)}</select></label>'
        f'<label>Judged on<input type="date" name="today" value="{esc(filters.get("today", ""))}"></label>'
        f'<label><span><input type="checkbox" name="overdue" value="true"{overdue}> '
        "only cases with overdue items</span></label>"
        '<button type="submit">Show</button></form>'
    )
