"""Run frames and control messages in Redis.

Each run has a stream `mscomm:run:<id>:frames`. A frame with sequence number N is the
entry `N-0`; a run-state message written after frame N is `N-k` (k >= 1). Readers (the
websocket consumers, the frames endpoint) replay the stream from any point with XRANGE or
XREAD, so catch-up and live delivery are one code path and nothing is dropped. Owners'
control messages go to the list `mscomm:run:<id>:control`, which the worker pops
between frames.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

FRAME = "frame"
RUN = "run"


def frames_key(run_id: Any) -> str:
    return f"mscomm:run:{run_id}:frames"


def control_key(run_id: Any) -> str:
    return f"mscomm:run:{run_id}:control"


# Redis may restart under a running system (a deploy, a crash): commands are retried
# with backoff for about RETRY_WINDOW_S before an error reaches the caller.
RETRY_WINDOW_S = 30
SOCKET_TIMEOUT_S = 10


def redis_options(*, block_s: float = 0) -> dict[str, Any]:
    """Connection options shared by the sync and asyncio clients (timeouts, retries).

    `block_s`: the longest blocking read the caller makes (XREAD BLOCK), which the
    socket timeout must outlast.
    """
    return {
        "decode_responses": True,
        "socket_timeout": SOCKET_TIMEOUT_S + block_s,
        "socket_connect_timeout": 5,
        "health_check_interval": 15,
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
    }


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=RETRY_WINDOW_S + 10)


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, retry=_retry(), **redis_options())


def redis_async(*, block_s: float = 0) -> aioredis.Redis:
    """A new asyncio client for settings.REDIS_URL with the same timeouts and retries."""
    return aioredis.Redis.from_url(
        settings.REDIS_URL,
        retry=AsyncRetry(ExponentialBackoff(cap=1.0, base=0.05), retries=RETRY_WINDOW_S + 10),
        **redis_options(block_s=block_s),
    )


def redis_client() -> redis.Redis:
    """A shared synchronous client for settings.REDIS_URL (thread-safe connection pool)."""
    return _client(settings.REDIS_URL)


def entry_decode(fields: dict) -> tuple[str, dict]:
    """An entry's (kind, payload): kind is FRAME or RUN."""
    return fields["k"], json.loads(fields["d"])


def frame_publish(run_id: Any, frame: dict) -> None:
    """Append frame `frame["seq"]` (1, 2, ...) to the run's stream."""
    frames_publish(run_id, [frame])


def frames_publish(run_id: Any, frames: list[dict]) -> list[str]:
    """Append frames (consecutive seqs, `frame["seq"]` = 1, 2, ...) to the run's stream in
    one round trip; their JSON texts, in order (an unpaced run keeps them for its log)."""
    key = frames_key(run_id)
    lines = [json.dumps(frame, separators=(",", ":")) for frame in frames]
    with redis_client().pipeline(transaction=False) as pipe:
        for frame, line in zip(frames, lines, strict=True):
            pipe.xadd(key, {"k": FRAME, "d": line}, id=f"{frame['seq']}-0")
        answers = pipe.execute(raise_on_error=False)
    for frame, answer in zip(frames, answers, strict=True):
        # A retried command whose first try landed before the connection broke: that
        # entry is there already.
        entry_id = f"{frame['seq']}-0"
        if isinstance(answer, Exception) and not redis_client().xrange(
            key, min=entry_id, max=entry_id
        ):
            raise answer
    return lines


# Append a run-state message after the stream's last entry (`N-k` -> `N-(k+1)`) in one
# round trip: no frame can land in between. With a TTL (ARGV[3] > 0) the run is over:
# the stream goes after that grace period and its control list at once.
_RUN_APPEND = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local ms, sub = '0', 0
if #last > 0 then
  local id = last[1][1]
  local dash = string.find(id, '-', 1, true)
  ms = string.sub(id, 1, dash - 1)
  sub = tonumber(string.sub(id, dash + 1))
