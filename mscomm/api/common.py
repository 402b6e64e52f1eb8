"""What every router of the API shares: error answers, paging, the caller's run."""

from __future__ import annotations

from django.http import HttpResponse


def no_content() -> HttpResponse:
    """An empty 204: no body, so no content type either (RFC 9110, 15.3.5)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response
