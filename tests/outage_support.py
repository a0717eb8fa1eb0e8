"""For tests that take the broker away: a broker of their own, `pes` child processes, and the
check that the topic holds the event store's events."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import IO, cast

from prometheus_client.parser import text_string_to_metric_families

from adapters.avro import AvroCodec, published_schemas
from adapters.event_store import AvroMapper
from adapters.relay import position_name
from application.bootstrap import build_case_management, build_tracking_recorder
from application.settings import Settings, as_environment
from tests.topic_reader import read_topic

REPOSITORY = Path(__file__).resolve().parents[1]

DELIVERY_TIMEOUT_SECONDS = 4
"""The producers' delivery timeout in these tests: outages last well past it."""

Pair = tuple[str, int]
"""(case id, case version): one event."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def relay_position(settings: Settings) -> int:
    """The last notification the relay to the settings' topic has recorded as published."""
    tracking = build_tracking_recorder(settings, "relay")
    return tracking.max_tracking_id(position_name(settings.case_events_topic)) or 0


def pes_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `pes` child process with these settings (none of the caller's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PES_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.update(as_environment(settings))
    env["PES_KAFKA_DELIVERY_TIMEOUT_SECONDS"] = str(DELIVERY_TIMEOUT_SECONDS)
    env.update(extra)
    return env


def start_pes(env: dict[str, str], log: IO[bytes], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=REPOSITORY,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def metric(port: int, name: str, **labels: str) -> float | None:
    """The sample `name` with `labels` of a process's `/metrics` (None if absent or the process
    does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def stored_events(settings: Settings) -> dict[Pair, bytes]:
    """Every event in the event store: its Avro value, as the relay publishes it."""
    app = build_case_management(settings)
    mapper = cast(AvroMapper, app.mapper)
    events: dict[Pair, bytes] = {}
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=1000):
        for n in page:
            events[(str(n.originator_id), n.originator_version)] = mapper.plaintext(n.state)
        start = page[-1].id + 1
    app.close()
    return events


def published_events(settings: Settings) -> dict[Pair, list[bytes]]:
    """Every copy of every event on the case event topic."""
    codec = AvroCodec(published_schemas())
    copies: dict[Pair, list[bytes]] = defaultdict(list)
    for message in read_topic(settings.kafka_bootstrap_servers or "", settings.case_events_topic):
        record = codec.decode(message.value).record
        copies[(str(record["case_id"]), record["case_version"])].append(message.value)
    return copies


def assert_the_topic_holds_the_store(settings: Settings) -> int:
    """Every stored event is on the topic, byte for byte, and nothing else (repeats allowed);
    returns how many repeats there were."""
    stored = stored_events(settings)
    published = published_events(settings)
    assert set(published) == set(stored), (
        f"missing from the topic: {sorted(set(stored) - set(published))[:5]}, "
        f"not in the store: {sorted(set(published) - set(stored))[:5]}"
    )
    differing = [pair for pair, copies in published.items() if set(copies) != {stored[pair]}]
    assert differing == [], f"copies that differ from the store: {differing[:5]}"
    return sum(len(copies) - 1 for copies in published.values())
