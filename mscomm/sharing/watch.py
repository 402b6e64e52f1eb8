"""Share-link sockets of one server process: opening them, and closing them once their
link is revoked or expires.

One checker per process (per event loop) looks at every link with open sockets with one
query each CHECK_S, however many sockets each has: a class of 500 on one link costs one
query, not 500. A link that is gone (revoked, or its target deleted) closes its sockets
with REVOKED, one past its expiry with EXPIRED (docs/http-api.md). Opening is shared in
the same way: the sockets of a class arriving together wait for one lookup of the link
and its run, and a lookup is reused for CHECK_S (the checker closes what it let in if
the link died meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.utils import timezone

from mscomm.errors import NotFound
from mscomm.runs.consumers import LIGHT
from mscomm.runs.hub import per_loop
from mscomm.runs.models import Run
from mscomm.sharing.models import ShareLink
from mscomm.sharing.selectors import share_resolve, token_hash

log = logging.getLogger(__name__)

CHECK_S = 0.5
REVOKED = 4410
EXPIRED = 4411

OnGone = Callable[[int], Awaitable[None]]


@database_sync_to_async
def _gone(hashes: list[str]) -> dict[str, int]:
    """The close code of each of these links that no longer opens."""
    now = timezone.now()
    rows = dict(
        ShareLink.objects.filter(token_hash__in=hashes).values_list("token_hash", "expires_at")
    )
    gone = {}
    for digest in hashes:
        if digest not in rows:
            gone[digest] = REVOKED
        elif rows[digest] is not None and rows[digest] <= now:
            gone[digest] = EXPIRED
    return gone


@database_sync_to_async
def _shared_run(token: str) -> Run | None:
    try:
        # One query for link and run, without the run's heavy columns.
        share = share_resolve(token=token, defer=tuple(f"run__{field}" for field in LIGHT))
    except NotFound:
        return None
    return share.run if share.run_id else None


class ShareWatch:
    """The open sockets of this process by link (token hash), and the task checking them."""

    def __init__(self) -> None:
        self.sockets: dict[str, set[OnGone]] = {}
        self.task: asyncio.Task | None = None
        # Lookups of live links: in flight, and done (the run, and when it was looked up).
        self.looking: dict[str, asyncio.Future] = {}
        self.found: dict[str, tuple[Run, float]] = {}

    async def shared_run(self, token: str) -> Run | None:
        """The run a live link opens (None: unknown, revoked, expired or a scenario's)."""
        digest = token_hash(token)
        now = time.monotonic()
        known = self.found.get(digest)
        if known is not None and now - known[1] < CHECK_S:
            return known[0]
        lookup = self.looking.get(digest)
        if lookup is None:
            lookup = self.looking[digest] = asyncio.ensure_future(_shared_run(token))
            lookup.add_done_callback(lambda done: self._looked_up(digest, done, now))
        # Shielded: one caller giving up (its client left) does not cancel the others'.
        return await asyncio.shield(lookup)

    def _looked_up(self, digest: str, lookup: asyncio.Future, at: float) -> None:
        self.looking.pop(digest, None)
        # Only live links are kept (made-up tokens must not fill the table), briefly.
        self.found = {d: hit for d, hit in self.found.items() if at - hit[1] < CHECK_S}
        if not lookup.cancelled() and lookup.exception() is None and lookup.result():
            self.found[digest] = (lookup.result(), at)

    def add(self, digest: str, on_gone: OnGone) -> None:
        """Call `on_gone(code)` once the link stops opening (until `discard`)."""
        self.sockets.setdefault(digest, set()).add(on_gone)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._loop())

    def discard(self, digest: str, on_gone: OnGone) -> None:
        waiting = self.sockets.get(digest)
        if waiting is not None:
            waiting.discard(on_gone)
            if not waiting:
                del self.sockets[digest]

    async def _loop(self) -> None:
        while self.sockets:
            await asyncio.sleep(CHECK_S)
            try:
                gone = await _gone(list(self.sockets))
            except Exception:  # a database hiccup: look again next time
                log.exception("share links: checking open links failed")
                continue
            closing = []
            for digest, code in gone.items():
                self.found.pop(digest, None)
                closing += [on_gone(code) for on_gone in self.sockets.pop(digest, ())]
            # All at once: one after another, each close waits for its reader to stop,
            # which takes a turn of a loop busy with the other viewers' frames (a class
            # of 500 then took seconds to close on a loaded machine).
            for outcome in await asyncio.gather(*closing, return_exceptions=True):
                if isinstance(outcome, Exception):
                    log.error("share links: closing a socket failed", exc_info=outcome)


share_watch = per_loop(ShareWatch)
share_watch.__doc__ = "This event loop's watch."
