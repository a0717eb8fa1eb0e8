"""Pages printed to PDF by a headless Chromium (Debian's package), for an auditor's working papers."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PRINT_SECONDS = 120


class PrintingUnavailable(RuntimeError):
    """No Chromium to print with, or it did not print."""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def print_to_pdf(page: str) -> bytes:
    """The page as a PDF (A4/Letter as the page's print style sets it), printed offline."""
    browser = chromium()
    if browser is None:
        raise PrintingUnavailable(
            "printing an audit file needs Chromium: install the Debian package `chromium`"
        )
    with tempfile.TemporaryDirectory(prefix="pes-print-") as work:
        source, out = Path(work, "page.html"), Path(work, "page.pdf")
        source.write_text(page, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(work, 'profile')}",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium's sandbox cannot start as root
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PRINT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            raise PrintingUnavailable(f"Chromium did not print within {PRINT_SECONDS} s") from None
        if not out.exists() or out.stat().st_size == 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PrintingUnavailable(f"Chromium did not print (exit {done.returncode}): {said[0]}")
        return out.read_bytes()
