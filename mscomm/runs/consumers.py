"""The run websocket: stored frames from `since`, then live ones; owners may control."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from mscomm.accounts.services import SESSION_KEY
from mscomm.runs import stream
from mscomm.runs.hub import OVERFLOW, cancel_requested, entry_id_key, hub
from mscomm.runs.models import Run
from mscomm.runs.selectors import run_public
from mscomm.runs.services import SPEED_MAX, SPEED_MIN, run_control

log = logging.getLogger(__name__)

READ_BLOCK_MS = 5000
ACTIONS = {"pause", "resume", "speed", "inject", "stop"}


@database_sync_to_async
def _load(run_id: uuid.UUID, scope: dict) -> tuple[Run | None, bool]:
    """The run (without its heavy columns) and whether the connection's owner owns it."""
    run = Run.objects.filter(id=run_id).select_related("workspace").defer("doc", "result").first()
    if run is None:
        return None, False
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        return run, run.workspace.user_id == user.id
    session = scope.get("session")
    visitor = session.get(SESSION_KEY) if session is not None else None
    return run, run.workspace.user_id is None and visitor == str(run.workspace_id)


@database_sync_to_async
def _refresh(run_id: uuid.UUID) -> Run:
    return Run.objects.defer("doc", "result").get(id=run_id)


@database_sync_to_async
def _control(run: Run, message: dict) -> None:
    run_control(run=run, message=message)


class RunConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/runs/<id>/?since=N`: one reader task per connection on the run's stream."""

    async def connect(self) -> None:
        self.reader: asyncio.Task | None = None
        try:
            self.run_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["run_id"]))
            query = parse_qs(self.scope.get("query_string", b"").decode())
            self.since = max(0, int(query.get("since", ["0"])[0]))
        except (ValueError, KeyError):
            await self.close(code=4400)
            return
        run, self.owner = await _load(self.run_id, self.scope)
        if run is None:
            await self.close(code=4404)
            return
        self.run = run
        await self.accept()
        await self.send_json({"type": "run", "run": run_public(run)})
        self.reader = asyncio.create_task(self._pump())

    async def disconnect(self, code: int) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader

    async def _send_frame(self, seq: int, text: str) -> None:
        # Frames pass through as the worker encoded them: no parsing per viewer.
        if seq > self.since:
            await self.send(text_data=f'{{"type":"frame","frame":{text}}}')
            self.since = seq

    async def _finish_from_log(self) -> None:
        run = await _refresh(self.run_id)
        since = self.since
        lines = await asyncio.to_thread(
            stream.frame_log_lines, run.frame_log, since=since, limit=None
        )
        for offset, line in enumerate(lines, start=since + 1):
            await self._send_frame(offset, line)

    async def _deliver(self, entry_id: str, fields: dict) -> bool:
        """Send one stream entry; True once it was the run's final state."""
        if fields["k"] == stream.FRAME:
            await self._send_frame(stream.entry_seq(entry_id), fields["d"])
            return False
        payload = json.loads(fields["d"])
        await self.send_json({"type": "run", "run": payload})
        return payload["state"] not in ("queued", "running")

    async def _pump(self) -> None:
        """Send every frame after `since` in order, until the run's final state."""
        run_hub = hub()
        run_id = str(self.run_id)
        queue = None
        try:
            if self.run.finished:
                await self._finish_from_log()
                # As for a live run, the last message is the run's final state.
                await self.send_json({"type": "run", "run": run_public(self.run)})
                return
            last_id = f"{self.since}-0"
            while True:
                # Subscribe first, then catch up: together they leave no gap (hub.py).
                queue = await run_hub.subscribe(run_id)
                for entry_id, fields in await run_hub.catch_up(run_id, last_id):
                    last_id = entry_id
                    if await self._deliver(entry_id, fields):
                        return
                while True:
                    if cancel_requested():  # a cancel the Redis client swallowed (hub.py)
                        raise asyncio.CancelledError
                    try:
                        item = await asyncio.wait_for(queue.get(), READ_BLOCK_MS / 1000)
                    except TimeoutError:
                        # Quiet for a while: the run may have ended with its stream gone.
                        run = await _refresh(self.run_id)
                        if run.finished and not await run_hub.catch_up(run_id, last_id):
                            await self._finish_from_log()
                            await self.send_json({"type": "run", "run": run_public(run)})
                            return
                        continue
                    if item is OVERFLOW:
                        break  # too far behind: catch up from the stream again
                    entry_id, fields = item
                    if entry_id_key(entry_id) <= entry_id_key(last_id):
                        continue  # already sent by the catch-up
                    last_id = entry_id
                    if await self._deliver(entry_id, fields):
                        return
                run_hub.unsubscribe(run_id, queue)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %s: websocket reader failed", self.run_id)
            await self.close(code=1011)
        finally:
            if queue is not None:
                run_hub.unsubscribe(run_id, queue)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.owner:
            await self.send_json({"type": "error", "detail": "only the run's owner may control it"})
            return
        problem = _control_problem(content)
        if problem:
            await self.send_json({"type": "error", "detail": problem})
            return
        await _control(self.run, content)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except (ValueError, RecursionError):  # nested too deeply to parse
            return None


def _control_problem(content: Any) -> str | None:
    """Why a control message is refused, or None when it is well formed."""
    if not isinstance(content, dict) or content.get("action") not in ACTIONS:
        return f'a control message is {{"action": one of {sorted(ACTIONS)}}}'
    if content["action"] == "speed":
        speed = content.get("speed")
        number = isinstance(speed, (int, float)) and not isinstance(speed, bool)
        if not number or not SPEED_MIN <= speed <= SPEED_MAX:
            return f"speed must be a number in {SPEED_MIN}..{SPEED_MAX}"
    if content["action"] == "inject" and not isinstance(content.get("fault"), dict):
        return "inject needs a fault object"
    if len(json.dumps(content)) > 10_000:
        return "control message too large"
    return None
