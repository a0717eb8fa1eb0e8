"""A case's audit trail as JSON (the page a person reads is adapters/pages/case_page.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic_core import to_jsonable_python

from application.audit import CaseAudit
from domain.audit import refusals_as_of


def audit_to_json(
    audit: CaseAudit, as_of: date | None = None, state_as_of: dict[str, Any] | None = None
) -> str:
    document: dict[str, Any] = {
        "case_id": str(audit.case_id),
        "case_number": audit.case_number,
        "state": audit.state,
        "timeline": [asdict(entry) for entry in audit.entries],
        "refusals": [asdict(entry) for entry in audit.refusals],
    }
    if as_of is not None:
        document["as_of"] = {
            "date": as_of,
            "state": state_as_of,
            "refusals": [asdict(entry) for entry in refusals_as_of(audit.refusals, as_of)],
        }
    return json.dumps(to_jsonable_python(document), indent=2, sort_keys=True) + "\n"
