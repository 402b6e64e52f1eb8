"""ASGI guards in front of Django and Channels: body size and websocket Origin.

Django's ASGI handler reads a request's whole body before any Django middleware runs, and
it trusts Content-Length for its size limit, so a chunked body (no Content-Length) or a
false length is not limited there. `BodyLimit` counts the bytes as they arrive instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Answer 413 for a body over `settings.MSCOMM_MAX_BODY_BYTES`, however it is framed.

    The body is read (up to the limit) before the application starts, then replayed to it
    as one message; 400 when Content-Length is malformed or not the size that arrived.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MSCOMM_MAX_BODY_BYTES
        declared_raw = _header(scope, b"content-length")
        declared: int | None = None
        if declared_raw is not None:
            try:
                declared = int(declared_raw)
                if declared < 0:
                    raise ValueError
            except ValueError:
                await _answer(send, 400, "bad Content-Length")
                return
            if declared > limit:
                await _answer(send, 413, f"request body is {declared} bytes, the limit is {limit}")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(send, 413, f"request body is over the limit of {limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if declared is not None and declared != size:
            await _answer(send, 400, f"Content-Length says {declared} bytes, {size} arrived")
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # later calls wait for the disconnect

        await self.app(scope, replay, send)


class StrictOriginValidator(OriginValidator):
    """Channels' check of Origin against ALLOWED_HOSTS, refusing malformed origins too.

    Only a browser's `http(s)://host[:port]` can match: other schemes, a port that is not
    a number, or credentials in the origin are refused before the host is compared.
    """

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None or parsed_origin.scheme not in ("http", "https"):
            return False
        if parsed_origin.username is not None or parsed_origin.path not in ("", "/"):
            return False
        try:
            parsed_origin.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError:
            return False
        return super().valid_origin(parsed_origin)


def allowed_hosts_origin_validator(app: ASGIApp) -> StrictOriginValidator:
    """`StrictOriginValidator` over settings.ALLOWED_HOSTS (as Channels' factory does)."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return StrictOriginValidator(app, hosts)
