"""The web process, tuned for fanning frames out to hundreds of sockets.

A class of 500 on one share link at 20 frames a second is 10,000 websocket messages a
second from one event loop (docs/hardening.md, "A class on one share link"). Two
things the libraries do by default cost that loop more than they should:

- Python's garbage collector. The objects in flight during one frame's fan-out (tasks,
  messages, write buffers) outlive the youngest generation (700 allocations by default),
  so they are promoted and pile up in the oldest one, whose full collections walk every
  object of the process, the viewers' sockets included, and pause the loop for 100 ms
  and more every few seconds. A larger youngest generation lets them die young, and what
  start-up loaded (Django, the app, the libraries) is frozen out of every collection,
  since it lives as long as the process. Unreachable cycles are still collected, only
  less often.
- Autobahn (daphne's websocket protocol) colours the arguments of its debug log lines
  with click before it knows whether debug logging is on: for every message sent. It
  skips the colouring when click is not installed; click is (Celery needs it), so it is
  switched off here, which changes nothing but the colours of autobahn's debug lines.
- Twisted's TCP writes. A write is buffered, the socket registered with the event loop
  for writing, sent on the loop's next turn and unregistered: two `epoll_ctl` calls and
  a turn of the loop per websocket message, a sixth of daphne's time in a class's
  fan-out. With nothing buffered, a write is now sent at once, as asyncio's own
  transports do; what the socket does not take (or an error) goes the buffered way, so
  order, flow control and the loss of a connection are Twisted's as before.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 10)


def tune_gc() -> None:
    """Set the collector's thresholds and freeze what the process holds now."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


def eager_tcp_writes() -> bool:
    """Send a plain TCP write at once when nothing is buffered before it (above).

    False, and Twisted left as it is, when its connections lack what this relies on.
    """
    try:
        from twisted.internet import abstract, tcp
    except ImportError:
        return False
    # Its buffer's parts: class attributes, or set by the constructor.
    made = abstract.FileDescriptor.__init__.__code__.co_names
    needed = ("dataBuffer", "offset", "_tempDataLen", "_writeDisconnected", "disconnecting")
    if not all(hasattr(abstract.FileDescriptor, name) or name in made for name in needed):
        return False
    buffered = tcp.Connection.write
    if getattr(buffered, "eager", False):
        return True

    def write(self, data: bytes) -> None:
        if (
            type(data) is bytes
            and data
            and not self.TLS  # TLS writes go through its own layer, untouched
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._tempDataLen
            and self.offset == len(self.dataBuffer)
        ):
            try:
                sent = self.socket.send(data)
            except OSError:  # would block, or broken: the buffered write finds out
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        buffered(self, data)

    write.eager = True  # type: ignore[attr-defined]
    write.__doc__ = buffered.__doc__
    tcp.Connection.write = write
    return True


def tune_server() -> None:
    """Everything above, for the web process once the application is loaded."""
    try:
        import autobahn.util
    except ImportError:  # not daphne's protocol: nothing to switch off
        pass
    else:
        autobahn.util._HAS_CLICK = False
    eager_tcp_writes()
    tune_gc()
