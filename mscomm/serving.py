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
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 10)


def tune_gc() -> None:
    """Set the collector's thresholds and freeze what the process holds now."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()


def tune_server() -> None:
    """Everything above, for the web process once the application is loaded."""
    try:
        import autobahn.util
    except ImportError:  # not daphne's protocol: nothing to switch off
        pass
    else:
        autobahn.util._HAS_CLICK = False
    tune_gc()
