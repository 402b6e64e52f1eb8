"""Pages: a share link's read-only view (`/s/<token>`) and the owner's list of links."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from mscomm.errors import NotFound
from mscomm.sharing.selectors import share_resolve


@require_GET
@ensure_csrf_cookie
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The shared scenario or run, read-only; 404 once revoked or expired."""
    try:
        share = share_resolve(token=token)
    except NotFound:
        raise Http404("no such link") from None
    return render(request, "sharing/shared.html", {"token": token, "kind": share.kind})


@require_GET
@ensure_csrf_cookie
def shares(request: HttpRequest) -> HttpResponse:
    """The owner's share links: what each opens, until when, and revoking them."""
    return render(request, "sharing/shares.html")
