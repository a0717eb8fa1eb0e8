"""A case's dates drawn as an SVG timeline: lanes of spans (windows, planned services and their
caps) and marks (outcome, provision, invoices, deadlines, termination) on one axis of days.

Every drawn item carries its dates in data attributes (`data-start`, `data-end`, `data-on`)
and a tooltip in words; items dated after the as-of date are drawn greyed (class `later`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from adapters.pages.layout import esc

WIDTH = 1200
LABEL_WIDTH = 190
LANE_HEIGHT = 34
AXIS_HEIGHT = 30
PLOT_RIGHT = WIDTH - 20

SPAN_COLOURS = {
    "window": ("#ddf4ff", "#0550ae"),
    "planned": ("#dafbe1", "#116329"),
    "cap": ("none", "#57606a"),
    "beyond-cap": ("#ffebe9", "#a40e26"),
    "services": ("#fff8c5", "#7d4e00"),
}
MARK_COLOURS = {
    "outcome": "#0550ae",
    "opened": "#57606a",
    "corrected": "#7d4e00",
    "reassigned": "#57606a",
    "provided": "#116329",
    "invoice": "#7d4e00",
    "paid": "#116329",
    "deadline-met": "#116329",
    "deadline-pending": "#0550ae",
    "deadline-due_soon": "#7d4e00",
    "deadline-overdue": "#a40e26",
    "termination": "#a40e26",
    "terminated": "#1f2328",
    "refused": "#a40e26",
    "event": "#57606a",
}
LATER = "#afb8c1"


@dataclass(frozen=True)
class Span:
    """A stretch of days, both ends included."""

    start: date
    end: date
    label: str
    kind: str


@dataclass(frozen=True)
class Mark:
    on: date
    label: str
    kind: str


@dataclass(frozen=True)
class Lane:
    label: str
    spans: tuple[Span, ...] = ()
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class Drawing:
    title: str
    lanes: tuple[Lane, ...]
    today: date | None = None
    as_of: date | None = None

    def first_and_last(self) -> tuple[date, date]:
        days = [d for lane in self.lanes for s in lane.spans for d in (s.start, s.end)]
        days += [m.on for lane in self.lanes for m in lane.marks]
        if not days:
            today = self.today or self.as_of or date(2000, 1, 1)
            return today - timedelta(days=30), today + timedelta(days=30)
        first, last = min(days), max(days)
        # Today and the as-of date widen the axis only when near the case's own dates: a line
        # years away would squeeze the case into a corner.
        near = [d for d in (self.today, self.as_of) if d is not None]
        first = min([first, *(d for d in near if d >= first - timedelta(days=120))])
        last = max([last, *(d for d in near if d <= last + timedelta(days=120))])
        margin = max(7, (last - first).days // 40)
        return first - timedelta(days=margin), last + timedelta(days=margin)


class Axis:
    """Days to x positions."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last
        self.span_days = max((last - first).days, 1)

    def x(self, day: date) -> float:
        fraction = (day - self.first).days / self.span_days
        return round(LABEL_WIDTH + fraction * (PLOT_RIGHT - LABEL_WIDTH), 2)

    def x_after(self, day: date) -> float:
        """The right edge of a day: spans include their last day."""
        return self.x(day + timedelta(days=1))

    def ticks(self) -> list[date]:
        """First days of months, thinned to at most 14 ticks."""
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        step = max(1, -(-months // 14))
        ticks: list[date] = []
        year, month = self.first.year, self.first.month
        while True:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            tick = date(year, month, 1)
            if tick > self.last:
                return ticks
            if ((year * 12 + month) - 1) % step == 0:
                ticks.append(tick)


def render(drawing: Drawing) -> str:
    first, last = drawing.first_and_last()
    axis = Axis(first, last)
    lanes_bottom = AXIS_HEIGHT + LANE_HEIGHT * len(drawing.lanes)
    height = lanes_bottom + 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="drawing-title drawing-desc" '
        f'class="case-drawing" data-first="{first}" data-last="{last}" '
        f'data-plot-left="{LABEL_WIDTH}" data-plot-right="{PLOT_RIGHT}">',
        f'<title id="drawing-title">{esc(drawing.title)}</title>',
        f'<desc id="drawing-desc">{esc(_description(drawing))}</desc>',
    ]
    parts += _axis(axis, height)
    for index, lane in enumerate(drawing.lanes):
        parts += _lane(axis, lane, AXIS_HEIGHT + index * LANE_HEIGHT, drawing.as_of)
    for day, kind, label in ((drawing.as_of, "as-of", "as of"), (drawing.today, "today", "today")):
        if day is not None and first <= day <= last:
            x = axis.x_after(day)
            parts.append(
                f'<g class="{kind}" data-on="{day}"><line x1="{x}" x2="{x}" y1="{AXIS_HEIGHT - 6}" '
                f'y2="{lanes_bottom + 4}" stroke="#1f2328" stroke-dasharray="4 3" '
                f'stroke-width="1.2"/><text x="{x}" y="{height - 4}" font-size="11" '
                f'fill="#1f2328" text-anchor="{"end" if x > PLOT_RIGHT - 120 else "middle"}">'
                f"{label} {day}</text></g>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _description(drawing: Drawing) -> str:
    said = []
    for lane in drawing.lanes:
        items = [f"{s.label} from {s.start} to {s.end}" for s in lane.spans]
        items += [f"{m.label} on {m.on}" for m in lane.marks]
        if items:
            said.append(f"{lane.label}: " + "; ".join(items))
    return ". ".join(said) or "Nothing dated yet."


def _axis(axis: Axis, height: int) -> list[str]:
    parts = []
    for tick in axis.ticks():
        x = axis.x(tick)
        if x > PLOT_RIGHT - 44:
            continue  # its label would run off the drawing
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{AXIS_HEIGHT - 4}" y2="{height - 20}" stroke="#eaeef2"/>'
            f'<text x="{x + 2}" y="{AXIS_HEIGHT - 18}" font-size="11" fill="#57606a">'
            f"{tick:%Y-%m}</text>"
        )
    return parts


def _lane(axis: Axis, lane: Lane, top: int, as_of: date | None) -> list[str]:
    middle = top + LANE_HEIGHT / 2
    parts = [
        f'<g class="lane" data-lane="{esc(lane.label)}">',
        f'<text x="6" y="{middle + 4}" font-size="12" fill="#1f2328">{esc(_fit(lane.label))}</text>',
        f'<line x1="{LABEL_WIDTH}" x2="{PLOT_RIGHT}" y1="{top + LANE_HEIGHT}" '
        f'y2="{top + LANE_HEIGHT}" stroke="#eaeef2"/>',
    ]
    for span in lane.spans:
        later = as_of is not None and span.start > as_of
        fill, stroke = SPAN_COLOURS.get(span.kind, ("#eaeef2", "#57606a"))
        if later:
            fill, stroke = ("none" if fill == "none" else "#f6f8fa"), LATER
        x1, x2 = axis.x(span.start), axis.x_after(span.end)
        inset = 4 if span.kind == "cap" else 8
        dash = ' stroke-dasharray="5 3"' if span.kind == "cap" else ""
        parts.append(
            f'<g class="span {span.kind}{" later" if later else ""}" data-kind="{span.kind}" '
            f'data-start="{span.start}" data-end="{span.end}">'
            f"<title>{esc(span.label)}: {span.start} to {span.end}</title>"
            f'<rect x="{x1}" y="{top + inset}" width="{max(x2 - x1, 1.5):.2f}" '
            f'height="{LANE_HEIGHT - 2 * inset}" fill="{fill}" stroke="{stroke}" rx="3"{dash}/></g>'
        )
    for mark in lane.marks:
        later = as_of is not None and mark.on > as_of
        colour = LATER if later else MARK_COLOURS.get(mark.kind, "#57606a")
        x = axis.x(mark.on) + (axis.x_after(mark.on) - axis.x(mark.on)) / 2
        parts.append(
            f'<g class="mark {mark.kind}{" later" if later else ""}" data-kind="{mark.kind}" '
            f'data-on="{mark.on}"><title>{esc(mark.label)}: {mark.on}</title>'
            f"{_shape(mark.kind, x, middle, colour)}</g>"
        )
    parts.append("</g>")
    return parts


def _shape(kind: str, x: float, y: float, colour: str) -> str:
    if kind.startswith("deadline"):
        return (
            f'<path d="M{x} {y - 7} L{x + 7} {y} L{x} {y + 7} L{x - 7} {y} Z" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="1"/>'
        )
    if kind in ("termination", "terminated"):
        return (
            f'<rect x="{x - 2.5}" y="{y - 9}" width="5" height="18" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="1"/>'
        )
    if kind == "refused":
        return (
            f'<path d="M{x - 6} {y - 6} L{x + 6} {y + 6} M{x + 6} {y - 6} L{x - 6} {y + 6}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
    return f'<circle cx="{x}" cy="{y}" r="5.5" fill="{colour}" stroke="#ffffff" stroke-width="1"/>'


def _fit(label: str, room: int = 28) -> str:
    return label if len(label) <= room else label[: room - 1] + "…"
