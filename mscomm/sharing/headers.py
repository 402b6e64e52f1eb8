"""Headers of everything a share link shows: leak the token to no one, index nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Every URL that carries a token: the page and the holder's API.
SHARED_PREFIXES = ("/s/", "/api/shares/t/")


def shared_headers(response: HttpResponse) -> HttpResponse:
    """No Referer carries the token elsewhere, search engines skip it, caches keep nothing."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class SharedHeadersMiddleware:
    """`shared_headers` on every answer to a token URL, whatever its status.

    A 404 for a revoked, expired or made-up token names it in its URL just as a 200
    does, so the headers cannot be left to the views (whose errors skip them).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(SHARED_PREFIXES):
            shared_headers(response)
        return response
