"""The case page: the case's dates drawn, its deadlines, every fact in plain language, and
whether its hash chain holds; as of a date, what came later is greyed out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from adapters.pages.drawing import Drawing, Lane, Mark, Span, render
from adapters.pages.layout import (
    day,
    dollars,
    esc,
    figures,
    moment,
    page,
    rules,
    short_id,
    table,
    words,
)
from application.case_file import CaseFile
from domain.audit import AuditEntry, RefusalEntry
from domain.authorizations.records import Authorization
from domain.case import Case, Program
from domain.catalog import EVENT_CLASSES
from domain.deadlines import Deadline, DeadlineStatus
from domain.policy import PolicyBook
from domain.values import AuthorizationStatus

HIDDEN_FIELDS = frozenset({"content_hash", "previous_hash", "originator_topic"})
STATUS_STYLE = {
    DeadlineStatus.MET: "ok",
    DeadlineStatus.PENDING: "muted",
    DeadlineStatus.DUE_SOON: "warn",
    DeadlineStatus.OVERDUE: "bad",
}


def case_page(file: CaseFile, policies: PolicyBook, *, produced_at: datetime | None = None) -> str:
    """The case page; given `produced_at`, the audit file: the same page headed for printing
    with when it was produced, the policy versions and the chain's status."""
    case = file.case
    title = f"Case {case.case_number}"
    seen_on = file.as_of or file.today
    intro = (
        f"{_program_name(case.program)} case of client {case.client_ref}, caseworker "
        f"{case.caseworker_id}. Every recorded fact in the order it was recorded; corrections are "
        "new facts beside the originals, never edits."
    )
    if file.as_of is not None:
        intro += (
            f" Seen as of {file.as_of}: what the record held then is in black; what came later is "
            "greyed out."
        )
    lead = figures(_headline(file, policies)) + _chain_section(file)
    if produced_at is not None:
        title = f"Audit file of case {case.case_number}"
        lead = _audit_file_header(file, policies, produced_at) + lead
    body = (
        '<section aria-labelledby="dates-heading"><h2 id="dates-heading">Dates</h2>'
        f"{render(drawing_of(file, policies))}"
        f"{_legend()}</section>"
        '<section aria-labelledby="deadlines-heading"><h2 id="deadlines-heading">Deadlines</h2>'
        f"{_deadlines_table(file.deadlines, seen_on)}</section>"
        '<section aria-labelledby="money-heading"><h2 id="money-heading">Services and money</h2>'
        f"{_authorizations_table(case, policies, file.as_of)}</section>"
        '<section aria-labelledby="facts-heading"><h2 id="facts-heading">Facts</h2>'
        f"{_facts_table(file)}</section>"
    )
    return page(title, title, intro, body, lead=lead)


def _audit_file_header(file: CaseFile, policies: PolicyBook, produced_at: datetime) -> str:
    case = file.case
    governing = (
        case.governing_policy(policies).version
        if case.program is Program.VR
        else case.assistance_policy(policies).version
    )
    named = sorted({e.policy_version for e in file.entries if e.policy_version} | {governing})
    chain = (
        f"verified to version {file.chain.verified_to}"
        if file.chain.intact
        else f"BROKEN after version {file.chain.verified_to} of {file.chain.versions}"
    )
    seen = f"; seen as of {file.as_of}" if file.as_of is not None else ""
    return (
        '<dl class="figures" id="audit-file-header">'
        f"<div><dt>Case</dt><dd>{esc(case.case_number)} ({esc(case.id)})</dd></div>"
        f"<div><dt>Produced</dt><dd>{moment(produced_at)}{esc(seen)}</dd></div>"
        f"<div><dt>Policy versions</dt><dd>{esc(', '.join(named))}</dd></div>"
        f"<div><dt>Hash chain</dt><dd>{esc(chain)}</dd></div></dl>"
    )


def _program_name(program: Program) -> str:
    return "Vocational rehabilitation" if program is Program.VR else "Cash-assistance"


def _headline(file: CaseFile, policies: PolicyBook) -> list[tuple[str, str]]:
    case = file.shown
    if case is None:
        return [("Status", f"not opened yet on {day(file.as_of)}")]
    shown = [
        ("Status", esc(words(case.status.value))),
        ("Opened", day(case.opened_on)),
    ]
    if case.program is Program.VR:
        policy = case.governing_policy(policies)
        termination = case.termination_date(policy)
        shown += [
            ("Outcome", day(case.outcome_date)),
            (
                "Initiation window closes (VR-02)",
                day(policy.initiation_window_closes(case.outcome_date))
                if case.outcome_date
                else "—",
            ),
            (
                "Terminated (VR-11)" if case.terminated_on else "Termination due (VR-11)",
                day(termination) if termination else "while in PE services: none yet",
            ),
            ("Policy version", esc(policy.version)),
        ]
    else:
        shown.append(("Policy version", esc(case.assistance_policy(policies).version)))
    shown.append(("Version", str(case.version)))
    return shown


