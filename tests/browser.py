"""A real headless browser (Chromium from Debian's packages) rendering our HTML pages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def rendered_dom(page: Path) -> str:
    """The DOM Chromium built from the page (after parsing and layout), as HTML text."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run `make system-deps` (CI installs it)")
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
                "--disable-gpu",
                f"--user-data-dir={profile}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    return run.stdout
