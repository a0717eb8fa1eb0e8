"""Writes tests/fixtures/stored_history/: an event store recorded by this code, and what it reads as.

Run from the repository root: `.venv/bin/python -m scripts.make_stored_history`. The run is
deterministic: a fixed seed, an injected clock (today) and recording timestamps counted from it,
so running it again on the same commit writes the same events and the same expectations
(tests/fixtures/README.md). tests/integration/test_stored_history.py reads them with the code
of its own day.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from unittest import mock

from eventsourcing.domain import CanCreateTimestamp

from adapters.audit_report import audit_to_json
from application.audit import audit_of, state_as_of
from application.bootstrap import build_case_management
from application.cases import CaseManagement
from application.settings import Settings, as_environment
from domain.base import Actor
from domain.case import Case
from domain.commands import CorrectOutcomeDate, TerminateCase
from domain.errors import DomainError
from domain.termination import DEADLINE_PROCESS
from synthetic import SyntheticCaseload, drive

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURE = REPOSITORY / "tests" / "fixtures" / "stored_history"
SEED = 8
CASES = 80
# The day every case is read "as of" besides today: mid-caseload, some cases not yet opened.
AS_OF = date(2025, 3, 31)
CORRECTIONS = 2


def main() -> int:
    caseload = SyntheticCaseload(seed=SEED, cases=CASES)
    today = caseload.last_day()
    with tempfile.TemporaryDirectory() as scratch:
        # Named in full, so no PES_ variable of the caller's shell (a cipher key) changes the store.
        settings = Settings(data_dir=Path(scratch), event_store="sqlite", cipher_key=None)
        app = build_case_management(settings, clock=lambda: today)
        try:
            with counted_timestamps(today):
                record(app, caseload, today)
        finally:
            app.close()
        compact(settings.sqlite_path)
        if FIXTURE.exists():
            shutil.rmtree(FIXTURE)
        (FIXTURE / "audits").mkdir(parents=True)
        shutil.copyfile(settings.sqlite_path, FIXTURE / "events.sqlite")
        write_expectations(settings, today)
    print(f"wrote {FIXTURE.relative_to(REPOSITORY)}")
    return 0


@contextmanager
def counted_timestamps(today: date) -> Iterator[None]:
    """Recording timestamps one second apart from midnight of `today`, instead of the wall clock."""
    start = datetime.combine(today, time(0), tzinfo=UTC)
    count = iter(range(10**9))
    with mock.patch.object(
        CanCreateTimestamp,
        "create_timestamp",
        staticmethod(lambda: start + timedelta(seconds=next(count))),
    ):
        yield


def record(app: CaseManagement, caseload: SyntheticCaseload, today: date) -> None:
    """The synthetic caseload, a few outcome date corrections, then every VR-11 termination."""
    result = drive(app, caseload.commands())
    if result.unexpected:
        raise SystemExit(
            "the synthetic caseload did not go as planned: " + "; ".join(result.unexpected)
        )
    vr_cases = [
        plan.case_id
        for plan in caseload.plans()
        if plan.case_id not in caseload.cash_assistance_case_ids()
    ]
    corrected = 0
    for case_id in vr_cases:
        if corrected == CORRECTIONS:
            break
        corrected += correct_outcome_date(app, app.get_case(case_id))
    if corrected < CORRECTIONS:
        raise SystemExit(f"only {corrected} outcome date(s) could be corrected")
    for case_id in vr_cases:
        case = app.get_case(case_id)
        due = case.termination_date(case.governing_policy(app.policies))
        if due is None or case.terminated_on is not None:
            continue
        if due > today:
            raise SystemExit(f"{case.case_number} is not due for termination by {today}")
        app.handle(TerminateCase(case_id=case_id, terminated_on=due), DEADLINE_PROCESS)


def correct_outcome_date(app: CaseManagement, case: Case) -> int:
    """Moves the case's outcome date a day earlier, if its history allows it (1 if it did)."""
    if case.outcome_date is None:
        return 0
    last_activity = max(event.effective_on for event in app.history(case.id))
    command = CorrectOutcomeDate(
        case_id=case.id,
        corrected_outcome_date=case.outcome_date - timedelta(days=1),
        corrected_on=last_activity,
        reason="The employer's letter gives the first day of work a day earlier.",
        evidence_ref=f"DOC-{case.case_number}-employer-letter",
    )
    try:
        app.handle(command, case_worker_of(app, case))
    except DomainError:
        return 0
    return 1


def case_worker_of(app: CaseManagement, case: Case) -> Actor:
    """The actor who opened the case (its caseworker in the synthetic caseload)."""
    actor: Actor = app.history(case.id)[0].actor
    return actor


def compact(path: Path) -> None:
    """One self-contained file: the write-ahead log folded in, free pages dropped."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    with sqlite3.connect(path) as connection:
        connection.execute("VACUUM")
    connection.close()


def own_environment() -> dict[str, str]:
    """The caller's environment without the system's settings (the child gets only ours)."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("PES_", "KAFKA_", "POSTGRES_"))
    }


def write_expectations(settings: Settings, today: date) -> None:
    """What this code reads from the fixture: each case's audit (state now and as of AS_OF),
    `pes verify --source store`'s summary, and the facts the test needs."""
    app = build_case_management(settings, clock=lambda: today)
    event_types: Counter[str] = Counter()
    case_numbers = []
    try:
        for case_id in app.case_ids():
            audit = audit_of(app, case_id)
            then = state_as_of(app, case_id, AS_OF)
            (FIXTURE / "audits" / f"{audit.case_number}.json").write_text(
                audit_to_json(audit, AS_OF, then), encoding="utf-8"
            )
            case_numbers.append(audit.case_number)
            event_types.update(entry.event_type for entry in audit.entries)
    finally:
        app.close()
    verification = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "verify", "--source", "store"],
        cwd=REPOSITORY,
        env={**own_environment(), **as_environment(settings)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    (FIXTURE / "verify.txt").write_text(verification.stdout, encoding="utf-8")
    manifest = {
        "seed": SEED,
        "cases": CASES,
        "today": today.isoformat(),
        "as_of": AS_OF.isoformat(),
        "case_numbers": case_numbers,
        "event_types": dict(sorted(event_types.items())),
    }
    (FIXTURE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
