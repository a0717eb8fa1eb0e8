"""Benchmark: policy replay of a large event store and its refusal records under three
candidates, beside reading and decoding the events raw.

The store is filled by recording a synthetic caseload through the application once (its
refused commands kept as decision records, as the application keeps them), then copying its
stored events and refusal records under new case ids (re-encoded, so every copy is a valid
history) until it holds the number of events asked for. The replay runs as `pes replay` in a
child process, so its elapsed time and peak RSS are its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import StoredEvent

from adapters.avro import AvroCodec, published_schemas
from application.bootstrap import build_case_management, build_refusal_records
from application.refusals import RefusalRecords
from application.settings import Settings, as_environment
from domain.base import event_id
from domain.refusals import CommandRefused
from synthetic import SyntheticCaseload, drive

REPOSITORY = Path(__file__).resolve().parents[1]
CANDIDATES = [
    REPOSITORY / "docs" / "replay" / name
    for name in ("wider-window.json", "two-month-services.json", "longer-training-window.json")
]


def fill_event_store(settings: Settings, events: int, seed_cases: int = 2000) -> tuple[int, int]:
    """Events and refusal records recorded: the seed caseload's, then whole copies of it."""
    load = SyntheticCaseload(seed=3, cases=seed_cases)
    last_day = load.last_day()  # its whole history is recorded, whatever today is
    app = build_case_management(settings, clock=lambda: last_day)
    drive(app, load.commands())
    codec = AvroCodec(published_schemas())
    seed = app.recorder.select_notifications(1, 10_000_000)
    decoded = [(n, codec.decode(n.state, upgrade=False)) for n in seed]
    records = build_refusal_records(settings)
    mapper = records.refusal_mapper
    refusals = [
        cast(CommandRefused, mapper.to_domain_event(n))
        for n in records.recorder.select_notifications(1, 10_000_000)
    ]
    recorded, refused = len(seed), len(refusals)
    copy = 0
    while recorded < events:
        copy += 1
        if recorded + len(seed) <= events:  # a whole copy of the cases: their refusals too
            refused += _copy_refusals(records, refusals, copy)
        batch: list[StoredEvent] = []
        for notification, event in decoded:
            case_id = _copied_case_id(event.record["case_id"], copy)
            record = {
                **event.record,
                "case_id": case_id,
                "event_id": event_id(case_id, event.record["case_version"]),
            }
            if event.event_type == "CaseOpened":
                record["case_number"] = f"{record['case_number']}-C{copy}"
            batch.append(
                StoredEvent(
                    originator_id=case_id,
                    originator_version=notification.originator_version,
                    topic=notification.topic,
                    state=codec.encode(event.event_type, event.writer_version, record),
                )
            )
            if len(batch) == 5000 or recorded + len(batch) >= events:
                app.recorder.insert_events(batch)
                recorded += len(batch)
                batch = []
                if recorded >= events:
                    break
        if batch:
            app.recorder.insert_events(batch)
            recorded += len(batch)
    records.close()
    return recorded, refused


def _copied_case_id(case_id: object, copy: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:pes:bench:{case_id}:{copy}")


def _copy_refusals(records: RefusalRecords, refusals: list[CommandRefused], copy: int) -> int:
    mapper = records.refusal_mapper
    copied = [
        mapper.to_stored_event(
            r.model_copy(
                update={
                    "originator_id": _copied_case_id(r.originator_id, copy),
                    "case_number": f"{r.case_number}-C{copy}" if r.case_number else None,
                }
            )
        )
        for r in refusals
    ]
    records.recorder.insert_events(copied)
    return len(copied)


def bench_replay(events: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory))
        start = time.perf_counter()
        recorded, refused = fill_event_store(settings, events)
        print(
            f"replay: filled an event store with {recorded:,} events and {refused:,} refusal "
            f"records in {time.perf_counter() - start:.0f} s"
        )

        app = build_case_management(settings)
        codec = AvroCodec(published_schemas())

        def read_and_decode_everything() -> int:
            decoded, start_id = 0, 1
            while page := app.recorder.select_notifications(start_id, 5000):
                for notification in page:
                    codec.decode(notification.state)
                decoded += len(page)
                start_id = page[-1].id + 1
            return decoded

        start = time.perf_counter()
        raw = read_and_decode_everything()
        raw_seconds = time.perf_counter() - start

        start = time.perf_counter()
        subprocess.run(
            [
                *(sys.executable, "-m", "scripts.cli", "replay"),
                *(str(candidate) for candidate in CANDIDATES),
                *("--out", str(Path(directory) / "out")),
            ],
            cwd=REPOSITORY,
            env={**os.environ, **as_environment(settings)},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"{'replay (pes replay, 3 candidates)':<34} {recorded / seconds:>11,.0f}/s   "
            f"{'raw read + decode every event':<30} {raw / raw_seconds:>11,.0f}/s   "
            f"ratio {raw_seconds / seconds:5.2f}"
        )
        print(
            f"{'':<34} ({recorded:,} events and {refused:,} refusals in {seconds:.1f} s, "
            "target <= 60 s; "
            f"peak RSS {peak_kib / 1024:,.0f} MiB, target <= 1,024 MiB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    bench_replay(parser.parse_args().events)


if __name__ == "__main__":
    main()
