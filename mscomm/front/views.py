"""Page views: each renders a shell template; the page's ES module fetches its data from
the API. Ids reach the JavaScript as `data-*` attributes (a strict CSP forbids inline
scripts), and the CSRF cookie is always set so the modules can send unsafe requests."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    """The gallery: chapter-4 labs, the visitor's scenarios and runs."""
    return render(request, "front/gallery.html")


@ensure_csrf_cookie
def editor(request: HttpRequest, scenario_id: UUID | None = None) -> HttpResponse:
    """The topology editor for a new scenario or one of the visitor's own."""
    return render(
        request,
        "front/editor.html",
        {"scenario_id": str(scenario_id) if scenario_id else ""},
    )


@ensure_csrf_cookie
def run(request: HttpRequest, run_id: UUID) -> HttpResponse:
    """The run view: live animation, controls, charts and the final result."""
    return render(request, "front/run.html", {"run_id": str(run_id)})


@ensure_csrf_cookie
def batch(request: HttpRequest, batch_id: UUID) -> HttpResponse:
    """A batch side by side: one row per variant, and its figures against the swept value."""
    return render(request, "front/batch.html", {"batch_id": str(batch_id)})
