"""A shared run's websocket: the run websocket, reached by token, for watching only."""

from __future__ import annotations

from channels.db import database_sync_to_async

from mscomm.errors import NotFound
from mscomm.runs.consumers import RunConsumer
from mscomm.sharing.selectors import share_resolve


@database_sync_to_async
def _shared_run_id(token: str) -> str | None:
    try:
        share = share_resolve(token=token)
    except NotFound:
        return None
    return str(share.run_id) if share.run_id else None


class SharedRunConsumer(RunConsumer):
    """`/ws/shares/<token>/?since=N`: frames and run states; every control is refused."""

    async def connect(self) -> None:
        self.reader = None
        self.redis = None
        run_id = await _shared_run_id(self.scope["url_route"]["kwargs"]["token"])
        if run_id is None:
            await self.close(code=4404)
            return
        self.scope["url_route"]["kwargs"]["run_id"] = run_id
        await super().connect()
        # Whoever holds a link only watches, even the run's owner (who has the run's page).
        self.owner = False
