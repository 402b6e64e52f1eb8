"""ASGI guards in front of Django and Channels: body size and websocket Origin.

Django's ASGI handler reads a request's whole body before any Django middleware runs, and
it trusts Content-Length for its size limit, so a chunked body (no Content-Length) or a
false length is not limited there. `BodyLimit` counts the bytes as they arrive instead.
`SiteOriginValidator` lets websockets in from the site's own origins only.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

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


class SiteOriginValidator(OriginValidator):
    """Let a websocket in only from the site's own origins: scheme, host and port.

    The same rule as Django's CSRF origin check: the origin the request was reached at
    (its Host, when ALLOWED_HOSTS has it, and http or https as the connection was made),
    or one of `settings.CSRF_TRUSTED_ORIGINS`. So another port of the same host (a dev
    server on :3000) or the other scheme is refused. Only a browser's
    `http(s)://host[:port]` can match: other schemes, a port that is not a number, a path
    or credentials in the origin are refused before anything is compared.
    """

    def __init__(self, application: ASGIApp) -> None:
        super().__init__(application, [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SiteOriginValidator is for websocket connections only")
        origin = _header(scope, b"origin")
        try:
            parsed = urlparse(origin.decode("latin1")) if origin is not None else None
        except UnicodeDecodeError:
            parsed = None
        if self.well_formed(parsed) and any(
            self.match_allowed_origin(parsed, pattern) for pattern in site_origins(scope)
        ):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def well_formed(parsed: Any) -> bool:
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            return False
        if parsed.username is not None or parsed.path not in ("", "/"):
            return False
        try:
            parsed.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError:
            return False
        return True


def _secure(scope: Scope) -> bool:
    """Whether the client reached us over TLS (directly, or as the trusted proxy says)."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        found = _header(scope, header)
        return found is not None and found.decode("latin1").split(",")[0].strip() == value
    return False


def site_origins(scope: Scope) -> list[str]:
    """The origins a websocket of this connection may come from, as Channels patterns."""
    # Django writes a subdomain wildcard `https://*.example.com`, Channels `https://.example.com`.
    origins = [origin.replace("://*.", "://.") for origin in settings.CSRF_TRUSTED_ORIGINS]
    host = _header(scope, b"host")
    if host is not None:
        netloc = host.decode("latin1").strip().lower()
        hostname, _port = split_domain_port(netloc)
        hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not hosts:
            hosts = ["localhost", "127.0.0.1", "[::1]"]
        if hostname and validate_host(hostname, hosts):
            origins.append(f"{'https' if _secure(scope) else 'http'}://{netloc}")
    return origins


def site_origin_validator(app: ASGIApp) -> SiteOriginValidator:
    """`SiteOriginValidator` around `app` (in place of Channels' AllowedHostsOriginValidator)."""
    return SiteOriginValidator(app)
