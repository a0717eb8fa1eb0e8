"""The rules some commands of the synthetic caseload are there to be refused by."""

from __future__ import annotations

REFUSALS = ("VR-02", "VR-04", "VR-05", "VR-06", "VR-07", "VR-09", "VR-10", "VR-11")
"""The rules some VR commands of the caseload (`served_with_refusal`) are there to be refused by."""

TA_REFUSALS = ("TA-02", "TA-08", "TA-09", "TA-10")
"""The rules some cash-assistance commands of the caseload are there to be refused by."""
