"""A shared run's websocket: the run websocket, reached by token, for watching only."""

from __future__ import annotations

from typing import Any

from mscomm.runs.consumers import RunConsumer
from mscomm.runs.models import Run
from mscomm.sharing.selectors import run_for_holder, token_hash
from mscomm.sharing.watch import share_watch


class SharedRunConsumer(RunConsumer):
    """`/ws/shares/<token>/?since=N`: frames and run states without the owner's ids.

    Every control is refused. Open sockets close once the link is revoked or expires.
    Routed without the session middleware: a link's socket is the same for everyone.
    """

    # Whoever holds a link only watches, even the run's owner (who has the run's page).
    may_control = False

    async def connect(self) -> None:
        self.digest: str | None = None
        await super().connect()

    async def find_run(self) -> Run | None:
        token = self.scope["url_route"]["kwargs"]["token"]
        watch = share_watch()
        run = await watch.shared_run(token)
        if run is not None:
            self.digest = token_hash(token)
            watch.add(self.digest, self._link_gone)
        return run

    def show_run(self, run: dict[str, Any]) -> dict[str, Any]:
        return run_for_holder(run)

    async def _link_gone(self, code: int) -> None:
        self.digest = None  # the watch has let go of us already
        await self.close(code=code)
        await self._stop_reader()

    async def disconnect(self, code: int) -> None:
        if self.digest is not None:
            share_watch().discard(self.digest, self._link_gone)
        await super().disconnect(code)
