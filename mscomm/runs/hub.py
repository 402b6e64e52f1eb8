"""One Redis reader per run per server process, fanning frames out to that run's viewers.

A hundred viewers of one run then cost one `XREAD` loop, not a hundred. A viewer
subscribes first and then catches up from the stream itself (XRANGE from its `since`):
everything up to the feed's starting point is in the catch-up, everything after it
comes through the feed, and the viewer drops what it has already sent (ids only grow),
so there is never a gap. A viewer that falls too far behind is cut loose with OVERFLOW
and catches up from the stream again. The feed also keeps the stream's last WINDOW
entries in memory and serves catch-ups from them: a class of hundreds joining a run
then costs one read of its stream, not one each. `RunHub.follow` is that whole protocol for one
viewer, as one async iterator: the websocket consumer only sends what it yields.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from channels.db import database_sync_to_async

from mscomm.runs import stream
from mscomm.runs.models import ACTIVE_STATES, Run
from mscomm.runs.selectors import run_public

log = logging.getLogger(__name__)

OVERFLOW = ("overflow", {})
# The stream was quiet for READ_BLOCK_MS: a viewer then checks whether its run is over.
# The feed says so to every idle viewer at once, so no viewer waits on a timer of its own
# for every entry (asyncio.wait_for makes a task and a timer per call: 500 viewers at
# 20 frames a second would make 10,000 of each a second).
IDLE = ("idle", {})
FRAMES = "frames"  # follow() yields (FRAMES, [each frame's JSON text as the worker wrote it])
RUN = "run"  # and (RUN, the run as run_public shows it)
BATCH = 100  # the most frames in one message to a viewer
MAX_BACKLOG = 2000  # entries a viewer may have waiting before it must catch up itself
READ_BLOCK_MS = 5000
READ_COUNT = 500
WINDOW = 1000  # recent entries a feed keeps for catch-ups (under a minute of frames)


def cancel_requested() -> bool:
    """Whether the running task has been asked to stop.

    On Python 3.11 `asyncio.wait_for` (which the Redis client uses to send commands)
    swallows a cancellation that arrives just as the awaited call finishes, so a task
    looping over Redis calls would run on after `cancel()`. Such loops check this too.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def entry_id_key(entry_id: str) -> tuple[int, int]:
    ms, sub = entry_id.split("-", 1)
    return int(ms), int(sub)


@database_sync_to_async
def _run_now(run_id: str) -> Run:
    # With its frame log: a finished run's frames are read from it.
    return Run.objects.defer("doc", "result").get(id=run_id)


class _Feed:
    """The reader of one run's stream, feeding every subscribed viewer's queue."""

    def __init__(self, hub: RunHub, run_id: str) -> None:
        self.hub = hub
        self.run_id = run_id
        self.queues: set[asyncio.Queue] = set()
        self.ready = asyncio.Event()
        # The stream's entries after `floor`, with their parsed ids, up to what was read.
        self.window: deque[tuple[tuple[int, int], tuple[str, dict]]] = deque()
        self.floor = (0, 0)
        self.task = asyncio.ensure_future(self._loop())

    def _keep(self, entry: tuple[str, dict]) -> None:
        self.window.append((entry_id_key(entry[0]), entry))
        if len(self.window) > WINDOW:
            self.floor = self.window.popleft()[0]

    def entries_after(self, after: tuple[int, int]) -> list[tuple[str, dict]] | None:
        """The entries after `after` from memory; None when the window does not reach back."""
        if after < self.floor or not self.ready.is_set() or self.task.done():
            return None
        found = []
        for key, entry in reversed(self.window):
            if key <= after:
                break
            found.append(entry)
        found.reverse()
        return found

    async def _loop(self) -> None:
        key = stream.frames_key(self.run_id)
        client = stream.redis_async(block_s=READ_BLOCK_MS / 1000)
        try:
            tail = list(reversed(await client.xrevrange(key, count=WINDOW + 1)))
            if len(tail) > WINDOW:
                self.floor = entry_id_key(tail.pop(0)[0])
            for entry in tail:
                self._keep(entry)
            # Explicit ids from here on: what is past this point reaches every subscriber.
            last_id = tail[-1][0] if tail else "0-0"
            self.ready.set()
            while self.queues and not cancel_requested():
                reply = await client.xread({key: last_id}, count=READ_COUNT, block=READ_BLOCK_MS)
                if not reply:
                    for queue in self.queues:
                        if queue.empty():
                            queue.put_nowait(IDLE)
                    continue
                for entry_id, fields in reply[0][1]:
                    last_id = entry_id
                    self._keep((entry_id, fields))
                    for queue in list(self.queues):
                        if queue.qsize() >= MAX_BACKLOG:
                            self.queues.discard(queue)
                            queue.put_nowait(OVERFLOW)
                        else:
                            queue.put_nowait((entry_id, fields))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %s: stream reader failed", self.run_id)
            for queue in self.queues:
                queue.put_nowait(OVERFLOW)
        finally:
            self.ready.set()
            if self.hub.feeds.get(self.run_id) is self:
                del self.hub.feeds[self.run_id]
            # Viewers still here (they wait without a timeout) start over on a new feed.
            for queue in self.queues:
                queue.put_nowait(OVERFLOW)
            await client.aclose()


