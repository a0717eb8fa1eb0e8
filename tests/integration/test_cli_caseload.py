"""`pes caseload`: the API's filters and paging on the command line, each case's overdue deadlines
printed under it; a wrong option is one line and exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.exit_codes import ExitCode
from tests.builders import ids
from tests.integration.api_support import api_client
from tests.integration.test_api_caseloads import EVERY_CASE, TODAY, UNPAID, record
from tests.integration.test_cli_arguments import assert_refused_in_one_line, pes

CASE_LINE = re.compile(r"^([A-Z]{2}-C-\d{2}) ")
NEXT_PAGE = re.compile(r"; next page: --cursor (\S+)$")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose caseload view holds the cases of test_api_caseloads."""
    data_dir = tmp_path_factory.mktemp("cli-caseload")
    with api_client(data_dir) as client:
        record(client, data_dir)
    return data_dir


def caseload(data_dir: Path, *args: str) -> list[str]:
    run = pes(data_dir, "caseload", "--today", TODAY, *args)
    assert run.returncode == ExitCode.OK, run.stderr
    return run.stdout.splitlines()


def cases_in(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines if (m := CASE_LINE.match(line))]


def test_filters_combine_and_each_case_shows_its_overdue_deadlines(data_dir: Path) -> None:
    lines = caseload(data_dir, "--program", "vr", "--overdue", "--caseworker", "cw-ada")

    assert cases_in(lines) == UNPAID
    first = lines.index(next(line for line in lines if line.startswith(UNPAID[0])))
    assert lines[first].split()[5] == "1"  # the overdue column
    assert lines[first + 1].split() == [
        "overdue:",
        "due",
        "2024-08-19",
        "invoice_payment",
        str(ids(UNPAID[0], "invoice")),
    ]
    assert lines[-1] == "2 of 2 case(s)"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--caseworker", "cw-bea", "--status", "open"),
            ["VR-C-02", "VR-C-04", "VR-C-06", "VR-C-08"],
        ),
        (("--program", "cash_assistance"), ["TA-C-01"]),
        (("--status", "monitoring", "--overdue"), ["TA-C-01"]),
    ],
)
def test_each_filter_keeps_only_its_cases(
    data_dir: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    lines = caseload(data_dir, *args)

    assert cases_in(lines) == expected
    assert lines[-1] == f"{len(expected)} of {len(expected)} case(s)"


def test_following_each_pages_cursor_lists_every_case_once_in_order(data_dir: Path) -> None:
    pages = [caseload(data_dir, "--limit", "5")]
    while match := NEXT_PAGE.search(pages[-1][-1]):
        assert len(pages) <= len(EVERY_CASE), "the pages never end"
        pages.append(caseload(data_dir, "--limit", "5", "--cursor", match.group(1)))

    assert [cases_in(page) for page in pages] == [EVERY_CASE[:5], EVERY_CASE[5:10], EVERY_CASE[10:]]
    assert [page[-1].split(";")[0] for page in pages] == [
        "5 of 12 case(s)",
        "5 of 12 case(s)",
        "2 of 12 case(s)",
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--status", "bogus"), ("--status", "bogus")),
        (("--program", "housing"), ("--program", "housing")),
        (("--limit", "0"), ("--limit",)),
        (("--limit", "501"), ("--limit", "500")),
        (("--limit", "ten"), ("--limit", "whole number")),
        (("--today", "2024-8-25"), ("--today", "YYYY-MM-DD")),
    ],
)
def test_an_unknown_status_or_program_or_a_limit_out_of_range_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], named: tuple[str, ...]
) -> None:
    run = pes(tmp_path, "caseload", *args)

    assert_refused_in_one_line(run, *named)
