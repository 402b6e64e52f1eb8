"""Twisted's TCP writes as daphne makes them once `mscomm.serving` has tuned them, on a
real reactor and real sockets (run as a process of its own: a reactor runs once).

    python -m tests.web.eager_writes_probe [--buffered]

Prints one JSON object: whether a small write left the socket registered for writing
(a buffered write does, an eager one has sent it already), whether every byte of a
stream of small and large writes arrived in order, and whether a peer that hung up
ended the connection cleanly (connectionLost, nothing logged as an error).
`--buffered` leaves Twisted as it is, for comparison.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading

from twisted.internet import asyncioreactor

asyncioreactor.install()  # daphne's reactor

from twisted.internet import protocol, reactor  # noqa: E402
from twisted.python import log  # noqa: E402

from mscomm.serving import eager_tcp_writes  # noqa: E402

# Small and large writes mixed: a 4 MB one fills the socket's buffer, so what follows it
# is written while data waits, and must still arrive after it.
CHUNKS = [
    b"a" * 100,
    b"b" * 16_000,
    bytes(range(256)) * 16_384,
    b"c" * 200,
    b"d" * 70_000,
    b"e" * 10,
]
errors: list[str] = []
found: dict[str, object] = {}


def _on_log(event: dict) -> None:
    if event.get("isError"):
        errors.append(str(event.get("log_text") or event.get("failure") or event))


class Talker(protocol.Protocol):
    def connectionMade(self) -> None:
        if self.factory.mode == "stream":
            self.transport.write(CHUNKS[0])
            found["registered_after_small_write"] = self.transport in reactor.getWriters()
            for chunk in CHUNKS[1:]:
                self.transport.write(chunk)
            self.transport.loseConnection()
        else:  # the peer hangs up: keep writing until the connection is lost
            # Not reading, the reactor learns of the reset only from a failing send.
            self.transport.stopReading()
            self.writes = 0
            self._again()

    def _again(self) -> None:
        if self.transport.connected and self.writes < 2000:
            self.writes += 1
            self.transport.write(b"x" * 1000)
            reactor.callLater(0.005, self._again)

    def connectionLost(self, reason) -> None:
        if self.factory.mode == "hangup":
            found["hangup_lost"] = reason.type.__name__
            found["hangup_writes"] = self.writes
            reactor.callLater(0.1, reactor.stop)


def _read_all(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as client:
        chunks = []
        while data := client.recv(65536):
            chunks.append(data)
    received = b"".join(chunks)
    found["stream_intact"] = received == b"".join(CHUNKS)
    found["stream_bytes"] = len(received)
    found["stream_sha"] = hashlib.sha256(received).hexdigest()[:12]


def _hang_up(port: int) -> None:
    client = socket.create_connection(("127.0.0.1", port))
    client.recv(100)
    # A reset rather than an orderly close: later sends fail at once.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    client.close()


def main() -> None:
    found["eager"] = "--buffered" not in sys.argv and eager_tcp_writes()
    log.addObserver(_on_log)
    factory = protocol.Factory.forProtocol(Talker)
    factory.mode = "stream"
    listening = reactor.listenTCP(0, factory, interface="127.0.0.1")
    port = listening.getHost().port

    def stream_then_hangup() -> None:
        reader = threading.Thread(target=_read_all, args=(port,))
        reader.start()

        def after_stream() -> None:
            if reader.is_alive():
                reactor.callLater(0.05, after_stream)
                return
            factory.mode = "hangup"
            threading.Thread(target=_hang_up, args=(port,)).start()

        reactor.callLater(0.05, after_stream)

    reactor.callWhenRunning(stream_then_hangup)
    reactor.callLater(20, reactor.stop)  # a probe that hangs still ends
    reactor.run()
    found["errors"] = errors
    print(json.dumps(found))


if __name__ == "__main__":
    main()
