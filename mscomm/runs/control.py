"""The control vocabulary of a run: pause, resume, speed, inject, stop, cancel.

Defined, parsed and validated here only. The owner's websocket (`consumers`) parses what
a browser sends with `control_parse`; `services.run_cancel` sends `cancel` (the API's
cancel, not a socket message); the worker (`executor.apply_controls`) reads the queue
back with `control_decode`. On the way between them a control is its `message()`, JSON
in the run's Redis list (`stream.control_push`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SPEED_MIN = 0.001
SPEED_MAX = 100.0
MAX_CHARS = 10_000  # a control message as JSON, faults included


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    SPEED = "speed"  # with "speed": simulated seconds per wall second
    INJECT = "inject"  # with "fault": a fault object (validated by the core when applied)
    STOP = "stop"  # end now; the run succeeds with what it has
    CANCEL = "cancel"  # end now; the run is cancelled


# What an owner may send over the run's websocket; cancel is the API's (POST .../cancel).
SOCKET_ACTIONS = frozenset(Action) - {Action.CANCEL}


class ControlError(ValueError):
    """A malformed control message; the text says what a good one looks like."""


@dataclass(frozen=True)
class Control:
    """One parsed control message."""

    action: Action
    speed: float | None = None
    fault: dict | None = None

    def message(self) -> dict[str, Any]:
        """The message as it travels to the worker (and as it was sent)."""
        message: dict[str, Any] = {"action": str(self.action)}
        if self.action is Action.SPEED:
            message["speed"] = self.speed
        elif self.action is Action.INJECT:
            message["fault"] = self.fault
        return message


def control_parse(content: Any, *, allowed: frozenset[Action] = SOCKET_ACTIONS) -> Control:
    """The control in a decoded JSON message, or `ControlError` saying why it is refused."""
    names = sorted(str(action) for action in allowed)
    if not isinstance(content, dict) or content.get("action") not in names:
        raise ControlError(f'a control message is {{"action": one of {names}}}')
    action = Action(content["action"])
    speed = fault = None
    if action is Action.SPEED:
        speed = content.get("speed")
        number = isinstance(speed, (int, float)) and not isinstance(speed, bool)
        if not number or not math.isfinite(speed) or not SPEED_MIN <= speed <= SPEED_MAX:
            raise ControlError(f"speed must be a number in {SPEED_MIN}..{SPEED_MAX}")
        speed = float(speed)
    if action is Action.INJECT:
        fault = content.get("fault")
        if not isinstance(fault, dict):
            raise ControlError("inject needs a fault object")
    if len(json.dumps(content)) > MAX_CHARS:
        raise ControlError("control message too large")
    return Control(action, speed=speed, fault=fault)


def control_decode(message: Any) -> Control | None:
    """A queued message read back by the worker; None for one that does not parse."""
    try:
        return control_parse(message, allowed=frozenset(Action))
    except (ControlError, ValueError, TypeError):
        return None
