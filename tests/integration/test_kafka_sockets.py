"""A Kafka client closed while it is still connecting closes the connect's socket: it is not
left to the collector, whose warning would surface in unrelated code later."""

from __future__ import annotations

import errno
import gc
import select
import socket
import warnings
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listener never accepts and whose queue is full: a connect to it stays
    pending (its SYNs are dropped) until the client gives up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            queued.append(filler)
        probe = socket.socket()
        probe.setblocking(False)
        queued.append(probe)
        assert probe.connect_ex(("127.0.0.1", port)) == errno.EINPROGRESS
        _, writable, _ = select.select([], [probe], [], 0.3)
        assert not writable, "the listener's queue took one more connection"
        yield port
    finally:
        for sock in queued:
            sock.close()
        listener.close()


def test_a_client_closed_during_a_pending_connect_closes_its_socket(
    unanswered_port: int,
) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        consumer = KafkaConsumer(
            bootstrap_servers=f"127.0.0.1:{unanswered_port}",
            api_version=(2, 8),
            enable_auto_commit=False,
        )
        consumer.poll(timeout_ms=300)
        consumer.close()
        del consumer
        gc.collect()
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
