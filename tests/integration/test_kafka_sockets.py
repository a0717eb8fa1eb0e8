"""A Kafka client closed while it is still connecting closes the connect's socket: it is not
left to the collector, whose warning would surface in unrelated code later."""

from __future__ import annotations

import errno
import select
import socket
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer
from kafka.net.inet import KafkaNetSocket
from kafka.net.transport import KafkaTCPTransport


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


@pytest.fixture
def made_sockets(monkeypatch: pytest.MonkeyPatch) -> list[socket.socket]:
    """Every socket a Kafka client makes during the test."""
    made: list[socket.socket] = []
    make = KafkaNetSocket.socket

    def recorded(self: KafkaNetSocket, *args: object) -> socket.socket:
        made.append(make(self, *args))
        return made[-1]

    monkeypatch.setattr(KafkaNetSocket, "socket", recorded)
    return made


def closed_client(port: int) -> None:
    """A consumer of the broker at `port` that tries for 0.3 s, then is closed."""
    consumer = KafkaConsumer(
        bootstrap_servers=f"127.0.0.1:{port}", api_version=(2, 8), enable_auto_commit=False
    )
    consumer.poll(timeout_ms=300)
    consumer.close()


def test_a_client_closed_during_a_pending_connect_closes_its_socket(
    unanswered_port: int, made_sockets: list[socket.socket]
) -> None:
    closed_client(unanswered_port)

    assert made_sockets
    assert [sock for sock in made_sockets if sock.fileno() != -1] == []


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener never accepts, with room in its queue: a connect to it completes
    (the kernel accepts it) and then no answer ever comes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_closed_client_closes_every_socket_it_connected_even_one_its_connection_kept(
    silent_port: int, made_sockets: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if kafka-python's connection forgot to close its socket on the way out (one path
    # that does: a connection closed with a request still buffered).
    monkeypatch.setattr(KafkaTCPTransport, "_close", lambda self, error=None: None)

    closed_client(silent_port)

    assert made_sockets
    assert [sock for sock in made_sockets if sock.fileno() != -1] == []
