"""A client closed while one of its connects is still pending must not leave the connect's
socket to the garbage collector.

kafka-python 3.0 makes a socket, then waits for it to become writable; if the client is closed
during that wait, the connect's coroutine is cancelled and the socket is dropped unclosed. The
descriptor stays open until a later collection, which warns (`ResourceWarning: unclosed
<socket.socket ...>`) in whatever code happens to be running then."""

from __future__ import annotations

from typing import Any

from kafka.net.inet import KafkaNetSocket

_MARK = "closes_its_socket_however_it_ends"


def close_sockets_of_abandoned_connects() -> None:
    """Make every connect close its socket when it ends without handing the socket over:
    on failure, timeout or cancellation. Idempotent."""
    original = KafkaNetSocket.sock_connect
    if getattr(original, _MARK, False):
        return

    async def sock_connect(self: Any, net: Any, sock: Any, sockaddr: Any, timeout_at: Any = None):
        try:
            return await original(self, net, sock, sockaddr, timeout_at=timeout_at)
        except BaseException:
            sock.close()
            raise

    setattr(sock_connect, _MARK, True)
    KafkaNetSocket.sock_connect = sock_connect
