"""Request guards and response headers applied to every page and API call."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodySizeLimitMiddleware:
    """Answer 413 (JSON) before reading a body whose declared length is over the limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MSCOMM_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "bad Content-Length"}, status=400)
        if length > limit:
            return JsonResponse(
                {"detail": f"request body is {length} bytes, the limit is {limit}"},
                status=413,
            )
        return self.get_response(request)


def nul_at(value: object, path: str) -> str | None:
    """The path of the first string (or key) in a JSON value that holds a NUL character."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return where
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


class NulCharacterMiddleware:
    """Answer 422 for a NUL character (U+0000) in a query string or a JSON body's text.

    No stored text may hold one (PostgreSQL's text and jsonb cannot, so it would fail
    later as a 500), and nothing a user means to say needs one. The error names where it
    is (`query.name`, `body.doc.nodes[0].label`). Forms need nothing here: Django's form
    fields refuse it themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_at(dict(request.GET.lists()), "query")
        forms = ("multipart/form-data", "application/x-www-form-urlencoded")
        try:
            body = b"" if request.content_type in forms else request.body
        except RequestDataTooBig:
            body = b""  # the view answers 413
        # JSON carries a NUL as the escape \u0000 (or, in UTF-16/32, among NUL bytes).
        if where is None and (b"u0000" in body or b"\x00" in body):
            with contextlib.suppress(ValueError, RecursionError):  # not JSON: the view says so
                where = nul_at(json.loads(body), "body")
        if where is not None:
            return JsonResponse(
                {"detail": f"{where}: text may not contain the NUL character (U+0000)"},
                status=422,
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Send the Content-Security-Policy (unless Django's own CSP middleware does)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
