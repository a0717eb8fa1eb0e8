"""Every socket a Kafka client connects is closed when the client is closed.

kafka-python 3.0 leaves some of a closed client's sockets to the garbage collector: a connect
still pending when the client closes is cancelled and its socket dropped unclosed, and a
connection closed with a request still buffered waits for a write that never comes once the
client's network loop has stopped. The descriptor then stays open until a later collection,
which warns (`ResourceWarning: unclosed <socket.socket ...>`) in whatever code happens to be
running.

So each client's network loop (`NetworkSelector`) remembers the sockets it connects, and
closing it closes those still open; a connect that ends without handing its socket over
(failure, timeout, cancellation) closes the socket at once.
"""

from __future__ import annotations

import socket
import threading
import weakref
from typing import Any

from kafka.net.inet import KafkaNetSocket
from kafka.net.selector import NetworkSelector

_MARK = "closes_its_sockets"
_lock = threading.Lock()
_sockets_of: weakref.WeakKeyDictionary[Any, weakref.WeakSet[socket.socket]] = (
    weakref.WeakKeyDictionary()
)


def close_sockets_with_their_client() -> None:
    """Installs both: a connect closes its socket if it ends without handing it over, and a
    client's network loop closes, when it closes, every socket it connected. Idempotent."""
    connect = KafkaNetSocket.sock_connect
    if getattr(connect, _MARK, False):
        return
    close = NetworkSelector.close

    async def sock_connect(self: Any, net: Any, sock: Any, sockaddr: Any, timeout_at: Any = None):
        with _lock:
            _sockets_of.setdefault(net, weakref.WeakSet()).add(sock)
        try:
            return await connect(self, net, sock, sockaddr, timeout_at=timeout_at)
        except BaseException:
            sock.close()
            raise

    def close_with_sockets(self: Any) -> None:
        try:
            close(self)
        finally:
            with _lock:
                connected = list(_sockets_of.pop(self, ()))
            for sock in connected:
                sock.close()

    setattr(sock_connect, _MARK, True)
    KafkaNetSocket.sock_connect = sock_connect
    NetworkSelector.close = close_with_sockets
