"""The Makefile: `make help` lists every target a person may run."""

from __future__ import annotations

import re
from pathlib import Path

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def test_every_phony_target_has_the_help_text_make_help_lists() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")
    phony = {name for line in re.findall(r"^\.PHONY: (.+)$", text, re.M) for name in line.split()}
    helped = set(re.findall(r"^([a-z][a-z0-9-]+):.*## ", text, re.M))

    assert "test-e2e" in phony
    assert phony == helped
