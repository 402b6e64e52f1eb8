"""Headers of everything a share link shows: leak the token to no one, index nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpResponse


def shared_headers(response: HttpResponse) -> HttpResponse:
    """No Referer carries the token elsewhere, search engines skip it, caches keep nothing."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def shared_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a page view with `shared_headers`."""

    @wraps(view)
    def wrapper(*args, **kwargs) -> HttpResponse:
        return shared_headers(view(*args, **kwargs))

    return wrapper
