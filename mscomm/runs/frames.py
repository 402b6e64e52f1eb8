"""Building frames from the core's trace events and state snapshot."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

MAX_EVENTS_PER_FRAME = 500


class FrameBuilder:
    """Collects trace events (as the observer) and turns them into numbered frames."""

    def __init__(self, max_events: int = MAX_EVENTS_PER_FRAME) -> None:
        self.max_events = max_events
        self.pending: list[dict] = []
        self.seq = 0
        self.told = 0  # incidents already in a frame

    def observe(self, event: dict) -> None:
        """The observer handed to `patterns.Simulation`."""
        self.pending.append(event)

    def build(self, *, t: float, state: dict, incidents: list[dict] | None = None) -> dict:
        """The next frame: events since the last one (evenly sampled), exact counts, and
        the incidents found since the last one (`incidents` is the run's whole list so far,
        so each frame carries those whose t falls in it)."""
        found = incidents or []
        new = found[self.told :]
        self.told = len(found)
        events = self.pending
        self.pending = []
        self.seq += 1
        counts = Counter(event["kind"] for event in events)
        sampled = len(events) > self.max_events
        if sampled:
            # An even stride keeps the picture's shape and is the same on every replay.
            stride = len(events) / self.max_events
            events = [events[int(i * stride)] for i in range(self.max_events)]
        return {
            "seq": self.seq,
            "t": t,
            # Wall-clock publish time (Unix s): viewers can see how far behind they are.
            "sent_at": time.time(),
            "events": events,
            "counts": dict(counts),
            "sampled": sampled,
            "state": state,
            "incidents": new,
        }


def state_key(state: dict[str, Any]) -> dict[str, Any]:
    """The state without its clock: equal keys mean nothing visible changed."""
    return {key: value for key, value in state.items() if key != "t"}
