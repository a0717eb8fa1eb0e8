"""Command-line arguments taken literally: dates strictly YYYY-MM-DD, numbers bounded, and a
wrong argument answered with one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

from domain.case import case_id_of
from domain.inputs import DECIMAL, EARLIEST_BUSINESS_DATE, ISO_DAY, LATEST_BUSINESS_DATE
from scripts.exit_codes import ExitCode


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit 2 (BAD_INPUT)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        sys.exit(ExitCode.BAD_INPUT)


def iso_date(text: str) -> date:
    """A business date written YYYY-MM-DD (`date.fromisoformat` alone takes 20250101 too)."""
    if not ISO_DAY.fullmatch(text):
        raise argparse.ArgumentTypeError(f"a date is written YYYY-MM-DD, not {text!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a day of the calendar") from None
    if not EARLIEST_BUSINESS_DATE <= day <= LATEST_BUSINESS_DATE:
        raise argparse.ArgumentTypeError(
            f"{text} is outside the supported business dates "
            f"{EARLIEST_BUSINESS_DATE} to {LATEST_BUSINESS_DATE}"
        )
    return day


def case_reference(text: str) -> str:
    """A case named by its number (VR-1-000004) or its id (a UUID), as given."""
    try:
        case_id_of(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a case number (like VR-1-000004) nor a case id (a UUID)"
        ) from None
    return text


def whole(low: int, high: int) -> Callable[[str], int]:
    """An integer in decimal digits from `low` to `high`."""

    def parse(text: str) -> int:
        if not DECIMAL.fullmatch(text):
            raise argparse.ArgumentTypeError(f"a whole number is expected, not {text!r}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


def seconds(low: float, high: float) -> Callable[[str], float]:
    """A finite number of seconds from `low` to `high`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a number of seconds is expected, not {text!r}"
            ) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(
                f"must be from {low:g} to {high:g} seconds, not {text}"
            )
        return value

    return parse


PORT = whole(1, 65_535)
"""A TCP port."""
LISTEN_PORT = whole(0, 65_535)
"""A TCP port to listen on; 0 takes any free one (the log says which)."""


def _writable_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write in the folder {folder}")


def output_file(text: str) -> Path:
    """A file to write, in a folder that exists and is writable (checked before any work)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    _writable_folder(path.parent)
    return path


def output_folder(text: str) -> Path:
    """A folder to write into: one that exists and is writable, or a new one in such a folder."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    _writable_folder(path if path.is_dir() else path.parent)
    return path
