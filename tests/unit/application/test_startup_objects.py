"""Long-running processes exempt their startup objects from full garbage collections."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import gc
import api.app  # the widest wiring: the API and everything it imports
from application.bootstrap import freeze_startup_objects

before = len(gc.get_objects())
freeze_startup_objects()
print(before, gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_after_startup_a_full_collection_has_almost_nothing_left_to_scan() -> None:
    # In a child process: frozen objects are never collected, which the test session must not be.
    child = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=120
    )
    tracked_before, frozen, tracked_after = map(int, child.stdout.split())

    assert tracked_before > 50_000
    assert frozen >= tracked_before * 0.9
    assert tracked_after < 1_000
