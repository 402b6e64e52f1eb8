"""The run hub's stream readers against a real Redis: none is left running by a viewer
that leaves early, and a cancel stops them even where the Redis client swallowed it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor

from mscomm.runs import stream
from mscomm.runs.hub import cancel_requested, hub


def run_async(coro):
    """asyncio.run on a thread of its own: a browser test's loop may be running on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_viewer_cancelled_before_its_feed_is_ready_leaves_no_reader_behind():
    async def leave_early() -> tuple[dict, bool]:
        run_hub = hub()
        run_id = str(uuid.uuid4())
        subscriber = asyncio.ensure_future(run_hub.subscribe(run_id))
        await asyncio.sleep(0)  # the feed exists; the viewer waits for it to be ready
        feed = run_hub.feeds[run_id]
        subscriber.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await subscriber
        done, _ = await asyncio.wait({feed.task}, timeout=15)
        return dict(run_hub.feeds), feed.task in done

    feeds, stopped = run_async(leave_early())
    assert feeds == {}
    assert stopped


def test_frames_reach_a_subscriber_and_its_leaving_stops_the_reader():
    run_id = str(uuid.uuid4())

    async def watch() -> tuple[list[str], bool]:
        run_hub = hub()
        queue = await run_hub.subscribe(run_id)
        feed = run_hub.feeds[run_id]
        await asyncio.to_thread(
            stream.frame_publish, run_id, {"seq": 1, "t": 0.1, "events": [], "counts": {}}
        )
        entry_id, _fields = await asyncio.wait_for(queue.get(), 10)
        run_hub.unsubscribe(run_id, queue)
        done, _ = await asyncio.wait({feed.task}, timeout=15)
        return [entry_id], feed.task in done and run_id not in run_hub.feeds

    received, stopped = run_async(watch())
    assert received == ["1-0"]
    assert stopped


def test_a_swallowed_cancel_is_still_seen():
    async def swallowed() -> tuple[bool, bool]:
        before = cancel_requested()
        asyncio.current_task().cancel()
        # Caught and dropped, as asyncio.wait_for does on 3.11 when its call just finished.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
        return before, cancel_requested()

    assert run_async(swallowed()) == (False, True)


def test_catch_ups_come_from_the_feeds_window_while_it_reads_the_stream():
    run_id = str(uuid.uuid4())

    def publish(seq: int) -> None:
        stream.frame_publish(run_id, {"seq": seq, "t": seq * 0.1, "events": [], "counts": {}})

    for seq in range(1, 6):
        publish(seq)

    async def join() -> tuple[list[str], list[str], list[str]]:
        run_hub = hub()
        queue = await run_hub.subscribe(run_id)  # the feed reads the stream's tail once
        for seq in range(6, 9):
            await asyncio.to_thread(publish, seq)
        for _ in range(3):
            await asyncio.wait_for(queue.get(), 10)
        from_redis = [
            e[0]
            for e in await asyncio.to_thread(
                stream.redis_client().xrange, stream.frames_key(run_id), "(2-0"
            )
        ]
        # Gone from Redis, still in the window: later viewers need no read of their own.
        await asyncio.to_thread(stream.redis_client().delete, stream.frames_key(run_id))
        from_window = [e[0] for e in await run_hub.catch_up(run_id, "2-0")]
        run_hub.unsubscribe(run_id, queue)
        without_feed = [e[0] for e in await run_hub.catch_up(run_id, "2-0")]
        return from_redis, from_window, without_feed

    from_redis, from_window, without_feed = run_async(join())
    assert from_redis == [f"{seq}-0" for seq in range(3, 9)]
    assert from_window == from_redis
    assert without_feed == []