class RunHub:
    """The feeds of this event loop's process, by run id."""

    def __init__(self) -> None:
        self.feeds: dict[str, _Feed] = {}
        # Retries ride out a Redis restart; the socket timeout outlasts XREAD BLOCK.
        self.redis = stream.redis_async(block_s=READ_BLOCK_MS / 1000)

    async def subscribe(self, run_id: str) -> asyncio.Queue:
        """A queue that receives every stream entry of the run added from now on."""
        feed = self.feeds.get(run_id)
        if feed is None or feed.task.done():
            feed = self.feeds[run_id] = _Feed(self, run_id)
        queue: asyncio.Queue = asyncio.Queue()
        feed.queues.add(queue)
        try:
            await feed.ready.wait()
        except BaseException:
            # Cancelled before the caller has its queue: it cannot unsubscribe, so we do.
            self.unsubscribe(run_id, queue)
            raise
        return queue

    def unsubscribe(self, run_id: str, queue: asyncio.Queue) -> None:
        feed = self.feeds.get(run_id)
        if feed is None:
            return
        feed.queues.discard(queue)
        if not feed.queues and self.feeds.get(run_id) is feed:
            feed.task.cancel()
            self.feeds.pop(run_id, None)

    async def follow(
        self, run_id: Any, since: int, *, run: Run | None = None
    ) -> AsyncIterator[tuple[str, Any]]:
        """One viewer's messages: every frame after `since`, in order, each once, and the
        run's states, until its final state, which always comes last (also for a run that
        was over before: then the frames come from its stored log).

        Yields (FRAMES, [text, ...]): the frames at hand at once (a catch-up, or a viewer
        that fell behind; at most BATCH), each as the worker wrote it; and (RUN, dict).
        `run`, the run as the caller loaded it, spares a query.
        """
        run_id = str(run_id)
        sent = since
        if run is None:
            run = await _run_now(run_id)
        if not run.finished:
            async with contextlib.aclosing(self._entries(run_id, f"{since}-0")) as batches:
                async for batch in batches:
                    if batch is None:
                        break  # over, with its stream gone: the stored log has the rest
                    frames: list[str] = []
                    for entry_id, fields in batch:
                        if fields["k"] == stream.FRAME:
                            seq = stream.entry_seq(entry_id)
                            if seq > sent:
                                sent = seq
                                frames.append(fields["d"])
                                if len(frames) == BATCH:
                                    yield FRAMES, frames
                                    frames = []
                            continue
                        if frames:
                            yield FRAMES, frames
                            frames = []
                        state = json.loads(fields["d"])
                        yield RUN, state
                        if state["state"] not in ACTIVE_STATES:
                            return
                    if frames:
                        yield FRAMES, frames
        run = await _run_now(run_id)
        lines = await asyncio.to_thread(
            stream.frame_log_lines, run.frame_log, since=sent, limit=None
        )
        for start in range(0, len(lines), BATCH):
            yield FRAMES, lines[start : start + BATCH]
        yield RUN, run_public(run)

    async def _entries(
        self, run_id: str, after_id: str
    ) -> AsyncIterator[list[tuple[str, dict]] | None]:
        """The run's stream entries after `after_id`, in order and without a gap, in
        batches of those at hand at once; then None if the run ends while its stream is
        quiet (it may have expired)."""
        last_id = after_id
        queue = None
        try:
            while True:
                # Subscribe first, then catch up: together they leave no gap.
                queue = await self.subscribe(run_id)
                caught_up = await self.catch_up(run_id, last_id)
                if cancel_requested():  # a cancel the Redis client swallowed
                    raise asyncio.CancelledError
                if caught_up:
                    last_id = caught_up[-1][0]
                    yield caught_up
                overflow = False
                while not overflow:
                    item = await queue.get()
                    if item is IDLE:
                        # Quiet for a while: the run may have ended with its stream gone.
                        run = await _run_now(run_id)
                        over = run.finished and not await self.catch_up(run_id, last_id)
                        # Checked after the calls that may swallow a cancel, not per entry:
                        # with hundreds of viewers that check is a hot path of its own.
                        if cancel_requested():
                            raise asyncio.CancelledError
                        if over:
                            yield None
                            return
                        continue
                    # With the entries that came meanwhile: one message to a viewer that
                    # fell behind rather than one per frame.
                    batch = []
                    while True:
                        if item is OVERFLOW:
                            overflow = True  # too far behind: catch up from the stream again
                            break
                        if item is not IDLE and entry_id_key(item[0]) > entry_id_key(last_id):
                            last_id = item[0]  # (older ones were in the catch-up)
                            batch.append(item)
                        if queue.empty() or len(batch) >= BATCH:
                            break
                        item = queue.get_nowait()
                    if batch:
                        yield batch
                self.unsubscribe(run_id, queue)
                queue = None
        finally:
            if queue is not None:
                self.unsubscribe(run_id, queue)

    async def catch_up(self, run_id: str, after_id: str) -> list[tuple[str, dict]]:
        """Every entry of the run's stream after `after_id`, in order.

        From the run's feed when its window reaches back that far (what it has read
        so far: a subscriber gets the rest through its queue), else from Redis.
        """
        feed = self.feeds.get(run_id)
        if feed is not None:
            found = feed.entries_after(entry_id_key(after_id))
            if found is not None:
                return found
        key = stream.frames_key(run_id)
        entries: list[tuple[str, dict]] = []
        start = f"({after_id}"
        while True:
            page = await self.redis.xrange(key, min=start, count=READ_COUNT)
            entries.extend(page)
            if len(page) < READ_COUNT:
                return entries
            start = f"({page[-1][0]}"


T = TypeVar("T")


def per_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """A function giving the running event loop's own object, made by `factory` once.

    A server process has one loop; tests may run several, and an object holding tasks
    or connections must not cross from one to another.
    """
    made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get() -> T:
        loop = asyncio.get_running_loop()
        found = made.get(loop)
        if found is None:
            found = made[loop] = factory()
        return found

    return get


hub = per_loop(RunHub)
hub.__doc__ = "This event loop's hub."