def _chain_section(file: CaseFile) -> str:
    return _event_chain(file) + _refusal_chain(file)


def _refusal_chain(file: CaseFile) -> str:
    chain = file.refusal_chain
    if chain is None or chain.versions == 0:
        return ""
    if chain.intact:
        return (
            '<p id="refusal-chain" data-intact="true"><span class="badge ok">Refusal log '
            f"verified</span> {chain.versions} refused attempt{'' if chain.versions == 1 else 's'}, "
            "each matching its seal and its predecessor's.</p>"
        )
    items = "".join(f"<li>{esc(b)}</li>" for b in chain.breaks)
    return (
        '<div id="refusal-chain" data-intact="false"><p><span class="badge bad">Refusal log '
        f"broken</span> verified up to record {chain.verified_to} of {chain.versions}:</p>"
        f"<ul>{items}</ul></div>"
    )


def _event_chain(file: CaseFile) -> str:
    chain = file.chain
    if chain.intact:
        unchained = (
            f" ({chain.unchained} recorded before chaining began)" if chain.unchained else ""
        )
        return (
            f'<p id="chain" data-intact="true"><span class="badge ok">Hash chain verified</span> '
            f"every event up to version {chain.verified_to} matches its seal and its "
            f"predecessor's{unchained}.</p>"
        )
    items = "".join(f"<li>{esc(b)}</li>" for b in chain.breaks)
    return (
        f'<div id="chain" data-intact="false"><p><span class="badge bad">Hash chain broken</span> '
        f"verified up to version {chain.verified_to} of {chain.versions}; the stored record "
        f"differs from what was sealed:</p><ul>{items}</ul></div>"
    )


def drawing_of(file: CaseFile, policies: PolicyBook) -> Drawing:
    """The case's dates as lanes: the case itself, each service, the deadlines."""
    case = file.case
    lanes = [_case_lane(file, policies)]
    lanes += [_service_lane(case, a, policies) for a in case.authorizations.values()]
    seen_on = file.as_of or file.today
    marks = tuple(
        Mark(
            d.due_on,
            f"{_deadline_name(d)} — {words(d.status_on(seen_on).value)}",
            f"deadline-{d.status_on(seen_on).value}",
        )
        for d in file.deadlines
        if d.due_on is not None
    )
    lanes.append(Lane("Deadlines", (), marks))
    return Drawing(
        title=f"Dates of case {case.case_number}",
        lanes=tuple(lanes),
        today=file.today,
        as_of=file.as_of,
    )


def _case_lane(file: CaseFile, policies: PolicyBook) -> Lane:
    case = file.case
    spans: list[Span] = []
    marks = [Mark(case.opened_on, "case opened", "opened")]
    if case.program is Program.VR and case.outcome_date is not None:
        policy = case.governing_policy(policies)
        closes = policy.initiation_window_closes(case.outcome_date)
        spans.append(Span(case.outcome_date, closes, "initiation window (VR-02)", "window"))
        marks.append(Mark(case.outcome_date, "employment outcome (VR-01)", "outcome"))
        termination = case.termination_date(policy)
        if case.terminated_on is not None:
            marks.append(Mark(case.terminated_on, "case terminated (VR-11)", "terminated"))
        elif termination is not None:
            marks.append(Mark(termination, "termination scheduled (VR-11)", "termination"))
    for event in file.events:
        name = type(event).__name__
        if name == "OutcomeDateCorrected":
            marks.append(
                Mark(
                    event.effective_on,
                    f"outcome date corrected {event.original_outcome_date} → "
                    f"{event.corrected_outcome_date}",
                    "corrected",
                )
            )
        elif name == "CaseReassigned":
            marks.append(
                Mark(
                    event.effective_on,
                    f"reassigned {event.previous_caseworker_id} → {event.caseworker_id}",
                    "reassigned",
                )
            )
        elif name == "CashAssistanceEnded":
            spans.append(
                Span(
                    event.effective_on,
                    event.training_window_closes_on,
                    "training referral window (TA-09)",
                    "window",
                )
            )
    marks += [
        Mark(r.effective_on, f"{r.attempt}: {'; '.join(r.messages)}", "refused")
        for r in file.refusals
    ]
    return Lane(f"Case {case.case_number}", tuple(spans), tuple(marks))


