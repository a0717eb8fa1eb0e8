"""The parts every page is made of: money, words, the timeline's axis, termination-shift bins,
ids in text."""

from __future__ import annotations

import re
from datetime import date

import pytest

from adapters.pages.drawing import Axis, Drawing, Lane, Mark, Span, render
from adapters.pages.layout import dollars, table, words
from adapters.pages.replay_comparison import SHIFT_BINS, _ids_shortened, shift_bin


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "$0.00"), (5, "$0.05"), (123_456, "$1,234.56"), (-250, "-$2.50"), (None, "—")],
)
def test_money_reads_in_dollars_and_cents(cents: int | None, shown: str) -> None:
    assert dollars(cents) == shown


def test_names_read_as_words_with_their_acronyms() -> None:
    assert words("in_pe_services") == "in PE services"
    assert words("ipe_entry") == "IPE entry"
    assert words("would_be_accepted") == "would be accepted"


def test_the_axis_puts_each_day_in_proportion_between_its_ends() -> None:
    axis = Axis(date(2025, 1, 1), date(2025, 1, 11))
    left, right = axis.x(date(2025, 1, 1)), axis.x(date(2025, 1, 11))

    assert axis.x(date(2025, 1, 6)) == pytest.approx((left + right) / 2)
    assert axis.x_after(date(2025, 1, 1)) == pytest.approx(left + (right - left) / 10)


def test_items_after_the_as_of_date_are_drawn_later_and_the_rest_not() -> None:
    drawing = Drawing(
        "t",
        (
            Lane(
                "case",
                (Span(date(2025, 1, 1), date(2025, 3, 1), "window", "window"),),
                (
                    Mark(date(2025, 2, 1), "paid", "paid"),
                    Mark(date(2024, 12, 1), "opened", "opened"),
                ),
            ),
        ),
        as_of=date(2025, 1, 15),
    )

    svg = render(drawing)

    assert re.findall(r'class="mark (\w+)( later)?"', svg) == [("paid", " later"), ("opened", "")]
    assert 'class="span window"' in svg
    assert "<desc" in svg and "window from 2025-01-01 to 2025-03-01" in svg


def test_every_day_of_shift_falls_in_exactly_one_bin_of_months() -> None:
    for days in [*range(-400, 0), *range(1, 400)]:
        assert sum(low <= days <= high for _, low, high in SHIFT_BINS) == 1
    assert shift_bin(-1) == "up to a month earlier"
    assert shift_bin(31) == "1 to 3 months later"
    assert shift_bin(184) == "over 6 months later"


def test_ids_in_a_finding_are_shortened_with_the_whole_in_a_tooltip() -> None:
    text = "authorization 0b8c1d2e-1111-4222-8333-944445555666 from 2025-01-01"

    shown = _ids_shortened(text)

    assert shown.startswith('authorization <abbr title="0b8c1d2e-1111-4222-8333-944445555666"')
    assert ">0b8c1d2e</abbr> from 2025-01-01" in shown


def test_a_table_has_its_caption_column_scopes_and_says_none_when_empty() -> None:
    shown = table("Deadlines", ("kind", "due"), [])

    assert "<caption>Deadlines</caption>" in shown
    assert shown.count('scope="col"') == 2
    assert '<td colspan="2">none</td>' in shown
