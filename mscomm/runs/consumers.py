"""The run websocket: stored frames from `since`, then live ones; only the owner connects."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from mscomm.accounts.services import workspace_find
from mscomm.errors import NotFound, ServiceError
from mscomm.runs import stream
from mscomm.runs.control import Control, ControlError, control_parse
from mscomm.runs.hub import OVERFLOW, cancel_requested, entry_id_key, hub
from mscomm.runs.models import Run
from mscomm.runs.selectors import run_get, run_public
from mscomm.runs.services import run_control

log = logging.getLogger(__name__)

READ_BLOCK_MS = 5000
LIGHT = ("doc", "result", "frame_log")  # columns a viewer never needs
NOT_FOUND = 4404  # close code: no such run, or not the caller's (as the API's 404)


@database_sync_to_async
def _load_own(run_id: uuid.UUID, scope: dict) -> Run | None:
    """The caller's run (the API's rule: the owner's workspace), or None for anyone else."""
    workspace = workspace_find(user=scope.get("user"), session=scope.get("session"))
    try:
        return run_get(workspace=workspace, run_id=run_id, defer=LIGHT)
    except NotFound:
        return None


@database_sync_to_async
def _refresh(run_id: uuid.UUID) -> Run:
    # With its frame log: a finished run's frames are read from it.
    return Run.objects.defer("doc", "result").get(id=run_id)


@database_sync_to_async
def _control(run_id: uuid.UUID, control: Control) -> str | None:
    """Hand the control on; why it was refused (the run is over, too many wait), or None."""
    try:
        run_control(run_id=run_id, control=control)
    except ServiceError as err:
        return str(err.detail)
    return None


class _Bucket:
    """A token bucket: `burst` messages at once, then `rate` a second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RunConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/runs/<id>/?since=N`: one reader task per connection on the run's stream.

    Subclasses reach a run another way by overriding `find_run`, and show it their way
    with `show_run`; `may_control` says whether control messages are obeyed.
    """

    may_control = True

    async def connect(self) -> None:
        self.reader: asyncio.Task | None = None
        try:
            query = parse_qs(self.scope.get("query_string", b"").decode())
            self.since = max(0, int(query.get("since", ["0"])[0]))
        except ValueError:
            await self.close(code=4400)
            return
        run = await self.find_run()
        if run is None:
            await self.close(code=NOT_FOUND)
            return
        self.run = run
        self.run_id = run.id
        self.bucket = _Bucket(settings.MSCOMM_CONTROLS_PER_S, settings.MSCOMM_CONTROL_BURST)
        await self.accept()
        await self.send_json({"type": "run", "run": self.show_run(run_public(run))})
        self.reader = asyncio.create_task(self._pump())

    async def find_run(self) -> Run | None:
        """The run this connection may read, or None (closed with NOT_FOUND)."""
        try:
            run_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["run_id"]))
        except (ValueError, KeyError):
            return None
        return await _load_own(run_id, self.scope)

    def show_run(self, run: dict[str, Any]) -> dict[str, Any]:
        """The run message's payload as this connection may see it."""
        return run

    async def disconnect(self, code: int) -> None:
        await self._stop_reader()

    async def _stop_reader(self) -> None:
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
        await self.send_json({"type": "run", "run": self.show_run(payload)})
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
                await self.send_json({"type": "run", "run": self.show_run(run_public(self.run))})
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
                            await self.send_json(
                                {"type": "run", "run": self.show_run(run_public(run))}
                            )
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
        if not self.may_control:
            await self.send_json({"type": "error", "detail": "only the run's owner may control it"})
            return
        try:
            control = control_parse(content)
        except ControlError as err:
            await self.send_json({"type": "error", "detail": str(err)})
            return
        if not self.bucket.take():
            problem = (
                f"too many control messages: at most {settings.MSCOMM_CONTROLS_PER_S:g} "
                "a second on one connection"
            )
        else:
            problem = await _control(self.run_id, control)
        if problem:
            await self.send_json({"type": "error", "detail": problem})

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except (ValueError, RecursionError):  # nested too deeply to parse
            return None