def _service_lane(case: Case, a: Authorization, policies: PolicyBook) -> Lane:
    spans: list[Span] = []
    planned = f"planned {a.service_type.value} from {a.provider}"
    cap = None
    if case.program is Program.VR and not a.grandfathered:
        cap = case.governing_policy(policies).longest_planned_end(a.planned_start)
        spans.append(Span(a.planned_start, cap, "longest planned span (VR-04)", "cap"))
    if cap is not None and a.planned_end > cap:
        overridden = any(o.rule_id == "VR-04" for o in a.overrides)
        spans.append(Span(a.planned_start, cap, planned, "planned"))
        spans.append(
            Span(
                cap + timedelta(days=1),
                a.planned_end,
                "beyond the cap (VR-04)" + (", overridden" if overridden else ""),
                "beyond-cap",
            )
        )
    else:
        spans.append(Span(a.planned_start, a.planned_end, planned, "planned"))
    marks = []
    if a.ended_on is not None:
        provided = a.status is AuthorizationStatus.PROVIDED
        marks.append(Mark(a.ended_on, "service provided" if provided else "cancelled", "provided"))
    for invoice_id in a.invoice_ids:
        invoice = case.invoices[invoice_id]
        marks.append(
            Mark(
                invoice.received_on,
                f"invoice {invoice.invoice_number} received, {dollars(invoice.amount_cents)}",
                "invoice",
            )
        )
        if invoice.paid_on is not None:
            marks.append(
                Mark(
                    invoice.paid_on,
                    f"invoice {invoice.invoice_number} paid, {dollars(invoice.paid_cents)}",
                    "paid",
                )
            )
    label = f"{words(a.service_type.value)} · {a.provider}"
    return Lane(label, tuple(spans), tuple(marks))


def _legend() -> str:
    return (
        '<p class="muted">Blue band: the initiation window. Green bar: a service\'s planned span; '
        "dashed outline: the longest span VR-04 allows it; red: planned beyond that cap. Circles: "
        "outcome, provision, invoices and payments; diamonds: deadlines (green met, blue pending, "
        "amber due soon, red overdue); bars: termination, scheduled (red) or recorded (black); red "
        "crosses: refused attempts. Dashed lines: today and the as-of date.</p>"
    )


def _deadline_name(deadline: Deadline) -> str:
    name = words(deadline.kind.value)
    return f"{name} ({deadline.rule_id})" if deadline.rule_id else name


def _deadlines_table(found: Iterable[Deadline], seen_on: date) -> str:
    rows = []
    for d in sorted(found, key=lambda d: (d.due_on or date.max, d.kind.value)):
        status = d.status_on(seen_on)
        rows.append(
            (
                esc(_deadline_name(d)),
                short_id(d.subject_id) if d.subject_id else "the case",
                day(d.due_on),
                day(d.met_on),
                f'<span class="badge {STATUS_STYLE[status]}">{esc(words(status.value))}</span>',
                esc(d.policy_version),
            )
        )
    return table(
        f"Deadlines on {seen_on}",
        ("deadline", "subject", "due", "met", "status", "policy"),
        rows,
        table_id="deadlines",
    )


def _authorizations_table(case: Case, policies: PolicyBook, as_of: date | None) -> str:
    rows, classes = [], []
    for a in case.authorizations.values():
        cap = ""
        if case.program is Program.VR:
            if a.grandfathered:
                cap = "exempt (VR-12)"
            else:
                longest = case.governing_policy(policies).longest_planned_end(a.planned_start)
                beyond = a.planned_end > longest
                marked = ' <strong class="bad">planned beyond</strong>' if beyond else ""
                cap = f"{day(longest)}{marked}"
        overrides = "; ".join(f"{o.rule_id}: {o.reason}" for o in a.overrides)
        rows.append(
            (
                short_id(a.authorization_id),
                esc(words(a.service_type.value)),
                esc(a.provider),
                f"{day(a.planned_start)} to {day(a.planned_end)}",
                cap,
                dollars(a.amount_cents),
                dollars(a.paid_cents),
                dollars(a.encumbered_cents),
                esc(a.status.value),
                esc(overrides) or "—",
            )
        )
        classes.append("later" if as_of is not None and a.authorized_on > as_of else "")
    return table(
        "Authorizations",
        (
            "authorization",
            "service",
            "provider",
            "planned",
            "cap (VR-04)",
            "amount",
            "paid",
            "encumbered",
            "status",
            "overrides",
        ),
        rows,
        table_id="authorizations",
        numeric=(5, 6, 7),
        row_classes=classes,
    )


