"""Closing open share-link sockets once their link is revoked or expires.

One checker per server process (per event loop) looks at every link with open sockets
with one query each CHECK_S, however many sockets each has: a class of 500 on one link
costs one query, not 500. A link that is gone (revoked, or its target deleted) closes
its sockets with REVOKED, one past its expiry with EXPIRED (docs/http-api.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.utils import timezone

from mscomm.runs.hub import per_loop
from mscomm.sharing.models import ShareLink

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


class ShareWatch:
    """The open sockets of this process by link (token hash), and the task checking them."""

    def __init__(self) -> None:
        self.sockets: dict[str, set[OnGone]] = {}
        self.task: asyncio.Task | None = None

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
            for digest, code in gone.items():
                for on_gone in list(self.sockets.pop(digest, ())):
                    try:
                        await on_gone(code)
                    except Exception:
                        log.exception("share links: closing a socket failed")


share_watch = per_loop(ShareWatch)
share_watch.__doc__ = "This event loop's watch."
