"""The run websocket: stored frames from `since`, then live ones; only the owner connects."""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
from mscomm.runs.control import Control, ControlError, control_parse
from mscomm.runs.hub import FRAMES, hub
from mscomm.runs.models import Run
from mscomm.runs.selectors import run_get, run_public
from mscomm.runs.services import run_control

log = logging.getLogger(__name__)

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
def _control(run_id: uuid.UUID, control: Control) -> str | None:
    """Hand the control on; why it was refused (the run is over, too many wait), or None."""
    try:
        run_control(run_id=run_id, control=control)
    except ServiceError as err:
        return str(err.detail)
    return None


@functools.lru_cache(maxsize=64)
def frame_message(frame: str) -> str:
    """The websocket message of one frame, made once for all the viewers it fans out to.

    Frames pass through as the worker encoded them (no parsing per viewer); a frame's
    text is one object for every viewer, whose hash Python keeps, so the lookup is cheap.
    """
    return f'{{"type":"frame","frame":{frame}}}'


def frames_message(frames: list[str]) -> str:
    """The websocket message of the frames a viewer has at hand at once, in order: one
    `frame` message, or one `frames` message for several (a catch-up, a viewer behind)."""
    if len(frames) == 1:
        return frame_message(frames[0])
    return '{"type":"frames","frames":[' + ",".join(frames) + "]}"


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

    async def _pump(self) -> None:
        """Send the run's messages as the hub yields them, until its final state."""
        follow = hub().follow(self.run_id, self.since, run=self.run)
        try:
            async with contextlib.aclosing(follow) as messages:
                async for kind, data in messages:
                    if kind == FRAMES:
                        await self.send(text_data=frames_message(data))
                    else:
                        await self.send_json({"type": "run", "run": self.show_run(data)})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %s: websocket reader failed", self.run_id)
            await self.close(code=1011)

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
