"""A shared run's websocket: the run websocket, reached by token, for watching only."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from mscomm.errors import NotFound
from mscomm.runs.consumers import LIGHT, RunConsumer
from mscomm.runs.models import Run
from mscomm.sharing.selectors import run_for_holder, share_resolve, token_hash
from mscomm.sharing.watch import share_watch


@database_sync_to_async
def _shared_run(token: str) -> Run | None:
    try:
        share = share_resolve(token=token)
    except NotFound:
        return None
    if not share.run_id:
        return None
    return Run.objects.defer(*LIGHT).get(id=share.run_id)


class SharedRunConsumer(RunConsumer):
    """`/ws/shares/<token>/?since=N`: frames and run states without the owner's ids.

    Every control is refused. Open sockets close once the link is revoked or expires.
    """

    # Whoever holds a link only watches, even the run's owner (who has the run's page).
    may_control = False

    async def connect(self) -> None:
        self.digest: str | None = None
        await super().connect()

    async def find_run(self) -> Run | None:
        token = self.scope["url_route"]["kwargs"]["token"]
        run = await _shared_run(token)
        if run is not None:
            self.digest = token_hash(token)
            share_watch().add(self.digest, self._link_gone)
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
