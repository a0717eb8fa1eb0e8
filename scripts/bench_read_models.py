"""Benchmark: each read model's own CPU per event, without the broker.

The synthetic caseload's events as the topic carries them (the stored Avro values) are decoded
as a rebuild decodes them and applied to a fresh store of each read model, one batch per
partition (six, by case), with the rebuild's collector threshold; beside them, every message
decoded in full as the bare consumer of `make bench` decodes it. CPU time of this process, the
median of `--runs` runs, in µs per event. What a rebuild adds to reading the topic is the
difference: kafka-python's own work is the same on both sides and is left out here.

    python -m scripts.bench_read_models [--cases 3000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from adapters.avro import AvroCodec, published_schemas
from adapters.consumer import Delivery
from adapters.event_store import AvroMapper
from application.bootstrap import READ_MODELS, REBUILD_GC_THRESHOLD, build_case_management
from application.settings import Settings
from synthetic import SyntheticCaseload, drive

PARTITIONS = 6


def topic_values(cases: int, data: Path) -> list[list[bytes]]:
    """The synthetic caseload's message values, by partition (a case's events in order)."""
    load = SyntheticCaseload(seed=9, cases=cases)
    last_day = load.last_day()
    app = build_case_management(Settings(data_dir=data), clock=lambda: last_day)
    drive(app, load.commands())
    mapper = cast(AvroMapper, app.mapper)
    partitions: list[list[bytes]] = [[] for _ in range(PARTITIONS)]
    start = 1
    while notifications := app.recorder.select_notifications(start=start, limit=1000):
        for n in notifications:
            case = UUID(str(n.originator_id))
            partitions[case.int % PARTITIONS].append(mapper.plaintext(n.state))
        start = notifications[-1].id + 1
    return partitions


def cpu_per_event(action: Callable[[], int]) -> float:
    started = time.process_time()
    count = action()
    return (time.process_time() - started) / count * 1e6


def bare_decode(partitions: list[list[bytes]], codec: AvroCodec) -> int:
    for values in partitions:
        for value in values:
            codec.decode(value)
    return sum(map(len, partitions))


def rebuild_offline(
    partitions: list[list[bytes]], name: str, mapper: AvroMapper, data: Path
) -> tuple[float, float]:
    """CPU µs per event of decoding as a rebuild decodes and of applying, for one read model."""
    store = READ_MODELS[name].open(Settings(data_dir=data))
    decode: Callable[[bytes], Any] = (
        mapper.event_from_message
        if store.reads is None
        else partial(mapper.event_or_passed_over, reads=store.reads)
    )
    decoding = applying = 0.0
    try:
        for partition, values in enumerate(partitions):
            started = time.process_time()
            deliveries = [Delivery("t", partition, o, decode(v)) for o, v in enumerate(values)]
            decoded = time.process_time()
            store.apply("t", partition, deliveries, len(values), lambda _rejected: None)
            decoding += decoded - started
            applying += time.process_time() - decoded
    finally:
        store.close()
    events = sum(map(len, partitions))
    return decoding / events * 1e6, applying / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    codec = AvroCodec(published_schemas())
    mapper = AvroMapper(codec)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        partitions = topic_values(args.cases, data / "store")
        events = sum(map(len, partitions))
        thresholds = gc.get_threshold()
        gc.set_threshold(REBUILD_GC_THRESHOLD, *thresholds[1:])
        bare = [cpu_per_event(partial(bare_decode, partitions, codec)) for _ in range(args.runs)]
        print(
            f"{events:,} events of {args.cases:,} synthetic cases; CPU µs per event, median of {args.runs}"
        )
        print(f"{'bare consumer decode (in full)':<34} {statistics.median(bare):6.2f}")
        for name in READ_MODELS:
            runs = [
                rebuild_offline(partitions, name, mapper, data / f"{name}-{run}")
                for run in range(args.runs)
            ]
            decoding = statistics.median(r[0] for r in runs)
            applying = statistics.median(r[1] for r in runs)
            print(
                f"{name:<34} decode {decoding:6.2f}   apply {applying:6.2f}   "
                f"together {decoding + applying:6.2f}"
            )
        gc.set_threshold(*thresholds)


if __name__ == "__main__":
    main()
