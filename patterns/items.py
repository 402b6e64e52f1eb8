"""The base of everything that queues for a worker (kept apart so that the modules
defining the kinds of item can all import it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .services import InstanceRT, OpRT


class Item:
    """What waits in an instance's queue for a worker and then holds one: a job (`OP`),
    the handling of an async reply (`REPLY`, messaging.py) or a poll (`POLL`,
    common_data.py). Subclasses set every attribute in their own `__init__`."""

    __slots__ = ("has_worker", "inst", "kind", "op", "t_in")

    kind: int
    op: OpRT | None
    inst: InstanceRT | None
    t_in: float
    has_worker: bool