def _facts_table(file: CaseFile) -> str:
    """The facts in recorded order, each refused attempt after the fact it was refused on."""
    rows: list[tuple[str, ...]] = []
    classes: list[str] = []
    refused_at: dict[int, list[RefusalEntry]] = {}
    for refusal in file.refusals:
        refused_at.setdefault(refusal.case_version, []).append(refusal)

    def attempts_at(version: int) -> None:
        for refusal in refused_at.get(version, ()):
            rows.append(_attempt_row(refusal))
            later = file.as_of is not None and refusal.effective_on > file.as_of
            classes.append("refused later" if later else "refused")

    attempts_at(0)
    for entry in file.entries:
        later = file.versions_as_of is not None and entry.case_version > file.versions_as_of
        rows.append(
            (
                str(entry.case_version),
                day(entry.effective_on),
                moment(entry.recorded_at),
                _what_happened(entry),
                f'{esc(entry.actor_id)}<br><span class="muted">{esc(entry.actor_role)}</span>',
                rules(entry.rule_ids),
                esc(entry.policy_version or "—"),
                "<br>".join(f"{esc(rule)}: {esc(reason)}" for rule, reason in entry.overrides)
                or "—",
            )
        )
        correction = "correction" if entry.event_type == "OutcomeDateCorrected" else ""
        classes.append(" ".join(filter(None, (correction, "later" if later else ""))))
        attempts_at(entry.case_version)
    return table(
        "Every recorded fact in recorded order, and each refused attempt after the fact it met",
        ("version", "effective", "recorded", "what happened", "by", "rules", "policy", "overrides"),
        rows,
        table_id="facts",
        numeric=(0,),
        row_classes=classes,
    )


def _attempt_row(refusal: RefusalEntry) -> tuple[str, ...]:
    """A refused command: not a fact of the case, kept beside it (docs/audit.md)."""
    fields = "".join(
        f"<dt>{esc(_label(name))}</dt><dd>{_value(name, value)}</dd>"
        for name, value in refusal.command.items()
        if name not in ("case_id", "overrides")
    )
    overrides = refusal.command.get("overrides") or ()
    return (
        "attempt",
        day(refusal.effective_on),
        moment(refusal.recorded_at),
        f"<strong>Attempted: {esc(_words(refusal.command_type))}</strong> — "
        f'<span class="bad">{esc(refusal.attempt.split(", ", 1)[-1])}</span><br>'
        f"{esc('; '.join(refusal.messages))}"
        f'<dl class="fields">{fields}</dl>',
        f'{esc(refusal.actor_id)}<br><span class="muted">{esc(refusal.actor_role)}</span>',
        rules(refusal.rule_ids),
        esc(refusal.policy_version or "—"),
        "<br>".join(f"{esc(o['rule_id'])}: {esc(o['reason'])}" for o in overrides) or "—",
    )


def _what_happened(entry: AuditEntry) -> str:
    event_class = EVENT_CLASSES.get(entry.event_type)
    doc = (event_class.__doc__ or "").strip().splitlines()[0] if event_class else ""
    doc = doc.replace("on `effective_on`", f"on {entry.effective_on}").replace("`", "")
    fields = "".join(
        f"<dt>{esc(_label(name))}</dt><dd>{_value(name, value)}</dd>"
        for name, value in entry.facts.items()
        if name not in HIDDEN_FIELDS and name != "policy_version" and name != "overrides"
    )
    return (
        f"<strong>{esc(_words(entry.event_type))}</strong><br>{esc(doc)}"
        f'<dl class="fields">{fields}</dl>'
    )


def _words(name: str) -> str:
    """`PEServicesRequested` → "PE services requested"."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z][a-z]*", name)
    shown = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    text = " ".join(shown)
    return text[0].upper() + text[1:]


def _label(name: str) -> str:
    text = words(name.removesuffix("_cents"))
    return text[0].upper() + text[1:] if text else name


def _value(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name.endswith("_cents") and isinstance(value, int):
        return dollars(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name.endswith("_id") and isinstance(value, str) and len(value) == 36:
        return short_id(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return day(date.fromisoformat(value))
    if isinstance(value, Mapping):
        return "; ".join(f"{esc(_label(k))}: {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(name.removesuffix("s"), v) for v in value) or "none"
    shown_as_words = ("status", "program", "purpose", "service_type", "category", "kind", "area")
    return esc(words(str(value)) if name in shown_as_words else value)