end
redis.call('XADD', KEYS[1], ms .. '-' .. (sub + 1), 'k', ARGV[1], 'd', ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('DEL', KEYS[2])
end
"""


def run_publish(run_id: Any, run: dict, *, final: bool = False, pipe: Any = None) -> None:
    """Append a run-state message after the last entry of the run's stream.

    `final`: the run is over, so its Redis keys go (after MSCOMM_STREAM_TTL_S for the
    stream; the DB keeps the log). `pipe`: queue the command on that pipeline instead
    of sending it now.
    """
    data = json.dumps(run, separators=(",", ":"), default=str)
    ttl = settings.MSCOMM_STREAM_TTL_S if final else 0
    _run_append()(
        keys=[frames_key(run_id), control_key(run_id)],
        args=[RUN, data, ttl],
        client=pipe if pipe is not None else redis_client(),
    )


@lru_cache(maxsize=1)
def _run_append() -> Any:
    # Sent by its digest (EVALSHA), loaded into Redis the first time it is missing there.
    return redis_client().register_script(_RUN_APPEND)


def frames_read(run_id: Any, *, since: int, limit: int) -> list[dict]:
    """Up to `limit` frames with seq > since from the run's Redis stream."""
    entries = redis_client().xrange(frames_key(run_id), min=f"{since + 1}-0", count=limit * 2)
    frames = []
    for _entry_id, fields in entries:
        kind, payload = entry_decode(fields)
        if kind == FRAME:
            frames.append(payload)
            if len(frames) == limit:
                break
    return frames


def frames_all_raw(run_id: Any, chunk: int = 1000) -> Iterator[str]:
    """Every frame of the run's stream as its JSON text, in order."""
    client = redis_client()
    start = "-"
    while True:
        entries = client.xrange(frames_key(run_id), min=start, count=chunk)
        for _entry_id, fields in entries:
            if fields["k"] == FRAME:
                yield fields["d"]
        if len(entries) < chunk:
            return
        ms, sub = entries[-1][0].split("-")
        start = f"{ms}-{int(sub) + 1}"


def frame_log_pack(lines: list[str]) -> bytes:
    """Compress frame JSON lines (in seq order, seq 1..n) for the run row."""
    return zlib.compress("\n".join(lines).encode(), level=6)


def frame_log_lines(blob: bytes | None, *, since: int, limit: int | None) -> list[str]:
    """The JSON text of frames with seq > since from a packed log (line i is seq i + 1)."""
    if not blob:
        return []
    lines = zlib.decompress(blob).decode().split("\n")
    end = None if limit is None else since + limit
    return [line for line in lines[since:end] if line]


def frame_log_slice(blob: bytes | None, *, since: int, limit: int | None) -> list[dict]:
    """Frames with seq > since from a packed log."""
    return [json.loads(line) for line in frame_log_lines(blob, since=since, limit=limit)]


def entry_seq(entry_id: str) -> int:
    """The frame sequence number an entry id carries (`N-k` -> N)."""
    return int(entry_id.split("-", 1)[0])


CONTROL_TTL_S = 3600  # a list nobody pops (a run that never starts) goes after this

# Append unless `limit` are waiting; the TTL is set when the list is made, never renewed,
# so pushing cannot keep a forgotten list alive. Returns the new length, or 0 when full.
_PUSH_CAPPED = """
local length = redis.call('LLEN', KEYS[1])
if length >= tonumber(ARGV[2]) then return 0 end
length = redis.call('RPUSH', KEYS[1], ARGV[1])
if length == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return length
"""


def control_push(run_id: Any, message: dict, *, limit: int = 1000) -> bool:
    """Queue an owner's control message for the worker; False when `limit` already wait."""
    client = redis_client()
    pushed = client.eval(
        _PUSH_CAPPED, 1, control_key(run_id), json.dumps(message), limit, CONTROL_TTL_S
    )
    return bool(pushed)


def control_pop_all(run_id: Any) -> list[dict]:
    """Every queued control message, oldest first (removes them)."""
    client = redis_client()
    with client.pipeline() as pipe:
        pipe.lrange(control_key(run_id), 0, -1)
        pipe.delete(control_key(run_id))
        raw, _ = pipe.execute()
    return [json.loads(item) for item in raw]
